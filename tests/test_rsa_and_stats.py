import numpy as np
import pytest

from mousescore.rsa import compare_rdms, correlation_matrix, rdm, upper_triangle
from mousescore.stats import pearson_columns, spearman_brown, split_half_reliability


def test_rdm_equals_numpy_reference_in_float64_and_close_in_float32():
    features = np.random.default_rng(0).normal(size=(30, 5000)) * 3 + 10
    np.testing.assert_allclose(rdm(features), 1 - np.corrcoef(features), atol=1e-12)
    np.testing.assert_allclose(correlation_matrix(features.astype(np.float32)), np.corrcoef(features),
                               atol=1e-5)


def test_rsa_score_equals_pearson_of_upper_triangles():
    rng = np.random.default_rng(1)
    model, neural = rdm(rng.normal(size=(25, 40))), np.stack([rdm(rng.normal(size=(25, 60))) for _ in range(3)])
    expected = [np.corrcoef(upper_triangle(model), upper_triangle(n))[0, 1] for n in neural]
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
