"""``gist``: the GIST (spatial envelope) descriptor of Oliva & Torralba (2001), 512 dimensions.

A transcription of Torralba's reference MATLAB code (``LMgist.m``: ``prefilt``, ``createGabor``,
``gistGabor``, ``downN``) with its standard parameters (those of its ``demoGist.m``):

1. gray = mean of the channels; the image is resized to 256 × 256 (``input_size``; LMgist resizes the
   short side and crops the centre, mousescore's extraction squashes to the square);
2. intensities are stretched to [0, 255] (min → 0, max → 255; a uniform image becomes 0);
3. prefiltering (``fc_prefilt = 4`` cycles/image): ``log(1 + I)``, 5 px symmetric padding, whitening
   ``I − lowpass(I)`` and local contrast normalisation ``I / (0.2 + sqrt(lowpass(I²)))`` with the
   Gaussian low-pass ``exp(−|f|²/s²)``, ``s = 4/√ln 2`` cycles/image;
4. 32 Gabor transfer functions defined in the Fourier domain, 4 scales × 8 orientations
   (``orientationsPerScale = [8 8 8 8]``: radial peak 0.3/1.85^i cycles/px, i = 0…3, orientations
   k·π/8), applied to the image padded by 32 px (symmetric); the amplitude of each (complex)
   response is averaged over a 4 × 4 grid of 64 × 64 px blocks (``numberBlocks = 4``).

One layer, ``descriptor``: 32 filters × 16 blocks = 512 features, flattened in LMgist's order
(filter-major, then block column, then block row). Every step is per image, so the descriptor of an
image does not depend on the batch it is computed in. Because of step 2, the descriptor is invariant
to positive affine changes of intensity (``a·I + b``, a > 0).

**Why not "the PCs of the Gabor features".** The paper describes its GIST baseline as the principal
components of its Gabor feature matrix. Those components are fitted on the stimulus set being scored,
but mousescore reduces each layer inside a forward hook that sees one batch at a time (and stimulus
sets above 128 images are split into batches), so a per-stimulus-set PCA cannot be computed there
without breaking the rule that an image's features never depend on the other images. A batch-
independent variant would need a basis fitted once on a fixed reference image set that we would have
to choose, ship and justify; none is published with the paper, so we do not invent one. With every
component kept, a PCA is only a centring and a rotation, which full-feature ridge regression is
invariant to; what the paper's PCA would add is a truncation whose size it does not state. We
therefore score the classic descriptor itself, as it is used throughout the scene-recognition
literature.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mousescore import LoadedModel

from .common import Baseline, chunks, grayscale, symmetric_pad

SIZE = 256
ORIENTATIONS_PER_SCALE = (8, 8, 8, 8)
BLOCKS = 4
FC_PREFILT = 4.0
PREFILT_PAD = 5
BOUNDARY_EXTENSION = 32
LAYER = "descriptor"


def gabor_transfer_functions(n: int, orientations_per_scale=ORIENTATIONS_PER_SCALE) -> torch.Tensor:
    """LMgist's ``createGabor(or, n)`` for a square n × n grid, DFT-ordered: (filters, n, n) float64."""
    frequencies = torch.fft.fftfreq(n, d=1.0 / n, dtype=torch.float64)   # cycles per image
    fy, fx = torch.meshgrid(frequencies, frequencies, indexing="ij")       # meshgrid(fx, fy): rows = fy
    radius = torch.sqrt(fx ** 2 + fy ** 2)
    angle = torch.atan2(fy, fx)
    filters = []
    for scale, count in enumerate(orientations_per_scale):
        width, peak, angular = 0.35, 0.3 / 1.85 ** scale, 16 * count ** 2 / 32 ** 2
        for j in range(count):
            turned = angle + math.pi / count * j
            turned = turned + 2 * math.pi * (turned < -math.pi) - 2 * math.pi * (turned > math.pi)
            filters.append(torch.exp(-10 * width * (radius / n / peak - 1) ** 2
                                     - 2 * angular * math.pi * turned ** 2))
    return torch.stack(filters)


def prefilter_lowpass(n: int, fc: float = FC_PREFILT) -> torch.Tensor:
    """``prefilt``'s Gaussian ``exp(−(fx² + fy²)/s1²)``, s1 = fc/√ln 2, DFT-ordered (n, n) float64."""
    s1 = fc / math.sqrt(math.log(2))
    frequencies = torch.fft.fftfreq(n, d=1.0 / n, dtype=torch.float64)
    fy, fx = torch.meshgrid(frequencies, frequencies, indexing="ij")
    return torch.exp(-(fx ** 2 + fy ** 2) / s1 ** 2)


