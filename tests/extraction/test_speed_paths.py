"""The fast paths give the plain path's numbers: torch (device) reductions, rows spilled to disk, the
feature cache, and one ridge eigendecomposition shared by every benchmark on the same features."""
import numpy as np
import pytest
import torch

from mousescore import config
from mousescore.errors import MousescoreError
from mousescore.extraction import feature_cache
from mousescore.extraction.device import full_float32
from mousescore.extraction.extract import extract, resolve_device
from mousescore.extraction.feature_cache import FeatureCache, cache_key
from mousescore.extraction.spill import Spill
from mousescore.numerics import reductions
from mousescore.numerics import torch_kernels as torch_reductions
from mousescore.numerics.projection import project
from mousescore.numerics.resampling import N_SPLITS
from mousescore.numerics.ridge import centered_gram, ridge_summary
from mousescore.numerics.rsa import correlation_matrix
from tests.extraction.test_extraction import CORR, GRAM, SRP, _loaded, _stimuli

SRP_GRAM = reductions.srp_gram(32, 0)
# The stated tolerance of the device path on these small layers: both paths sum float32 products in
# different orders, so entries agree to 1e-6 of the matrix's largest entry (correlations: 1e-6
# absolute). On an H200 with real layers up to 800k wide: 1e-7 (projections), 2.8e-6 (correlations of
# layers wider than 65,536, float32 on both sides): benchmarks/gpu_check.py.
DEVICE_TOLERANCE = 1e-6


def assert_close_at_scale(actual, expected, tolerance=DEVICE_TOLERANCE):
    scale = max(np.abs(expected).max(), 1.0)
    assert np.abs(np.asarray(actual) - expected).max() <= tolerance * scale


def test_torch_reductions_equal_the_numpy_reductions():
    rows = np.random.default_rng(0).normal(size=(37, 5000)).astype(np.float32)
    tensor = torch.from_numpy(rows)
    assert_close_at_scale(reductions.reduce(SRP, tensor, torch_reductions), project(rows, 32, 0))
    assert_close_at_scale(reductions.reduce(GRAM, tensor, torch_reductions), centered_gram(rows))
    assert_close_at_scale(reductions.reduce(CORR, tensor, torch_reductions), correlation_matrix(rows))
    narrow = rows[:, :20]                     # fewer features than stimuli: the primal form
    summary = reductions.reduce(GRAM, torch.from_numpy(narrow), torch_reductions)
    assert summary.shape == (37, 20)
    assert_close_at_scale(summary, ridge_summary(narrow))
    with pytest.raises(ValueError, match="unknown reduction"):
        reductions.reduce(("pca",), tensor, torch_reductions)


def test_extraction_with_torch_reductions_equals_the_numpy_path():
    loaded, stimuli = _loaded(), _stimuli(n=11)
    plain = extract(loaded, stimuli, {SRP, SRP_GRAM, GRAM, CORR}, progress=False)
    on_torch = extract(loaded, stimuli, {SRP, SRP_GRAM, GRAM, CORR}, batch_size=4, progress=False,
                       device="cpu", torch_reductions=True)
    assert on_torch.layers == plain.layers
    for layer in plain.layers:
        for key in (SRP, SRP_GRAM, GRAM, CORR):
            assert_close_at_scale(on_torch.reduced[layer][key], plain.reduced[layer][key])


def test_srp_gram_is_the_centred_gram_of_the_projection():
    features = extract(_loaded(), _stimuli(n=11), {SRP, SRP_GRAM}, batch_size=3, progress=False)
    for layer in features.layers:
        expected = centered_gram(features.reduced[layer][SRP].astype(np.float64))
        np.testing.assert_allclose(features.reduced[layer][SRP_GRAM], expected, rtol=1e-12, atol=1e-12)


def test_whole_set_reductions_over_batches_spill_to_disk_and_clean_up(fresh_home, monkeypatch):
    read = []
    original = Spill.read
    monkeypatch.setattr(Spill, "read", lambda self, layer: read.append(layer) or original(self, layer))
    loaded, stimuli = _loaded(), _stimuli(n=11)
    whole = extract(loaded, stimuli, {GRAM, CORR}, progress=False)
    assert read == []                                   # one batch: nothing spilled
    batched = extract(loaded, stimuli, {GRAM, CORR}, batch_size=4, progress=False)
    assert read == batched.layers                       # every layer read back from disk, in order
    assert list((config.home() / "tmp").iterdir()) == []  # and the spill files are gone
    for layer in whole.layers:
        for key in (GRAM, CORR):
            np.testing.assert_allclose(batched.reduced[layer][key], whole.reduced[layer][key], atol=1e-5)


def test_resolve_device():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu").type == "cpu"
    with pytest.raises(MousescoreError, match="device 'nonsense' is not usable"):
        resolve_device("nonsense")
    if not torch.cuda.is_available():
        with pytest.raises(MousescoreError, match="use --device cpu"):
            resolve_device("cuda")


