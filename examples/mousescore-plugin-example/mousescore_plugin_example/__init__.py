"""An example mousescore plugin with one model, ``example_convnet-random``.

Copy this package, rename it, and return your own ModelSpecs from ``mousescore_models``. Keep the hook
cheap: build the network only inside the factory.
"""
from mousescore import LoadedModel, ModelSpec, hookimpl, seeded

SEED = 0


def build_example_convnet() -> LoadedModel:
    import torch
    from torch import nn
    with seeded(SEED):
        module = nn.Sequential(
            nn.Conv2d(3, 16, kernel_size=5, stride=2, padding=2), nn.ReLU(),
            nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(32 * 16, 64))
    assert isinstance(module, torch.nn.Module)
    return LoadedModel(module=module.eval(), input_size=64, mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25),
                       provenance={"weights": "random init", "seed": SEED})


@hookimpl
def mousescore_models():
    return [ModelSpec("example_convnet-random", build_example_convnet,
                      {"family": "example", "architecture_class": "convolutional", "trained": False,
                       "training": "random init", "seed": SEED, "input_size": 64})]
