"""The reference implementations of performance/ are right, and the benchmark script runs.

performance/references.py holds the plain code that mousescore's mapping is timed against: (a) the
DeepMouseTrap style (sklearn sparse random projection, RidgeCV leave-one-out, Pearson; numpy RDMs) and
(b) the Brain-Score style (PCA on extra images, 25-component PLS, 10-fold CV). A speed comparison is
only worth something if those references compute what they claim, checked here on small shapes.
"""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold
from sklearn.random_projection import SparseRandomProjection

from mousescore.numerics import reductions
from mousescore.numerics.projection import project, sparse_projection_matrix
from mousescore.numerics.rsa import compare_rdms, correlation_matrix
from mousescore.registry.plugins import get_registry

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "performance" / "run_benchmarks.py"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"mousescore_performance_{name}", REPO / "performance" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


references = _load("references")


@pytest.fixture
def layer():
    """A small ReLU-like layer (stimuli × features) and neural targets with some shared structure."""
    rng = np.random.default_rng(7)
    features = np.maximum(rng.standard_normal((40, 3000)), 0).astype(np.float32) + 0.5
    targets = features[:, :20].astype(np.float64) @ rng.standard_normal((20, 9)) + rng.standard_normal((40, 9)) * 4
    return features, targets


def test_ridgecv_loo_predictions_equal_explicit_leave_one_out_refits(layer):
    features, targets = layer
    projected = project(features, n_components=256, seed=0).astype(np.float64)
    loo = references.ridgecv_loo_predictions(projected, targets, alpha=1.0)
    assert loo.shape == targets.shape
    for i in range(len(projected)):
        keep = np.arange(len(projected)) != i
        refit = Ridge(alpha=1.0).fit(projected[keep], targets[keep]).predict(projected[i:i + 1])
        np.testing.assert_allclose(loo[i], refit[0], rtol=0, atol=1e-8)


def test_reference_a_equals_mousescore_srp_ridge_on_identical_projections(layer):
    features, targets = layer
    metric = get_registry().get("metric", "srp_ridge").factory()
    key = reductions.srp(4096, 0)
    projected = project(features, n_components=4096, seed=0)           # mousescore's own projection
    ours = metric.layer_scores({key: projected}, targets)
    theirs = references.srp_ridge_scores(projected, targets)
    assert np.isfinite(ours).all() and np.abs(ours).max() > 0.1          # a real signal, not all ~0
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    # float32 projected input: RidgeCV would answer in float32; the reference upcasts, so it still agrees
    assert references.ridgecv_loo_predictions(projected, targets).dtype == np.float64


def test_reference_a_pearson_is_scipy_per_neuron():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((30, 4)), rng.standard_normal((30, 4))
    expected = [np.corrcoef(a[:, j], b[:, j])[0, 1] for j in range(4)]
    np.testing.assert_allclose(references.pearson_per_neuron(a, b), expected, rtol=0, atol=1e-12)


def test_reference_a_rsa_equals_mousescore_rsa_in_float64(layer):
    """Same definition (1 − Pearson RDM, Pearson of upper triangles): equal to rounding in float64.
    (mousescore reduces float32 layers in float32; the benchmark reports how far that moves RSA.)"""
    features, targets = layer
    rng = np.random.default_rng(3)
    neural = np.stack([1 - np.corrcoef(targets), 1 - np.corrcoef(rng.standard_normal((40, 50)))])
    metric = get_registry().get("metric", "rsa").factory()
    ours = metric.layer_scores({reductions.correlation(): correlation_matrix(features.astype(np.float64))}, neural)
    theirs = references.rsa_scores(references.numpy_rdm(features), neural)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(compare_rdms(references.numpy_rdm(features), neural), theirs, atol=1e-12)


def test_reference_a_projection_is_sklearns_with_mousescores_distribution(layer):
    """Different random matrices, the same law: density 1/√p, entries ±√(1/density)/√k."""
    features, _ = layer
    p, k = features.shape[1], 512
    projected = references.srp_sklearn(features, n_components=k, seed=0)
    expected = SparseRandomProjection(n_components=k, random_state=0).fit_transform(features)
    np.testing.assert_array_equal(projected, expected)
    assert projected.shape == (len(features), k)
    sklearn_matrix = SparseRandomProjection(n_components=k, random_state=0).fit(features).components_
    ours = sparse_projection_matrix(p, k, 0)
    for matrix in (sklearn_matrix, ours):
        assert matrix.nnz / (k * p) == pytest.approx(1 / np.sqrt(p), rel=0.05)
        np.testing.assert_allclose(np.unique(np.abs(matrix.data)), [(p ** 0.25) / np.sqrt(k)], rtol=1e-6)


