import numpy as np
import pytest

from mousescore.data.datasets import load_dataset
from mousescore.numerics.stats import split_half_reliability
from mousescore.registry.plugins import Registry


@pytest.fixture(scope="module")
def cowley(real_data):
    return load_dataset("cowley2023")


def test_packaged_products(cowley, real_data):
    stimuli, responses = cowley["stimuli"], cowley["responses"]
    assert stimuli.shape == (640, 112, 112, 3)
    assert responses.dims == ("presentation", "neuroid", "repetition") and responses.shape == (640, 50, 10)
    assert list(responses["stimulus_id"].values) == list(stimuli.stimulus_ids())
    average = np.load(real_data / "cowley_v4" / "responses_avg_210325.npy")
    np.testing.assert_allclose(responses.trial_mean().values, average.T, atol=1e-12)
    repeats = (~np.isnan(responses.values[:, 0, :])).sum(axis=1)
    assert repeats.min() == 6 and repeats.max() == 10      # NaN padding kept


def test_ceiling_is_per_neuron_split_half_reliability(cowley):
    benchmark = Registry().get("benchmark", "cowley2023.V4-srp_ridge").factory()
    assert benchmark.unit_ceilings.shape == (50,)
    np.testing.assert_allclose(benchmark.unit_ceilings,
                               split_half_reliability(cowley["responses"].values, n_splits=20, seed=0))
    assert 0.5 < benchmark.unit_ceilings.mean() < 0.95
    assert benchmark.metric.options == {"n_components": 4096, "seed": 0, "alphas": [1.0]}
