"""mousescore.stimulus_sampler: the data card's thumbnails are the dataset's own stimuli, evenly spaced."""
import numpy as np

import mousescore


def test_the_sampler_takes_evenly_spaced_stimuli_of_the_packaged_dataset():
    stimuli = np.asarray(mousescore.load_dataset("kriegeskorte2008")["stimuli"].values)
    sampled = mousescore.stimulus_sampler("kriegeskorte2008")(3)
    assert sampled.shape == (3, *stimuli.shape[1:])
    np.testing.assert_array_equal(sampled, stimuli[[0, 46, 91]])   # 92 images: first, middle, last
    assert sampled.min() >= 0.0 and sampled.max() <= 1.0


def test_each_built_in_dataset_plugin_samples_its_own_stimuli():
    registry = mousescore.get_registry()
    for dataset in ("allen", "antolik2016", "cowley2023", "kriegeskorte2008"):
        sampled = registry.get("dataset", dataset).metadata["sample_images"](2)
        stimuli = np.asarray(mousescore.load_dataset(dataset)["stimuli"].values)
        np.testing.assert_array_equal(sampled, stimuli[[0, len(stimuli) - 1]])   # its own first and last
