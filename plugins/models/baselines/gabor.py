"""``gabor``: a fixed bank of Gabor filters, quadrature energy pooled over an 8 × 8 grid.

The paper's first non-network baseline (Conwell et al. 2021, §2.7 and §3.5: "a bank of Gabor filters
applied to 8x8 grids of each image"). The paper does not give its filter parameters; these are ours:

- input: the image resized to 128 × 128 (``input_size``), pixels in [0, 1], gray = mean of the channels;
  each image's mean luminance is subtracted (so a uniform image gives exactly zero), then it is
  zero-padded to 256 × 256 so that filtering is a linear, not circular, convolution.
- filters: complex Gabor filters (cosine and sine phase = the real and imaginary parts: a quadrature
  pair) with an isotropic Gaussian envelope, at 5 wavelengths λ = 4, 8, 16, 32, 64 px (spatial
  frequency 1/λ = 0.25 … 0.016 cycles/px, octave spaced) × 8 orientations θ = k·22.5°, k = 0…7.
  θ is the direction of the wave vector from the image's x axis (columns; y runs down the rows):
  θ = 0 prefers vertical stripes. Bandwidth one octave: envelope σ = 0.562 λ
  (σ = λ/π · √(ln 2 / 2) · (2^b + 1)/(2^b − 1), b = 1). Each filter has its DC response removed
  (Morlet correction), so it ignores uniform luminance.
- filtering is done in the Fourier domain with the filters' exact transfer functions
  ``H(f) = exp(−2π²σ²|f − f₀|²) − exp(−2π²σ²|f₀|²) · exp(−2π²σ²|f|²)``, |f₀| = 1/λ (peak gain 1, so a
  grating of amplitude A at a filter's preferred frequency and orientation gives a response of
  modulus A/2).
- features: the complex-cell energy model (Adelson & Bergen 1985): the local amplitude
  √(even² + odd²) of each filter's response (phase-invariant, linear in contrast, as VOneNet's complex
  cells), averaged over each cell of an 8 × 8 grid (16 × 16 px cells).

No prefiltering: unlike ``gist`` there is no whitening or local contrast normalisation, so the
features keep natural images' falling amplitude spectrum and their correlation-distance RDMs are
dominated by the coarse scales. On the 118 Allen scenes this matters: the mean RSA over the six
``allen.<AREA>-rsa`` benchmarks is 0.07 for this bank and 0.26 for the same bank applied after
LMgist's prefilter (``gist`` itself: 0.26).

One layer, ``energy``: (n, 40, 8, 8) = 2560 features per image, channels ordered wavelength-major
(λ ascending), orientation-minor. Nothing is learned and nothing is random: the seed in the provenance
(0) is only there for the conformance kit's record.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from mousescore.specs import LoadedModel

from .common import Baseline, chunks, grayscale

SIZE = 128
WAVELENGTHS = (4.0, 8.0, 16.0, 32.0, 64.0)   # pixels at SIZE
N_ORIENTATIONS = 8
BANDWIDTH_OCTAVES = 1.0
GRID = 8
LAYER = "energy"


def envelope_sigma(wavelength: float, bandwidth_octaves: float = BANDWIDTH_OCTAVES) -> float:
    """Spatial σ (px) of the Gaussian envelope for a given wavelength and octave bandwidth."""
    ratio = (2 ** bandwidth_octaves + 1) / (2 ** bandwidth_octaves - 1)
    return wavelength / math.pi * math.sqrt(math.log(2) / 2) * ratio


def orientations(n: int = N_ORIENTATIONS) -> torch.Tensor:
    return torch.arange(n, dtype=torch.float64) * math.pi / n


def transfer_functions(size: int, wavelengths: Sequence[float] = WAVELENGTHS,
                       n_orientations: int = N_ORIENTATIONS,
                       bandwidth_octaves: float = BANDWIDTH_OCTAVES) -> torch.Tensor:
    """(len(wavelengths) · n_orientations, size, size) float32 DFT-ordered transfer functions."""
    frequencies = torch.fft.fftfreq(size, dtype=torch.float64)      # cycles per pixel
    fy, fx = torch.meshgrid(frequencies, frequencies, indexing="ij")  # rows = y, columns = x
    filters = []
    for wavelength in wavelengths:
        spread = 2 * math.pi ** 2 * envelope_sigma(wavelength, bandwidth_octaves) ** 2
        for theta in orientations(n_orientations).tolist():
            x0, y0 = math.cos(theta) / wavelength, math.sin(theta) / wavelength
            lobe = torch.exp(-spread * ((fx - x0) ** 2 + (fy - y0) ** 2))
            dc = math.exp(-spread / wavelength ** 2) * torch.exp(-spread * (fx ** 2 + fy ** 2))
            filters.append(lobe - dc)
    return torch.stack(filters).float()


class GaborEnergy(nn.Module):
    """Leaf module: (n, c, size, size) images in [0, 1] -> (n, filters, grid, grid) pooled amplitude."""

    def __init__(self, size: int = SIZE, wavelengths: Sequence[float] = WAVELENGTHS,
                 n_orientations: int = N_ORIENTATIONS, bandwidth_octaves: float = BANDWIDTH_OCTAVES,
                 grid: int = GRID):
        super().__init__()
        self.size, self.grid = int(size), int(grid)
        self.wavelengths, self.n_orientations = tuple(float(w) for w in wavelengths), int(n_orientations)
        self.bandwidth_octaves = float(bandwidth_octaves)
        self.padded = 2 * self.size
        self.register_buffer("transfer", transfer_functions(self.padded, self.wavelengths,
                                                            self.n_orientations, bandwidth_octaves))

    def _chunked_responses(self, images: torch.Tensor):
        """Yield the complex responses (chunk, filters, size, size) of successive chunks of images:
        real part = even (cosine) phase, imaginary part = odd (sine) phase."""
        if images.shape[-2:] != (self.size, self.size):
            raise ValueError(f"expected {self.size}x{self.size} images, got {tuple(images.shape[-2:])}")
        gray = grayscale(images.float())
        gray = gray - gray.mean(dim=(-2, -1), keepdim=True)
        padded = F.pad(gray, (0, self.padded - self.size, 0, self.padded - self.size))
        spectra = torch.fft.fft2(padded)
        for part in chunks(len(images), self.transfer.shape[0] * self.padded ** 2):
            filtered = torch.fft.ifft2(spectra[part, None] * self.transfer[None])
            yield filtered[..., :self.size, :self.size]

    def responses(self, images: torch.Tensor) -> torch.Tensor:
        """Complex filter responses (n, filters, size, size)."""
        return torch.cat([chunk.clone() for chunk in self._chunked_responses(images)])

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        # pool each chunk at once: a chunk's crop is a view that would keep its whole padded result
        return torch.cat([F.adaptive_avg_pool2d(chunk.abs(), self.grid)
                          for chunk in self._chunked_responses(images)])

    def extra_repr(self) -> str:
        return (f"size={self.size}, wavelengths={self.wavelengths}, orientations={self.n_orientations}, "
                f"bandwidth_octaves={self.bandwidth_octaves}, grid={self.grid}")


PARAMETERS = {"input_size": SIZE, "wavelengths_px": list(WAVELENGTHS), "orientations": N_ORIENTATIONS,
              "bandwidth_octaves": BANDWIDTH_OCTAVES, "grid": GRID, "phases": "quadrature (energy)",
              "n_features": len(WAVELENGTHS) * N_ORIENTATIONS * GRID * GRID}


def build() -> LoadedModel:
    module = Baseline(LAYER, GaborEnergy()).eval()
    return LoadedModel(module=module, input_size=SIZE, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0),
                       provenance={"weights": "none (fixed filters)", "seed": 0, "parameters": PARAMETERS})
