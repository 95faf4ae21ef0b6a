"""Score one model on many benchmarks: extract features once per stimulus set, reuse stored scores."""
from __future__ import annotations

import platform
import time
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

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
from ..registry.plugins import Registry
from ..registry.specs import LoadedModel
from ..results.score import Score
from ..results.store import ResultStore
from .benchmark import Benchmark
from .benchmark_cache import built_benchmark, data_state
from .layer_pass import summarize
from .run_options import RunOptions
from .run_report import RunReport


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


def score_model(model_id: str, benchmark_patterns: Sequence[str], options: Optional[RunOptions] = None,
                **run: Any) -> List[Score]:
    """Score a registered model on registered benchmarks (identifiers or globs), reusing the stored scores
    this code computed unless ``force``. ``options``: a :class:`RunOptions`; ``run``: its
    fields as keywords (``force=True``, ``batch_size=32``, ``store=...``, ``log=...``), over
    ``options``."""
    options = RunOptions.build(options, "score_model", **run)
    registry = options.plugins()
    registry.get("model", model_id)
    benchmark_ids = registry.match("benchmark", benchmark_patterns)
    store = options.store or ResultStore()
    options = replace(options, registry=registry, store=store)
    results: Dict[str, Score] = {}
    if not options.force:
        results = _stored(model_id, benchmark_ids, store, options.log)
    state = data_state() if config.settings().caches else None
    todo = [built_benchmark(registry, b, state) for b in benchmark_ids if b not in results]
    for score in score_built(model_id, registry.get("model", model_id).factory, todo, options,
                             plugin=plugin_identity(registry, model_id)):
        results[score.benchmark] = score
    return [results[b] for b in benchmark_ids]


def _stored(model_id: str, benchmark_ids: Sequence[str], store: ResultStore,
            log: Callable[[str], None]) -> Dict[str, Score]:
    """The stored scores that this code computed (:func:`mousescore.code_identity.code_identity`), by benchmark."""
    results = {}
    for identifier in benchmark_ids:
        stored, other = store.current(model_id, identifier)
        if other:
            log(f"{identifier}: {other}; recomputing")
        if stored is None:
            continue
        results[identifier] = stored
        log(f"{identifier}: stored result reused (--force to recompute)")
    return results


def score_benchmarks(model_id: str, benchmarks: Sequence[Benchmark], options: Optional[RunOptions] = None,
                     **run: Any) -> List[Score]:
    """Score a registered model on benchmark objects (also custom ones), always computing; features
    come from the feature cache when it has them (``force``: extracted again). ``options``: a
    :class:`RunOptions`; ``run``: its fields as keywords, over ``options``."""
    options = RunOptions.build(options, "score_benchmarks", **run)
    registry = options.plugins()
    model_spec = registry.get("model", model_id)
    options = replace(options, registry=registry, store=options.store or ResultStore())
    return score_built(model_id, model_spec.factory, benchmarks, options, plugin=plugin_identity(registry, model_id))


def plugin_identity(registry: Registry, model_id: str) -> str:
    """The name and version of the plugin that registers a model: part of its feature cache key."""
    from importlib.metadata import entry_points
    name = registry.owner("model", model_id)
    plugin = registry.pm.get_plugin(name)
    version = next((ep.dist.version for ep in entry_points(group="mousescore")
                    if ep.name == name and ep.dist is not None), getattr(plugin, "__version__", None))
    return f"{name} {version}"


