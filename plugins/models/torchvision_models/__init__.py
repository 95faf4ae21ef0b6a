"""torchvision classification networks, each trained (ImageNet weights) and random-init (seeded)."""
from functools import partial

from mousescore import hookimpl
from mousescore.specs import trained_and_random

from .build import ARCHITECTURES, build


@hookimpl
def mousescore_models():
    specs = []
    for architecture, architecture_class in ARCHITECTURES.items():
        metadata = {"family": "torchvision", "source": "torchvision", "architecture": architecture,
                    "architecture_class": architecture_class, "input_size": 224}
        specs += trained_and_random(architecture, partial(build, architecture), metadata, "ImageNet-1k supervised")
    return specs
