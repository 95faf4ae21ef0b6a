"""torchvision classification networks, each trained (ImageNet weights) and random-init (seeded)."""
from mousescore import hookimpl
from mousescore.specs import ModelSpec

from .build import ARCHITECTURES, build


def _factory(architecture: str, trained: bool, seed: int):
    return lambda: build(architecture, trained=trained, seed=seed)


@hookimpl
def mousescore_models():
    specs = []
    for architecture, architecture_class in ARCHITECTURES.items():
        common = {"family": "torchvision", "source": "torchvision", "architecture": architecture,
                  "architecture_class": architecture_class, "input_size": 224}
        specs.append(ModelSpec(architecture, _factory(architecture, True, 0),
                               {**common, "trained": True, "training": "ImageNet-1k supervised"}))
        specs.append(ModelSpec(f"{architecture}-random", _factory(architecture, False, 0),
                               {**common, "trained": False, "training": "random init", "seed": 0}))
    return specs