def prefilter_buffer(size: int, fc: float = FC_PREFILT) -> torch.Tensor:
    """The float32 low-pass :func:`lmgist_prefilter` needs for (size × size) images, on the grid
    padded by ``PREFILT_PAD`` on each side (LMgist rounds that grid up to even; we require it even)."""
    if size % 2:
        raise ValueError("the LMgist prefilter needs an even image size")
    return prefilter_lowpass(size + 2 * PREFILT_PAD, fc).float()


def stretch(gray: torch.Tensor) -> torch.Tensor:
    """LMgist's ``img = img − min(img); img = 255 · img / max(img)`` per image (n, h, w); a uniform
    image becomes 0. Makes everything after it invariant to ``a·I + b``, a > 0."""
    gray = gray - gray.amin(dim=(-2, -1), keepdim=True)
    high = gray.amax(dim=(-2, -1), keepdim=True)
    return torch.where(high > 0, 255 * gray / torch.where(high > 0, high, torch.ones_like(high)),
                       torch.zeros_like(gray))


def lmgist_prefilter(gray: torch.Tensor, lowpass: torch.Tensor) -> torch.Tensor:
    """LMgist's ``prefilt``: (n, size, size) in [0, 255] -> whitened, contrast-normalised (same size);
    ``lowpass`` from :func:`prefilter_buffer`."""
    image = symmetric_pad(torch.log(gray + 1), PREFILT_PAD)
    whitened = image - torch.fft.ifft2(torch.fft.fft2(image) * lowpass).real
    local_std = torch.sqrt(torch.fft.ifft2(torch.fft.fft2(whitened ** 2) * lowpass).abs())
    output = whitened / (0.2 + local_std)
    return output[..., PREFILT_PAD:-PREFILT_PAD, PREFILT_PAD:-PREFILT_PAD]


class GistDescriptor(nn.Module):
    """Leaf module: (n, c, size, size) images in [0, 1] -> (n, 32, 4, 4) GIST, LMgist's block order."""

    def __init__(self, size: int = SIZE, orientations_per_scale=ORIENTATIONS_PER_SCALE,
                 blocks: int = BLOCKS, fc_prefilt: float = FC_PREFILT):
        super().__init__()
        self.size, self.blocks = int(size), int(blocks)
        self.orientations_per_scale = tuple(int(o) for o in orientations_per_scale)
        self.fc_prefilt = float(fc_prefilt)
        self.register_buffer("lowpass", prefilter_buffer(self.size, self.fc_prefilt))
        self.register_buffer("transfer", gabor_transfer_functions(
            self.size + 2 * BOUNDARY_EXTENSION, self.orientations_per_scale).float())

    def prefilter(self, gray: torch.Tensor) -> torch.Tensor:
        """LMgist's ``prefilt``: (n, size, size) in [0, 255] -> whitened, contrast-normalised."""
        return lmgist_prefilter(gray, self.lowpass)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.shape[-2:] != (self.size, self.size):
            raise ValueError(f"expected {self.size}x{self.size} images, got {tuple(images.shape[-2:])}")
        gray = stretch(grayscale(images.float()))
        spectra = torch.fft.fft2(symmetric_pad(self.prefilter(gray), BOUNDARY_EXTENSION))
        edge, out = BOUNDARY_EXTENSION, []
        n_filters, padded = self.transfer.shape[0], self.transfer.shape[-1]
        for part in chunks(len(images), n_filters * padded ** 2):
            response = torch.fft.ifft2(spectra[part, None] * self.transfer[None])
            amplitude = response[..., edge:padded - edge, edge:padded - edge].abs()
            out.append(F.adaptive_avg_pool2d(amplitude, self.blocks))    # = downN for size % blocks == 0
        return torch.cat(out).transpose(-2, -1)   # LMgist flattens each filter's blocks column-major

    def extra_repr(self) -> str:
        return (f"size={self.size}, orientations_per_scale={self.orientations_per_scale}, "
                f"blocks={self.blocks}, fc_prefilt={self.fc_prefilt}")


PARAMETERS = {"input_size": SIZE, "orientations_per_scale": list(ORIENTATIONS_PER_SCALE),
              "number_blocks": BLOCKS, "fc_prefilt": FC_PREFILT, "boundary_extension": BOUNDARY_EXTENSION,
              "n_features": sum(ORIENTATIONS_PER_SCALE) * BLOCKS * BLOCKS,
              "reference": "Oliva & Torralba 2001; Torralba's LMgist.m"}


def build() -> LoadedModel:
    if SIZE % BLOCKS:
        raise ValueError("the image size must be a multiple of the number of blocks")
    module = Baseline(LAYER, GistDescriptor()).eval()
    return LoadedModel(module=module, input_size=SIZE, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0),
                       provenance={"weights": "none (fixed filters)", "seed": 0, "parameters": PARAMETERS})
