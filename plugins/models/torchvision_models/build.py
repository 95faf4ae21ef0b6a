"""Build torchvision networks; trained weights resolved offline-first by mousescore.weights."""
import re
from pathlib import Path

from mousescore.errors import DataError
from mousescore.random_init import seeded
from mousescore.specs import LoadedModel
from mousescore.weights import load_state_dict, resolve_weights, weights_provenance

# Architectures whose published state dicts load into torchvision's modules as they are.
ARCHITECTURES = {
    "alexnet": "convolutional",
    "vgg11": "convolutional", "vgg13": "convolutional", "vgg16": "convolutional",
    "vgg19": "convolutional",
    "resnet18": "convolutional", "resnet34": "convolutional", "resnet50": "convolutional",
    "resnet101": "convolutional", "resnet152": "convolutional",
    "squeezenet1_0": "convolutional", "squeezenet1_1": "convolutional",
    "mobilenet_v2": "convolutional",
}


def build(architecture: str, trained: bool, seed: int = 0) -> LoadedModel:
    import torch
    import torchvision
    if trained:
        weights = torchvision.models.get_model_weights(architecture).DEFAULT
        match = re.search(r"-([0-9a-f]{8,})\.pth$", weights.url)
        if not match:
            raise DataError(f"no checksum is published for {weights.url}")
        path = resolve_weights(weights.url, match.group(1),
                               library_dirs=[Path(torch.hub.get_dir()) / "checkpoints"])
        module = torchvision.models.get_model(architecture, weights=None)
        try:
            module.load_state_dict(load_state_dict(path))
        except (RuntimeError, KeyError) as error:
            raise DataError(f"{path} does not hold {architecture} weights: {error}") from error
        provenance = {"weights": f"torchvision {weights}", **weights_provenance(path)}
    else:
        with seeded(seed):
            module = torchvision.models.get_model(architecture, weights=None)
        provenance = {"weights": "random init (torchvision default)", "seed": seed}
    return LoadedModel(module=module.eval(), input_size=224, provenance=provenance)