def test_feature_cache_key_follows_weights_stimuli_preprocessing_and_code(fresh_home, monkeypatch):
    loaded, stimuli = _loaded(), _stimuli()
    key = cache_key("m", loaded, stimuli)
    assert cache_key("m", _loaded(), _stimuli()) == key            # same seed, same pixels
    changed = _loaded()
    with torch.no_grad():
        changed.module.head.bias[0] += 1e-3                        # one weight moved
    assert cache_key("m", changed, stimuli) != key
    other_pixels = _stimuli()
    other_pixels.values[0, 0, 0, 0] += 1e-3
    assert cache_key("m", loaded, other_pixels) != key
    loaded.mean = (0.4, 0.5, 0.5)
    assert cache_key("m", loaded, stimuli) != key
    moved = cache_key("m", loaded, stimuli)
    monkeypatch.setattr(feature_cache, "code_identity", lambda: "0.5.0+other0code0")     # edited sources
    assert cache_key("m", loaded, stimuli) != moved


def test_feature_cache_round_trip_partial_hits_and_damage(fresh_home):
    loaded, stimuli = _loaded(), _stimuli()
    features = extract(loaded, stimuli, {SRP_GRAM, CORR}, progress=False)
    cache = FeatureCache()
    cache.save("k", features, [SRP_GRAM, CORR])
    loaded_back, missing = cache.load("k", {SRP_GRAM, CORR, GRAM})
    assert missing == [GRAM] and loaded_back.layers == features.layers
    for layer in features.layers:
        assert np.array_equal(loaded_back.reduced[layer][CORR], features.reduced[layer][CORR])
    (cache.root / "k" / next(p.name for p in (cache.root / "k").glob("*.npz"))).write_bytes(b"damaged")
    assert len(cache.load("k", {SRP_GRAM, CORR})[1]) == 1          # the damaged one is extracted again
    assert cache.load("nothing", {CORR}) == (None, [CORR])


def test_feature_cache_evicts_least_recently_used(fresh_home):
    features = extract(_loaded(), _stimuli(), {CORR}, progress=False)
    cache = FeatureCache(max_bytes=1)        # room for the newest entry only
    cache.save("old", features, [CORR])
    cache.save("new", features, [CORR])
    assert cache.load("old", {CORR})[0] is None and cache.load("new", {CORR})[0] is not None


def test_warm_cache_scores_equal_cold_and_skip_extraction(real_data, fresh_home):
    from mousescore.scoring.score_model import score_model
    messages = []
    benchmarks = ["allen.VISp-rsa", "allen_surrogate.VISp-srp_ridge"]
    cold = score_model("alexnet-random", benchmarks, log=messages.append, progress=False)
    assert not any("feature cache" in m for m in messages)
    messages.clear()
    from mousescore.results.store import ResultStore  # a second store: scores computed, features cached
    warm = score_model("alexnet-random", benchmarks, store=ResultStore(fresh_home / "warm.sqlite"),
                       log=messages.append, progress=False)
    assert any("from the feature cache" in m for m in messages)
    for a, b in zip(cold, warm):
        assert (a.value, a.best_layer, a.layer_profile, a.references) == (b.value, b.best_layer,
                                                                          b.layer_profile, b.references)
    messages.clear()
    score_model("alexnet-random", ["allen_surrogate.VISp-rsa"], store=ResultStore(fresh_home / "warm.sqlite"),
                log=messages.append, progress=False)
    assert any("from the feature cache" in m for m in messages)   # same stimuli, same reduction
    messages.clear()
    score_model("alexnet-random", ["allen_surrogate.VISp-rsa"], force=True, log=messages.append, progress=False)
    assert not any("feature cache" in m for m in messages)        # --force extracts afresh


