"""Conformance kit for plugins, in the style of scikit-learn's ``estimator_checks``.

One small ``check_*`` function per property, for each plugin kind; each raises ``AssertionError``
naming the spec and the problem. A plugin's tests run every check on every spec it registers::

    from mousescore.testing import parametrize_with_checks
    import my_plugin

    @parametrize_with_checks(my_plugin.mousescore_models())
    def test_conformance(spec, check):
        check(spec)

or all of them at once with :func:`check_model` (which also returns the built model),
:func:`check_metric`, :func:`check_benchmark` and :func:`check_dataset`. ``mousescore submission
check`` runs the same model checks. Models are built and run on a few synthetic images once per spec
(the checks share that run); metrics are scored on synthetic features with a known signal;
benchmarks are built (their data must be available) and scored on the stimuli's own pixels.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import numpy as np

from .data.assemblies import StimulusSet
from .extraction.extract import LayerFeatures, extract
from .extraction.functions import FeatureFunction, extract_function
from .numerics import reductions
from .registry.caches import register_cache
from .registry.contracts import BENCHMARK_METADATA, MODEL_METADATA, Metric, ResamplableMetric
from .registry.layer_reductions import LayerReductions
from .registry.specs import BenchmarkSpec, DatasetSpec, LoadedModel, MetricSpec, ModelSpec
from .results.score import Score
from .scoring.benchmark import Benchmark

_PROBE = reductions.srp(64, 0)
IDENTIFIER = re.compile(r"[A-Za-z0-9_]+\.[A-Za-z0-9_]+-[A-Za-z0-9_]+\Z")


def probe_stimuli(n: int = 6, side: int = 32, seed: int = 0) -> StimulusSet:
    images = np.random.default_rng(seed).random((n, side, side, 3), dtype=np.float32)
    return StimulusSet.create(images, [f"probe_{i}" for i in range(n)], attrs={"identifier": "probe"})


# ---- models ------------------------------------------------------------------------------------

class _ModelRun:
    """A spec built once and run twice on the probe stimuli, shared by the model checks."""

    def __init__(self, spec: ModelSpec, stimuli: StimulusSet):
        self.loaded = spec.factory()
        assert isinstance(self.loaded, (LoadedModel, FeatureFunction)), \
            f"{spec.identifier}: factory must return a LoadedModel (or a FeatureFunction)"
        if isinstance(self.loaded, FeatureFunction):     # a network file run by its own runtime (TFLite)
            self.first = extract_function(self.loaded, stimuli, {_PROBE})
            self.second = extract_function(self.loaded, stimuli, {_PROBE})
        else:
            self.first = extract(self.loaded, stimuli, {_PROBE}, progress=False)
            self.second = extract(self.loaded, stimuli, {_PROBE}, progress=False)


_shared: Dict[Tuple[str, int], Tuple[Any, Any, Any]] = {}   # (kind, id(spec)) -> (spec, key, value)
register_cache(_shared.clear)


def _once(kind: str, spec, key, make, keep: int):
    """What ``make()`` gives for this spec (and ``key``), made once and shared by a kind's checks; the
    last ``keep`` of a kind are kept (networks can be large)."""
    entry = _shared.get((kind, id(spec)))
    if entry is None or entry[0] is not spec or entry[1] is not key:
        entry = _shared[(kind, id(spec))] = (spec, key, make())
        mine = [k for k in _shared if k[0] == kind]
        for old in mine[:max(len(mine) - keep, 0)]:
            del _shared[old]
    return entry[2]


def _run(spec: ModelSpec, stimuli: Optional[StimulusSet] = None) -> _ModelRun:
    """The shared run of this spec, on ``stimuli`` if given (else on whatever it last ran on)."""
    entry = _shared.get(("model", id(spec)))
    if stimuli is None:
        stimuli = entry[1] if entry is not None and entry[0] is spec else probe_stimuli()
    return _once("model", spec, stimuli, lambda: _ModelRun(spec, stimuli), keep=2)


def check_model_metadata(spec: ModelSpec) -> None:
    """A ModelSpec whose metadata has every key of MODEL_METADATA; '-random' names the random twin."""
    assert isinstance(spec, ModelSpec), f"{spec!r} is not a ModelSpec"
    missing = [key for key in MODEL_METADATA if key not in spec.metadata]
    assert not missing, f"{spec.identifier}: metadata lacks {missing}"
    if spec.metadata.get("architecture_class") != "non-network":   # baselines are neither
        assert spec.metadata["trained"] == (not spec.identifier.endswith("-random")), \
            f"{spec.identifier}: random-init variants end in '-random' and say trained=False"


def check_model_builds(spec: ModelSpec) -> None:
    """The factory gives a LoadedModel in eval mode, of the metadata's input size, with provenance (or a
    FeatureFunction, whose provenance's input size, where it names one, is the metadata's)."""
    loaded = _run(spec).loaded
    if isinstance(loaded, FeatureFunction):
        input_size = (loaded.provenance.get("input") or {}).get("size", [None])[0]
    else:
        assert not loaded.module.training, f"{spec.identifier}: the module must be in eval mode"
        input_size = loaded.input_size
    assert loaded.provenance.get("weights_sha256") or "seed" in loaded.provenance, \
        f"{spec.identifier}: provenance needs the weights' sha256 or the random seed"
    if "input_size" in spec.metadata and input_size is not None:
        assert spec.metadata["input_size"] == input_size, (
            f"{spec.identifier}: metadata says input_size {spec.metadata['input_size']}, but the model "
            f"takes {input_size}x{input_size} images")


def check_model_layers(spec: ModelSpec) -> None:
    """Layers are recorded, named uniquely, in the same order on every run."""
    run = _run(spec)
    assert run.first.layers, f"{spec.identifier}: no layers recorded"
    assert len(set(run.first.layers)) == len(run.first.layers), f"{spec.identifier}: duplicate layer names"
    assert run.second.layers == run.first.layers, f"{spec.identifier}: layer order changes between runs"


def check_model_features_finite(spec: ModelSpec) -> None:
    """Every layer's features are finite."""
    run = _run(spec)
    for layer in run.first.layers:
        assert layer not in run.first.nonfinite, f"{spec.identifier}: layer {layer} gives non-finite features"
        assert np.isfinite(run.first.reduced[layer][_PROBE]).all(), \
            f"{spec.identifier}: layer {layer} gives non-finite features"


