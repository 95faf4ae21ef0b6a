"""antolik2016: real mouse V1 neurons, packaged as upstream stored them, with ceilings and the inter-region
reference checked against plain numpy and scikit-learn computations."""
import numpy as np
import pytest
from sklearn.linear_model import Ridge

from mousescore import get_registry, load_dataset

REGISTRY = get_registry()


@pytest.fixture(scope="module")
def raw(real_data):
    folder = real_data / "antolik2016"
    return {region: np.load(folder / region / "raw_validation_set.npy") for region in ("region1", "region2")}, \
        np.load(folder / "region1" / "validation_inputs.npy")


def _benchmark(identifier):
    return REGISTRY.get("benchmark", identifier).factory()


def test_the_package_keeps_every_trial_image_and_region(raw):
    trials, inputs = raw
    products = load_dataset("antolik2016")
    stimuli, responses = products["stimuli"], products["responses"]
    np.testing.assert_allclose(stimuli.values[..., 0], (inputs * 1e6 / 255).reshape(50, 31, 31), atol=1e-7)
    assert responses.sizes == {"presentation": 50, "neuroid": 158, "repetition": 10}
    regions = responses["region"].values
    assert (regions == "region1").sum() == 103 and (regions == "region2").sum() == 55
    values = responses.transpose("presentation", "neuroid", "repetition").values
    np.testing.assert_array_equal(values[:, regions == "region1", :], trials["region1"].transpose(1, 2, 0))
    np.testing.assert_array_equal(values[:, regions == "region2", :8], trials["region2"].transpose(1, 2, 0))
    assert np.isnan(values[:, regions == "region2", 8:]).all() and not np.isnan(values[:, :, :8]).any()
    trial_means = responses.trial_mean().transpose("presentation", "neuroid").values
    np.testing.assert_allclose(trial_means[:, regions == "region2"], trials["region2"].mean(axis=0))


def _plain_split_half(trials, n_splits=20, seed=0):
    """Per-neuron split-half reliability, Spearman-Brown corrected, in plain numpy: each split shuffles
    each image's repeats (one draw shared by all neurons), first half the first ⌊k/2⌋."""
    repeats, images, neurons = trials.shape
    rng = np.random.default_rng(seed)
    estimates = []
    for _ in range(n_splits):
        order = rng.random((images, repeats)).argsort(axis=1)
        first = np.stack([trials[order[i, :repeats // 2], i].mean(axis=0) for i in range(images)])
        second = np.stack([trials[order[i, repeats // 2:], i].mean(axis=0) for i in range(images)])
        r = np.array([np.corrcoef(first[:, n], second[:, n])[0, 1] for n in range(neurons)])
        estimates.append(2 * r / (1 + r))
    return np.mean(estimates, axis=0)


@pytest.mark.parametrize("region", ["region1", "region2"])
def test_region_ceilings_equal_a_plain_numpy_split_half(raw, region):
    trials, _ = raw
    benchmark = _benchmark(f"antolik2016.V1_{region}-srp_ridge")
    np.testing.assert_allclose(benchmark.unit_ceilings, _plain_split_half(trials[region]), atol=1e-10)
    pooled = _benchmark("antolik2016.V1-srp_ridge")
    mine = np.char.startswith(np.asarray(pooled.unit_ids, dtype=str), f"antolik2016_{region}")
    # pooled, each region is split on its own repeats: its ceilings stay those of its own recording
    assert abs(np.nanmean(pooled.unit_ceilings[mine]) - np.nanmean(benchmark.unit_ceilings)) < 0.02


def test_the_inter_region_reference_equals_leave_one_out_ridge_in_scikit_learn(raw):
    trials, _ = raw
    own, other = trials["region1"].mean(axis=0), trials["region2"].mean(axis=0)
    predictions = np.empty_like(own)
    for left_out in range(50):
        train = np.arange(50) != left_out
        fit = Ridge(alpha=1.0).fit(other[train], own[train])
        predictions[left_out] = fit.predict(other[left_out:left_out + 1])[0]
    r = np.array([np.corrcoef(predictions[:, n], own[:, n])[0, 1] if own[:, n].std() > 0 else np.nan
                  for n in range(own.shape[1])])
    benchmark = _benchmark("antolik2016.V1_region1-ridge")
    # the predictors are float32 features, as a layer's are: agreement to float32 precision
    assert benchmark.references["inter_region"] == pytest.approx(np.nanmean(r), abs=1e-6)
    assert (benchmark.references["inter_region_ci95_low"] < np.nanmean(r)
            < benchmark.references["inter_region_ci95_high"])


def test_the_rsa_target_and_reference_are_the_regions_rdms(raw):
    trials, _ = raw
    means = {region: trials[region].mean(axis=0) for region in trials}
    benchmark = _benchmark("antolik2016.V1_region2-rsa")
    np.testing.assert_allclose(benchmark.target[0], 1 - np.corrcoef(means["region2"]), atol=1e-12)
    upper = np.triu_indices(50, k=1)
    expected = np.corrcoef((1 - np.corrcoef(means["region1"]))[upper], (1 - np.corrcoef(means["region2"]))[upper])[0, 1]
    assert benchmark.references["inter_region_rdm_r"] == pytest.approx(expected, abs=1e-12)
    pooled = _benchmark("antolik2016.V1-rsa")
    np.testing.assert_allclose(pooled.target[0], 1 - np.corrcoef(np.hstack([means["region1"], means["region2"]])),
                               atol=1e-12)
    assert 0.3 < pooled.unit_ceilings[0] < 1


def test_fifteen_benchmarks_score_a_model_the_same_twice(real_data, fresh_home):
    from mousescore import ResultStore, score_model
    identifiers = REGISTRY.match("benchmark", ["antolik2016.*"])
    assert len(identifiers) == 15     # 3 sites x (srp_ridge, ridge, their _gcv twins, rsa)
    runs = [score_model("pixels", identifiers, force=True, store=ResultStore(fresh_home / f"{i}.sqlite"),
                        log=lambda message: None, progress=False) for i in range(2)]
    for first, second in zip(*runs):
        assert first.value == second.value and first.references == second.references
        assert np.isfinite(first.value) and 0 < first.ceiling < 1