def test_one_eigendecomposition_per_layer_serves_every_benchmark(real_data, fresh_home, monkeypatch):
    import mousescore_metrics.ridge_metric as ridge_metric

    from mousescore.registry.plugins import get_registry
    from mousescore.scoring.layer_pass import summarize
    calls = []
    original = ridge_metric.decompose
    monkeypatch.setattr(ridge_metric, "decompose", lambda summary: calls.append(len(summary)) or original(summary))
    stacked, halves_decomposition = [], ridge_metric.complement_eigh      # the CV halves: one stack per layer
    monkeypatch.setattr(ridge_metric, "complement_eigh",
                        lambda grams: stacked.append(grams.shape) or halves_decomposition(grams))
    registry = get_registry()
    benchmarks = [registry.get("benchmark", f"allen_surrogate.{area}-srp_ridge").factory()
                  for area in ("VISp", "VISl", "VISal")]
    features = extract(registry.get("model", "alexnet-random").factory(), benchmarks[0].stimuli,
                       benchmarks[0].metric.reductions(), progress=False)
    calls.clear()   # building the benchmarks ran the inter-mouse score with the same metric
    stacked.clear()
    summaries = summarize(benchmarks, features)         # as score_model: one pass for the three
    shared = [b.score("alexnet-random", features, summaries[id(b)]) for b in benchmarks]
    scored = len(features.layers) - len(features.nonfinite)
    n = len(features.stimulus_ids)
    # all stimuli: once per layer for the three, and once more for the committed layers' draws
    assert calls.count(n) == scored + len({score.best_layer for score in shared})
    assert len(calls) == calls.count(n)
    assert stacked == [(2 * N_SPLITS, n // 2, n // 2)] * scored      # each CV half, once for the three
    fresh = extract(registry.get("model", "alexnet-random").factory(), benchmarks[2].stimuli,
                    benchmarks[2].metric.reductions(), progress=False)
    alone = benchmarks[2].score("alexnet-random", fresh).layer_profile      # the same numbers scored alone
    assert list(alone) == list(shared[2].layer_profile)
    np.testing.assert_allclose(list(alone.values()), list(shared[2].layer_profile.values()), rtol=0, atol=1e-12)


def test_disk_memo_keys_on_argument_values_and_code_and_survives_damage(fresh_home, monkeypatch):
    from mousescore.numerics import disk_memo as disk_memo_module
    from mousescore.numerics.disk_memo import disk_memo
    calls = []

    @disk_memo
    def reliability(values, n_splits=20):
        calls.append(1)
        return float(values.sum()) * n_splits

    values = np.arange(6.0).reshape(2, 3)
    assert reliability(values) == reliability(values.copy()) == 300.0 and len(calls) == 1
    assert isinstance(reliability(values), float)
    changed = values.copy()
    changed[0, 0] = 0.5
    assert reliability(changed) == 310.0 and reliability(values, n_splits=10) == 150.0 and len(calls) == 3
    for path in (config.home() / "derived").glob("*.npz"):
        path.write_bytes(b"damaged")
    assert reliability(values) == 300.0 and len(calls) == 4
    monkeypatch.setattr(disk_memo_module, "code_identity", lambda: "0.5.0+other0code0")   # edited sources
    assert reliability(values) == 300.0 and len(calls) == 5
    monkeypatch.setenv("MOUSESCORE_FEATURE_CACHE", "0")
    reliability(values)
    assert len(calls) == 6


def test_extraction_on_a_gpu_turns_tf32_off_and_restores_it():
    import warnings

    import torch
    backends = (torch.backends.cudnn, torch.backends.cuda.matmul)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        saved = [b.allow_tf32 for b in backends]
        try:
            for backend in backends:
                backend.allow_tf32 = True
            with full_float32(torch.device("cuda")):   # only flags: no GPU needed
                assert [b.allow_tf32 for b in backends] == [False, False]
            assert [b.allow_tf32 for b in backends] == [True, True]
            with full_float32(torch.device("cpu")):
                assert [b.allow_tf32 for b in backends] == [True, True]
        finally:
            for backend, value in zip(backends, saved):
                backend.allow_tf32 = value


def test_the_next_extraction_starts_with_the_last_ones_memory_freed(real_data, fresh_home, monkeypatch):
    """Under a memory limit the next stimulus set is measured against what the process holds: the
    previous set's features and the projection's transposition buffers must be gone by then."""
    import gc
    import sys
    import weakref

    from mousescore.numerics import projection
    from mousescore.scoring.score_model import score_model
    score_module = sys.modules["mousescore.scoring.score_model"]
    original, earlier, alive_at_next = score_module._features, [], []

    def tracked(*args, **kwargs):
        gc.collect()
        alive_at_next.extend(ref() is not None for ref in earlier)
        assert not (earlier and projection._buffers)
        features, how = original(*args, **kwargs)
        earlier.append(weakref.ref(features))
        return features, how

    monkeypatch.setattr(score_module, "_features", tracked)
    scores = score_model("alexnet-random", ["kriegeskorte2008.IT-rsa", "antolik2016.V1-srp_ridge"],
                         progress=False)
    assert len(scores) == 2 and len(earlier) == 2 and alive_at_next == [False]


def test_under_a_memory_limit_scoring_forgets_each_benchmarks_target_sides_and_gives_the_same_scores(
        real_data, fresh_home, monkeypatch):
    """Without a limit the resampling plans remember every benchmark's target sides (a seeding run
    reuses them for the next model); under one they are dropped after each benchmark, so scoring's
    memory does not grow with the number of benchmarks. The scores are the same to the bit."""
    from mousescore.numerics import resampling
    from mousescore.scoring.score_model import score_model
    benchmarks = ["antolik2016.V1-rsa", "antolik2016.V1_region1-rsa", "antolik2016.V1-srp_ridge"]

    def remembered():
        return sum(len(plan._memo) for plan in list(resampling._PLANS))

    resampling.forget_targets()
    free = score_model("pixels", benchmarks, progress=False, force=True)
    assert remembered() > 0
    resampling.forget_targets()
    monkeypatch.setenv("MOUSESCORE_MEMORY_LIMIT_GB", "16")
    bounded = score_model("pixels", benchmarks, progress=False, force=True)
    assert remembered() == 0
    for a, b in zip(free, bounded):
        assert (a.benchmark, a.value, a.error, a.draws) == (b.benchmark, b.value, b.error, b.draws)
