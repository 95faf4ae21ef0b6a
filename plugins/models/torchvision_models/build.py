"""Build torchvision networks; trained weights resolved offline-first by mousescore.models.weights.

``weights.csv`` holds each architecture's torchvision weights URL (``get_model_weights(name).DEFAULT.url``,
checked against torchvision by the tests), so that :func:`locate` answers without importing torch.
"""
import csv
import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional

from mousescore import (DataError, LoadedModel, load_state_dict, locate_weights, resolve_weights, seeded,
                        torch_hub_checkpoints, weights_provenance)

WEIGHTS_TABLE = Path(__file__).with_name("weights.csv")

# The published checkpoints of these expect the modules built as for ImageNet inference.
PRETRAINED_OPTIONS = {"inception_v3": {"transform_input": True, "aux_logits": True, "init_weights": False},
                      "googlenet": {"transform_input": True, "aux_logits": True, "init_weights": False}}
# DenseNet checkpoints predate a renaming of their layers ("norm.1" -> "norm1"); torchvision remaps
# them while downloading, and so must a loader that reads the file itself.
_DENSENET_KEY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$")


def upgrade_state_dict(architecture: str, state_dict: dict) -> dict:
    if not architecture.startswith("densenet"):
        return state_dict
    upgraded = {}
    for key, value in state_dict.items():
        match = _DENSENET_KEY.match(key)
        upgraded[match.group(1) + match.group(2) if match else key] = value
    return upgraded


@lru_cache(maxsize=None)
def weights_urls() -> Dict[str, str]:
    """architecture -> torchvision weights URL, from ``weights.csv``."""
    with open(WEIGHTS_TABLE, newline="") as handle:
        return {row["architecture"]: row["url"] for row in csv.DictReader(handle)}


def locate(architecture: str) -> Optional[Path]:
    """Where the trained weights lie locally (the places :func:`build` looks), or None; reads nothing."""
    return locate_weights(weights_urls()[architecture], [torch_hub_checkpoints()])


def build(architecture: str, trained: bool, seed: int = 0) -> LoadedModel:
    import torchvision
    if trained:
        weights = torchvision.models.get_model_weights(architecture).DEFAULT
        match = re.search(r"-([0-9a-f]{8,})\.pth$", weights.url)
        if not match:
            raise DataError(f"no checksum is published for {weights.url}")
        path = resolve_weights(weights.url, match.group(1), library_dirs=[torch_hub_checkpoints()])
        module = torchvision.models.get_model(architecture, weights=None,
                                              **PRETRAINED_OPTIONS.get(architecture, {}))
        try:
            module.load_state_dict(upgrade_state_dict(architecture, load_state_dict(path)))
        except (RuntimeError, KeyError) as error:
            raise DataError(f"{path} does not hold {architecture} weights: {error}") from error
        provenance = {"weights": f"torchvision {weights}", **weights_provenance(path)}
    else:
        with seeded(seed):
            module = torchvision.models.get_model(architecture, weights=None)
        provenance = {"weights": "random init (torchvision default)", "seed": seed}
    return LoadedModel(module=module.eval(), input_size=299 if architecture == "inception_v3" else 224,
                       provenance=provenance)
