"""``gabor``: a fixed bank of Gabor filters after LMgist's prefilter, quadrature energy on an 8 × 8 grid.

The paper's first non-network baseline (Conwell et al. 2021, §2.7 and §3.5: "a bank of Gabor filters
applied to 8x8 grids of each image"; its second baseline is "the PCs of the resultant feature matrices
(i.e. the Gist descriptors)"). So the paper's Gabor features are the features of a GIST pipeline, whose
principal components it calls GIST; we therefore put the image through the GIST pipeline's prefilter
(Torralba's ``LMgist.m``, the one :mod:`.gist` uses) before the bank. The paper does not give its
filter parameters; the bank's are ours:

- input: the image resized to 128 × 128 (``input_size``), pixels in [0, 1], gray = mean of the channels.
- prefilter, shared with ``gist`` (:func:`.gist.stretch`, :func:`.gist.lmgist_prefilter`: the code
  ``GistDescriptor.prefilter`` runs): intensities stretched to [0, 255] (min → 0, max → 255),
  ``log(1 + I)``, whitening ``I − lowpass(I)`` and local contrast normalisation
  ``I / (0.2 + sqrt(lowpass(I²)))``, Gaussian low-pass with ``fc_prefilt = 4`` cycles/image. A uniform
  image gives exactly zero, and the features are invariant to ``a·I + b`` (a > 0).
- the bank (:meth:`GaborEnergy.bank`, callable on its own): each image's mean is subtracted, then it is
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
  modulus A/2 from the bank).
- features: the complex-cell energy model (Adelson & Bergen 1985): the local amplitude
  √(even² + odd²) of each filter's response (phase-invariant), averaged over each cell of an 8 × 8
  grid (16 × 16 px cells).

Why the prefilter matters: without it the features keep natural images' falling amplitude spectrum,
and their correlation-distance RDMs are dominated by the coarsest scales. On the 118 Allen scenes the
bank without the prefilter scores 0.031 on ``allen.VISp-rsa`` (mean over the six
``allen.<AREA>-rsa`` benchmarks 0.066), against the paper's 0.20 for its Gabor baseline; with the
prefilter the mean is 0.26 (``gist`` itself: 0.26).

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

from mousescore import LoadedModel

from .common import Baseline, chunks, grayscale
from .gist import FC_PREFILT, lmgist_prefilter, prefilter_buffer, stretch

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
    """Leaf module: (n, c, size, size) images in [0, 1] -> (n, filters, grid, grid) pooled amplitude of
    the Gabor bank applied to the LMgist-prefiltered gray image."""

    def __init__(self, size: int = SIZE, wavelengths: Sequence[float] = WAVELENGTHS,
                 n_orientations: int = N_ORIENTATIONS, bandwidth_octaves: float = BANDWIDTH_OCTAVES,
                 grid: int = GRID, fc_prefilt: float = FC_PREFILT):
        super().__init__()
        self.size, self.grid = int(size), int(grid)
        self.wavelengths, self.n_orientations = tuple(float(w) for w in wavelengths), int(n_orientations)
        self.bandwidth_octaves, self.fc_prefilt = float(bandwidth_octaves), float(fc_prefilt)
        self.padded = 2 * self.size
        self.register_buffer("lowpass", prefilter_buffer(self.size, self.fc_prefilt))
        self.register_buffer("transfer", transfer_functions(self.padded, self.wavelengths,
                                                            self.n_orientations, bandwidth_octaves))

    def _check(self, images: torch.Tensor) -> None:
        if images.shape[-2:] != (self.size, self.size):
            raise ValueError(f"expected {self.size}x{self.size} images, got {tuple(images.shape[-2:])}")

    def prefilter(self, images: torch.Tensor) -> torch.Tensor:
        """(n, c, size, size) images in [0, 1] -> (n, size, size): gray, stretched to [0, 255] and
        passed through LMgist's prefilter (the same code as ``GistDescriptor.prefilter``)."""
        self._check(images)
        return lmgist_prefilter(stretch(grayscale(images.float())), self.lowpass)

    def _chunked_responses(self, gray: torch.Tensor):
        """Yield the bank's complex responses (chunk, filters, size, size) to successive chunks of
        (n, size, size) gray images: real part = even (cosine) phase, imaginary part = odd (sine)."""
        self._check(gray)
        gray = gray.float()
        gray = gray - gray.mean(dim=(-2, -1), keepdim=True)
        padded = F.pad(gray, (0, self.padded - self.size, 0, self.padded - self.size))
        spectra = torch.fft.fft2(padded)
        for part in chunks(len(gray), self.transfer.shape[0] * self.padded ** 2):
            filtered = torch.fft.ifft2(spectra[part, None] * self.transfer[None])
            yield filtered[..., :self.size, :self.size]

    def responses(self, gray: torch.Tensor) -> torch.Tensor:
        """The bank alone: complex filter responses (n, filters, size, size) of (n, size, size) images."""
        return torch.cat([chunk.clone() for chunk in self._chunked_responses(gray)])

    def bank(self, gray: torch.Tensor) -> torch.Tensor:
        """The bank alone (no prefilter): pooled amplitude (n, filters, grid, grid) of (n, size, size)
        gray images."""
        # pool each chunk at once: a chunk's crop is a view that would keep its whole padded result
        return torch.cat([F.adaptive_avg_pool2d(chunk.abs(), self.grid)
                          for chunk in self._chunked_responses(gray)])

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.bank(self.prefilter(images))

    def extra_repr(self) -> str:
        return (f"size={self.size}, fc_prefilt={self.fc_prefilt}, wavelengths={self.wavelengths}, "
                f"orientations={self.n_orientations}, bandwidth_octaves={self.bandwidth_octaves}, "
                f"grid={self.grid}")


PARAMETERS = {"input_size": SIZE, "prefilter": "LMgist prefilt (stretch to [0, 255], log, whitening, "
                                              "local contrast normalisation)", "fc_prefilt": FC_PREFILT,
              "wavelengths_px": list(WAVELENGTHS), "orientations": N_ORIENTATIONS,
              "bandwidth_octaves": BANDWIDTH_OCTAVES, "grid": GRID, "phases": "quadrature (energy)",
              "n_features": len(WAVELENGTHS) * N_ORIENTATIONS * GRID * GRID}


def build() -> LoadedModel:
    module = Baseline(LAYER, GaborEnergy()).eval()
    return LoadedModel(module=module, input_size=SIZE, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0),
                       provenance={"weights": "none (fixed filters)", "seed": 0, "parameters": PARAMETERS})
