"""The numpy PLS regression of the ``pls`` metrics against scikit-learn's ``PLSRegression(scale=False)``.

It replays scikit-learn's NIPALS power method step for step (the same start, the same stopping rule), so
the predictions agree to rounding, 1e-14 to 3e-13 of the largest prediction on these shapes: the
tolerance, 1e-10, leaves room for other BLAS builds, while the exact dominant singular vector in place
of the power method's last step (scikit-learn stops when a step moves the weights by less than 1e-3)
moves predictions by ~1e-3 of the largest on the multi-target shapes."""
import warnings

import numpy as np
import pytest
from mousescore_metrics import pls_metric
from mousescore_metrics.pls_metric import PLS, k_folds, pls_predict, principal_components, split_predictions
from sklearn.cross_decomposition import PLSRegression
from sklearn.decomposition import PCA

from mousescore.numerics import reductions
from mousescore.numerics.ridge import centered_gram
from mousescore.numerics.stats import pearson_columns

RTOL = 1e-10


def scikit_learn(train_x, train_y, test_x, n_components):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # "y residual is constant": asserted where it matters
        return PLSRegression(n_components, scale=False).fit(train_x, train_y).predict(test_x)


def assert_agrees(ours, reference):
    assert np.isfinite(ours).all()
    np.testing.assert_allclose(ours, reference, rtol=0, atol=RTOL * np.abs(reference).max())


@pytest.mark.parametrize("n_train, n_features, n_targets, n_components", [
    (45, 44, 100, 25),      # a 50-stimulus fold on its principal components, many neurons
    (36, 30, 20, 25),       # the CV-bias test's fit on all stimuli
    (100, 80, 30, 25),
    (60, 30, 5, 5),
    (18, 19, 20, 16),       # one component short of the rank
    (18, 19, 20, 17),       # as many components as the centred features' rank: least squares
    (36, 30, 20, 30),       # as many as the features
    (45, 44, 1, 25),        # a single target: one power step, Xᵀy normalised
])
def test_predictions_equal_scikit_learns(n_train, n_features, n_targets, n_components):
    rng = np.random.default_rng(n_train * n_targets + n_components)
    for _ in range(3):
        x = rng.normal(size=(n_train + 6, n_features))
        y = x[:, :3] @ rng.normal(size=(3, n_targets)) + rng.normal(size=(n_train + 6, n_targets))
        assert_agrees(pls_predict(x[:n_train], y[:n_train], x[n_train:], n_components),
                      scikit_learn(x[:n_train], y[:n_train], x[n_train:], n_components))


def test_a_one_dimensional_target_gives_one_dimensional_predictions():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(30, 12)), rng.normal(size=30)
    ours = pls_predict(x[:25], y[:25], x[25:], 4)
    assert ours.shape == (5,)
    assert_agrees(ours, scikit_learn(x[:25], y[:25], x[25:], 4))


@pytest.mark.parametrize("stack_bytes", [pls_metric.STACK_BYTES, 1])
def test_splits_of_unequal_sizes_fitted_together_equal_one_fit_each(monkeypatch, stack_bytes):
    monkeypatch.setattr(pls_metric, "STACK_BYTES", stack_bytes)      # all splits at once, or one at a time
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(45, 30)), rng.normal(size=(45, 8))
    splits = k_folds(45, 10, 0)                    # 40 or 41 training stimuli
    assert len({len(train) for train, _ in splits}) == 2
    for (train, test), ours in zip(splits, split_predictions(x, y, splits, 12)):
        assert_agrees(ours, scikit_learn(x[train], y[train], x[test], 12))


def test_components_up_to_the_rank_agree_and_beyond_it_give_least_squares():
    rng = np.random.default_rng(3)
    x = np.repeat(rng.normal(size=(6, 19)), 3, axis=0)            # 6 distinct stimuli: centred rank 5
    y, test_x = rng.normal(size=(18, 4)), rng.normal(size=(3, 19))
    assert_agrees(pls_predict(x, y, test_x, 3), scikit_learn(x, y, test_x, 3))
    centred = x - x.mean(axis=0)
    least_squares = (test_x - x.mean(axis=0)) @ np.linalg.pinv(centred) @ (y - y.mean(axis=0)) + y.mean(axis=0)
    for n_components in (5, 10, 25):       # beyond min(rows, features) too, which scikit-learn refuses
        assert_agrees(pls_predict(x, y, test_x, n_components), least_squares)
    # scikit-learn fits rounding noise past the rank
    assert np.abs(scikit_learn(x, y, test_x, 10)).max() > 1e6