def score_built(model_id: str, build: Callable[[], Union[LoadedModel, FeatureFunction]],
                benchmarks: Sequence[Benchmark], options: RunOptions, plugin: Optional[str] = None) -> List[Score]:
    """Score what ``build`` returns (a network, built once and only if a benchmark needs it, or a
    feature function) on benchmark objects; ``options.store`` None keeps the scores out of the result
    store. ``plugin``: the name and version of the plugin that registers the model (None: an
    unregistered one)."""
    # Benchmarks on the same stimuli (the same ids and pixels, whatever the set is called) share one
    # extraction with the union of their reductions.
    groups: "OrderedDict[str, list]" = OrderedDict()
    for benchmark in benchmarks:
        groups.setdefault(stimuli_digest(benchmark.stimuli), []).append(benchmark)
    registry, log, report = options.plugins(), options.log, RunReport(options, len(benchmarks))
    loaded, scores = None, []
    with options.threads_set():
        for extraction_number, (digest, group) in enumerate(groups.items(), start=1):
            stimulus_set = f"{group[0].stimuli.identifier} (sha256 {digest[:12]})"
            if loaded is None:
                started = time.perf_counter()
                loaded = build()
                log(f"built {model_id} in {time.perf_counter() - started:.1f} s")
            reductions = set().union(*(b.metric.reductions() for b in group))
            features, how = _features(model_id, loaded, group[0].stimuli, reductions, options, plugin, report)
            if features.nonfinite:
                log(f"warning: {len(features.nonfinite)} layer(s) gave NaN or infinite activations and are "
                    f"not scored: {sorted(features.nonfinite)[:5]}")
            log(f"extraction {extraction_number}: {model_id} on {stimulus_set} "
                f"({len(features.stimulus_ids)} stimuli, {len(features.layers)} "
                f"layer{'' if len(features.layers) == 1 else 's'}) {how}, "
                f"shared by {len(group)} benchmark(s)")
            scored = _score_group(model_id, loaded, group, features, registry, report)
            if options.store is not None:
                options.store.put_all(scored)     # one transaction per extraction
            scores.extend(scored)
            del features                  # before the next extraction measures the memory it has
    return scores


def _score_group(model_id, loaded, group, features, registry, report) -> List[Score]:
    """The scores of benchmarks that share one extraction, each reported as soon as it is known."""
    scored, bounded = [], config.settings().memory_limit_gb is not None
    # the BLAS threads are set once for the group: setting them costs 5 ms a time
    title = f"{model_id} on {group[0].stimuli.identifier}"
    with _small_matrix_threads(len(features.stimulus_ids)), report.scoring(title):
        summaries = summarize(group, features)     # one pass over the layers for the whole group
        for benchmark in group:
            score = benchmark.score(model_id, features, summaries.get(id(benchmark)))
            score.provenance = _provenance(model_id, loaded, benchmark, features, registry)
            scored.append(score)
            report.scored_one(score.benchmark, score.value)
            if bounded:   # memory before speed: a target's sides serve only its own benchmark here
                forget_targets()
    return scored


def _small_matrix_threads(n_stimuli: int):
    """One BLAS thread for the stimulus × stimulus numerics of a few hundred stimuli: threads only
    cost there (a 117 × 117 eigendecomposition took 153 ms on two busy threads, 3.6 ms on one)."""
    from contextlib import nullcontext

    from threadpoolctl import threadpool_limits
    return threadpool_limits(limits=1, user_api="blas") if n_stimuli <= 1024 else nullcontext()


def _features(model_id, loaded, stimuli, reductions, options, plugin, report):
    """The reduced features, from the feature cache where it has them (unless ``force``); what
    happened, for the log. A feature function is called every time unless its ``digest`` names what
    it computes (a network file's): what it computes cannot be fingerprinted."""
    function = isinstance(loaded, FeatureFunction)
    cache = FeatureCache() if config.settings().caches and (not function or loaded.digest) else None
    key = None
    if cache:
        key = function_cache_key(model_id, loaded, stimuli, plugin) if function else \
            cache_key(model_id, loaded, stimuli, plugin)
    cached, missing = cache.load(key, reductions) if cache and not options.force else \
        (None, sorted(reductions, key=repr))
    if cached is not None and not missing:
        return cached, "from the feature cache"
    n, title = stimuli.sizes["presentation"], f"{model_id} on {stimuli.identifier}"
    if function:
        with report.extraction(title, n, None) as advance:
            features = extract_function(loaded, stimuli, reductions, options.batch_size, on_batch=advance)
        if cache:
            cache.save(key, features, sorted(reductions, key=repr))
        return features, f"in {features.seconds:.1f} s (feature function)"
    chosen = check_memory(loaded, stimuli, missing, options.batch_size, model_id)

    def extracted(wanted):
        with report.extraction(title, n, -(-n // chosen)) as advance:
            return extract(loaded, stimuli, wanted, batch_size=chosen, progress=False, device=options.device,
                           on_batch=advance)
    features = extracted(missing)
    how = f"in {features.seconds:.1f} s"
    if options.batch_size is None and chosen < default_batch_size(n):
        how += f" in batches of {chosen} to fit in memory"
    if cached is not None and cached.layers == features.layers:
        features, how = merge(cached, features), how + f" ({len(reductions) - len(missing)} reduction(s) cached)"
    elif cached is not None:   # an entry that no longer matches the model's layers: start afresh
        missing = sorted(reductions, key=repr)
        features = extracted(missing)
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
