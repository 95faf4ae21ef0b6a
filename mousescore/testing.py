"""Conformance kit for model plugins, like scikit-learn's ``check_estimator``.

A plugin's own tests call :func:`check_model` for each of its models::

    from mousescore.testing import check_model
    def test_my_model():
        check_model(my_plugin.mousescore_models()[0])

It builds the model, runs it on a few synthetic images and asserts what scoring relies on; each failed
check raises ``AssertionError`` with the reason.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .assemblies import StimulusSet
from .extraction import extract
from .specs import LoadedModel, ModelSpec

REQUIRED_METADATA = ("family", "architecture_class", "trained")
_PROBE = ("srp", 64, 0)


def probe_stimuli(n: int = 6, side: int = 32, seed: int = 0) -> StimulusSet:
    images = np.random.default_rng(seed).random((n, side, side, 3), dtype=np.float32)
    return StimulusSet.create(images, [f"probe_{i}" for i in range(n)], attrs={"identifier": "probe"})


def check_model(spec: ModelSpec, stimuli: Optional[StimulusSet] = None) -> LoadedModel:
    """Assert the spec builds a usable, deterministic model; return the built model."""
    assert isinstance(spec, ModelSpec), f"{spec!r} is not a ModelSpec"
    missing = [key for key in REQUIRED_METADATA if key not in spec.metadata]
    assert not missing, f"{spec.identifier}: metadata lacks {missing}"
    trained = spec.metadata["trained"]
    if spec.metadata.get("architecture_class") != "non-network":   # baselines are neither
        assert trained == (not spec.identifier.endswith("-random")), \
            f"{spec.identifier}: random-init variants end in '-random' and say trained=False"
    loaded = spec.factory()
    assert isinstance(loaded, LoadedModel), f"{spec.identifier}: factory must return a LoadedModel"
    assert not loaded.module.training, f"{spec.identifier}: the module must be in eval mode"
    assert loaded.provenance.get("weights_sha256") or "seed" in loaded.provenance, \
        f"{spec.identifier}: provenance needs the weights' sha256 or the random seed"
    stimuli = stimuli if stimuli is not None else probe_stimuli()
    first = extract(loaded, stimuli, {_PROBE}, progress=False)
    assert first.layers, f"{spec.identifier}: no layers recorded"
    assert len(set(first.layers)) == len(first.layers), f"{spec.identifier}: duplicate layer names"
    for layer in first.layers:
        assert layer not in first.nonfinite, f"{spec.identifier}: layer {layer} gives non-finite features"
        values = first.reduced[layer][_PROBE]
        assert np.isfinite(values).all(), f"{spec.identifier}: layer {layer} gives non-finite features"
    second = extract(loaded, stimuli, {_PROBE}, progress=False)
    assert second.layers == first.layers, f"{spec.identifier}: layer order changes between runs"
    for layer in first.layers:
        assert np.array_equal(first.reduced[layer][_PROBE], second.reduced[layer][_PROBE]), \
            f"{spec.identifier}: layer {layer} is not deterministic"
    if not trained:
        rebuilt = spec.factory()
        for (name, a), (_, b) in zip(loaded.module.state_dict().items(), rebuilt.module.state_dict().items()):
            assert np.array_equal(a.numpy(), b.numpy()), \
                f"{spec.identifier}: random init is not reproducible ({name} differs)"
    return loaded