def test_a_response_residual_of_zero_stops_the_components_as_scikit_learn_does():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(30, 3)) @ rng.normal(size=(3, 10))       # rank 3
    y = x @ rng.normal(size=10)                                    # in the features' span
    with pytest.warns(UserWarning, match="y residual is constant"):
        reference = PLSRegression(6, scale=False).fit(x[:24], y[:24]).predict(x[24:])
    ours = pls_predict(x[:24], y[:24], x[24:], 6)
    assert_agrees(ours, reference)
    np.testing.assert_allclose(ours, y[24:], atol=1e-10 * np.abs(y).max())


def test_constant_targets_are_predicted_by_their_mean():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(26, 12)), rng.normal(size=(26, 5))
    y[:, 0], y[:, 3] = 3.7, 0.1
    ours = pls_predict(x[:22], y[:22], x[22:], 6)
    assert_agrees(ours, scikit_learn(x[:22], y[:22], x[22:], 6))
    assert (ours[:, 0] == pytest.approx(3.7)) and (ours[:, 3] == pytest.approx(0.1))
    flat = pls_predict(x[:22], np.full((22, 2), 2.0), x[22:], 6)
    assert flat == pytest.approx(np.full((4, 2), 2.0))


def test_the_fit_does_not_depend_on_the_units():
    """scikit-learn's zero-residual threshold is absolute (10 eps): responses of 1e-20 would all be
    cleared as constant there. Here it is relative to the largest response."""
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(30, 12)), rng.normal(size=(30, 4))
    ours = pls_predict(x[:25], y[:25], x[25:], 5)
    np.testing.assert_allclose(pls_predict(1e9 * x[:25], 1e-20 * y[:25], 1e9 * x[25:], 5), 1e-20 * ours, rtol=1e-9)
    assert_agrees(ours, scikit_learn(x[:25], y[:25], x[25:], 5))


def test_a_constant_layer_predicts_each_folds_training_means():
    """No principal components: scikit-learn refused the empty features; here each fold predicts its
    training means, as ridge predicts the other stimuli's mean for a constant layer."""
    responses = np.random.default_rng(9).normal(size=(40, 3))
    evidence = PLS().layer_evidence({reductions.centered_gram(): centered_gram(np.ones((40, 5)))}, responses)
    for train, test in k_folds(40, 10, 0):
        np.testing.assert_allclose(evidence.predictions[test], np.tile(responses[train].mean(axis=0), (len(test), 1)))


def test_non_finite_values_are_refused():
    x, y = np.ones((10, 3)), np.ones((10, 2))
    x[2, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        pls_predict(x, y, x, 2)


def test_the_metric_fitted_within_a_half_equals_scikit_learn_on_that_half():
    """Within a half of 20 stimuli the metric's 17 components reach the rank: the least-squares path."""
    rng = np.random.default_rng(7)
    features, responses = rng.normal(size=(40, 30)), rng.normal(size=(40, 20))
    half = np.sort(rng.permutation(40)[:20])
    metric = PLS()
    evidence = metric.layer_evidence({reductions.centered_gram(): centered_gram(features)}, responses[half],
                                     stimuli=half)
    scores = PCA().fit_transform(features[half])[:, :19]
    predictions = np.empty((20, 20))
    for train, test in k_folds(20, 10, 0):
        predictions[test] = scikit_learn(scores[train], responses[half][train], scores[test], 17)
    assert_agrees(evidence.predictions, predictions)
    np.testing.assert_allclose(evidence.scores()[0], pearson_columns(predictions, responses[half]), atol=1e-8)


def test_principal_components_of_the_half_are_the_halfs_pca():
    rng = np.random.default_rng(8)
    features = rng.normal(size=(20, 30))
    ours = principal_components(centered_gram(features))
    assert ours.shape == (20, 19)
    np.testing.assert_allclose(np.abs(ours), np.abs(PCA().fit_transform(features)[:, :19]), atol=1e-10)