def check_model_deterministic(spec: ModelSpec) -> None:
    """The same images give the same features, bit for bit."""
    run = _run(spec)
    for layer in run.first.layers:
        assert np.array_equal(run.first.reduced[layer][_PROBE], run.second.reduced[layer][_PROBE]), \
            f"{spec.identifier}: layer {layer} is not deterministic"


def check_model_random_init_reproducible(spec: ModelSpec) -> None:
    """An untrained model's weights are the same every time it is built (it is seeded)."""
    if spec.metadata.get("trained"):
        return
    loaded, rebuilt = _run(spec).loaded, spec.factory()
    for (name, a), (_, b) in zip(loaded.module.state_dict().items(), rebuilt.module.state_dict().items()):
        assert np.array_equal(a.cpu().numpy(), b.cpu().numpy()), \
            f"{spec.identifier}: random init is not reproducible ({name} differs)"


MODEL_CHECKS = (check_model_metadata, check_model_builds, check_model_layers, check_model_features_finite,
                check_model_deterministic, check_model_random_init_reproducible)


def check_model(spec: ModelSpec, stimuli: Optional[StimulusSet] = None) -> LoadedModel:
    """Every model check; returns the built model."""
    check_model_metadata(spec)
    run = _run(spec, stimuli)
    for check in MODEL_CHECKS[1:]:
        check(spec)
    return run.loaded


# ---- metrics -----------------------------------------------------------------------------------

def _metric_problem(seed: int = 0):
    """Synthetic layers with a known signal: responses are a noisy linear read-out of the
    informative layer's features, and independent of the noise layer."""
    rng = np.random.default_rng(seed)
    informative = rng.standard_normal((60, 40)).astype(np.float32)
    noise = rng.standard_normal((60, 40)).astype(np.float32)
    responses = informative @ rng.standard_normal((40, 8)) + 0.3 * rng.standard_normal((60, 8))
    rdms = np.stack([1 - np.corrcoef(informative), 1 - np.corrcoef(informative[:, :30])])
    return informative, noise, responses, rdms


