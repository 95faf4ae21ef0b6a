"""The uncertainty of CV values (mousescore.results.uncertainty) against plain references."""
import math

import numpy as np
import pytest
from scipy.stats import norm

from mousescore.numerics.resampling import sketch_pairs
from mousescore.results.uncertainty import (
    cv_difference,
    cv_interval,
    cv_variance,
    evidence_of,
    holm,
    mean_evidence,
    normal_draws,
)


def plain_jackknife_variance(values):
    n = len(values)
    mean = sum(values) / n
    return (n - 1) / n * sum((v - mean) ** 2 for v in values)


def test_the_jackknife_variance_is_the_textbook_formula():
    values = list(np.random.default_rng(0).normal(0.2, 0.01, 40))
    assert cv_variance({"value": 0.2, "jackknife": values}) == pytest.approx(plain_jackknife_variance(values))


def test_the_bootstrap_variance_removes_the_split_noise_the_mean_of_splits_does_not_have():
    rng = np.random.default_rng(1)
    draws, splits = list(rng.normal(0.2, 0.03, 200)), list(rng.normal(0.2, 0.01, 50))
    expected = np.var(draws, ddof=1) - (1 - 1 / 50) * np.var(splits, ddof=1)
    assert cv_variance({"value": 0.2, "draws": draws, "splits": splits}) == pytest.approx(expected)
    wide_splits = list(rng.normal(0.2, 0.2, 50))     # more split noise than draws: the floor
    assert cv_variance({"value": 0.2, "draws": draws, "splits": wide_splits}) == pytest.approx(
        np.var(wide_splits, ddof=1) / 50)


def test_the_pair_correction_makes_the_jackknife_of_a_pairwise_statistic_unbiased():
    """A U-statistic of pairs, U = mean over i < j of a_i + a_j + e_ij (σ₁ = 0.05 for the stimulus
    effects, σ₂ = 0.5 for the pair parts, n = 30): its variance over replicates against the mean of the
    plain delete-one jackknife (which counts the pair part twice) and of the corrected one, with the
    pair parts sketched as RDMEvidence.pair_sketch sketches them."""
    n, replicates, sigma1, sigma2 = 30, 1500, 0.05, 0.5
    rng = np.random.default_rng(2)
    rows, cols = np.triu_indices(n, 1)
    values, plain, corrected = [], [], []
    for _ in range(replicates):
        a, e = rng.normal(0, sigma1, n), rng.normal(0, sigma2, len(rows))
        pairs = a[rows] + a[cols] + e
        values.append(pairs.mean())
        left_out = [pairs[(rows != i) & (cols != i)].mean() for i in range(n)]
        plain.append(plain_jackknife_variance(left_out))
        sketch = sketch_pairs(e - e.mean(), "test")
        corrected.append(cv_variance({"value": 0.0, "jackknife": left_out, "pair_sketch": list(sketch)}))
    truth = np.var(values, ddof=1)
    assert truth == pytest.approx(4 * sigma1 ** 2 / n + 2 * sigma2 ** 2 / (n * (n - 1)), rel=0.1)
    assert np.mean(plain) == pytest.approx(4 * sigma1 ** 2 / n + 4 * sigma2 ** 2 / (n * (n - 2)), rel=0.05)
    assert np.mean(plain) > 1.4 * truth
    print(f"\nU-statistic: variance {truth:.2e}, plain jackknife {np.mean(plain):.2e}, "
          f"corrected {np.mean(corrected):.2e}")
    assert np.mean(corrected) == pytest.approx(truth, rel=0.1)


def test_a_difference_is_tested_from_its_resamples_difference():
    rng = np.random.default_rng(3)
    shared = rng.normal(0, 0.01, 60)
    a = {"value": 0.30, "jackknife": list(0.30 + shared + rng.normal(0, 0.001, 60))}
    b = {"value": 0.25, "jackknife": list(0.25 + shared + rng.normal(0, 0.001, 60))}
    found = cv_difference(a, b)
    error = math.sqrt(plain_jackknife_variance(list(np.subtract(a["jackknife"], b["jackknife"]))))
    assert found["difference"] == pytest.approx(0.05) and found["error"] == pytest.approx(error)
    assert found["p"] == pytest.approx(2 * norm.sf(0.05 / error))
    assert (found["low"], found["high"]) == pytest.approx((0.05 - 1.959964 * error, 0.05 + 1.959964 * error))
    assert cv_difference(a, a)["p"] == 1.0                  # a model against itself
    assert cv_difference(a, {"value": 0.2, "jackknife": [0.2] * 59}) is None   # another plan: not paired
    assert cv_interval(a) == pytest.approx((0.30 - 1.959964 * math.sqrt(cv_variance(a)),
                                            0.30 + 1.959964 * math.sqrt(cv_variance(a))))


def test_evidence_and_means_of_evidence():
    assert evidence_of(float("nan"), [0.1, 0.2]) is None and evidence_of(0.2) is None
    assert evidence_of(0.2, [], [0.1, 0.3], [0.2, 0.2]) == {"value": 0.2, "draws": [0.1, 0.3], "splits": [0.2, 0.2]}
    parts = [{"value": 0.1, "jackknife": [0.1, 0.2, 0.3]}, {"value": 0.3, "jackknife": [0.3, 0.4, 0.2]}]
    assert mean_evidence(parts) == {"value": pytest.approx(0.2), "jackknife": pytest.approx([0.2, 0.3, 0.25])}
    assert mean_evidence(parts + [None]) is None
    assert mean_evidence(parts + [{"value": 0.1, "draws": [0.1], "splits": [0.1]}]) is None


def test_normal_draws_have_the_variances_and_correlation_of_the_evidence():
    rng = np.random.default_rng(4)
    shared = rng.normal(0, 0.01, 80)
    evidence = [{"value": 0.2, "jackknife": list(0.2 + shared + rng.normal(0, 0.005, 80))},
                {"value": 0.3, "jackknife": list(0.3 + shared + rng.normal(0, 0.005, 80))}]
    draws = normal_draws(evidence, 40_000)
    assert draws.mean(axis=1) == pytest.approx([0.2, 0.3], abs=5e-4)
    assert np.var(draws, axis=1) == pytest.approx([cv_variance(e) for e in evidence], rel=0.03)
    difference = {"value": -0.1, "jackknife": list(np.subtract(evidence[0]["jackknife"], evidence[1]["jackknife"]))}
    assert np.var(draws[0] - draws[1]) == pytest.approx(cv_variance(difference), rel=0.05)


def plain_holm(p_values, alpha=0.05):
    """Holm's procedure as a loop: walk up the sorted p-values, stop at the first above alpha / (m - i)."""
    order = sorted(range(len(p_values)), key=lambda i: (p_values[i], i))
    rejected = [False] * len(p_values)
    for step, index in enumerate(order):
        if p_values[index] > alpha / (len(p_values) - step):
            break
        rejected[index] = True
    return rejected


def test_holm_equals_a_plain_loop():
    rng = np.random.default_rng(3)
    for _ in range(50):
        p_values = np.round(rng.uniform(0, 0.03, rng.integers(1, 30)), 3)   # ties included
        assert list(holm(p_values)) == plain_holm(list(p_values))
    assert list(holm(np.array([0.01, 0.04, 0.03, 0.005]))) == [True, False, False, True]
    # 0.005 <= 0.05/4, 0.01 <= 0.05/3, then 0.03 > 0.05/2 stops: 0.04 is not rejected either
