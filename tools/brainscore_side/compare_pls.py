"""Compare mousescore's ``pls_brainscore`` with the real Brain-Score PLS metric on real data.

brainscore-vision pins numpy < 2, so it runs in a side environment (``side_pls.py``); this script runs
in mousescore's. It takes Cowley V4 (the real macaque V4 benchmark mousescore ships), one layer of a
model (default: AlexNet random init, ``features.12``), scores it with mousescore's ``pls_brainscore``
and ``pls``, hands the same features and trial-averaged responses to the side environment, and prints
both with their largest differences (JSON, also written to ``--out``).

    python -m venv /work/bs-side && /work/bs-side/bin/pip install --no-deps -r tools/brainscore_side/requirements.txt
    python tools/brainscore_side/compare_pls.py --side-python /work/bs-side/bin/python
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from mousescore import get_registry
from mousescore.extraction.layers import preprocess
from mousescore.numerics import reductions
from mousescore.numerics.ridge import centered_gram

HERE = Path(__file__).resolve().parent


def layer_features(model: str, layer: str, stimuli) -> np.ndarray:
    """The layer's raw activations (stimuli × features, float64): what Brain-Score's metric receives."""
    import torch
    loaded = get_registry().get("model", model).factory()
    outputs = []
    hook = dict(loaded.module.named_modules())[layer].register_forward_hook(
        lambda module, inputs, output: outputs.append(output.detach().flatten(1).double().numpy()))
    with torch.no_grad():
        loaded.module(preprocess(stimuli.values, loaded))
    hook.remove()
    return outputs[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side-python", default="/work/bs-side/bin/python")
    parser.add_argument("--model", default="alexnet-random")
    parser.add_argument("--layer", default="features.12")
    parser.add_argument("--benchmark", default="cowley2023.V4-srp_ridge", help="a per-neuron benchmark")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    registry = get_registry()
    benchmark = registry.get("benchmark", args.benchmark).factory()
    features = layer_features(args.model, args.layer, benchmark.stimuli)
    responses = np.asarray(benchmark.target, dtype=np.float64)
    reduced = {reductions.centered_gram(): centered_gram(features)}
    ours = registry.get("metric", "pls_brainscore").factory()
    per_split = ours.split_scores(reduced, responses)
    value, units = ours.layer_value(reduced, responses)
    pooled = registry.get("metric", "pls").factory().layer_scores(reduced, responses)
    with tempfile.TemporaryDirectory() as folder:
        inputs, output = Path(folder) / "inputs.npz", Path(folder) / "brainscore.json"
        np.savez(inputs, features=features, responses=responses, stimulus_id=benchmark.stimuli.stimulus_ids())
        subprocess.run([args.side_python, str(HERE / "side_pls.py"), str(inputs), str(output)], check=True,
                       stdout=subprocess.DEVNULL)
        theirs = json.loads(output.read_text())
    raw = np.array(theirs["raw"], dtype=float)
    result = {
        "data": f"{args.benchmark} ({responses.shape[0]} stimuli, {responses.shape[1]} neurons), "
                f"{args.model} {args.layer} ({features.shape[1]} features)",
        "mousescore_pls_brainscore": {"value": value, "error": ours.error(reduced, responses, units)[0]},
        "brainscore_vision": {"value": theirs["center"], "error": theirs["error"]},
        "max_abs_difference": {"value": abs(value - theirs["center"]),
                               "per_split_median": float(np.max(np.abs(np.nanmedian(per_split, axis=1)
                                                                       - np.array(theirs["per_split"])))),
                               "per_split_per_neuron_r": float(np.nanmax(np.abs(per_split - raw)))},
        "mousescore_pls_pooled_mean": float(np.nanmean(pooled)),
        "versions": theirs["versions"],
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