def _metric(spec: MetricSpec) -> Metric:
    metric = spec.factory()
    assert isinstance(metric, Metric), (
        f"metric {spec.identifier}: {type(metric).__name__} lacks part of the Metric interface "
        f"(identifier, options, reductions(), layer_scores(), error())")
    return metric


def _target(spec: MetricSpec, responses, rdms):
    return rdms if spec.metadata["target"] == "rdms" else responses


def _reduced(metric: Metric, rows: np.ndarray) -> LayerReductions:
    """The reductions of ``rows`` (one layer's features) the metric asks for, as scoring gives them."""
    return LayerReductions({key: reductions.reduce_all(key, rows) for key in metric.reductions()})


def check_metric_metadata(spec: MetricSpec) -> None:
    """A MetricSpec with a description and the kind of target it scores ('responses' or 'rdms')."""
    assert isinstance(spec, MetricSpec), f"{spec!r} is not a MetricSpec"
    assert spec.metadata.get("description"), f"metric {spec.identifier}: metadata lacks a description"
    assert spec.metadata.get("target") in ("responses", "rdms"), \
        f"metric {spec.identifier}: metadata 'target' must be 'responses' or 'rdms'"


def check_metric_interface(spec: MetricSpec) -> None:
    """The factory gives a Metric whose identifier is the spec's and whose reductions are known keys."""
    metric = _metric(spec)
    assert metric.identifier == spec.identifier, \
        f"metric {spec.identifier}: its object says identifier '{metric.identifier}'"
    keys = list(metric.reductions())
    assert keys, f"metric {spec.identifier}: reductions() is empty"
    for key in keys:
        try:
            reductions.reduce_all(key, np.zeros((3, 4), dtype=np.float32))
        except ValueError as error:
            raise AssertionError(f"metric {spec.identifier}: {error}; make keys with "
                                 f"mousescore.numerics.reductions") from None


def check_metric_detects_signal(spec: MetricSpec) -> None:
    """One finite score per unit; the informative layer scores well above a layer of noise."""
    metric = _metric(spec)
    informative, noise, responses, rdms = _metric_problem()
    target = _target(spec, responses, rdms)
    good = np.asarray(metric.layer_scores(_reduced(metric, informative), target))
    bad = np.asarray(metric.layer_scores(_reduced(metric, noise), target))
    units = len(target) if spec.metadata["target"] == "rdms" else target.shape[1]
    assert good.shape == (units,), f"metric {spec.identifier}: {good.shape} scores for {units} units"
    assert np.isfinite(good).all(), f"metric {spec.identifier}: non-finite scores on a clean problem"
    assert good.mean() > 0.5 and good.mean() > bad.mean() + 0.3, (
        f"metric {spec.identifier}: the informative layer scores {good.mean():.3f}, a noise layer "
        f"{bad.mean():.3f}")


def check_metric_deterministic(spec: MetricSpec) -> None:
    """The same inputs give the same scores and the same error."""
    informative, _, responses, rdms = _metric_problem(seed=1)
    target = _target(spec, responses, rdms)
    runs = []
    for _ in range(2):
        metric = _metric(spec)
        reduced = _reduced(metric, informative)
        scores = np.asarray(metric.layer_scores(reduced, target))
        runs.append((scores, metric.error(reduced, target, scores)))
    assert np.array_equal(runs[0][0], runs[1][0]) and runs[0][1] == runs[1][1], \
        f"metric {spec.identifier}: two runs on the same inputs differ"


def check_metric_error(spec: MetricSpec) -> None:
    """``error`` gives a finite, non-negative number and says how it was estimated."""
    metric = _metric(spec)
    informative, _, responses, rdms = _metric_problem(seed=2)
    target = _target(spec, responses, rdms)
    reduced = _reduced(metric, informative)
    error, kind = metric.error(reduced, target, np.asarray(metric.layer_scores(reduced, target)))
    assert np.isfinite(error) and error >= 0, f"metric {spec.identifier}: error {error}"
    assert isinstance(kind, str) and kind, f"metric {spec.identifier}: error() must say how it was estimated"


