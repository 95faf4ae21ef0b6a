"""The scale-free SRP-Ridge (``srp_ridge_gcv``, ``ridge_gcv``): α per neuron from a grid relative to the
layer's mean Gram eigenvalue, chosen by leave-one-out squared error as scikit-learn's
``RidgeCV(alpha_per_target=True)`` chooses it, and scored by the Pearson r of the LOO predictions at
that α. Scaling a layer leaves it unchanged; the paper's ``srp_ridge`` (α = 1) moves."""
import numpy as np
import pytest
from mousescore_metrics.ridge_metric import RELATIVE_ALPHAS, ScaleFreeSRPRidge, SRPRidge
from sklearn.linear_model import Ridge, RidgeCV

from mousescore import get_registry
from mousescore.numerics import centered_gram, decompose, mean_eigenvalue, reductions

N_COMPONENTS = 512


def _problem(seed=0, n=60, p=300, neurons=12):
    """A layer of 8 latent directions of decaying variance plus noise; neurons read the latents with
    noise from none to ten times their signal, so that they choose different α."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 8)) * np.geomspace(3.0, 0.3, 8)
    features = latent @ rng.normal(size=(8, p)) + 3.0 * rng.normal(size=(n, p)) + 1.0
    noise_level = np.linspace(0.1, 10.0, neurons)
    responses = latent @ rng.normal(size=(8, neurons)) + rng.normal(size=(n, neurons)) * noise_level + 4.0
    return features, responses


def _reduced(metric, features):
    return {key: reductions.reduce_all(key, features) for key in metric.reductions()}


def _sklearn_loo(features, responses, alphas):
    """scikit-learn's per-target α (RidgeCV, GCV mode) and its LOO predictions at that α (stored by a
    second RidgeCV for every α: a scorer makes it store predictions instead of squared errors)."""
    chosen = RidgeCV(alphas=alphas, alpha_per_target=True, fit_intercept=True).fit(features, responses).alpha_
    every = RidgeCV(alphas=alphas, fit_intercept=True, store_cv_results=True,
                    scoring="neg_mean_squared_error").fit(features, responses).cv_results_
    columns = np.arange(responses.shape[1])
    positions = np.abs(np.log(chosen[:, None] / np.asarray(alphas)[None])).argmin(axis=1)
    return chosen, every[:, columns, positions]


# the dual (wider than the stimuli) with the metric's grid, and the primal (narrower), whose neurons all
# take the grid's top here, also with a grid reaching 1e4
@pytest.mark.parametrize("width, grid", [(300, RELATIVE_ALPHAS), (40, RELATIVE_ALPHAS), (40, np.logspace(-4, 4, 17))])
def test_full_ridge_gcv_equals_sklearn_ridgecv_per_neuron(width, grid):
    features, responses = _problem()
    features = features[:, :width]
    metric = ScaleFreeSRPRidge(n_components=None, relative_alphas=grid)
    reduced = _reduced(metric, features)
    predictions, chosen = metric.predictions_and_alphas(reduced, responses)
    alphas = np.array(grid) * mean_eigenvalue(decompose(centered_gram(features)), len(features))
    reference_alphas, reference = _sklearn_loo(features, responses, alphas)
    np.testing.assert_allclose(chosen, reference_alphas, rtol=1e-12)   # the grid times the same eigenvalue
    assert len(set(chosen)) >= 3 or width < len(features) and grid is RELATIVE_ALPHAS, \
        "the problem should make neurons choose different α"
    difference = np.abs(predictions - reference).max()
    print(f"width {width}: max |LOO prediction - RidgeCV's| = {difference:.2e}; α chosen "
          f"(× mean eigenvalue) {np.unique(np.round(chosen / alphas[0] * grid[0], 6))}")
    assert difference < 1e-8


def test_srp_ridge_gcv_equals_refitting_sklearn_ridge_on_the_projection():
    """The projected layer against brute force: Ridge refitted on n − 1 stimuli at each neuron's α."""
    features, responses = _problem(seed=1)
    metric = ScaleFreeSRPRidge(n_components=N_COMPONENTS)
    projected = reductions.reduce_all(reductions.srp(N_COMPONENTS, 0), features).astype(np.float64)
    predictions, chosen = metric.predictions_and_alphas({reductions.srp(N_COMPONENTS, 0): projected}, responses)
    alphas = np.array(RELATIVE_ALPHAS) * mean_eigenvalue(decompose(centered_gram(projected)), len(features))
    reference_alphas, reference = _sklearn_loo(projected, responses, alphas)
    np.testing.assert_allclose(chosen, reference_alphas, rtol=1e-12)
    print(f"SRP: max |LOO prediction - RidgeCV's| = {np.abs(predictions - reference).max():.2e}")
    assert np.abs(predictions - reference).max() < 1e-8
    for i in range(0, len(features), 11):
        keep = np.arange(len(features)) != i
        for neuron in range(responses.shape[1]):
            refit = Ridge(alpha=chosen[neuron]).fit(projected[keep], responses[keep, neuron])
            assert abs(refit.predict(projected[i:i + 1])[0] - predictions[i, neuron]) < 1e-8


