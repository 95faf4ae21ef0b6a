# %% [markdown]
# # mousescore from a notebook
#
# Score a network against mouse visual cortex without writing a plugin: a hand-written PyTorch module
# and a registered model, on the Allen Brain Observatory areas (RSA) and on real mouse V1 neurons
# (antolik2016, SRP-Ridge and RSA). Then look at the scores as a table, plot a layer profile, compare
# the two models with paired intervals, and hand the data to Brain-Score (BrainIO) and rsatoolbox.
#
# This file is a notebook in percent format (open it in Jupyter with jupytext, or in VS Code); it also
# runs as a script, and CI runs it: `python examples/tutorial.py`. Outputs go to the folder named by
# `MOUSESCORE_TUTORIAL_OUT` (default `tutorial-output`). The data are found as for every mousescore
# command (`MOUSESCORE_DATA_PATH`, see the README).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import mousescore  # noqa: E402

OUT = Path(os.environ.get("MOUSESCORE_TUTORIAL_OUT", "tutorial-output"))
OUT.mkdir(parents=True, exist_ok=True)
AREAS = ["VISp", "VISl", "VISal", "VISrl", "VISam", "VISpm"]
BENCHMARKS = [f"allen.{area}-rsa" for area in AREAS] + ["antolik2016.V1-srp_ridge", "antolik2016.V1-rsa"]


# %% [markdown]
# ## A model of your own
# Any `torch.nn.Module` works. mousescore records every leaf module's output (here the convolutions
# and ReLUs), resizes the gray stimuli to `input_size`, repeats them over three channels and
# normalises them; a different preprocessing goes in `preprocess=`. The feature cache keys the module
# by the hash of its weights, so rerunning a cell reuses the features.

# %%
class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 7, stride=2, padding=3)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.relu2 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(4)

    def forward(self, x):
        return self.pool(self.relu2(self.conv2(self.relu1(self.conv1(x)))))


torch.manual_seed(0)
tiny = mousescore.score(TinyNet(), BENCHMARKS, name="tinynet", input_size=64, progress=False)
tiny

# %% [markdown]
# ## A registered model
# The same call with an identifier from `mousescore list models` (here AlexNet, random init: every
# `-random` model works offline). Registered models also land in the local result store.

# %%
alexnet = mousescore.score("alexnet-random", BENCHMARKS, progress=False)
results = tiny + alexnet

# %% [markdown]
# ## The scores as a table
# One row per (model, benchmark): the score (best layer, "Max"), its bootstrap error and 95% interval,
# the cross-validated layer selection's value, the ceiling and the ceiled value.

# %%
table = results.to_pandas()
columns = ["model", "benchmark", "value", "interval_low", "interval_high", "cv_value", "ceiling", "best_layer"]
print(table[columns].to_string(index=False, float_format="%.4f"))
table.to_csv(OUT / "scores.csv", index=False)

# %% [markdown]
# ## A layer profile
# Every layer's score on one benchmark, by relative depth; the dot is the committed (best) layer.

# %%
ax = results.plot_profile("antolik2016.V1-srp_ridge")
ax.set_title("mouse V1 (antolik2016), SRP-Ridge")
plt.tight_layout()
plt.savefig(OUT / "profile.png", dpi=120)
print(results.profiles()[("alexnet-random", "antolik2016.V1-srp_ridge")].dropna().round(4).to_string())

# %% [markdown]
# ## Comparing two models
# Every model is resampled with the same stimuli and neurons on a benchmark, so a difference gets a
# paired interval: `significant` when it excludes 0.

# %%
comparison = results.compare("alexnet-random", "tinynet")
print(comparison.to_string(index=False, float_format="%.4f"))

# %% [markdown]
# ## To Brain-Score and rsatoolbox
# The antolik2016 neurons and their images as BrainIO files (one presentation per trial, `repetition`
# coordinate), which brainio and Brain-Score's metrics read (`mousescore data export antolik2016` does
# the same from the shell); the Allen VISp RDMs as `rsatoolbox.rdm.RDMs` (needs
# `pip install 'mousescore[rsa]'`).

# %%
antolik = mousescore.load_dataset("antolik2016")
brainio = OUT / "brainio"
assembly_file = mousescore.write_brainio_assembly(antolik["responses"], brainio / "assy_mousescore_Antolik2016.nc",
                                                  "mousescore.Antolik2016")
stimulus_files = mousescore.write_brainio_stimulus_set(antolik["stimuli"],
                                                       brainio / "stimulus_mousescore_Antolik2016.csv")
print("BrainIO:", assembly_file.name, *(path.name for path in stimulus_files))

try:
    benchmark = mousescore.get_registry().get("benchmark", "allen.VISp-rsa").factory()
    neural = mousescore.benchmark_rdms(benchmark)
    print(f"rsatoolbox: {neural.n_rdm} VISp RDM(s) over {neural.n_cond} scenes")
except mousescore.MousescoreError as error:   # rsatoolbox not installed
    print(error)
