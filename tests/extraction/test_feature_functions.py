"""A feature function's layers are reduced batch by batch (whole-set rows spilled), and its batch
shrinks to fit the memory available: the numbers equal those of the whole set at once."""
import numpy as np
import pytest

from mousescore import StimulusSet
from mousescore.extraction import functions
from mousescore.extraction.functions import FeatureFunction, extract_function
from mousescore.numerics import reductions
from mousescore.numerics.reductions import reduce_all

KEYS = (reductions.centered_gram(), reductions.correlation(), reductions.srp(16, 0), reductions.srp_gram(16, 0))


def _stimuli(n=23):
    rng = np.random.default_rng(5)
    return StimulusSet.create(rng.random((n, 6, 6, 3)), [f"s{i}" for i in range(n)], attrs={"identifier": "ff"})


class Recording:
    """images -> two layers, remembering how many images each call got."""

    def __init__(self):
        self.calls = []

    def __call__(self, images):
        self.calls.append(len(images))
        flat = images.reshape(len(images), -1)
        return {"small": flat[:, :10] * 3.0, "wide": np.tanh(np.repeat(flat, 20, axis=1))}


def _whole(stimuli):
    rows = Recording()(stimuli.values)
    return {layer: {key: reduce_all(key, np.asarray(values, dtype=np.float32)) for key in KEYS}
            for layer, values in rows.items()}


@pytest.mark.parametrize("batch_size", [None, 5, 23])
def test_batches_and_the_spill_give_the_whole_sets_numbers(batch_size):
    stimuli = _stimuli()
    recording = Recording()
    features = extract_function(FeatureFunction(recording), stimuli, KEYS, batch_size=batch_size)
    expected = _whole(stimuli)
    assert features.layers == ["small", "wide"]
    for layer in features.layers:
        for key in KEYS:
            assert np.allclose(features.reduced[layer][key], expected[layer][key], rtol=1e-5, atol=1e-6), (layer, key)
    if batch_size == 5:     # one image first: the layers' sizes say whether their spill fits the disk
        assert recording.calls == [1, 5, 5, 5, 5, 3]
    told = []      # the progress a run's report shows: every image once, with the layers returned
    extract_function(FeatureFunction(Recording()), stimuli, KEYS, batch_size=batch_size,
                     on_batch=lambda images, layers: told.append((images, layers)))
    assert sum(images for images, _ in told) == 23 and {layers for _, layers in told} == {2}


def test_the_batch_shrinks_to_the_memory_available(monkeypatch):
    stimuli = _stimuli()
    recording = Recording()
    per_image = 4 * 4 * (10 + 6 * 6 * 3 * 20)            # four float32 copies of one image's layers
    monkeypatch.setattr(functions, "available_bytes", lambda: 6 * per_image + 100)
    features = extract_function(FeatureFunction(recording), stimuli, KEYS)
    assert recording.calls == [1, 6, 6, 6, 5]             # the probe, then batches of six
    expected = _whole(stimuli)
    for key in KEYS:
        assert np.allclose(features.reduced["wide"][key], expected["wide"][key], rtol=1e-5, atol=1e-6)


def test_only_the_selected_layers_are_reduced():
    features = extract_function(FeatureFunction(Recording(), layers=["wide"]), _stimuli(), KEYS, batch_size=5)
    assert features.layers == ["wide"] and set(features.reduced) == {"wide"}


def _free_disk(monkeypatch, free):
    import collections
    monkeypatch.setattr(functions.shutil, "disk_usage", lambda path: collections.namedtuple("u", "free")(free))


def test_layers_whose_spill_does_not_fit_together_go_through_in_several_passes(monkeypatch):
    stimuli = _stimuli()
    wide, small = 23 * 4 * 6 * 6 * 3 * 20, 23 * 4 * 10      # their spills in bytes
    _free_disk(monkeypatch, int((wide + small / 2) / 0.9))  # room for the wide layer alone, not for both
    recording, told = Recording(), []
    features = extract_function(FeatureFunction(recording), stimuli, KEYS, batch_size=5,
                                on_batch=lambda images, layers: told.append((images, layers)))
    assert recording.calls == [1] + [5, 5, 5, 5, 3] * 2    # the probe, then one pass per group of layers
    assert told == [(5, 2), (5, 2), (5, 2), (5, 2), (3, 2)]   # progress: the images once, not per pass
    assert features.layers == ["small", "wide"]
    expected = _whole(stimuli)
    for layer in features.layers:
        for key in KEYS:
            assert np.allclose(features.reduced[layer][key], expected[layer][key], rtol=1e-5, atol=1e-6), (layer, key)


def test_a_layer_whose_spill_alone_does_not_fit_is_refused_before_extracting(monkeypatch):
    recording = Recording()
    per_image = 4 * 4 * (10 + 6 * 6 * 3 * 20)
    monkeypatch.setattr(functions, "available_bytes", lambda: 6 * per_image + 100)
    _free_disk(monkeypatch, 1000)
    with pytest.raises(functions.MousescoreError, match="layer 'small' .* spill about .* GiB .* free there"):
        extract_function(FeatureFunction(recording), _stimuli(), KEYS)
    assert recording.calls == [1]                          # the probe only: nothing extracted
    # row-wise reductions alone spill nothing
    extract_function(FeatureFunction(Recording()), _stimuli(), [reductions.srp(16, 0)])
