"""Score arrays with the real Brain-Score PLS metric, for checking mousescore against it.

Run with the side environment (brainscore-vision pins numpy<2, so it lives apart):

    /work/bs-side/bin/python tools/brainscore_side/side_pls.py INPUTS.npz OUT.json

INPUTS.npz holds ``features`` (n_stimuli x n_features), ``responses`` (n_stimuli x n_neuroids,
trial-averaged) and ``stimulus_id`` (n_stimuli strings); optionally ``object_name`` (n_stimuli
strings), in which case the splits are stratified on it (the metric's own default); without it
``stratification_coord=None`` is passed, as the unstratified Brain-Score benchmarks do.
Both arrays become brainio NeuroidAssemblies as a benchmark hands them to the metric, the metric
from ``brainscore_vision.load_metric('pls')`` is run, and OUT.json gets the center, the error,
the per-split values (median over neuroids), the raw split x neuroid r values, each split's
test indices (rows of the given order) and the package versions.
"""
import json
import os
import sys
import warnings
from importlib.metadata import version

# load_metric() otherwise shells out to whatever `pip` is on PATH to install the plugin's requirements
os.environ["BS_INSTALL_DEPENDENCIES"] = "no"
warnings.filterwarnings("ignore", category=FutureWarning)  # "Score should explicitly define __slots__"

import numpy as np
from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly
from brainscore_vision import load_metric


def assembly(values, stimulus_id, neuroid_id, extra_presentation=None, **neuroid_coords):
    presentation = {"stimulus_id": ("presentation", stimulus_id),
                    "stimulus_index": ("presentation", np.arange(len(stimulus_id)))}
    presentation.update({k: ("presentation", v) for k, v in (extra_presentation or {}).items()})
    neuroid = {"neuroid_id": ("neuroid", neuroid_id)}
    neuroid.update({k: ("neuroid", v) for k, v in neuroid_coords.items()})
    return NeuroidAssembly(values, coords={**presentation, **neuroid}, dims=["presentation", "neuroid"])


def main(inputs, out):
    data = np.load(inputs, allow_pickle=False)
    features, responses = np.asarray(data["features"], float), np.asarray(data["responses"], float)
    stimulus_id = np.asarray(data["stimulus_id"]).astype(str)
    extra = {"object_name": np.asarray(data["object_name"]).astype(str)} if "object_name" in data else {}
    source = assembly(features, stimulus_id, [f"f{i}" for i in range(features.shape[1])], extra,
                      layer=np.full(features.shape[1], "features"))
    target = assembly(responses, stimulus_id, [f"n{i:05d}" for i in range(responses.shape[1])], extra,
                      region=np.full(responses.shape[1], "VISp"))
    kwargs = {} if extra else {"crossvalidation_kwargs": {"stratification_coord": None}}
    metric = load_metric("pls", **kwargs)
    _, splits = metric.cross_validation._split.build_splits(target)
    score = metric(source, target)
    raw = score.attrs["raw"].transpose("split", "neuroid")
    json.dump({
        "center": float(score.values), "error": float(score.attrs["error"]),
        "per_split": [float(v) for v in raw.median("neuroid").values],
        "split_order": [int(s) for s in raw["split"].values],
        "neuroid_order": [str(n) for n in raw["neuroid_id"].values],
        "raw": raw.values.tolist(),
        "split_test_indices": [sorted(int(i) for i in test) for _, test in splits],
        "stratification_coord": metric.cross_validation._split._stratification_coord,
        "splitter": repr(metric.cross_validation._split._split),
        "versions": {p: version(p) for p in ("brainscore_vision", "brainscore_core", "numpy",
                                              "scikit-learn", "scipy", "xarray")},
    }, open(out, "w"), indent=1)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
