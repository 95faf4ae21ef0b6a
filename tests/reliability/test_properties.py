"""Property tests of the numerical kernels (hypothesis)."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.linear_model import Ridge

from mousescore.numerics import reductions
from mousescore.numerics.ridge import centered_gram, loo_predictions
from mousescore.numerics.rsa import compare_rdms, rdm
from mousescore.numerics.stats import pearson_columns

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(5, 14), p=st.integers(1, 30), alpha=st.floats(1e-2, 1e3), seed=st.integers(0, 2**31))
def test_loo_ridge_equals_brute_force_refits(n, p, alpha, seed):
    rng = np.random.default_rng(seed)
    features, targets = rng.normal(size=(n, p)), rng.normal(size=(n, 2))
    predictions, _ = loo_predictions(centered_gram(features), targets, [alpha])
    for i in range(n):
        keep = np.arange(n) != i
        refit = Ridge(alpha=alpha).fit(features[keep], targets[keep]).predict(features[i:i + 1])[0]
        np.testing.assert_allclose(predictions[i], refit, rtol=1e-7, atol=1e-7)


@settings(max_examples=30, deadline=None)
@given(data=st.data(), n=st.integers(4, 12))
def test_rsa_is_invariant_to_a_stimulus_permutation_of_both_sides(data, n):
    model = data.draw(arrays(np.float64, (n, 6), elements=finite))
    neural = data.draw(arrays(np.float64, (n, 9), elements=finite))
    permutation = np.array(data.draw(st.permutations(range(n))))
    original = compare_rdms(rdm(model), rdm(neural)[None])
    permuted = compare_rdms(rdm(model[permutation]), rdm(neural[permutation])[None])
    np.testing.assert_allclose(permuted, original, atol=1e-9, equal_nan=True)


@settings(max_examples=300, deadline=None)
@given(a=arrays(np.float64, (12, 3), elements=finite), b=arrays(np.float64, (12, 3), elements=finite),
       scale=st.floats(1e-3, 1e3), shift=finite)
def test_pearson_is_scale_and_shift_invariant_and_bounded(a, b, scale, shift):
    r = pearson_columns(a, b)
    assert np.all(np.abs(r[np.isfinite(r)]) <= 1)
    moved = pearson_columns(a * scale + shift, b)
    # A column whose spread survives the affine map keeps its r; one whose spread drowns in rounding
    # (e.g. 1e-21 shifted by 1) becomes NaN, never a wrong number.
    spread = (a.max(axis=0) - a.min(axis=0)) * scale
    survives = spread > 1e-6 * (np.abs(a).max(axis=0) * scale + abs(shift))
    ok = np.isfinite(r) & survives
    assert np.all(np.isfinite(moved[ok]))
    np.testing.assert_allclose(moved[ok], r[ok], atol=1e-6)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(6, 20), seed=st.integers(0, 2**31), alpha=st.sampled_from([1e-3, 1.0, 1e4]))
def test_srp_ridge_scores_are_finite_and_within_bounds(n, seed, alpha):
    from mousescore_metrics.ridge_metric import SRPRidge
    rng = np.random.default_rng(seed)
    projected = rng.normal(size=(n, 64)) * rng.uniform(1e-3, 1e3)
    responses = rng.normal(size=(n, 4))
    scores = SRPRidge(n_components=64, alphas=[alpha]).layer_scores({reductions.srp(64, 0): projected}, responses)
    assert np.all(np.isfinite(scores)) and np.all(np.abs(scores) <= 1)