def check_metric_evidence(spec: MetricSpec) -> None:
    """A ResamplableMetric's evidence scores all stimuli as ``layer_scores`` does, and any rows of
    stimulus weights (here: two halves) one row of unit scores each."""
    metric = _metric(spec)
    if not isinstance(metric, ResamplableMetric):
        return      # optional: such a metric's scores have the Max alone
    informative, _, responses, rdms = _metric_problem(seed=3)
    target = _target(spec, responses, rdms)
    reduced = _reduced(metric, informative)
    scores = np.asarray(metric.layer_scores(reduced, target))
    evidence = metric.layer_evidence(reduced, target)
    assert isinstance(evidence.resample_units, bool), f"metric {spec.identifier}: resample_units must be a bool"
    whole = np.asarray(evidence.scores(None))
    assert whole.shape == (1,) + scores.shape and np.allclose(whole[0], scores, atol=1e-10, equal_nan=True), \
        f"metric {spec.identifier}: its evidence scores all stimuli differently from layer_scores"
    halves = np.zeros((2, len(informative)))
    halves[0, ::2] = halves[1, 1::2] = 1.0
    assert np.asarray(evidence.scores(halves)).shape == (2,) + scores.shape, \
        f"metric {spec.identifier}: scores(weights) must give one row of unit scores per row of weights"


METRIC_CHECKS = (check_metric_metadata, check_metric_interface, check_metric_detects_signal,
                 check_metric_deterministic, check_metric_error, check_metric_evidence)


def check_metric(spec: MetricSpec) -> None:
    for check in METRIC_CHECKS:
        check(spec)


# ---- benchmarks --------------------------------------------------------------------------------

def check_benchmark_metadata(spec: BenchmarkSpec) -> None:
    """``<dataset>.<site>-<metric>``, with metadata that says the same."""
    assert isinstance(spec, BenchmarkSpec), f"{spec!r} is not a BenchmarkSpec"
    assert IDENTIFIER.match(spec.identifier), \
        f"benchmark {spec.identifier}: identifiers look like <dataset>.<site>-<metric>"
    missing = [key for key in BENCHMARK_METADATA if key not in spec.metadata]
    assert not missing, f"benchmark {spec.identifier}: metadata lacks {missing}"
    dataset, rest = spec.identifier.split(".", 1)
    site, metric = rest.rsplit("-", 1)
    said = (spec.metadata["dataset"], spec.metadata["site"], spec.metadata["metric"])
    assert said == (dataset, site, metric), f"benchmark {spec.identifier}: metadata says {said}"


def _benchmark(spec: BenchmarkSpec) -> Benchmark:
    """The spec's benchmark, built once for the benchmark checks."""
    benchmark = _once("benchmark", spec, None, spec.factory, keep=4)
    assert isinstance(benchmark, Benchmark), f"benchmark {spec.identifier}: factory must return a Benchmark"
    return benchmark


def check_benchmark_builds(spec: BenchmarkSpec) -> None:
    """The factory gives a Benchmark of that identifier and metric, whose target fits its stimuli."""
    benchmark = _benchmark(spec)
    assert benchmark.identifier == spec.identifier, f"benchmark {spec.identifier}: built as {benchmark.identifier}"
    assert isinstance(benchmark.metric, Metric), f"benchmark {spec.identifier}: its metric is not a Metric"
    assert benchmark.metric.identifier == spec.metadata.get("metric", benchmark.metric.identifier), \
        f"benchmark {spec.identifier}: scored with {benchmark.metric.identifier}"
    n = benchmark.stimuli.sizes["presentation"]
    target = np.asarray(benchmark.target)
    assert target.shape[-1 if target.ndim == 3 else 0] == n, \
        f"benchmark {spec.identifier}: target {target.shape} does not fit {n} stimuli"
    ids = list(benchmark.unit_ids)
    assert len(set(ids)) == len(ids) == len(benchmark.unit_ceilings), \
        f"benchmark {spec.identifier}: unit ids must be unique, one ceiling each"


def check_benchmark_ceilings(spec: BenchmarkSpec) -> None:
    """Ceilings are at most 1 where finite, and their kind is said."""
    benchmark = _benchmark(spec)
    ceilings = np.asarray(benchmark.unit_ceilings, dtype=np.float64)
    assert (ceilings[np.isfinite(ceilings)] <= 1 + 1e-9).all(), f"benchmark {spec.identifier}: a ceiling above 1"
    assert benchmark.ceiling_kind, f"benchmark {spec.identifier}: ceiling_kind must say how it was estimated"


