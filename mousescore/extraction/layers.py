"""Which modules of a network are its layers, and how images are fed to it.

Layers are the model's leaf modules (or the spec's list), named by module path; modules that are the
identity at inference time are left out.
"""
from __future__ import annotations

from typing import Iterable, Optional

import numpy as np

from ..errors import MousescoreError
from ..registry.specs import LoadedModel

IDENTITY_MODULES = {"Identity", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                    "DropPath", "DropBlock2d"}


def preprocess(images: np.ndarray, loaded: LoadedModel):
    """(n, h, w, c) floats in [0, 1] -> normalised (n, 3, size, size) tensor; gray -> 3 channels.
    A model with its own ``preprocess`` gets the images as they are."""
    import torch
    if loaded.preprocess is not None:
        return torch.as_tensor(loaded.preprocess(images))
    import torch.nn.functional as F
    batch = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).permute(0, 3, 1, 2)
    if batch.shape[1] == 1:
        batch = batch.expand(-1, 3, -1, -1)
    size = loaded.input_size
    if batch.shape[-2:] != (size, size):
        batch = F.interpolate(batch, size=(size, size), mode="bilinear", align_corners=False,
                              antialias=True)
    mean = torch.tensor(loaded.mean, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(loaded.std, dtype=torch.float32).view(1, 3, 1, 1)
    return (batch - mean) / std


def recorded_modules(module, layers: Optional[Iterable[str]]):
    named = dict(module.named_modules())
    if layers is not None:
        unknown = [name for name in layers if name not in named]
        if unknown:
            raise MousescoreError(f"the model has no modules named {unknown[:5]}")
        return {name: named[name] for name in layers}
    return {name: m for name, m in named.items()
            if name and not any(True for _ in m.children()) and type(m).__name__ not in IDENTITY_MODULES}


def first_tensor(output):
    import torch
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)):
        for item in output:
            if isinstance(item, torch.Tensor):
                return item
    return None
