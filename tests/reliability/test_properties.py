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


# ---- own data: every input gives a finite score or a MousescoreError ----------------------------

import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import xarray as xr  # noqa: E402
from hypothesis import HealthCheck  # noqa: E402

N_IMAGES = 12
SPECIAL = [np.nan, np.inf, -np.inf, 1e308, -1e308, 1e-308, 0.0, -1.0, 1.0, 5e-324, 1e154]
TARGETS = ["responses", "rdm_npy", "rdm_csv", "assembly_nc", "assembly_in_memory", "brainio_in_memory"]
DTYPES = ["float64"] * 4 + ["float32", "float16", "int64", "uint8", "bool", "complex128", "str", "object"]


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    from PIL import Image
    folder = tmp_path_factory.mktemp("own_data") / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(N_IMAGES):
        Image.fromarray(rng.integers(0, 255, (6, 6, 3), dtype=np.uint8)).save(folder / f"s{i:02d}.png")
    return folder


def cheap_features(images):
    flat = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    return {"pixels": flat[:, :60], "squares": flat[:, 40:100] ** 2}


def _values(draw, size, rng):
    pattern = draw(st.sampled_from(["random", "random", "random", "constant", "special", "integers"]))
    if pattern == "random":
        return rng.normal(size=size) * draw(st.sampled_from([1e-300, 1e-8, 1.0, 1e8, 1e300]))
    if pattern == "constant":
        return np.full(size, draw(st.sampled_from(SPECIAL)))
    if pattern == "integers":
        return rng.integers(-3, 4, size).astype(np.float64)
    return rng.choice(np.array(SPECIAL + [0.5, 2.0, -0.3]), size=size)


@st.composite
def own_data_values(draw, kind, n_stimuli):
    """An array of random shape (mostly one that fits the stimuli), dtype and values: NaN, inf, huge,
    tiny, constant, negative, ints, bools, complex, strings, objects; RDMs often well formed."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    fits = draw(st.integers(0, 4)) > 0
    if kind.startswith("rdm") and fits:
        n = n_stimuli
        shape = draw(st.sampled_from([(n, n), (n * (n - 1) // 2,)]))
        if draw(st.booleans()):             # a real dissimilarity matrix, perhaps spoilt in one entry
            matrix = 1 - np.corrcoef(rng.normal(size=(n, 5))) if n > 1 else np.zeros((1, 1))
            if draw(st.booleans()):
                i, j = rng.integers(0, n, 2)
                matrix[i, j] = matrix[j, i] = draw(st.sampled_from(SPECIAL))
            values = matrix if len(shape) == 2 else matrix[np.triu_indices(n, 1)]
        else:
            values = _values(draw, int(np.prod(shape)), rng).reshape(shape)
    else:
        shape = (n_stimuli,) + tuple(draw(st.lists(st.integers(0, 5), min_size=1, max_size=2))) if fits else \
            tuple(draw(st.lists(st.integers(0, 13), min_size=0, max_size=3)))
        values = _values(draw, int(np.prod(shape)), rng).reshape(shape)
    dtype = draw(st.sampled_from(DTYPES))
    with np.errstate(all="ignore"):
        return values.astype(dtype)


def _own_target(kind, values, ids, directory: Path):
    """The target argument of custom_benchmark for ``values`` laid out as ``kind``."""
    if kind == "responses":
        np.save(directory / "r.npy", values, allow_pickle=values.dtype == object)
        return {"responses": directory / "r.npy"}
    if kind == "rdm_npy":
        np.save(directory / "rdm.npy", values, allow_pickle=values.dtype == object)
        return {"rdm": directory / "rdm.npy"}
    if kind == "rdm_csv":
        np.savetxt(directory / "rdm.csv", np.atleast_1d(values).reshape(len(np.atleast_1d(values)), -1)
                   if np.ndim(values) < 3 else values.reshape(len(values), -1), delimiter=",", fmt="%s")
        return {"rdm": directory / "rdm.csv"}
    dims = ("presentation", "neuroid", "repetition")[:max(np.ndim(values), 2)]
    if np.ndim(values) < 2:
        values = np.reshape(values, (-1, 1))
    stimulus_ids = (ids * (values.shape[0] // max(len(ids), 1) + 1))[:values.shape[0]]
    coords = {"stimulus_id": ("presentation", stimulus_ids),
              "neuroid_id": ("neuroid", [f"n{i}" for i in range(values.shape[1])])}
    if kind == "brainio_in_memory":     # one presentation per trial, trials of a stimulus repeated
        return {"assembly": xr.DataArray(values.reshape(values.shape[0], -1), dims=dims[:2], name="brainio",
                                         coords={"stimulus_id": coords["stimulus_id"]})}
    array = xr.DataArray(values, dims=dims, coords=coords, name="lab")
    if kind == "assembly_in_memory":
        return {"assembly": array}
    array.to_netcdf(directory / "a.nc", engine="netcdf4")
    return {"assembly": directory / "a.nc"}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(data=st.data(), kind=st.sampled_from(TARGETS), n_stimuli=st.integers(1, N_IMAGES),
       metric=st.sampled_from([None, None, None, "rsa", "srp_ridge", "ridge", "pls"]))
def test_own_data_gives_a_finite_score_or_a_mousescore_error(image_folder, data, kind, n_stimuli, metric):
    import mousescore
    from mousescore.errors import MousescoreError
    from mousescore.scoring.own_data import custom_benchmark
    values = data.draw(own_data_values(kind, n_stimuli))
    ids = [f"s{i:02d}" for i in range(n_stimuli)]
    with tempfile.TemporaryDirectory() as directory:
        directory = Path(directory)
        (directory / "order.txt").write_text("\n".join(ids))
        try:
            target = _own_target(kind, values, ids, directory)
        except (ValueError, TypeError, OverflowError):
            return          # the test could not write this file: nothing for mousescore to read
        try:
            benchmark = custom_benchmark(image_folder, stimulus_ids=directory / "order.txt", metric=metric,
                                         name="prop", **target)
            score = mousescore.score(cheap_features, benchmark, log=lambda message: None, progress=False)[0]
        except MousescoreError:
            return
    assert np.isfinite(score.value) and abs(score.value) <= 1
    assert not np.isinf(score.ceiling)
