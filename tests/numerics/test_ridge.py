import numpy as np
import pytest
from sklearn.linear_model import Ridge, RidgeCV

from mousescore.numerics.ridge import (
    centered_gram,
    decompose,
    gram_of,
    loo_predictions,
    restrict_summary,
    ridge_summary,
)


@pytest.fixture
def problem():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(50, 400)) + 2.0
    targets = features[:, :6] @ rng.normal(size=(6, 7)) + rng.normal(size=(50, 7)) * 3 + 5
    return features, targets


def test_loo_predictions_equal_sklearn_ridgecv(problem):
    features, targets = problem
    predictions, _ = loo_predictions(centered_gram(features), targets, [1.0])
    reference = RidgeCV(alphas=[1.0], store_cv_results=True, scoring="neg_mean_squared_error")
    reference.fit(features, targets)
    np.testing.assert_allclose(predictions, reference.cv_results_[..., 0], rtol=0, atol=1e-8)


def test_loo_predictions_equal_brute_force_refits(problem):
    features, targets = problem
    predictions, _ = loo_predictions(centered_gram(features, chunk=64), targets, [3.0])
    for i in range(0, len(features), 7):
        keep = np.arange(len(features)) != i
        refit = Ridge(alpha=3.0).fit(features[keep], targets[keep]).predict(features[i:i + 1])
        np.testing.assert_allclose(predictions[i], refit[0], rtol=0, atol=1e-8)


def test_several_alphas_chosen_per_target_like_ridgecv(problem):
    features, targets = problem
    alphas = [0.01, 1.0, 100.0, 1e4, 1e6]
    predictions, chosen = loo_predictions(centered_gram(features), targets, alphas)
    reference = RidgeCV(alphas=alphas, alpha_per_target=True).fit(features, targets)
    np.testing.assert_array_equal(chosen, reference.alpha_)
    assert len(set(chosen)) > 1  # the problem is built so that targets differ