def check_benchmark_scores(spec: BenchmarkSpec) -> None:
    """It scores features (the stimuli's own pixels) to a finite Score in [-1, 1] with a ceiling."""
    benchmark = _benchmark(spec)
    pixels = benchmark.stimuli.values.reshape(benchmark.stimuli.sizes["presentation"], -1)
    features = LayerFeatures(stimulus_ids=benchmark.stimuli.stimulus_ids(), layers=["pixels"],
                             reduced={"pixels": dict(_reduced(benchmark.metric, pixels.astype(np.float32)))})
    score = benchmark.score("pixels", features)
    assert isinstance(score, Score) and -1 <= score.value <= 1, f"benchmark {spec.identifier}: score {score.value}"
    assert score.n_units > 0, f"benchmark {spec.identifier}: no unit was scored"


BENCHMARK_CHECKS = (check_benchmark_metadata, check_benchmark_builds, check_benchmark_ceilings,
                    check_benchmark_scores)


def check_benchmark(spec: BenchmarkSpec) -> None:
    for check in BENCHMARK_CHECKS:
        check(spec)


# ---- datasets ----------------------------------------------------------------------------------

HEX = re.compile(r"[0-9a-f]{8,}\Z")
DIGEST_LENGTHS = {"sha256": 64, "sha1": 40}


def check_dataset_files(spec: DatasetSpec) -> None:
    """Every upstream file has a unique name, a URL, a full checksum and a relative mirror path."""
    assert isinstance(spec, DatasetSpec), f"{spec!r} is not a DatasetSpec"
    names = [f.name for f in spec.files]
    assert len(set(names)) == len(names), f"dataset {spec.identifier}: file names repeat"
    for remote in spec.files:
        where = f"dataset {spec.identifier}, file {remote.name}"
        assert re.match(r"(https?|file)://", remote.url), f"{where}: url {remote.url!r}"
        assert remote.algorithm in DIGEST_LENGTHS, f"{where}: unknown checksum algorithm {remote.algorithm}"
        assert HEX.match(remote.digest) and len(remote.digest) == DIGEST_LENGTHS[remote.algorithm], \
            f"{where}: a full lower-case hex {remote.algorithm} is required"
        assert not remote.mirror_path.startswith(("/", "\\")) and ".." not in remote.mirror_path.split("/"), \
            f"{where}: mirror_path must be relative"


def check_dataset_packager(spec: DatasetSpec) -> None:
    """A callable packager with a version (a new version rebuilds cached packages)."""
    assert callable(spec.packager), f"dataset {spec.identifier}: packager is not callable"
    assert isinstance(spec.packager_version, str) and spec.packager_version, \
        f"dataset {spec.identifier}: packager_version must be a non-empty string"
    assert spec.metadata.get("description"), f"dataset {spec.identifier}: metadata lacks a description"


DATASET_CHECKS = (check_dataset_files, check_dataset_packager)


def check_dataset(spec: DatasetSpec) -> None:
    for check in DATASET_CHECKS:
        check(spec)


# ---- all kinds ---------------------------------------------------------------------------------

CHECKS: Dict[type, Tuple[Callable[..., Any], ...]] = {
    ModelSpec: MODEL_CHECKS, MetricSpec: METRIC_CHECKS, BenchmarkSpec: BENCHMARK_CHECKS, DatasetSpec: DATASET_CHECKS}


def checks_for(spec) -> Tuple[Callable, ...]:
    """The checks that apply to a spec of any plugin kind."""
    for kind, checks in CHECKS.items():
        if isinstance(spec, kind):
            return checks
    raise TypeError(f"{spec!r} is not a mousescore spec")


def parametrize_with_checks(specs: Iterable):
    """``pytest.mark.parametrize("spec, check", ...)`` over every check of every spec, with ids
    ``<identifier>-<check>``, so that each failure names its spec and its property."""
    import pytest
    pairs: List[tuple] = [(spec, check) for spec in specs for check in checks_for(spec)]
    return pytest.mark.parametrize("spec, check", pairs,
                                   ids=[f"{spec.identifier}-{check.__name__}" for spec, check in pairs])
