"""Self-supervised networks of the VISSL model zoo (Conwell et al. 2021, §2.4), each trained and
random-init: 14 ResNet-50s (``resnet50_<method>[_in22k]``) and 2 ViTs (``vit_small_dino``,
``vit_base_moco_v3``); the table, the identifier scheme and the URLs are in :mod:`.zoo`, the checksum
policy and the networks in :mod:`.build`, the checkpoint key conversion in :mod:`.convert`.

Listing imports neither torch, torchvision nor timm; :mod:`.build` is imported only when a model is built
or its checkpoint looked for (``list models --available``), and imports none of them at the top.
"""
from mousescore import hookimpl, trained_and_random

from .zoo import ARCHITECTURE_CLASS, INPUT_SIZE, PARAMETERS, ZOO

SEED = 0
DISPLAY = {"resnet50": "ResNet50", "vit_small_patch16_224": "ViT-S/16",
           "vit_base_patch16_224": "ViT-B/16"}


def _build(identifier: str):
    def build(trained: bool, seed: int):
        from .build import build as build_model
        return build_model(identifier, trained, seed)
    return build


def _locate(identifier: str):
    def locate():
        from .build import locate as locate_checkpoint  # imports no torch
        return locate_checkpoint(identifier)
    return locate


@hookimpl
def mousescore_models():
    specs = []
    for entry in ZOO:
        metadata = {"family": "vissl", "source": "VISSL model zoo", "architecture": entry.architecture,
                    "architecture_class": ARCHITECTURE_CLASS[entry.architecture],
                    "task_cluster": "Self-Supervised", "method": entry.method,
                    "display_name": f"{DISPLAY[entry.architecture]}-{entry.method.replace(' ', '')}"
                                    + ("-IN22K" if entry.data != "ImageNet-1k" else ""),
                    "training_data": "imagenet22k" if entry.data == "ImageNet-22k" else "imagenet",
                    "input_size": INPUT_SIZE, "parameters": PARAMETERS[entry.architecture],
                    "weights_url": entry.url, "description": entry.note}
        specs += trained_and_random(entry.identifier, _build(entry.identifier), metadata,
                                    f"self-supervised: {entry.method} ({entry.data})", seed=SEED,
                                    weights=_locate(entry.identifier))
    return specs
