"""``pixels``: the raw pixels, the floor every image-computable model should clear.

The image resized to 64 × 64 (``input_size``; antialiased bilinear, by mousescore's preprocessing),
gray = mean of the channels, values in [0, 1]. One layer, ``pixels``: (n, 1, 64, 64) = 4096 features,
the dimensionality of the paper's sparse random projections.
"""
from __future__ import annotations

import torch
from torch import nn

from mousescore import LoadedModel

from .common import Baseline, grayscale

SIZE = 64
LAYER = "pixels"


class Pixels(nn.Module):
    """Leaf module: (n, c, size, size) -> (n, 1, size, size) grayscale."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return grayscale(images.float()).unsqueeze(1)


PARAMETERS = {"input_size": SIZE, "n_features": SIZE * SIZE, "color": "gray (mean of channels)"}


def build() -> LoadedModel:
    module = Baseline(LAYER, Pixels()).eval()
    return LoadedModel(module=module, input_size=SIZE, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0),
                       provenance={"weights": "none (raw pixels)", "seed": 0, "parameters": PARAMETERS})
