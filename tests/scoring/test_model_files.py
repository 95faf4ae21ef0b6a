"""Network files from other frameworks (issue 33): ONNX through onnx2torch, TFLite through ai-edge-litert.

The ONNX file is exported here from a small torch network with a residual branch; every layer the
converted module records must equal onnxruntime's output of the same node. The TFLite files are the six
trained Coral networks in ../shared/data/coral_tflite (real 8-bit models)."""
import os
import subprocess
import sys

import numpy as np
import pytest

from mousescore import MousescoreError
from mousescore.scoring.model_files import load_model_file, model_file_id, tflite_layers

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx2torch")

CORAL = {   # file -> (layers recorded, input side): the layer list is fixed by the file
    "mobilenet_v2_1.0_224_quant.tflite": (66, 224),
    "tf2_mobilenet_v2_1.0_224_ptq.tflite": (68, 224),
    "mobilenet_v2_1.0_224_inat_bird_quant.tflite": (65, 224),
    "deeplabv3_mnv2_pascal_quant.tflite": (72, 513),
    "deeplabv3_mnv2_dm05_pascal_quant.tflite": (72, 513),
    "mobilenet_v1_0.25_128_quant.tflite": (31, 128),
}


class Residual(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.BatchNorm2d(8),
                                        torch.nn.ReLU())
        self.branch = torch.nn.Sequential(torch.nn.Conv2d(8, 8, 3, padding=1), torch.nn.ReLU())
        self.head = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 5))

    def forward(self, x):
        x = self.stem(x)
        return self.head(x + self.branch(x))


class ChannelsLastBytes(Residual):
    """Takes NHWC uint8 pixels, as a deployment export does."""

    def forward(self, x):
        return super().forward(x.permute(0, 3, 1, 2).float() / 255.0)


def _export(module, example, path, free_batch=True):
    torch.manual_seed(0)
    module.eval()
    with torch.no_grad():
        for parameter in module.parameters():     # away from the defaults: batch norm statistics too
            parameter.add_(0.1 * torch.randn_like(parameter))
        module.stem[1].running_mean.uniform_(-0.5, 0.5)
        module.stem[1].running_var.uniform_(0.5, 2.0)
    torch.onnx.export(module, example, str(path), input_names=["image"], opset_version=17, dynamo=False,
                      dynamic_axes={"image": {0: "batch"}} if free_batch else None)
    return path


@pytest.fixture(scope="module")
def onnx_file(tmp_path_factory):
    torch.manual_seed(1)
    return _export(Residual(), torch.rand(1, 3, 40, 40), tmp_path_factory.mktemp("onnx") / "residual.onnx")


def _every_node_output(path):
    """onnxruntime's output of every node of the graph, by node (execution order), on one input."""
    graph = onnx.load(str(path))
    names = [node.output[0] for node in graph.graph.node]
    known = {output.name for output in graph.graph.output}
    graph.graph.output.extend(onnx.helper.make_empty_tensor_value_info(n) for n in names if n not in known)
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    return session, [node.name for node in graph.graph.node], names


def test_every_layer_of_a_converted_onnx_file_equals_onnxruntimes_output_of_its_node(onnx_file):
    loaded = load_model_file(onnx_file)
    images = np.random.default_rng(0).random((3, 57, 61, 3))
    batch = loaded.preprocess(images)
    assert batch.shape == (3, 3, 40, 40) and batch.dtype == np.float32
    recorded = {}
    modules = {name: m for name, m in loaded.module.named_modules() if name and not any(m.children())}
    hooks = [m.register_forward_hook(lambda _m, _i, out, name=name: recorded.__setitem__(name, out.detach().numpy()))
             for name, m in modules.items()]
    with torch.no_grad():
        loaded.module(torch.as_tensor(batch))
    for hook in hooks:
        hook.remove()
    session, node_names, outputs = _every_node_output(onnx_file)
    reference = dict(zip(outputs, session.run(outputs, {"image": batch})))
    modules = [name.lstrip("/").replace(".", "/") for name in node_names]    # onnx2torch's module names
    assert list(recorded) == modules      # every node a layer, in execution order
    worst = max(float(np.abs(recorded[name] - reference[out]).max() / (np.abs(reference[out]).max() + 1e-12))
                for name, out in zip(modules, outputs))
    print(f"\nonnx2torch vs onnxruntime, {len(outputs)} layers: largest difference {worst:.1e} of the layer's scale")
    assert worst < 1e-5


