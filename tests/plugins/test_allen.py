import numpy as np
import pytest

from mousescore.data.datasets import load_dataset
from mousescore.numerics import reductions
from mousescore.numerics.rsa import compare_rdms
from mousescore.registry.plugins import Registry


@pytest.fixture(scope="module")
def allen(real_data):
    return load_dataset("allen")


def test_packaged_products(allen):
    stimuli, rdms = allen["stimuli"], allen["rdms"]
    assert stimuli.shape == (118, 31, 31, 1) and stimuli.identifier == "allen.natural_scenes"
    assert rdms.shape == (21, 118, 118)          # blank condition dropped
    assert list(rdms["stimulus_id"].values) == list(stimuli.stimulus_ids())
    np.testing.assert_allclose(np.diagonal(rdms.values, axis1=1, axis2=2), 0, atol=1e-12)
    ceiling = float(rdms.sel(site="VISp_layer23")["ceiling"])
    assert ceiling == pytest.approx(0.92146, abs=1e-4)     # the shipped CSV
    assert sorted(set(rdms["area"].values)) == ["VISal", "VISam", "VISl", "VISp", "VISpm", "VISrl"]


def test_scene_order_is_the_measured_one(allen):
    """A random AlexNet layer's RDM matches the neural RDMs only in the measured order (PROVENANCE)."""
    from mousescore.extraction.extract import extract
    loaded = Registry().get("model", "alexnet-random").factory()
    features = extract(loaded, allen["stimuli"], {reductions.correlation()}, progress=False)
    layer_rdm = 1 - features.reduced["features.10"][reductions.correlation()]
    neural = allen["rdms"].values
    in_order = compare_rdms(layer_rdm, neural).mean()
    shifted = np.roll(np.arange(118), 1)                     # as if row 0 were the blank
    misaligned = compare_rdms(layer_rdm[np.ix_(shifted, shifted)], neural).mean()
    assert in_order > 0.1
    assert abs(misaligned) < 0.05


def test_area_benchmark_commits_one_layer_by_the_mean_over_its_sites(allen):
    registry = Registry()
    area = registry.get("benchmark", "allen.VISp-rsa").factory()
    assert area.unit_ids == ["VISp_layer23", "VISp_layer4", "VISp_layer5", "VISp_layer6"]
    assert area.unit_ceilings.mean() == pytest.approx(np.mean([0.92146, 0.91574, 0.91007, 0.50776]), abs=1e-4)
    rng = np.random.default_rng(0)
    from mousescore.extraction.extract import LayerFeatures
    features = LayerFeatures(stimulus_ids=area.stimuli.stimulus_ids(), layers=["a", "b"])
    features.reduced = {name: {reductions.correlation(): np.corrcoef(rng.normal(size=(118, 50)))} for name in "ab"}
    score = area.score("toy", features)
    per_layer = {name: compare_rdms(1 - features.reduced[name][reductions.correlation()], area.target).mean()
                 for name in "ab"}
    assert score.best_layer == max(per_layer, key=per_layer.get)
    assert score.value == pytest.approx(per_layer[score.best_layer])
    assert score.ceiled_value == pytest.approx(score.value / score.ceiling)
