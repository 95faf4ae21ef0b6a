"""What the baselines share: the container whose one leaf is the feature layer, grayscale, padding.

Every baseline is a :class:`Baseline`: a container with exactly one child, a leaf module whose output
is the baseline's feature set, so that mousescore's extraction (which records every leaf module's output)
records one layer named after that child. The modules take what :func:`mousescore.extraction.extract.preprocess`
gives them with ``mean=(0, 0, 0)`` and ``std=(1, 1, 1)``: (n, 3, size, size) pixels in [0, 1] (grayscale
images arrive as three equal channels).
"""
from __future__ import annotations

import torch
from torch import nn

# The largest complex spectrum (elements) an FFT-based baseline holds at once; images beyond it are
# filtered in chunks (results do not depend on the chunking: each image is filtered on its own).
MAX_SPECTRUM_ELEMENTS = 1 << 23   # 8 Mi complex64 values = 64 MiB


class Baseline(nn.Module):
    """A container with one leaf child, named by ``layer``; its output is the model's output."""

    def __init__(self, layer: str, features: nn.Module):
        super().__init__()
        assert not any(True for _ in features.children()), "the feature module must be a leaf"
        self.layer = layer
        self.add_module(layer, features)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return getattr(self, self.layer)(images)


def grayscale(images: torch.Tensor) -> torch.Tensor:
    """(n, c, h, w) -> (n, h, w): the mean over channels (as LMgist does; exact for gray images)."""
    return images.mean(dim=1)


def symmetric_pad(images: torch.Tensor, width: int) -> torch.Tensor:
    """Pad the last two dims by ``width`` mirrored pixels, edge pixel repeated (MATLAB's and numpy's
    'symmetric' mode; torch's 'reflect' leaves the edge out)."""
    if width == 0:
        return images
    rows = torch.cat([images[..., :width, :].flip(-2), images, images[..., -width:, :].flip(-2)], dim=-2)
    return torch.cat([rows[..., :width].flip(-1), rows, rows[..., -width:].flip(-1)], dim=-1)


def chunks(n_images: int, elements_per_image: int):
    """Slices of at most as many images as keep one chunk's spectra under MAX_SPECTRUM_ELEMENTS."""
    step = max(1, MAX_SPECTRUM_ELEMENTS // max(elements_per_image, 1))
    return [slice(begin, min(begin + step, n_images)) for begin in range(0, n_images, step)]
