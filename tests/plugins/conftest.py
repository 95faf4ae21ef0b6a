"""Fixtures shared by the trained-network tests."""
import pytest


@pytest.fixture(scope="module")
def kriegeskorte_stimuli(real_data):
    """The 92 Kriegeskorte object images, on which trained classifiers are checked."""
    from mousescore import load_dataset
    return load_dataset("kriegeskorte2008")["stimuli"]
