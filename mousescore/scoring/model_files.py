"""Networks exported to a file by any framework: ONNX (``.onnx``) and TensorFlow Lite (``.tflite``).

- ONNX is converted to torch by ``onnx2torch`` (``pip install 'mousescore[onnx]'``), so extraction, its
  hooks and memory bounds apply as to any torch module: every node of the graph is a leaf module, and its
  output a layer, in execution order.
- TFLite runs in ``ai-edge-litert``'s interpreter (``pip install 'mousescore[tflite]'``) with every tensor
  kept and without the default XNNPACK delegate, which fuses operations and hides their outputs: each
  operation's output is a layer, in execution order, dequantized with its tensor's scale and zero point
  (a quantized network's 8-bit codes are not its activations).

The input format comes from the file: its first input's shape gives the layout (NCHW or NHWC: the axis
of size 1 or 3 next to the batch, or last) and the image size, its type uint8 or float. A uint8 input
takes the pixels, 0–255 (a quantized network's input quantization holds its normalisation); a float input
is normalised with ``mean``/``std``: ImageNet's for ONNX (torch's exports), 0.5/0.5 for TFLite (TensorFlow's
[−1, 1]). Every choice can be overridden (``input_size``, ``mean``, ``std``, ``channel_order``), and all of
them are in the score's provenance. The file's sha256 names the model (``<file stem>-<sha256[:10]>``)
and keys the feature cache.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple, Union, cast

import numpy as np

from ..data.files import sha256_of
from ..errors import MousescoreError
from ..extraction.functions import FeatureFunction, select_layers
from ..registry.specs import LoadedModel

MODEL_FILE_SUFFIXES = (".onnx", ".tflite")
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
EXTRAS = {".onnx": "onnx", ".tflite": "tflite"}


@dataclass(frozen=True)
class InputFormat:
    """What a network file's input takes: size (height, width), layout, element type, channels and,
    for float inputs, the normalisation."""
    size: Tuple[int, int]
    layout: str                     # "NCHW" or "NHWC"
    dtype: str                      # "uint8" or "float32"
    channels: int = 3               # 1: the images in gray
    channel_order: str = "RGB"      # or "BGR" (Caffe's and OpenCV's)
    mean: Tuple[float, ...] = IMAGENET_MEAN
    std: Tuple[float, ...] = IMAGENET_STD

    def batch(self, images: np.ndarray) -> np.ndarray:
        """(n, h, w, c) floats in [0, 1] -> the network's input array."""
        import torch
        import torch.nn.functional as F
        x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).permute(0, 3, 1, 2)
        if x.shape[1] != self.channels:   # gray to colour, or colour to gray (ITU-R 601 luma)
            x = x.expand(-1, 3, -1, -1) if self.channels == 3 else \
                (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
        if tuple(x.shape[-2:]) != self.size:
            x = F.interpolate(x, size=self.size, mode="bilinear", align_corners=False, antialias=True)
        if self.channel_order == "BGR":
            x = x.flip(1)
        if self.dtype == "uint8":
            x = (x * 255).round().clamp(0, 255).to(torch.uint8)
        else:
            mean = torch.tensor(self.mean, dtype=torch.float32).view(1, -1, 1, 1)
            std = torch.tensor(self.std, dtype=torch.float32).view(1, -1, 1, 1)
            x = (x - mean) / std
        if self.layout == "NHWC":
            x = x.permute(0, 2, 3, 1)
        return x.contiguous().numpy()


def is_model_file(model: Any) -> bool:
    """Whether ``model`` names a network file (.onnx or .tflite; whether it exists is checked on loading)."""
    return isinstance(model, (str, Path)) and Path(model).suffix.lower() in MODEL_FILE_SUFFIXES


def model_file_id(path: Union[str, Path]) -> str:
    """The name a network file's scores carry: its stem and the start of its sha256."""
    path = Path(path)
    return f"{path.stem}-{sha256_of(path)[:10]}"


def load_model_file(path: Union[str, Path], input_size: Optional[Union[int, Sequence[int]]] = None,
                    mean: Optional[Sequence[float]] = None, std: Optional[Sequence[float]] = None,
                    channel_order: Optional[str] = None,
                    layers: Optional[Sequence[str]] = None) -> Union[LoadedModel, FeatureFunction]:
    """A network file ready for extraction: a :class:`LoadedModel` (ONNX, converted to torch) or a
    :class:`FeatureFunction` (TFLite), with the file's sha256 and its input format in the provenance.
    ``layers``: names or globs of the layers to record (default: every one); a TFLite network then
    copies out only those."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MODEL_FILE_SUFFIXES:
        raise MousescoreError(f"{path}: not a network file mousescore reads ({', '.join(MODEL_FILE_SUFFIXES)})")
    if not path.is_file():
        raise MousescoreError(f"{path}: no such file")
    overrides = {"input_size": input_size, "mean": mean, "std": std, "channel_order": channel_order}
    loader = _load_onnx if suffix == ".onnx" else _load_tflite
    return loader(path, overrides, sha256_of(path), layers)


def _need(module: str, suffix: str):
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MousescoreError(f"reading {suffix} files needs {module.split('.')[0]}: "
                              f"pip install 'mousescore[{EXTRAS[suffix]}]'") from None


def _input_format(shape: Sequence[Optional[int]], dtype: str, defaults: Dict[str, Any],
                  overrides: Dict[str, Any], where: str) -> InputFormat:
    """The format from the input's shape (None for a free dimension) and type, then the overrides."""
    if len(shape) != 4:
        raise MousescoreError(f"{where}: its input has shape {list(shape)}; an image input is 4-d (NCHW or NHWC)")
    if shape[1] in (1, 3) and shape[3] not in (1, 3):
        layout, channels, size = "NCHW", shape[1], (shape[2], shape[3])
    elif shape[3] in (1, 3):
        layout, channels, size = "NHWC", shape[3], (shape[1], shape[2])
    else:
        raise MousescoreError(f"{where}: its input shape {list(shape)} has no axis of 1 or 3 channels")
    if dtype not in ("uint8", "float32"):
        raise MousescoreError(f"{where}: its input is {dtype}; mousescore feeds uint8 or float32 images")
    chosen = dict(defaults)
    chosen.update({k: v for k, v in overrides.items() if v is not None})
    requested = chosen.pop("input_size", None)
    if requested is not None:
        size = (requested, requested) if np.ndim(requested) == 0 else tuple(requested)
    if any(not isinstance(side, (int, np.integer)) or side <= 0 for side in size):
        raise MousescoreError(f"{where}: the file does not fix its input size ({list(shape)}): give input_size "
                              f"(--input-size)")
    order = str(chosen.get("channel_order", "RGB")).upper()
    if order not in ("RGB", "BGR"):
        raise MousescoreError(f"channel order must be RGB or BGR, not {chosen['channel_order']!r}")
    mean, std = tuple(map(float, chosen["mean"])), tuple(map(float, chosen["std"]))
    if len(mean) not in (1, channels) or len(std) not in (1, channels) or min(std) <= 0:
        raise MousescoreError(f"mean and std need 1 or {channels} values, std positive: got {mean}, {std}")
    fixed = cast(Tuple[int, int], size)        # both sides checked to be positive integers above
    return InputFormat(size=(int(fixed[0]), int(fixed[1])), layout=layout, dtype=dtype, channels=int(channels),
                       channel_order=order, mean=mean, std=std)


def _provenance(path: Path, digest: str, fmt: InputFormat, framework: str) -> Dict[str, Any]:
    described = {key: (list(value) if isinstance(value, tuple) else value) for key, value in asdict(fmt).items()}
    if fmt.dtype == "uint8":
        described.pop("mean"), described.pop("std")      # pixels 0-255: no normalisation applied
    return {"weights": f"{path.name} ({framework})", "weights_file": path.name, "weights_sha256": digest,
            "framework": framework, "input": described}


# --------------------------------------------------------------------------------------------------
# ONNX
# --------------------------------------------------------------------------------------------------
_ONNX_TYPES = {1: "float32", 2: "uint8"}


def _load_onnx(path: Path, overrides: Dict[str, Any], digest: str, layers: Optional[Sequence[str]]) -> LoadedModel:
    onnx = _need("onnx", ".onnx")
    onnx2torch = _need("onnx2torch", ".onnx")
    try:
        graph = onnx.load(str(path))
    except Exception as error:   # protobuf's DecodeError and friends: a damaged or foreign file
        raise MousescoreError(f"{path}: not a readable ONNX model ({type(error).__name__}: {error})") from None
    initialisers = {init.name for init in graph.graph.initializer}
    inputs = [i for i in graph.graph.input if i.name not in initialisers]
    if len(inputs) != 1:
        raise MousescoreError(f"{path}: the graph takes {len(inputs)} inputs; mousescore feeds one image batch")
    tensor_type = inputs[0].type.tensor_type
    shape = [d.dim_value if d.HasField("dim_value") else None for d in tensor_type.shape.dim]
    dtype = _ONNX_TYPES.get(tensor_type.elem_type, onnx.TensorProto.DataType.Name(tensor_type.elem_type).lower())
    fmt = _input_format(shape, dtype, {"mean": IMAGENET_MEAN, "std": IMAGENET_STD}, overrides, str(path))
    try:
        module = onnx2torch.convert(graph)
    except Exception as error:   # an operator onnx2torch does not convert
        raise MousescoreError(f"{path}: onnx2torch cannot convert it ({type(error).__name__}: {error})") from None
    return LoadedModel(module=module.eval(), input_size=fmt.size[0], mean=fmt.mean if len(fmt.mean) == 3 else
                       IMAGENET_MEAN, std=fmt.std if len(fmt.std) == 3 else IMAGENET_STD,
                       provenance=_provenance(path, digest, fmt, f"onnx (opset {graph.opset_import[0].version}) "
                                                                 f"via onnx2torch"),
                       preprocess=fmt.batch, max_batch_size=_fixed_batch(tensor_type), layers=layers)


def _fixed_batch(tensor_type) -> Optional[int]:
    """The batch the file fixes (exports often fix it at 1, and a reshape inside may rely on it: fed more
    images, the converted network would fail or mix them), or None where it is free."""
    first = tensor_type.shape.dim[0]
    return first.dim_value if first.HasField("dim_value") and first.dim_value > 0 else None


# --------------------------------------------------------------------------------------------------
# TensorFlow Lite
# --------------------------------------------------------------------------------------------------
def _load_tflite(path: Path, overrides: Dict[str, Any], digest: str,
                 layers: Optional[Sequence[str]]) -> FeatureFunction:
    litert = _need("ai_edge_litert.interpreter", ".tflite")
    interpreter = _interpreter(litert, path)
    details = interpreter.get_input_details()
    if len(details) != 1:
        raise MousescoreError(f"{path}: the network takes {len(details)} inputs; mousescore feeds one image batch")
    dtype = np.dtype(details[0]["dtype"]).name
    fmt = _input_format([int(v) for v in details[0]["shape"]], dtype, {"mean": (0.5,), "std": (0.5,)},
                        overrides, str(path))
    if tuple(details[0]["shape"][1:3]) != fmt.size:      # another input size asked for
        try:
            interpreter.resize_tensor_input(details[0]["index"], [1, *fmt.size, fmt.channels])
            interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as error:
            raise MousescoreError(f"{path}: cannot take {fmt.size[0]}x{fmt.size[1]} images ({error})") from None
    run = _TFLiteRun(path, fmt, interpreter, layers)
    return FeatureFunction(function=run, provenance=_provenance(path, digest, fmt, "tflite via ai-edge-litert"),
                           digest=f"tflite {digest} {fmt}" + (f" layers {list(run.layers)}" if layers else ""))


def _interpreter(litert, path: Path):
    import warnings
    with warnings.catch_warnings():     # "preserve_all_tensors is for debugging": keeping them is the point
        warnings.simplefilter("ignore", UserWarning)
        try:
            interpreter = litert.Interpreter(
                model_path=str(path), num_threads=1, experimental_preserve_all_tensors=True,
                experimental_op_resolver_type=litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
            interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as error:
            raise MousescoreError(f"{path}: not a readable TFLite model ({error})") from None
    return interpreter


def tflite_layers(interpreter) -> Dict[str, int]:
    """Layer name -> tensor index: each operation's first output, in execution order, named by its
    tensor (the part before any ';' of fused names), a repeated name numbered as torch's repeated calls
    are (``name#2``)."""
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    layers: Dict[str, int] = {}
    for op in interpreter._get_ops_details():
        outputs = [o for o in op["outputs"] if o >= 0]
        if not outputs or np.dtype(tensors[outputs[0]]["dtype"]).kind not in "uif":
            continue
        name = tensors[outputs[0]]["name"].split(";")[0] or f"{op['op_name'].lower()}_{op['index']}"
        unique, count = name, 1
        while unique in layers:
            count += 1
            unique = f"{name}#{count}"
        layers[unique] = outputs[0]
    return layers


class _TFLiteRun:
    """images -> {layer: dequantized activations}, one image at a time (the interpreter's input has a
    fixed batch of 1)."""

    def __init__(self, path: Path, fmt: InputFormat, interpreter, layers: Optional[Sequence[str]] = None):
        self.path, self.fmt, self.interpreter = path, fmt, interpreter
        every = tflite_layers(interpreter)
        self.layers = {name: every[name] for name in select_layers(list(every), layers, str(path))}
        self.__name__ = path.stem
        self._tensors = {t["index"]: t for t in interpreter.get_tensor_details()}   # once, not per batch
        self._entry = interpreter.get_input_details()[0]["index"]

    def __call__(self, images: np.ndarray) -> Dict[str, np.ndarray]:
        interpreter, tensors, entry = self.interpreter, self._tensors, self._entry
        rows: Dict[str, list] = {name: [] for name in self.layers}
        for image in self.fmt.batch(images):
            interpreter.set_tensor(entry, image[None])
            interpreter.invoke()
            for name, index in self.layers.items():
                rows[name].append(_dequantized(interpreter.get_tensor(index), tensors[index]).reshape(-1))
        return {name: np.stack(values) for name, values in rows.items()}


def _dequantized(values: np.ndarray, tensor: Dict[str, Any]) -> np.ndarray:
    """scale · (q − zero point) for a quantized tensor (per channel where it has several scales)."""
    parameters = tensor.get("quantization_parameters") or {}
    scales = np.asarray(parameters.get("scales", []), dtype=np.float32)
    if not scales.size or values.dtype.kind == "f":
        return values.astype(np.float32, copy=False)
    zeros = np.asarray(parameters.get("zero_points", np.zeros_like(scales)), dtype=np.float32)
    if scales.size > 1:       # per channel along the quantized dimension
        shape = [1] * values.ndim
        shape[parameters.get("quantized_dimension", 0)] = scales.size
        scales, zeros = scales.reshape(shape), zeros.reshape(shape)
    return (values.astype(np.float32) - zeros) * scales

