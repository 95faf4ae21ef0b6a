"""``random_fourier``: 4096 random Fourier features of the pixels (Rahimi & Recht 2007).

``z(x) = sqrt(2/D) · cos(W x + b)`` with D = 4096 (the paper matched its SRP dimensionality),
``W ~ N(0, 1/σ²)`` (D × d) and ``b ~ U(0, 2π)``, so that ``z(x)·z(y) ≈ exp(−‖x − y‖² / (2σ²))``, the
Gaussian (RBF) kernel, with an error of order 1/√D ≈ 0.016.

- x: the image resized to 64 × 64 (``input_size``), gray = mean of the channels, pixels in [0, 1],
  flattened: d = 4096.
- σ = 0.25 · √d = 16. The median heuristic (σ from the median distance between the stimuli) would
  make an image's features depend on the other images of its stimulus set, so σ is fixed instead,
  relative to the input dimension: σ² = d · 0.25², i.e. 0.25 is taken as the per-pixel standard
  deviation of natural images in [0, 1]. Then ``2σ² = d/8``, close to the typical mean squared pixel
  difference between two natural images (measured at 64 × 64: median 0.097 per pixel over the 118
  Allen scenes, 0.059 over Cowley's 640 V4 images), so kernel values between natural images fall in
  the informative middle of (0, 1) (about 0.46 and 0.62 at those medians) instead of near 0 or 1:
  this is the median heuristic evaluated once on natural images and frozen.
- W and b come from ``numpy.random.default_rng(seed)`` (stable across numpy versions and
  platforms); the paper took the best of 600 draws. ``random_fourier`` is seed 0;
  ``mousescore_baselines.RANDOM_FOURIER_SEEDS`` lists the seeds registered (seed k > 0 is registered
  as ``random_fourier_seed<k>``); ``build(seed)`` builds any seed.

One layer, ``features``: (n, 4096).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from mousescore import LoadedModel

from .common import Baseline, grayscale

SIZE = 64
N_FEATURES = 4096
PIXEL_SCALE = 0.25          # σ = PIXEL_SCALE · √d
LAYER = "features"


def bandwidth(n_inputs: int, pixel_scale: float = PIXEL_SCALE) -> float:
    """The kernel's σ for inputs of dimension d."""
    return pixel_scale * math.sqrt(n_inputs)


def draw(n_inputs: int, n_features: int = N_FEATURES, seed: int = 0, pixel_scale: float = PIXEL_SCALE):
    """(W, b) as float32 numpy arrays: W (n_features × n_inputs) ~ N(0, 1/σ²), b ~ U(0, 2π)."""
    rng = np.random.default_rng(seed)
    weights = rng.standard_normal((n_features, n_inputs), dtype=np.float32)
    weights /= np.float32(bandwidth(n_inputs, pixel_scale))
    offsets = rng.uniform(0.0, 2 * np.pi, size=n_features).astype(np.float32)
    return weights, offsets


class RandomFourierFeatures(nn.Module):
    """Leaf module: (n, c, size, size) images in [0, 1] -> (n, n_features)."""

    def __init__(self, size: int = SIZE, n_features: int = N_FEATURES, seed: int = 0,
                 pixel_scale: float = PIXEL_SCALE):
        super().__init__()
        self.size, self.n_features, self.seed = int(size), int(n_features), int(seed)
        self.sigma = bandwidth(self.size ** 2, pixel_scale)
        weights, offsets = draw(self.size ** 2, self.n_features, self.seed, pixel_scale)
        self.register_buffer("weights", torch.from_numpy(weights))
        self.register_buffer("offsets", torch.from_numpy(offsets))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.shape[-2:] != (self.size, self.size):
            raise ValueError(f"expected {self.size}x{self.size} images, got {tuple(images.shape[-2:])}")
        pixels = grayscale(images.float()).reshape(len(images), -1)
        return math.sqrt(2.0 / self.n_features) * torch.cos(pixels @ self.weights.T + self.offsets)

    def extra_repr(self) -> str:
        return f"size={self.size}, n_features={self.n_features}, sigma={self.sigma:g}, seed={self.seed}"


def parameters(seed: int) -> dict:
    return {"input_size": SIZE, "n_inputs": SIZE * SIZE, "n_features": N_FEATURES,
            "sigma": bandwidth(SIZE * SIZE), "sigma_rule": f"{PIXEL_SCALE} * sqrt(n_inputs)",
            "seed": seed, "rng": "numpy.random.default_rng(seed): W then b"}


def build(seed: int = 0) -> LoadedModel:
    module = Baseline(LAYER, RandomFourierFeatures(seed=seed)).eval()
    return LoadedModel(module=module, input_size=SIZE, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0),
                       provenance={"weights": f"none (random features, numpy seed {seed})", "seed": seed,
                                   "parameters": parameters(seed)})
