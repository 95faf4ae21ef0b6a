import numpy as np
import pytest
import scipy.io

from mousescore.data.datasets import load_dataset
from mousescore.numerics.rsa import upper_triangle
from mousescore.registry.plugins import Registry


@pytest.fixture(scope="module")
def products(real_data):
    return load_dataset("kriegeskorte2008")


def test_images_and_rdms(products, real_data):
    stimuli, rdms = products["stimuli"], products["rdms"]
    assert stimuli.shape == (92, 175, 175, 3)
    assert rdms.shape == (2, 92, 92)
    macaque = rdms.sel(site="macaque_IT").values
    np.testing.assert_array_equal(macaque, macaque.T)
    assert np.all(np.diag(macaque) == 0)
    raw = scipy.io.loadmat(real_data / "kriegeskorte92" / "Kriegeskorte_Neuron2008_supplementalData.mat")
    condensed = raw["RDMs_mIT_hIT_fig1"][0][0]["RDM"].ravel()
    np.testing.assert_array_equal(upper_triangle(macaque), condensed)   # pdist order kept


def test_rdm_rows_follow_the_images(products):
    """Faces are far more similar to each other in IT than to other objects (Kriegeskorte 2008)."""
    stimuli, macaque = products["stimuli"], products["rdms"].sel(site="macaque_IT").values
    face = stimuli["face"].values.astype(bool)
    assert 5 < face.sum() < 40
    within = macaque[np.ix_(face, face)][np.triu_indices(face.sum(), 1)].mean()
    between = macaque[np.ix_(face, ~face)].mean()
    assert within < between - 0.1


def test_benchmark_reference_and_ceiling(products):
    benchmark = Registry().get("benchmark", "kriegeskorte2008.IT-rsa").factory()
    assert benchmark.unit_ceilings.tolist() == [1.0]
    reference = benchmark.references["human IT fMRI RDM vs macaque IT RDM (r)"]
    assert reference == pytest.approx(0.4912, abs=1e-4)
