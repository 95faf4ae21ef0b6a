import numpy as np
import pytest

from mousescore.numerics import reductions
from mousescore.numerics.rsa import compare_rdms, correlation_matrix, rdm, upper_triangle
from mousescore.numerics.stats import (
    pearson_columns,
    pearson_rows,
    spearman_brown,
    split_half_means,
    split_half_reliability,
)


def test_rdm_equals_numpy_reference_in_float64_and_close_in_float32():
    features = np.random.default_rng(0).normal(size=(30, 5000)) * 3 + 10
    np.testing.assert_allclose(rdm(features), 1 - np.corrcoef(features), atol=1e-12)
    np.testing.assert_allclose(correlation_matrix(features.astype(np.float32)), np.corrcoef(features),
                               atol=1e-5)


def test_rsa_score_equals_pearson_of_upper_triangles():
    rng = np.random.default_rng(1)
    model, neural = rdm(rng.normal(size=(25, 40))), np.stack([rdm(rng.normal(size=(25, 60))) for _ in range(3)])
    upper = np.triu_indices(25, k=1)
    np.testing.assert_array_equal(upper_triangle(model), model[upper])
    expected = [np.corrcoef(model[upper], n[upper])[0, 1] for n in neural]
    np.testing.assert_allclose(compare_rdms(model, neural), expected, atol=1e-12)
    # The diagonal is excluded: changing it changes nothing.
    model_with_diagonal = model + np.eye(25)
    np.testing.assert_allclose(compare_rdms(model_with_diagonal, neural), expected, atol=1e-12)


def test_pearson_columns_matches_corrcoef_and_marks_constant_columns():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(40, 5)), rng.normal(size=(40, 5))
    b[:, 4] = 3.0
    r = pearson_columns(a, b)
    np.testing.assert_allclose(r[:4], [np.corrcoef(a[:, i], b[:, i])[0, 1] for i in range(4)], atol=1e-12)
    assert np.isnan(r[4])


def test_pearson_rows_matches_corrcoef_and_marks_constant_rows():
    rng = np.random.default_rng(3)
    x, rows = rng.normal(size=50), rng.normal(size=(4, 50)) * 5 + 2
    rows[3] = 7.0
    r = pearson_rows(x, rows)
    np.testing.assert_allclose(r[:3], [np.corrcoef(x, row)[0, 1] for row in rows[:3]], atol=1e-12)
    assert np.isnan(r[3])
    assert np.isnan(pearson_rows(np.ones(50), rows)).all()


def test_rsa_bootstrap_error_equals_a_plain_resampling_loop():
    from mousescore_metrics.rsa_metric import RSA
    rng = np.random.default_rng(4)
    n = 20
    model = rdm(rng.normal(size=(n, 30)))
    neural = np.stack([rdm(rng.normal(size=(n, 40))) for _ in range(3)])
    metric = RSA(n_bootstrap=30, seed=5)
    error, _ = metric.error({reductions.correlation(): 1 - model}, neural, None)
    draws, means = np.random.default_rng(5), []
    rows, cols = np.triu_indices(n, k=1)
    for _ in range(30):
        pick = draws.integers(0, n, n)
        keep = pick[rows] != pick[cols]     # a stimulus paired with its own duplicate is left out
        a, b = pick[rows][keep], pick[cols][keep]
        means.append(np.mean([np.corrcoef(model[a, b], site[a, b])[0, 1] for site in neural]))
    assert error == pytest.approx(np.std(means, ddof=1), abs=1e-12)


def test_spearman_brown():
    assert spearman_brown(0.5) == pytest.approx(2 / 3)
    assert spearman_brown(0.0) == 0.0


def test_split_half_reliability_matches_theory_with_unequal_repeats():
    rng = np.random.default_rng(3)
    n_stimuli, n_neurons, n_repeats = 3000, 3, 10
    signal = rng.normal(size=(n_stimuli, n_neurons))
    noise_sd = np.array([0.5, 1.0, 2.0])
    responses = signal[..., None] + rng.normal(size=(n_stimuli, n_neurons, n_repeats)) * noise_sd[:, None]
    responses[::2, :, 8:] = np.nan           # half the stimuli have only 8 repeats
    reliability = split_half_reliability(responses, n_splits=5)
    half = 1 / (1 + noise_sd ** 2 / 4.5)    # about 4.5 repeats per half on average
    np.testing.assert_allclose(reliability, 2 * half / (1 + half), atol=0.02)


