"""timm networks (vision transformers, ConvNeXt), each trained and random-init (seeded)."""
from mousescore import hookimpl
from mousescore.specs import ModelSpec

from .build import ARCHITECTURES, build


def _factory(name: str, trained: bool, seed: int):
    return lambda: build(name, trained=trained, seed=seed)


@hookimpl
def mousescore_models():
    specs = []
    for name, architecture_class in ARCHITECTURES.items():
        common = {"family": "timm", "source": "timm", "architecture": name,
                  "architecture_class": architecture_class, "input_size": 224}
        specs.append(ModelSpec(name, _factory(name, True, 0),
                               {**common, "trained": True, "training": "ImageNet supervised"}))
        specs.append(ModelSpec(f"{name}-random", _factory(name, False, 0),
                               {**common, "trained": False, "training": "random init", "seed": 0}))
    return specs
