import json
import os
import subprocess
import sys

import numpy as np
import pytest
from mousescore_metrics.ridge_metric import SRPRidge

from mousescore.data.datasets import load_dataset
from mousescore.numerics import reductions
from mousescore.numerics.rsa import rdm, split_half_rdm_reliability, upper_triangle
from mousescore.numerics.stats import spearman_brown, split_half_means, split_half_reliability
from mousescore.registry.plugins import Registry
from mousescore.scoring.inter_animal import bootstrap_interval, intermouse_scores


@pytest.fixture(scope="module")
def surrogate(real_data):
    return load_dataset("allen_surrogate")


def test_surrogate_matches_real_rdms_and_has_paper_reliabilities(surrogate):
    responses = surrogate["responses"]
    assert responses.shape == (118, 21 * 160, 50)
    assert "SURROGATE" in responses.attrs["surrogate"]
    match = dict(zip(responses.attrs["match_sites"], responses.attrs["match_r"]))
    print("surrogate vs real site matrices, r:", {k: round(v, 3) for k, v in match.items()})
    assert len(match) == 21 and min(match.values()) > 0.75 and np.median(list(match.values())) > 0.9
    site = responses.isel(neuroid=np.flatnonzero(responses["area"].values == "VISal")).values
    reliability = split_half_reliability(site, n_splits=10)
    assert 0.8 <= reliability.mean() <= 0.95 and np.percentile(reliability, 5) > 0.7
    mice = responses["mouse"].values[responses["area"].values == "VISp"]
    assert len(set(mice)) == 16       # 4 surrogate mice at each of VISp's 4 sites


def test_surrogate_is_deterministic(surrogate, real_data):
    from mousescore_allen import surrogate as generator

    from mousescore.data.datasets import fetch_files
    files = fetch_files(Registry().get("dataset", "allen_surrogate"))
    again = generator.package(files)["responses"]
    np.testing.assert_array_equal(again.values, surrogate["responses"].values)


def test_intermouse_uses_other_mice_with_the_model_metric():
    rng = np.random.default_rng(0)
    tuning = rng.normal(size=(60, 5))
    shared = tuning @ rng.normal(size=(5, 30))                    # 30 neurons from a shared code
    responses = np.concatenate([shared, rng.normal(size=(60, 10))], axis=1)  # + 10 noise neurons
    mice = np.array(["a"] * 15 + ["b"] * 15 + ["a"] * 5 + ["b"] * 5)
    metric = SRPRidge(n_components=256)
    scores = intermouse_scores(responses, mice, metric)
    # Direct computation for mouse a: the metric on mouse b's neurons as the "layer".
    from mousescore.numerics.projection import project
    predictors = responses[:, mice == "b"].astype(np.float32)
    direct = metric.layer_scores({reductions.srp(256, 0): project(predictors, 256, 0)}, responses[:, mice == "a"])
    np.testing.assert_allclose(scores[mice == "a"], direct)
    assert scores[:30].mean() > 0.8 and abs(scores[30:].mean()) < 0.2
    low, high = bootstrap_interval(scores[:30])
    assert low < scores[:30].mean() < high
    single = intermouse_scores(responses, np.array(["a"] * 40), metric)
    assert np.isnan(single).all()     # one mouse: no one else to predict it from


def test_split_half_rdm_reliability_equals_direct_computation():
    rng = np.random.default_rng(1)
    responses = rng.normal(size=(20, 30, 1)) + 0.7 * rng.normal(size=(20, 30, 8))
    estimates = [np.corrcoef(upper_triangle(rdm(a)), upper_triangle(rdm(b)))[0, 1]
                 for a, b in split_half_means(responses, n_splits=5, seed=2)]
    assert split_half_rdm_reliability(responses, n_splits=5, seed=2) == pytest.approx(
        np.mean(spearman_brown(np.array(estimates))))


def test_cli_prints_surrogate_scores_with_ceiling_and_intermouse(real_data, tmp_path):
    env = {**os.environ, "MOUSESCORE_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "mousescore.cli", "score", "alexnet-random",
                             "allen_surrogate.VISp-srp_ridge", "allen_surrogate.VISp_*-srp_ridge", "--json"],
                            capture_output=True, text=True,
                            env=env, timeout=900)
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert [s["benchmark"] for s in scores][0] == "allen_surrogate.VISp-srp_ridge" and len(scores) == 5
    for score in scores:
        assert score["provenance"]["surrogate_data"] is True
        assert 0.8 < score["ceiling"] < 0.95
        inter = score["references"]
        assert inter["intermouse_ci95_low"] < inter["intermouse"] < inter["intermouse_ci95_high"]
        assert 0 < score["value"] < inter["intermouse"]
        assert 0.75 < inter["surrogate_vs_real_similarity_r"] <= 1
    text = subprocess.run([sys.executable, "-m", "mousescore.cli", "score", "alexnet-random",
                           "allen_surrogate.VISp-srp_ridge"], capture_output=True, text=True, env=env)
    assert "SURROGATE" in text.stdout and "reference: intermouse" in text.stdout
    assert "reference: surrogate_vs_real_similarity_r = 0.8" in text.stdout   # VISp: 0.82-0.99 by layer