def test_one_alpha_takes_the_same_values_as_choosing_among_several(problem):
    """One α skips the choice; a target column with a NaN gets NaN predictions and no α either way."""
    features, targets = problem
    targets = targets.copy()
    targets[3, 2] = np.nan
    one, one_alpha = loo_predictions(centered_gram(features), targets, [2.0])
    chosen, chosen_alpha = loo_predictions(centered_gram(features), targets, [2.0, 2.0])
    np.testing.assert_allclose(one, chosen, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(one_alpha, chosen_alpha)
    assert np.isnan(one[:, 2]).all() and np.isnan(one_alpha[2]) and np.isfinite(one[:, [0, 1, 3]]).all()


def test_more_samples_than_features_and_float32_gram_close(problem):
    features, targets = problem
    narrow = features[:, :20]
    predictions, _ = loo_predictions(centered_gram(narrow), targets, [1.0])
    reference = RidgeCV(alphas=[1.0], store_cv_results=True, scoring="neg_mean_squared_error")
    np.testing.assert_allclose(predictions, reference.fit(narrow, targets).cv_results_[..., 0], atol=1e-8)
    single = loo_predictions(centered_gram(features.astype(np.float32)), targets, [1.0])[0]
    np.testing.assert_allclose(single, reference.fit(features, targets).cv_results_[..., 0], atol=1e-4)


@pytest.mark.parametrize("width", [5, 20, 49])
def test_primal_when_narrower_than_the_stimuli_equals_ridgecv_and_the_dual(problem, width):
    features, targets = problem                # 50 stimuli: fewer features than stimuli
    narrow = features[:, :width]
    summary = ridge_summary(narrow)
    assert summary.shape == (50, width)        # the centred features, not a 50 × 50 Gram matrix
    eigenvalues, eigenvectors = decompose(summary)
    assert len(eigenvalues) == width and np.allclose(eigenvectors.sum(axis=0), 0, atol=1e-10)
    alphas = [0.1, 1.0, 100.0]
    primal, chosen = loo_predictions(None, targets, alphas, decomposition=(eigenvalues, eigenvectors))
    dual, dual_chosen = loo_predictions(centered_gram(narrow), targets, alphas)
    np.testing.assert_allclose(primal, dual, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(chosen, dual_chosen)
    reference = RidgeCV(alphas=[1.0], store_cv_results=True, scoring="neg_mean_squared_error")
    np.testing.assert_allclose(loo_predictions(None, targets, [1.0], decomposition=decompose(summary))[0],
                               reference.fit(narrow, targets).cv_results_[..., 0], rtol=0, atol=1e-8)


def test_wide_features_keep_the_dual_gram(problem):
    features, _ = problem
    np.testing.assert_array_equal(ridge_summary(features), centered_gram(features))


@pytest.mark.parametrize("width", [5, 20, 40])      # rows narrower than, as wide as, wider than a half
def test_a_summary_restricted_to_some_stimuli_is_the_summary_of_those_stimuli_alone(width):
    rng = np.random.default_rng(width)
    features = rng.normal(size=(40, width)) + 3.0
    half = np.sort(rng.permutation(40)[:20])
    expected = centered_gram(features[half])
    for summary, shape in ((ridge_summary(features), ridge_summary(features[half]).shape),   # its own rule
                           (centered_gram(features), (20, 20))):
        restricted = restrict_summary(summary, half)
        np.testing.assert_allclose(gram_of(restricted), expected, atol=1e-10)
        assert restricted.shape == shape


def test_left_out_scores_are_ridge_refitted_without_each_stimulus_within_each_subset():
    """The per-neuron jackknife within CV halves, in closed form: for each subset and each stimulus i in
    it, the Pearson r of the other stimuli's leave-one-out predictions with ridge refitted without i
    (scikit-learn's Ridge refitted on the subset without i and j, for every j), at each target's own α."""
    from mousescore.numerics.ridge import complement_eigh, left_out_loo_scores
    rng = np.random.default_rng(3)
    n, p, t = 20, 15, 3
    features = rng.normal(size=(n, p))
    targets = features[:, :2] @ rng.normal(size=(2, t)) + rng.normal(size=(n, t))
    subsets = np.array([np.sort(rng.permutation(n)[:10]) for _ in range(3)])
    alphas = np.array([[0.5, 2.0, 7.0], [1.0, 1.0, 3.0], [7.0, 0.5, 0.5]])
    got = left_out_loo_scores(complement_eigh(restrict_summary(centered_gram(features), subsets)),
                              targets[subsets], alphas)
    for s, subset in enumerate(subsets):
        for i in range(len(subset)):
            rest = [k for k in range(len(subset)) if k != i]
            for c in range(t):
                predicted = [Ridge(alpha=alphas[s, c]).fit(features[[subset[k] for k in rest if k != j]],
                                                            targets[[subset[k] for k in rest if k != j], c])
                             .predict(features[[subset[j]]])[0] for j in rest]
                expected = np.corrcoef(predicted, targets[subset[rest], c])[0, 1]
                assert got[s, i, c] == pytest.approx(expected, abs=1e-10)


def test_left_out_scores_do_not_depend_on_how_the_fits_are_chunked(monkeypatch):
    """left_out_loo_scores works through a few fits at a time (per α level, in cache-sized chunks, each
    fit's targets at that level padded to the chunk's widest): one fit per chunk (no padding) and all
    fits in one chunk give the same numbers, each fit's targets at their own α."""
    from mousescore.numerics import ridge
    rng = np.random.default_rng(5)
    n, p, t, fits = 24, 30, 6, 7
    features = rng.normal(size=(n, p))
    targets = features[:, :3] @ rng.normal(size=(3, t)) + rng.normal(size=(n, t))
    subsets = np.array([np.sort(rng.permutation(n)[:12]) for _ in range(fits)])
    alphas = rng.choice([0.3, 1.0, 4.0], size=(fits, t))
    alphas[2, 1] = np.nan                                   # a target without an α: NaN scores
    alphas[0] = 4.0                 # a fit with every target at one α, in a chunk beside fits with more
    decomposition = ridge.complement_eigh(ridge.restrict_summary(ridge.centered_gram(features), subsets))
    monkeypatch.setattr(ridge, "_CHUNK_ELEMENTS", 1 << 40)
    together = ridge.left_out_loo_scores(decomposition, targets[subsets], alphas)
    monkeypatch.setattr(ridge, "_CHUNK_ELEMENTS", 1)
    one_by_one = ridge.left_out_loo_scores(decomposition, targets[subsets], alphas)
    assert np.isnan(together[2, :, 1]).all() and np.isfinite(np.delete(together, 1, axis=2)).all()
    np.testing.assert_allclose(one_by_one, together, rtol=0, atol=1e-14)
