import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from mousescore.data.assemblies import StimulusSet
from mousescore.extraction.extract import extract, preprocess
from mousescore.numerics import reductions
from mousescore.numerics.projection import project
from mousescore.numerics.ridge import centered_gram, gram_of
from mousescore.numerics.rsa import correlation_matrix
from mousescore.registry.specs import LoadedModel

SRP = reductions.srp(32, 0)
GRAM = reductions.centered_gram()
CORR = reductions.correlation()


class SharedReLU(nn.Module):
    """A block that calls one in-place ReLU twice, like torchvision's ResNet blocks."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, stride=2)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(4, 4, 3)
        self.drop = nn.Dropout(0.5)
        self.head = nn.Linear(4, 5)

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x) - 0.1)
        return self.head(self.drop(x.mean(dim=(2, 3))))


def _loaded():
    torch.manual_seed(0)
    return LoadedModel(SharedReLU().eval(), input_size=16, mean=(0.5,) * 3, std=(0.5,) * 3,
                       provenance={"seed": 0})


def _stimuli(n=10, channels=1):
    images = np.random.default_rng(0).random((n, 12, 12, channels))
    return StimulusSet.create(images, [f"s{i}" for i in range(n)], attrs={"identifier": "t"})


def _reference_activations(loaded, stimuli):
    outputs = {}
    model = loaded.module
    x = preprocess(stimuli.values, loaded)
    with torch.no_grad():
        outputs["conv1"] = model.conv1(x)
        outputs["relu"] = torch.relu(outputs["conv1"])
        outputs["conv2"] = model.conv2(outputs["relu"])
        outputs["relu#2"] = torch.relu(outputs["conv2"] - 0.1)
        outputs["head"] = model.head(outputs["relu#2"].mean(dim=(2, 3)))
    return {k: v.reshape(len(x), -1).numpy() for k, v in outputs.items()}


def test_layers_in_execution_order_with_repeated_calls_and_identities_skipped():
    features = extract(_loaded(), _stimuli(), {SRP}, progress=False)
    assert features.layers == ["conv1", "relu", "conv2", "relu#2", "head"]
    assert features.relative_depth("conv1") == 0 and features.relative_depth("head") == 1
    assert features.relative_depth("conv2") == 0.5


def test_reductions_equal_those_of_the_full_activations_despite_in_place_ops():
    loaded, stimuli = _loaded(), _stimuli()
    reference = _reference_activations(loaded, stimuli)
    features = extract(loaded, stimuli, {SRP, GRAM, CORR}, progress=False)
    for layer, activations in reference.items():
        np.testing.assert_allclose(features.reduced[layer][SRP], project(activations, 32, 0), atol=1e-5)
        np.testing.assert_allclose(gram_of(features.reduced[layer][GRAM]), centered_gram(activations), atol=1e-5)
        np.testing.assert_allclose(features.reduced[layer][CORR], correlation_matrix(activations), atol=1e-6)


def test_batches_give_the_same_reductions_as_one_batch():
    loaded, stimuli = _loaded(), _stimuli(n=11)
    whole = extract(loaded, stimuli, {SRP, GRAM, CORR}, progress=False)
    batched = extract(loaded, stimuli, {SRP, GRAM, CORR}, batch_size=4, progress=False)
    assert batched.layers == whole.layers
    for layer in whole.layers:
        for key in (SRP, GRAM, CORR):
            np.testing.assert_allclose(batched.reduced[layer][key], whole.reduced[layer][key], atol=1e-5)


def test_preprocess_grayscale_to_three_channels_resized_and_normalised():
    loaded = _loaded()
    batch = preprocess(np.full((2, 5, 7, 1), 0.75, dtype=np.float32), loaded)
    assert tuple(batch.shape) == (2, 3, 16, 16)
    np.testing.assert_allclose(batch.numpy(), (0.75 - 0.5) / 0.5, atol=1e-6)


def test_a_channels_last_layer_is_flattened_in_channel_order():
    """Colour images permuted from (n, h, w, c) run a network channels-last; its layers are flattened
    through a reused buffer, in the same (channel, height, width) order as a contiguous layer."""
    images = np.random.default_rng(0).random((5, 12, 12, 3))
    stimuli = StimulusSet.create(images, [f"s{i}" for i in range(5)], attrs={"identifier": "colour"})
    loaded = _loaded()
    assert preprocess(stimuli.values, loaded).is_contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        conv1 = loaded.module.conv1(preprocess(stimuli.values, loaded).contiguous()).reshape(5, -1).numpy()
    features = extract(loaded, stimuli, {SRP, CORR}, batch_size=2, progress=False)
    np.testing.assert_allclose(features.reduced["conv1"][SRP], project(conv1, 32, 0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(features.reduced["conv1"][CORR], correlation_matrix(conv1), atol=1e-6)


def test_huge_but_finite_activations_are_kept_and_nan_ones_left_out():
    class Huge(nn.Module):   # finite values whose float32 row sums overflow
        def forward(self, x):
            return torch.full_like(x, 3e38)

    class NotANumber(nn.Module):
        def forward(self, x):
            return x * float("nan")

    model = nn.Sequential(nn.Conv2d(3, 2, 3), Huge(), NotANumber(), nn.Flatten()).eval()
    loaded = LoadedModel(model, input_size=16, mean=(0.5,) * 3, std=(0.5,) * 3, provenance={"seed": 0})
    features = extract(loaded, _stimuli(4), {GRAM}, progress=False)
    assert features.layers == ["0", "1", "2", "3"] and features.nonfinite == {"2", "3"}
    np.testing.assert_array_equal(features.reduced["1"][GRAM], np.zeros((4, 4)))


def test_a_failing_forward_pass_is_a_clear_error():
    from mousescore.errors import MousescoreError
    loaded = _loaded()
    loaded.module.head = nn.Linear(7, 5)   # wrong width: the forward pass fails at the last layer
    with pytest.raises(MousescoreError, match="forward pass failed"):
        extract(loaded, _stimuli(), {SRP}, progress=False)


def test_listing_models_imports_no_network_library():
    code = ("import sys; from mousescore.cli import main; main(['list', 'models']); "
            "assert not {'torch', 'torchvision', 'timm'} & set(sys.modules), 'imported torch'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "alexnet-random" in result.stdout


def test_memory_probe_counts_every_layer_call():
    from mousescore.extraction.memory_budget import estimate_bytes, probe_forward, spill_bytes
    probe = probe_forward(_loaded(), _stimuli())
    widths = probe.widths
    assert widths == [4 * 7 * 7, 4 * 7 * 7, 4 * 5 * 5, 4 * 5 * 5, 5]   # relu counted twice
    assert estimate_bytes(probe, 10, 10, [GRAM]) > 0
    # Whole-set reductions over several batches spill every layer's rows to disk, projections never.
    assert spill_bytes(probe, 10, 2, [GRAM, SRP]) == 10 * sum(widths) * 4
    assert spill_bytes(probe, 10, 2, [SRP]) == spill_bytes(probe, 10, 10, [GRAM]) == 0


class HiddenBranches(nn.Module):
    """One recorded layer whose output is small, after two large intermediates that no layer shows."""
    def forward(self, x):
        wide = x.repeat(1, 50, 1, 1)   # 50x the input: 1 x 150 x 16 x 16 float32
        doubled = wide * 2
        return doubled.mean(dim=1, keepdim=True)


def test_memory_probe_measures_the_working_set_the_layer_widths_miss():
    from mousescore.extraction import memory_budget as memory
    loaded = LoadedModel(nn.Sequential(HiddenBranches()).eval(), input_size=16, mean=(0.5,) * 3, std=(0.5,) * 3,
                         provenance={"seed": 0})
    probe = memory.probe_forward(loaded, _stimuli())
    intermediate = 150 * 16 * 16 * 4
    assert probe.widths == [16 * 16]
    # both intermediates and the output are alive at once; the preprocessed input is not the model's
    assert probe.working_bytes == 2 * intermediate + 16 * 16 * 4
    reduced = memory.estimate_bytes(probe, 10, 10, [SRP]) - memory.estimate_bytes(
        memory.ForwardProbe(widths=probe.widths), 10, 10, [SRP])
    assert reduced == 10 * (probe.working_bytes - 16 * 16 * 4)   # per image, less the widest output


def test_spilled_rows_read_back_column_chunks_exactly(tmp_path, monkeypatch):
    from mousescore.extraction.spill import Spill
    monkeypatch.setenv("MOUSESCORE_HOME", str(tmp_path))
    rows = np.random.default_rng(3).random((7, 50)).astype(np.float32)
    spill = Spill()
    spill.append("layer", rows[:3])
    spill.append("layer", rows[3:])
    stored = spill.read("layer")
    assert stored.shape == (7, 50)
    np.testing.assert_array_equal(stored[:, 10:23], rows[:, 10:23])
    np.testing.assert_array_equal(stored[:, 40:999], rows[:, 40:])
    np.testing.assert_array_equal(np.asarray(stored, dtype=np.float64), rows.astype(np.float64))
    np.testing.assert_allclose(correlation_matrix(stored), correlation_matrix(rows), atol=1e-12)
    with pytest.raises(IndexError):
        stored[2:4, :5]
    spill.close()
    assert not spill.directory.exists()


def test_memory_binding_halves_the_default_batch_and_an_explicit_one_still_fails(monkeypatch):
    from mousescore.errors import MousescoreError
    from mousescore.extraction import memory_budget as memory
    loaded, stimuli = _loaded(), _stimuli(n=64)
    probe = memory.probe_forward(loaded, stimuli)
    budget = memory.estimate_bytes(probe, 64, 20, [GRAM]) / 0.9   # batch 16 fits, 32 does not
    monkeypatch.setattr(memory, "available_bytes", lambda: budget)
    assert memory.check_memory(loaded, stimuli, [GRAM], None, "m") == 16
    assert memory.check_memory(loaded, stimuli, [GRAM], 8, "m") == 8
    with pytest.raises(MousescoreError, match="needs about .* GiB with a batch of 64, more than the "
                                              ".* GiB it may take .90% of the .* available now.: "
                                              "use a smaller --batch-size"):
        memory.check_memory(loaded, stimuli, [GRAM], 64, "m")
    monkeypatch.setattr(memory, "available_bytes", lambda: 1.0)
    # halved down to one image and still too big: a smaller batch is not offered as the way out
    with pytest.raises(MousescoreError, match="with a batch of 1, .*now.: score fewer benchmarks") as error:
        memory.check_memory(loaded, stimuli, [GRAM], None, "m")
    assert "--batch-size" not in str(error.value)
