"""clear_caches(): one call empties every in-memory cache of mousescore and the built-in plugins."""
import importlib
from pathlib import Path

import numpy as np

from mousescore import StimulusSet, cached, clear_caches, register_cache

REPO = Path(__file__).resolve().parents[2]


def _caches():
    """Name -> how many entries that cache holds now, for every module-level cache."""
    from mousescore import testing
    from mousescore.data import datasets, identity
    from mousescore.numerics import projection, resampling, rsa, torch_kernels
    from mousescore.scoring import layer_pass
    score_model = importlib.import_module("mousescore.scoring.score_model")   # scoring exports a function so named
    pls = importlib.import_module("mousescore_metrics.pls_metric")
    builds = {name: importlib.import_module(f"{name}.build")   # the packages' `build` is a function
              for name in ("mousescore_torchvision", "mousescore_timm", "mousescore_coral")}
    plans = list(resampling._PLANS)
    return {
        **{f.__name__: f.cache_info().currsize for f in (
            resampling.stimulus_resamples, resampling.seeded_resamples, resampling.unit_resamples,
            resampling.half_splits, resampling._directions, resampling._pairs, rsa.triangle_positions,
            layer_pass._subset_plan, layer_pass._cv_plan, score_model.library_versions, pls.k_folds,
            builds["mousescore_torchvision"].weights_urls, builds["mousescore_timm"].hub_ids,
            builds["mousescore_coral"].networks)},
        "plans' targets": sum(len(plan._memo) for plan in plans),
        "projection matrices": len(projection._cache), "projection buffers": len(projection._buffers),
        "torch projections": len(torch_kernels._matrices), "loaded datasets": len(datasets._loaded),
        "stimulus digests": len(identity._DIGESTS), "conformance kit": len(testing._shared),
    }


def _fill():
    """Put something in every cache, the way their users do."""
    from mousescore import testing
    from mousescore.data import datasets, identity
    from mousescore.numerics import projection, resampling, rsa, torch_kernels
    from mousescore.scoring import layer_pass
    score_model = importlib.import_module("mousescore.scoring.score_model")   # scoring exports a function so named
    pls = importlib.import_module("mousescore_metrics.pls_metric")
    plan = resampling.stimulus_resamples(10, "key")
    plan.remembered(("target",), lambda: 1.0)
    resampling.seeded_resamples(10, 5, 0)
    resampling.unit_resamples(4, "key")
    resampling.sketch_pairs(np.ones(45), "key")
    resampling._pairs(5)
    rsa.triangle_positions(5)
    layer_pass._subset_plan(10, "key")
    layer_pass._cv_plan(10, "key")
    score_model.library_versions()
    pls.k_folds(20, 10, 0)
    for name, table in (("mousescore_torchvision", "weights_urls"), ("mousescore_timm", "hub_ids"),
                        ("mousescore_coral", "networks")):
        getattr(importlib.import_module(f"{name}.build"), table)()
    projection.sparse_projection_matrix(100, 10, 0)
    projection._buffers[0] = np.zeros(1, dtype=np.float32)
    torch_kernels._projection_tensor(100, 10, 0, "cpu")
    datasets._loaded["folder"] = {}
    stimuli = StimulusSet.create(np.zeros((2, 4, 4)), ["a", "b"], attrs={"identifier": "two"})
    identity.stimuli_digest(stimuli)
    _fill.keep = stimuli      # alive, so that its digest stays remembered until cleared
    testing._shared[("kind", 0)] = (None, None, None)


def test_clear_caches_empties_every_cache():
    _fill()
    before = _caches()
    assert all(size > 0 for size in before.values()), {k: v for k, v in before.items() if not v}
    clear_caches()
    assert _caches() == dict.fromkeys(before, 0)


def test_what_is_computed_again_after_clearing_is_the_same():
    from mousescore.numerics import resampling
    first = resampling.half_splits(12, "key").matrix.copy()
    assert resampling.half_splits(12, "key") is resampling.half_splits(12, "key")
    clear_caches()
    np.testing.assert_array_equal(resampling.half_splits(12, "key").matrix, first)


def test_a_plugin_registers_its_own_caches():
    calls = []

    @cached(maxsize=None)
    def table(name):
        calls.append(name)
        return name.upper()

    kept = {}
    register_cache(kept.clear)
    assert table("a") == table("a") == "A" and calls == ["a"]
    kept["x"] = 1
    clear_caches()
    assert table.cache_info().currsize == 0 and kept == {}
    assert table("a") == "A" and calls == ["a", "a"]


def test_no_cache_is_left_out_of_clear_caches():
    """A module-level ``lru_cache`` that is not registered would survive ``clear_caches``: the core and
    the built-in plugins use ``cached`` (or ``register_cache``) instead."""
    sources = [p for folder in ("mousescore", "plugins") for p in (REPO / folder).rglob("*.py")]
    offenders = [str(p.relative_to(REPO)) for p in sources
                 if p.name != "caches.py" and ("lru_cache" in p.read_text() or "functools.cache" in p.read_text())]
    assert offenders == []