def test_reference_b_pls_cv_equals_explicit_per_fold_fits():
    rng = np.random.default_rng(5)
    regressors = rng.standard_normal((118, 60))
    targets = regressors[:, :10] @ rng.standard_normal((10, 7)) + rng.standard_normal((118, 7))
    predictions = references.pls_cv_predictions(regressors, targets, n_components=25, n_splits=10, seed=0)
    explicit = np.full(targets.shape, np.nan)
    for train, test in KFold(n_splits=10, shuffle=True, random_state=0).split(regressors):
        model = PLSRegression(n_components=25, scale=False).fit(regressors[train], targets[train])
        explicit[test] = model.predict(regressors[test])
    np.testing.assert_allclose(predictions, explicit, rtol=0, atol=1e-10)
    scores = references.pls_scores(regressors, targets)
    np.testing.assert_allclose(scores, [np.corrcoef(explicit[:, j], targets[:, j])[0, 1] for j in range(7)],
                               atol=1e-10)


def test_reference_b_pca_is_fitted_on_the_extra_images_only():
    rng = np.random.default_rng(2)
    extra, stimuli = rng.standard_normal((50, 80)), rng.standard_normal((12, 80))
    pca = references.pca_fit(extra, n_components=1000)
    assert pca.n_components_ == 49                       # min(1000, 50 − 1, 80)
    centred = extra - extra.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    expected = (stimuli - extra.mean(axis=0)) @ vt[:49].T
    np.testing.assert_allclose(np.abs(references.pca_transform(pca, stimuli)), np.abs(expected), atol=1e-8)
    narrow = rng.standard_normal((50, 20))
    assert references.pca_fit(narrow) is None            # no wider than the components: used as it is
    np.testing.assert_array_equal(references.pca_transform(None, stimuli), stimuli)


def test_benchmark_quick_mode_runs_end_to_end_and_passes(real_data, tmp_path):
    out = tmp_path / "bench.json"
    run = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--models", "alexnet-random", "--threads", "1",
                          "--json", str(out)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "MOUSESCORE_DATA_PATH": str(real_data.resolve())}, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "SRP-RIDGE AGREEMENT: PASS" in run.stdout
    results = json.loads(out.read_text())
    model = results["models"]["alexnet-random"]
    mapping = model["mapping"]
    assert mapping["layers_mapped"] == 3 and results["inputs"]["neurons"] == 600
    assert mapping["agreement"]["ridge_max_abs_diff"] <= 1e-6 and mapping["agreement"]["srp_ridge_pass"]
    assert mapping["agreement"]["rsa_max_abs_diff"] < 1e-3          # float32 RSA: close, reported exactly
    for side in ("mousescore", "reference_a"):
        assert all(np.isfinite(v) and v > 0 for v in mapping[side].values())
    assert mapping["brainscore"]["layers"] and mapping["brainscore"]["ratio_b_over_mousescore"] > 0
    e2e = model["end_to_end"]
    assert e2e["benchmarks"] == 2 and e2e["cold"] and e2e["ratio_end_to_end"] > 1
    assert e2e["stages_s"]["extraction"] > 0 and min(e2e["bare_forward_s"]) > 0


def test_zoo_throughput_counts_each_models_last_complete_run_or_its_parts():
    zoo = _load("zoo_throughput")
    def run(**models):
        return {"models": {m: {"seconds": s, "benchmarks": b} for m, (s, b) in models.items()}}

    log = {"runs": [run(a=(100.0, 83), b=(50.0, 83), c=(10.0, 92)),
                    run(a=(0.0, 83)),                     # every score stored: not a time
                    run(a=(30.0, 9), b=(20.0, 9), c=(12.0, 92)),
                    run(a=(7.0, 2))]}                      # a rerun of two benchmarks
    seconds = zoo.model_seconds(log, {"a": 92, "b": 92, "c": 92, "d": 92})
    assert seconds == {"a": 130.0, "b": 70.0, "c": 12.0}   # d has no logged time


def test_zoo_throughput_refuses_a_forward_model_off_the_board_before_measuring(tmp_path, monkeypatch, capsys):
    zoo = _load("zoo_throughput")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "resnet18-random.json").write_text(json.dumps({"benchmarks": {"x": {}}}))
    (tmp_path / "log.json").write_text(json.dumps(
        {"runs": [{"models": {"resnet18-random": {"seconds": 5.0, "benchmarks": 1}}}]}))
    monkeypatch.setattr(sys, "argv", ["zoo_throughput.py", "--log", str(tmp_path / "log.json"),
                                      "--results", str(tmp_path / "results"), "--forward", "resnet19-random"])
    with pytest.raises(SystemExit) as exit_:
        zoo.main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "resnet19-random (did you mean resnet18-random?)" in err
