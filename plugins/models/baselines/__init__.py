"""Non-network baselines (Conwell et al. 2021, §2.7 and §3.5): what hand-made features score.

- ``gabor``: a fixed Gabor filter bank (5 wavelengths × 8 orientations, quadrature energy) pooled over
  an 8 × 8 grid, applied after LMgist's prefilter (as in a GIST pipeline: the paper's GIST baseline is
  the PCs of its Gabor features), 2560 features (:mod:`.gabor`);
- ``gist``: the classic GIST descriptor of Oliva & Torralba (2001), 512 features (:mod:`.gist`, which
  also says why it is not the paper's per-stimulus-set PCA of it);
- ``random_fourier``: 4096 random Fourier features of the 64 × 64 gray pixels, seeded
  (:mod:`.random_fourier`);
- ``pixels``: the 64 × 64 gray pixels themselves (:mod:`.pixels`).

Each is a torch module with one leaf, whose output is the model's single layer; nothing is learned.
Listing them imports nothing heavy: torch is imported only when a factory builds a model.
"""
from mousescore import ModelSpec, hookimpl

# Seeds of the registered random Fourier variants: 0 is ``random_fourier``, k > 0 ``random_fourier_seed<k>``.
RANDOM_FOURIER_SEEDS = (0,)

COMMON = {"family": "baseline", "source": "mousescore", "architecture_class": "non-network",
          "trained": False, "reference": "Conwell et al. 2021, sections 2.7 and 3.5"}


def random_fourier_identifier(seed: int) -> str:
    return "random_fourier" if seed == 0 else f"random_fourier_seed{seed}"


def _build_gabor():
    from .gabor import build
    return build()


def _build_gist():
    from .gist import build
    return build()


def _build_pixels():
    from .pixels import build
    return build()


def _random_fourier_factory(seed: int):
    def build_random_fourier():
        from .random_fourier import build
        return build(seed)
    return build_random_fourier


@hookimpl
def mousescore_models():
    specs = [
        ModelSpec("gabor", _build_gabor, {
            **COMMON, "architecture": "gabor filter bank", "training": "none (fixed filters)",
            "input_size": 128, "n_features": 2560, "seed": 0,
            "description": "Gabor quadrature energy, 5 wavelengths (4-64 px) x 8 orientations, "
                           "averaged over an 8x8 grid, after LMgist's prefilter (log, whitening, local "
                           "contrast normalisation): the paper's Gabor features are those its GIST "
                           "takes the PCs of"}),
        ModelSpec("gist", _build_gist, {
            **COMMON, "architecture": "GIST descriptor", "training": "none (fixed filters)",
            "input_size": 256, "n_features": 512, "seed": 0,
            "description": "Oliva & Torralba (2001) GIST: prefiltered Gabor amplitude, 4 scales x "
                           "8 orientations, averaged over a 4x4 grid (LMgist parameters)"}),
    ]
    for seed in RANDOM_FOURIER_SEEDS:
        specs.append(ModelSpec(random_fourier_identifier(seed), _random_fourier_factory(seed), {
            **COMMON, "architecture": "random Fourier features", "training": "none (random features)",
            "input_size": 64, "n_features": 4096, "seed": seed,
            "description": "sqrt(2/D) cos(Wx + b) of the 64x64 gray pixels, D = 4096, "
                           "W ~ N(0, 1/sigma^2), sigma = 0.25 sqrt(4096) = 16 (RBF kernel)"}))
    specs.append(ModelSpec("pixels", _build_pixels, {
        **COMMON, "architecture": "raw pixels", "training": "none", "input_size": 64,
        "n_features": 4096, "seed": 0, "description": "the image resized to 64x64, gray, in [0, 1]"}))
    return specs
