"""timm networks (vision transformers, ConvNeXt), each trained and random-init (seeded)."""
from functools import partial

from mousescore import hookimpl
from mousescore.specs import trained_and_random

from .build import ARCHITECTURES, build


@hookimpl
def mousescore_models():
    specs = []
    for name, architecture_class in ARCHITECTURES.items():
        metadata = {"family": "timm", "source": "timm", "architecture": name,
                    "architecture_class": architecture_class, "input_size": 224}
        specs += trained_and_random(name, partial(build, name), metadata, "ImageNet supervised")
    return specs