def test_the_score_is_the_pearson_r_of_the_chosen_predictions_and_the_evidence_agrees():
    features, responses = _problem(seed=2)
    metric = ScaleFreeSRPRidge(n_components=N_COMPONENTS)
    reduced = _reduced(metric, features)
    predictions, _ = metric.predictions_and_alphas(reduced, responses)
    expected = [np.corrcoef(predictions[:, j], responses[:, j])[0, 1] for j in range(responses.shape[1])]
    np.testing.assert_allclose(metric.layer_scores(reduced, responses), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(metric.layer_evidence(reduced, responses).scores(None)[0], expected, atol=1e-12)


@pytest.mark.parametrize("factor", [0.03, 1000.0])
def test_scaling_a_layer_leaves_the_scale_free_scores_unchanged_and_moves_srp_ridge(factor):
    features, responses = _problem(seed=3)
    features = features * 0.02     # a layer of small activations: α = 1 is no longer negligible
    scores = {}
    for name, metric in (("srp_ridge_gcv", ScaleFreeSRPRidge(n_components=N_COMPONENTS)),
                         ("srp_ridge", SRPRidge(n_components=N_COMPONENTS))):
        before = metric.layer_scores(_reduced(metric, features), responses)
        after = metric.layer_scores(_reduced(metric, features * factor), responses)
        scores[name] = (before.mean(), after.mean(), np.abs(after - before).max())
    print(f"x{factor}: " + "; ".join(f"{name} {a:.4f} -> {b:.4f} (max per-neuron change {c:.1e})"
                                     for name, (a, b, c) in scores.items()))
    assert scores["srp_ridge_gcv"][2] < 1e-6
    assert scores["srp_ridge"][2] > 0.05


def test_a_constant_layer_and_a_neuron_with_a_nan_are_not_errors():
    features, responses = _problem(seed=4)
    responses[5, 3] = np.nan
    metric = ScaleFreeSRPRidge(n_components=None)
    scores = metric.layer_scores(_reduced(metric, features), responses)
    assert np.isnan(scores[3]) and np.isfinite(np.delete(scores, 3)).all()
    constant = metric.layer_scores(_reduced(metric, np.ones_like(features)), responses)
    assert np.allclose(np.delete(constant, 3), -1.0)   # the mean of the other stimuli, whatever α


def test_registered_beside_srp_ridge_for_every_per_neuron_benchmark():
    registry = get_registry()
    assert {"srp_ridge_gcv", "ridge_gcv"} <= set(registry.identifiers("metric"))
    benchmarks = set(registry.identifiers("benchmark"))
    paper = {b for b in benchmarks if b.endswith("-srp_ridge")}
    assert paper and {b[:-len("srp_ridge")] + "srp_ridge_gcv" for b in paper} <= benchmarks
    assert {"antolik2016.V1-ridge_gcv", "cowley2023.V4-srp_ridge_gcv", "majajhong2015.IT-srp_ridge_gcv"} <= benchmarks
    metric = registry.get("metric", "srp_ridge_gcv").factory()
    assert metric.identifier == "srp_ridge_gcv" and metric.options["relative_alphas"] == list(RELATIVE_ALPHAS)


def test_fitted_on_some_stimuli_alone_it_is_ridgecv_on_those_stimuli():
    """The nesting the CV value needs: on a half, the fit and the α choice see only that half."""
    features, responses = _problem(seed=5)
    half = np.arange(0, len(features), 2)
    metric = ScaleFreeSRPRidge(n_components=None)
    predictions, chosen = metric.predictions_and_alphas(_reduced(metric, features), responses[half], half)
    alone = ScaleFreeSRPRidge(n_components=None)
    expected, expected_alphas = alone.predictions_and_alphas(_reduced(alone, features[half]), responses[half])
    np.testing.assert_allclose(chosen, expected_alphas, rtol=1e-10)
    np.testing.assert_allclose(predictions, expected, rtol=0, atol=1e-8)
    evidence = metric.layer_evidence(_reduced(metric, features), responses[half], stimuli=half)
    np.testing.assert_allclose(evidence.scores(None)[0], alone.layer_scores(_reduced(alone, features[half]),
                                                                             responses[half]), atol=1e-8)


@pytest.mark.parametrize("width", [300, 40, 20])     # dual; primal narrower than the stimuli; than a half
@pytest.mark.parametrize("metric", [ScaleFreeSRPRidge(n_components=None), SRPRidge(n_components=None)],
                         ids=["ridge_gcv", "ridge"])
def test_all_halves_at_once_equal_each_half_fitted_alone(width, metric):
    """halves_evidence decomposes every half of one size in one stacked call (the CV value's halves):
    each half's predictions are ridge fitted on that half's stimuli alone, a NaN neuron staying NaN."""
    features, responses = _problem(seed=6, p=width)
    responses[3, 2] = np.nan
    rng = np.random.default_rng(0)
    halves = [np.sort(rng.permutation(60)[:size]) for size in (30, 30, 30, 29, 31)]
    together = metric.halves_evidence(_reduced(metric, features), responses, halves)
    for half, evidence in zip(halves, together):
        alone = type(metric)(n_components=None)
        expected = alone.layer_evidence(_reduced(alone, features[half]), responses[half])
        assert np.isnan(evidence.predictions[:, 2]).all() == (3 in half)
        np.testing.assert_allclose(evidence.predictions, expected.predictions, rtol=0, atol=1e-8)
        np.testing.assert_array_equal(evidence.responses, responses[half])