def test_split_halves_of_a_pool_with_unequal_repeat_counts_use_each_neurons_own_repeats():
    """Two recordings pooled into one assembly, 10 and 8 repeats (NaN-padded to 10): noiseless
    neurons are perfectly reliable in both. Splitting the second group's padding as if it held
    zeros (one split for the whole pool) would pull its half means apart."""
    rng = np.random.default_rng(5)
    signal = rng.normal(size=(30, 7)) + 3.0
    responses = np.repeat(signal[:, :, None], 10, axis=2)
    responses[:, 4:, 8:] = np.nan                       # neurons 4-6: recorded with 8 repeats
    np.testing.assert_allclose(split_half_reliability(responses, n_splits=5), 1.0, atol=1e-12)
    halves = list(split_half_means(responses, n_splits=3))
    for first, second in halves:
        np.testing.assert_allclose(first, signal, atol=1e-12)
        np.testing.assert_allclose(second, signal, atol=1e-12)


def test_split_halves_of_one_recording_equal_a_plain_loop():
    """One recording (every neuron shares its missing repeats): each split shuffles each
    presentation's valid repeats with one draw, the first ⌊k/2⌋ going to the first half."""
    rng = np.random.default_rng(6)
    responses = rng.normal(size=(12, 5, 7))
    responses[3, :, 5:] = np.nan                          # presentation 3 had 5 repeats
    draws = np.random.default_rng(0)
    for first, second in split_half_means(responses, n_splits=4, seed=0):
        keys = draws.random((12, 7))
        for p in range(12):
            valid = np.flatnonzero(~np.isnan(responses[p, 0]))
            order = valid[np.argsort(keys[p, valid])]
            np.testing.assert_allclose(first[p], responses[p][:, order[:len(valid) // 2]].mean(axis=1))
            np.testing.assert_allclose(second[p], responses[p][:, order[len(valid) // 2:]].mean(axis=1))


def test_a_layer_alike_up_to_float32_rounding_has_no_rsa_score():
    """A dead layer of a random network (rows equal but for a few float32 steps) has an RDM of rounding
    that a neural RDM can correlate with; RSA gives it no score, and a real layer of small variation
    keeps its exact score (numpy's corrcoef of the triangles)."""
    from mousescore_metrics.rsa_metric import RSA

    from mousescore.numerics import RDMEvidence, layer_rdm_triangle, model_triangle
    from mousescore.numerics.resampling import RDM_ROUNDING
    rng = np.random.default_rng(6)
    n = 40
    base = (rng.normal(size=64) + 0.5).astype(np.float32)
    dead = np.tile(base, (n, 1))
    dead[30:, :5] = np.nextafter(dead[30:, :5], np.float32(np.inf))   # one float32 step, as a GEMM's remainder rows
    correlation = correlation_matrix(dead)
    rounding = model_triangle(1.0 - correlation)
    assert 0 < np.ptp(rounding) <= RDM_ROUNDING
    # sites whose last 10 stimuli stand apart: the rounding's pattern
    group = (np.arange(n) >= 30).astype(float)
    neural = np.stack([np.abs(group[:, None] - group[None]) + rdm(rng.normal(size=(n, 50))) * 0.2 for _ in range(3)])
    assert np.all(RDMEvidence(rounding, neural).scores()[0] > 0.5)           # what the rounding scored before
    assert np.all(layer_rdm_triangle(correlation) == 0)
    metric = RSA(n_bootstrap=10)
    assert np.isnan(metric.layer_scores({reductions.correlation(): correlation}, neural)).all()

    alive = base + np.float32(1e-3) * rng.normal(size=(n, 64)).astype(np.float32)
    correlation = correlation_matrix(alive)
    triangle = layer_rdm_triangle(correlation)
    np.testing.assert_array_equal(triangle, model_triangle(1.0 - correlation))
    upper = np.triu_indices(n, k=1)
    expected = [np.corrcoef(triangle, site[upper])[0, 1] for site in neural]
    np.testing.assert_allclose(metric.layer_scores({reductions.correlation(): correlation}, neural), expected,
                               atol=1e-12)
