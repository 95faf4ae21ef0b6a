"""Score one model on many benchmarks: extract features once per stimulus set, reuse stored scores."""
from __future__ import annotations

import platform
import sys
import time
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Callable, Dict, List, Optional, Sequence, Union

from .. import __version__, config
from ..data.datasets import file_provenance
from ..data.identity import stimuli_digest
from ..errors import UnknownIdentifier
from ..extraction.extract import default_batch_size, extract
from ..extraction.feature_cache import FeatureCache, cache_key, function_cache_key, merge
from ..extraction.functions import FeatureFunction, extract_function
from ..extraction.memory_budget import check_memory
from ..numerics.resampling import forget_targets
from ..registry.caches import cached
from ..registry.plugins import Registry, get_registry
from ..registry.specs import LoadedModel
from ..results.score import Score
from ..results.store import ResultStore
from .benchmark import Benchmark
from .layer_pass import summarize


def log_to_stderr(message: str) -> None:
    print(f"[mousescore] {message}", file=sys.stderr, flush=True)


@cached(maxsize=1)   # read once per process: each lookup parses package metadata
def library_versions() -> Dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version
    found = {"python": platform.python_version()}
    for name in ("numpy", "scipy", "xarray", "torch", "torchvision", "timm"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


def score_model(model_id: str, benchmark_patterns: Sequence[str], force: bool = False,
                registry: Optional[Registry] = None, store: Optional[ResultStore] = None,
                log: Callable[[str], None] = log_to_stderr, batch_size: Optional[int] = None,
                progress: bool = True, device: Optional[str] = None) -> List[Score]:
    """Score a registered model on registered benchmarks (identifiers or globs), reusing stored scores
    of this mousescore version unless ``force``."""
    registry = registry or get_registry()
    registry.get("model", model_id)
    benchmark_ids = registry.match("benchmark", benchmark_patterns)
    store = store or ResultStore()
    results: Dict[str, Score] = {}
    if not force:
        for identifier in benchmark_ids:
            stored = store.get(model_id, identifier)
            if stored is None:
                continue
            if stored.provenance.get("mousescore_version") != __version__:
                log(f"{identifier}: stored result is from mousescore "
                    f"{stored.provenance.get('mousescore_version')}; recomputing")
                continue
            results[identifier] = stored
            log(f"{identifier}: stored result reused (--force to recompute)")
    state = _data_state() if config.settings().caches else None
    todo = [built_benchmark(registry, b, state) for b in benchmark_ids if b not in results]
    for score in score_benchmarks(model_id, todo, registry, store, log, batch_size, progress, device, force=force):
        results[score.benchmark] = score
    return [results[b] for b in benchmark_ids]


_BUILT: Dict[str, tuple] = {}     # identifier -> (registry, data state, Benchmark)


def built_benchmark(registry: Registry, identifier: str, state: Optional[tuple] = None) -> Benchmark:
    """The registered benchmark, built once per process while the packaged and built data under
    MOUSESCORE_HOME and the settings stay as they were (a notebook or a seeding run scores many
    models against the same benchmarks: 90 Allen, surrogate and antolik benchmarks take ~1 s to
    build). With the caches off (``leaderboard verify``) every call builds afresh."""
    if not config.settings().caches:
        return registry.get("benchmark", identifier).factory()
    state = state or _data_state()
    cached = _BUILT.get(identifier)
    if cached is None or cached[0] is not registry or cached[1] != state:
        _BUILT[identifier] = (registry, state, registry.get("benchmark", identifier).factory())
    return _BUILT[identifier][2]


def _data_state() -> tuple:
    """What a benchmark is built from: the settings and every packaged or built data file's size
    and modification time (a repackaged or rebuilt dataset changes it)."""
    files = []
    for folder in ("packaged", "built"):
        root = config.home() / folder
        if root.is_dir():
            files += [(str(path), path.stat().st_size, path.stat().st_mtime_ns)
                      for path in sorted(root.rglob("*")) if path.is_file()]
    return (repr(config.settings()), tuple(files))


def score_benchmarks(model_id: str, benchmarks: Sequence[Benchmark], registry: Optional[Registry] = None,
                     store: Optional[ResultStore] = None, log: Callable[[str], None] = log_to_stderr,
                     batch_size: Optional[int] = None, progress: bool = True,
                     device: Optional[str] = None, force: bool = False) -> List[Score]:
    """Score a registered model on benchmark objects (also custom ones), always computing; features
    come from the feature cache when it has them (``force``: extracted again). ``device``: a torch
    device name, None = auto."""
    registry = registry or get_registry()
    model_spec = registry.get("model", model_id)
    return score_built(model_id, model_spec.factory, benchmarks, registry, store or ResultStore(), log,
                       batch_size, progress, device, force=force, plugin=plugin_identity(registry, model_id))


def plugin_identity(registry: Registry, model_id: str) -> str:
    """The name and version of the plugin that registers a model: part of its feature cache key."""
    from importlib.metadata import entry_points
    name = registry.owner("model", model_id)
    plugin = registry.pm.get_plugin(name)
    version = next((ep.dist.version for ep in entry_points(group="mousescore")
                    if ep.name == name and ep.dist is not None), getattr(plugin, "__version__", None))
    return f"{name} {version}"


def score_built(model_id: str, build: Callable[[], Union[LoadedModel, FeatureFunction]],
                benchmarks: Sequence[Benchmark], registry: Registry, store: Optional[ResultStore],
                log: Callable[[str], None] = log_to_stderr, batch_size: Optional[int] = None,
                progress: bool = True, device: Optional[str] = None, force: bool = False,
                plugin: Optional[str] = None) -> List[Score]:
    """Score what ``build`` returns (a network, built once and only if a benchmark needs it, or a
    feature function) on benchmark objects; ``store`` None keeps the scores out of the result store.
    ``force``: features are extracted again, not read from the feature cache. ``plugin``: the name
    and version of the plugin that registers the model (None: an unregistered one)."""
    # Benchmarks on the same stimuli (the same ids and pixels, whatever the set is called) share one
    # extraction with the union of their reductions.
    groups: "OrderedDict[str, list]" = OrderedDict()
    for benchmark in benchmarks:
        groups.setdefault(stimuli_digest(benchmark.stimuli), []).append(benchmark)
    loaded, scores = None, []
    for extraction_number, (digest, group) in enumerate(groups.items(), start=1):
        stimulus_set = f"{group[0].stimuli.identifier} (sha256 {digest[:12]})"
        if loaded is None:
            started = time.perf_counter()
            loaded = build()
            log(f"built {model_id} in {time.perf_counter() - started:.1f} s")
        reductions = set().union(*(b.metric.reductions() for b in group))
        features, how = _features(model_id, loaded, group[0].stimuli, reductions, batch_size, progress, device,
                                  force, plugin)
        if features.nonfinite:
            log(f"warning: {len(features.nonfinite)} layer(s) gave NaN or infinite activations and are "
                f"not scored: {sorted(features.nonfinite)[:5]}")
        log(f"extraction {extraction_number}: {model_id} on {stimulus_set} "
            f"({len(features.stimulus_ids)} stimuli, {len(features.layers)} layers) {how}, "
            f"shared by {len(group)} benchmark(s)")
        scored, bounded = [], config.settings().memory_limit_gb is not None
        with _small_matrix_threads(len(features.stimulus_ids)):   # set once: it costs 5 ms a time
            summaries = summarize(group, features)     # one pass over the layers for the whole group
            for benchmark in group:
                score = benchmark.score(model_id, features, summaries.get(id(benchmark)))
                score.provenance = _provenance(model_id, loaded, benchmark, features, registry)
                scored.append(score)
                if bounded:   # memory before speed: a target's sides serve only its own benchmark here
                    forget_targets()
        if store is not None:
            store.put_all(scored)     # one transaction per extraction
        scores.extend(scored)
        del features                  # before the next extraction measures the memory it has
    return scores


def _small_matrix_threads(n_stimuli: int):
    """One BLAS thread for the stimulus × stimulus numerics of a few hundred stimuli: threads only
    cost there (a 117 × 117 eigendecomposition took 153 ms on two busy threads, 3.6 ms on one)."""
    from contextlib import nullcontext

    from threadpoolctl import threadpool_limits
    return threadpool_limits(limits=1, user_api="blas") if n_stimuli <= 1024 else nullcontext()


def _features(model_id, loaded, stimuli, reductions, batch_size, progress, device, force, plugin):
    """The reduced features, from the feature cache where it has them (unless ``force``); what
    happened, for the log. A feature function is called every time unless its ``digest`` names what
    it computes (a network file's): what it computes cannot be fingerprinted."""
    function = isinstance(loaded, FeatureFunction)
    cache = FeatureCache() if config.settings().caches and (not function or loaded.digest) else None
    key = None
    if cache:
        key = function_cache_key(model_id, loaded, stimuli, plugin) if function else \
            cache_key(model_id, loaded, stimuli, plugin)
    cached, missing = cache.load(key, reductions) if cache and not force else (None, sorted(reductions, key=repr))
    if cached is not None and not missing:
        return cached, "from the feature cache"
    if function:
        features = extract_function(loaded, stimuli, reductions, batch_size)
        if cache:
            cache.save(key, features, sorted(reductions, key=repr))
        return features, f"in {features.seconds:.1f} s (feature function)"
    n = stimuli.sizes["presentation"]
    chosen = check_memory(loaded, stimuli, missing, batch_size, model_id)
    features = extract(loaded, stimuli, missing, batch_size=chosen, progress=progress, device=device)
    how = f"in {features.seconds:.1f} s"
    if batch_size is None and chosen < default_batch_size(n):
        how += f" in batches of {chosen} to fit in memory"
    if cached is not None and cached.layers == features.layers:
        features, how = merge(cached, features), how + f" ({len(reductions) - len(missing)} reduction(s) cached)"
    elif cached is not None:   # an entry that no longer matches the model's layers: start afresh
        missing = sorted(reductions, key=repr)
        features = extract(loaded, stimuli, missing, batch_size=chosen, progress=progress, device=device)
        how = f"in {features.seconds:.1f} s"
    if cache:
        cache.save(key, features, missing)
    return features, how


def _provenance(model_id, loaded, benchmark, features, registry) -> Dict:
    return {
        "mousescore_version": __version__,
        "model": model_id,
        "model_provenance": dict(loaded.provenance),
        "dataset": benchmark.dataset,
        "dataset_files": _dataset_files(benchmark.dataset, registry),
        "surrogate_data": bool(benchmark.metadata.get("surrogate", False)),
        "stimulus_set": benchmark.stimuli.identifier,
        "stimuli_sha256": stimuli_digest(benchmark.stimuli),
        "metric": benchmark.metric.identifier,
        "metric_options": dict(benchmark.metric.options),
        "extraction_seconds": round(features.seconds, 3),
        "libraries": dict(library_versions()),
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _dataset_files(dataset: str, registry: Registry) -> Dict[str, str]:
    """Registered datasets: their files' checksums; custom data: the digest in its name."""
    if dataset.startswith("custom:"):
        return {"inputs_sha256_prefix": dataset.split(":", 1)[1]}
    try:
        return file_provenance(dataset, registry)
    except UnknownIdentifier:      # a benchmark built in Python over data that is not registered
        return {}