def test_the_input_format_is_read_from_the_file_and_can_be_overridden(onnx_file, tmp_path):
    loaded = load_model_file(onnx_file)
    described = loaded.provenance["input"]
    assert described == {"size": [40, 40], "layout": "NCHW", "dtype": "float32", "channels": 3,
                         "channel_order": "RGB", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
    assert model_file_id(onnx_file) == f"residual-{loaded.provenance['weights_sha256'][:10]}"
    other = load_model_file(onnx_file, input_size=48, mean=[0.5], std=[0.25], channel_order="bgr")
    images = np.random.default_rng(1).random((2, 30, 30, 3))
    batch = other.preprocess(images)
    assert batch.shape == (2, 3, 48, 48) and other.provenance["input"]["channel_order"] == "BGR"
    flipped = load_model_file(onnx_file, input_size=48, mean=[0.5], std=[0.25]).preprocess(images[..., ::-1])
    np.testing.assert_allclose(batch, flipped, atol=1e-6)
    pixels = torch.randint(0, 255, (1, 36, 36, 3), dtype=torch.uint8)
    nhwc = _export(ChannelsLastBytes(), pixels, tmp_path / "bytes.onnx")
    loaded = load_model_file(nhwc)
    assert loaded.provenance["input"] == {"size": [36, 36], "layout": "NHWC", "dtype": "uint8", "channels": 3,
                                          "channel_order": "RGB"}
    batch = loaded.preprocess(np.ones((1, 10, 10, 3)))
    assert batch.shape == (1, 36, 36, 3) and batch.dtype == np.uint8 and (batch == 255).all()


def test_a_file_that_fixes_its_batch_at_one_is_fed_one_image_at_a_time(tmp_path, onnx_file):
    from mousescore.extraction.extract import extract
    from mousescore.numerics import reductions
    from mousescore.testing import probe_stimuli
    fixed = load_model_file(_export(Residual(), torch.rand(1, 3, 40, 40), tmp_path / "fixed.onnx", free_batch=False))
    assert fixed.max_batch_size == 1 and load_model_file(onnx_file).max_batch_size is None
    stimuli = probe_stimuli(n=3)
    key = reductions.correlation()
    one_at_a_time = extract(fixed, stimuli, {key}, batch_size=64, progress=False)
    free = extract(load_model_file(tmp_path / "fixed.onnx"), stimuli, {key}, batch_size=1, progress=False)
    assert one_at_a_time.layers == free.layers
    for layer in free.layers:
        np.testing.assert_allclose(one_at_a_time.reduced[layer][key], free.reduced[layer][key], atol=1e-6)


def test_bad_network_files_are_clear_errors(tmp_path, onnx_file):
    with pytest.raises(MousescoreError, match="no such file"):
        load_model_file(tmp_path / "absent.onnx")
    (tmp_path / "broken.onnx").write_bytes(b"\x08\x07not a protobuf at all")
    with pytest.raises(MousescoreError, match="not a readable ONNX model"):
        load_model_file(tmp_path / "broken.onnx")
    (tmp_path / "broken.tflite").write_bytes(b"not a flatbuffer")
    with pytest.raises(MousescoreError, match="not a readable TFLite model"):
        load_model_file(tmp_path / "broken.tflite")
    with pytest.raises(MousescoreError, match="channel order must be RGB or BGR"):
        load_model_file(onnx_file, channel_order="GBR")
    with pytest.raises(MousescoreError, match="mean and std need 1 or 3 values"):
        load_model_file(onnx_file, mean=[0.1, 0.2])


def test_an_onnx_file_is_scored_from_python_and_its_features_are_cached_by_its_sha256(onnx_file, real_data,
                                                                                      fresh_home):
    from mousescore import score
    messages = []
    first = score(str(onnx_file), "antolik2016.V1-rsa", log=messages.append, progress=False)
    again = score(str(onnx_file), "antolik2016.V1-rsa", log=messages.append, progress=False)
    assert first[0].model == model_file_id(onnx_file) == again[0].model
    assert first[0].value == again[0].value and np.isfinite(first[0].value)
    assert sum("from the feature cache" in m for m in messages) == 1
    assert first[0].provenance["model_provenance"]["weights_sha256"].startswith(first[0].model.split("-")[-1])


@pytest.mark.parametrize("name", sorted(CORAL))
def test_each_coral_tflite_file_has_a_fixed_layer_list_and_finite_dequantized_activations(name, real_data):
    path = real_data / "coral_tflite" / name
    loaded = load_model_file(path)
    layers, side = CORAL[name]
    assert loaded.provenance["input"] == {"size": [side, side], "layout": "NHWC", "dtype": "uint8", "channels": 3,
                                          "channel_order": "RGB"}
    assert len(loaded.function.layers) == layers
    assert list(loaded.function.layers) == list(tflite_layers(load_model_file(path).function.interpreter))
    out = loaded.function(np.random.default_rng(0).random((1, 40, 40, 3)))
    assert list(out) == list(loaded.function.layers)
    assert all(v.dtype == np.float32 and v.shape[0] == 1 and np.isfinite(v).all() for v in out.values())
    interpreter = loaded.function.interpreter            # the last image's tensors are still there
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    for name, index in loaded.function.layers.items():   # scale · (code − zero point), not the 8-bit codes
        scale, zero = tensors[index]["quantization"]
        codes = interpreter.get_tensor(index).astype(np.float32)
        expected = codes if scale == 0 else (codes - zero) * scale
        np.testing.assert_allclose(out[name][0], expected.reshape(-1), rtol=1e-6, err_msg=name)
    assert any(not np.array_equal(v, np.round(v)) for v in out.values())


def test_the_command_line_scores_a_tflite_file_and_refuses_input_options_for_a_registered_model(real_data):
    path = real_data / "coral_tflite" / "mobilenet_v1_0.25_128_quant.tflite"
    env = dict(os.environ, MOUSESCORE_DATA_PATH=str(real_data))
    run = subprocess.run([sys.executable, "-m", "mousescore.cli", "score", str(path), "antolik2016.V1-rsa",
                          "--no-progress"], capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    header, row = run.stdout.splitlines()[:2]
    assert header.split()[:4] == ["model", "benchmark", "metric", "score"] and " antolik2016.V1-rsa " in row
    refused = subprocess.run([sys.executable, "-m", "mousescore.cli", "score", "alexnet-random", "allen.VISp-rsa",
                              "--input-size", "128"], capture_output=True, text=True, env=env, timeout=300)
    assert refused.returncode == 2 and "--input-size applies to a network file" in refused.stderr


def test_a_tflite_files_features_are_cached_by_its_sha256_and_input_format(real_data, fresh_home):
    from mousescore import score
    path = real_data / "coral_tflite" / "mobilenet_v1_0.25_128_quant.tflite"
    messages = []
    first = score(str(path), "antolik2016.V1-rsa", log=messages.append, progress=False)
    again = score(str(path), "antolik2016.V1-rsa", log=messages.append, progress=False)
    other = score(str(path), "antolik2016.V1-rsa", input_size=160, log=messages.append, progress=False)
    extractions = [m for m in messages if m.startswith("extraction")]
    assert extractions[1].endswith("from the feature cache, shared by 1 benchmark(s)")
    assert sum("from the feature cache" in m for m in messages) == 1      # another input size: extracted anew
    assert first[0].value == again[0].value != other[0].value
