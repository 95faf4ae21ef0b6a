"""The non-network baselines (plugins/models/baselines): what each computes, checked by numbers."""
import math
import subprocess
import sys

import mousescore_baselines
import numpy as np
import pytest
import torch

from mousescore.extraction.extract import extract, preprocess
from mousescore.numerics import reductions
from mousescore.registry.plugins import Registry
from mousescore.testing import check_model, probe_stimuli

LAYERS = {"gabor": "energy", "gist": "descriptor", "random_fourier": "features", "pixels": "pixels"}
WIDTHS = {"gabor": 2560, "gist": 512, "random_fourier": 4096, "pixels": 4096}
RAW = reductions.centered_gram()


@pytest.fixture(scope="module")
def specs():
    return {spec.identifier: spec for spec in mousescore_baselines.mousescore_models()}


@pytest.fixture(scope="module")
def built(specs):
    return {identifier: spec.factory() for identifier, spec in specs.items()}


def gray_batch(images) -> torch.Tensor:
    """(n, h, w) gray images -> (n, 3, h, w) float32, what preprocess gives with mean 0, std 1."""
    batch = torch.as_tensor(np.asarray(images), dtype=torch.float32)
    return batch[:, None].expand(-1, 3, -1, -1)


def features(loaded, images) -> np.ndarray:
    with torch.inference_mode():
        return loaded.module(gray_batch(images)).reshape(len(images), -1).double().numpy()


# --- registry and conformance --------------------------------------------------------------------

def test_registry_lists_the_baselines_with_their_metadata():
    registry = Registry()
    assert set(LAYERS) <= set(registry.identifiers("model"))
    for identifier in LAYERS:
        assert registry.owner("model", identifier) == "baselines"
        metadata = registry.get("model", identifier).metadata
        assert metadata["family"] == "baseline"
        assert metadata["source"] == "mousescore"
        assert metadata["architecture_class"] == "non-network"
        assert metadata["trained"] is False
        assert metadata["n_features"] == WIDTHS[identifier]


def test_listing_models_does_not_import_torch():
    code = ("import sys; from mousescore.registry.plugins import Registry; ids = Registry().identifiers('model'); "
            "assert 'gabor' in ids and 'random_fourier' in ids; "
            "assert 'torch' not in sys.modules, 'listing imported torch'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("identifier", sorted(LAYERS))
def test_each_baseline_meets_what_scoring_relies_on(specs, built, identifier):
    loaded = built[identifier]
    assert not loaded.module.training
    assert loaded.provenance["seed"] == 0 and "weights" in loaded.provenance
    assert tuple(loaded.mean) == (0, 0, 0) and tuple(loaded.std) == (1, 1, 1)
    assert loaded.input_size == specs[identifier].metadata["input_size"]
    stimuli = probe_stimuli(n=4)
    first = extract(loaded, stimuli, {RAW, reductions.srp(64, 0)}, progress=False)
    assert first.layers == [LAYERS[identifier]]            # one layer, named after the feature module
    gram = first.reduced[LAYERS[identifier]][RAW]
    assert np.isfinite(gram).all() and np.trace(gram) > 0
    second = extract(loaded, stimuli, {RAW, reductions.srp(64, 0)}, progress=False)
    assert np.array_equal(first.reduced[LAYERS[identifier]][reductions.srp(64, 0)],
                          second.reduced[LAYERS[identifier]][reductions.srp(64, 0)])
    # an image's features do not depend on the batch it is in
    batched = extract(loaded, stimuli, {reductions.srp(64, 0)}, batch_size=2, progress=False)
    np.testing.assert_allclose(batched.reduced[LAYERS[identifier]][reductions.srp(64, 0)],
                               first.reduced[LAYERS[identifier]][reductions.srp(64, 0)], rtol=1e-4, atol=1e-5)
    # the fixed (or seeded) buffers are rebuilt identically
    rebuilt = specs[identifier].factory()
    state, again = loaded.module.state_dict(), rebuilt.module.state_dict()
    assert list(state) == list(again)
    assert all(torch.equal(state[name], again[name]) for name in state)
    with torch.inference_mode():
        width = loaded.module(preprocess(stimuli.values[:1], loaded)).numel()
    assert width == WIDTHS[identifier]


@pytest.mark.parametrize("identifier", sorted(LAYERS))
def test_conformance_kit(specs, identifier):
    check_model(specs[identifier])


def test_more_random_fourier_seeds_register_as_variants(monkeypatch):
    monkeypatch.setattr(mousescore_baselines, "RANDOM_FOURIER_SEEDS", (0, 3))
    specs = {spec.identifier: spec for spec in mousescore_baselines.mousescore_models()}
    assert {"random_fourier", "random_fourier_seed3"} <= set(specs)
    assert specs["random_fourier_seed3"].metadata["seed"] == 3
    assert specs["random_fourier_seed3"].factory().provenance["seed"] == 3


# --- gabor ---------------------------------------------------------------------------------------

def grating(size, wavelength, theta, amplitude=0.25):
    y, x = np.mgrid[:size, :size]
    phase = 2 * np.pi * (np.cos(theta) * x + np.sin(theta) * y) / wavelength
    return 0.5 + amplitude * np.cos(phase)


def bank_energy(loaded, images) -> np.ndarray:
    """The gabor bank alone (no prefilter) on (n, h, w) gray images: (n, 40, 8, 8)."""
    with torch.inference_mode():
        return loaded.module.energy.bank(torch.as_tensor(np.asarray(images), dtype=torch.float32)).double().numpy()


def test_gabor_bank_energy_of_a_grating_is_half_its_amplitude_at_the_preferred_filter_only(built):
    from mousescore_baselines.gabor import GRID, N_ORIENTATIONS, WAVELENGTHS, envelope_sigma
    loaded = built["gabor"]
    scale = WAVELENGTHS.index(16.0)
    for k in (0, 2, 4):                      # 0°, 45°, 90°
        theta = k * math.pi / N_ORIENTATIONS
        energy = bank_energy(loaded, [grating(128, 16.0, theta)]).reshape(len(WAVELENGTHS), N_ORIENTATIONS,
                                                                            GRID, GRID)
        centre = energy[:, :, 3:5, 3:5].mean(axis=(-2, -1))   # cells 48 px and more from the borders
        # peak gain 1: a cosine of amplitude A gives a complex response of modulus A/2
        assert centre[scale, k] == pytest.approx(0.125, rel=0.005)
        assert np.unravel_index(centre.argmax(), centre.shape) == (scale, k)
        # the neighbouring orientation (22.5° off) follows the Gaussian transfer function
        offset = 2 / 16.0 * math.sin(math.pi / 16)          # |f - f0| for a 22.5° turn
        expected = 0.125 * math.exp(-2 * math.pi ** 2 * envelope_sigma(16.0) ** 2 * offset ** 2)
        assert centre[scale, (k + 1) % N_ORIENTATIONS] == pytest.approx(expected, rel=0.02)
        orthogonal = centre[scale, (k + N_ORIENTATIONS // 2) % N_ORIENTATIONS]
        assert orthogonal < 1e-3 and centre[scale, k] / orthogonal > 100
        # and a grating an octave away excites the preferred wavelength's filters far less
        assert centre[scale + 2, k] < 0.05 * centre[scale, k]


def test_gabor_bank_ignores_uniform_luminance_and_is_linear_in_contrast(built):
    loaded = built["gabor"]
    assert np.abs(bank_energy(loaded, [np.full((128, 128), 0.7)])).max() < 1e-6
    rng = np.random.default_rng(1)
    image = rng.random((128, 128))
    low, high = bank_energy(loaded, [0.2 + 0.3 * image, 0.1 + 0.6 * image])
    np.testing.assert_allclose(high, 2 * low, rtol=1e-3, atol=1e-6)


def test_gabor_runs_the_bank_on_the_gist_prefiltered_image(built):
    from mousescore_baselines.gist import GistDescriptor
    loaded = built["gabor"]
    images = np.stack([natural_like(6, 128), grating(128, 11.0, 0.4)])
    with torch.inference_mode():
        # the very prefilter gist uses, on a 128-px grid, after LMgist's stretch to [0, 255]
        gray = torch.as_tensor(images, dtype=torch.float32)
        stretched = 255 * (gray - gray.amin((-2, -1), keepdim=True)) / (
            gray.amax((-2, -1), keepdim=True) - gray.amin((-2, -1), keepdim=True))
        prefiltered = GistDescriptor(size=128).prefilter(stretched)
        expected = loaded.module.energy.bank(prefiltered).reshape(2, -1).double().numpy()
    np.testing.assert_allclose(features(loaded, images), expected, rtol=1e-5, atol=1e-6)


def test_gabor_of_a_uniform_image_is_zero_and_gabor_ignores_affine_intensity_changes(built):
    loaded = built["gabor"]
    assert np.abs(features(loaded, [np.full((128, 128), 0.7)])).max() == 0
    image = natural_like(7, 128)
    plain, dimmed = features(loaded, [image, 0.3 + 0.5 * image])
    assert plain.max() > 0.05
    np.testing.assert_allclose(dimmed, plain, rtol=1e-3, atol=1e-4 * plain.max())


def test_gabor_keeps_a_gratings_orientation_through_the_prefilter(built):
    from mousescore_baselines.gabor import GRID, N_ORIENTATIONS, WAVELENGTHS
    loaded = built["gabor"]
    scale = WAVELENGTHS.index(16.0)
    for k in (0, 2, 4, 6):
        theta = k * math.pi / N_ORIENTATIONS
        energy = features(loaded, [grating(128, 16.0, theta)]).reshape(len(WAVELENGTHS), N_ORIENTATIONS,
                                                                        GRID, GRID)
        centre = energy[:, :, 3:5, 3:5].mean(axis=(-2, -1))
        assert np.unravel_index(centre.argmax(), centre.shape) == (scale, k)
        assert centre[scale, k] > 1000 * centre[scale, (k + N_ORIENTATIONS // 2) % N_ORIENTATIONS]


# --- gist ----------------------------------------------------------------------------------------

def lmgist_reference(gray: np.ndarray) -> np.ndarray:
    """A line-by-line numpy transcription of Torralba's LMgist.m (imageSize 256, [8 8 8 8], 4 blocks,
    fc_prefilt 4, boundaryExtension 32), in float64."""
    img = gray - gray.min()
    img = 255 * img / img.max()
    # prefilt(img, 4)
    w, s1 = 5, 4 / np.sqrt(np.log(2))
    img = np.pad(np.log(img + 1), w, mode="symmetric")
    sn, sm = img.shape
    n = max(sn, sm)
    n += n % 2
    fx, fy = np.meshgrid(np.arange(-n / 2, n / 2), np.arange(-n / 2, n / 2))
    gf = np.fft.fftshift(np.exp(-(fx ** 2 + fy ** 2) / s1 ** 2))
    output = img - np.real(np.fft.ifft2(np.fft.fft2(img) * gf))
    localstd = np.sqrt(np.abs(np.fft.ifft2(np.fft.fft2(output ** 2) * gf)))
    output = (output / (0.2 + localstd))[w:sn - w, w:sm - w]
    # createGabor([8 8 8 8], 256 + 64)
    be = 32
    n = output.shape[0] + 2 * be
    fx, fy = np.meshgrid(np.arange(-n / 2, n / 2), np.arange(-n / 2, n / 2))
    fr = np.fft.fftshift(np.sqrt(fx ** 2 + fy ** 2))
    t = np.fft.fftshift(np.angle(fx + 1j * fy))
    filters = []
    for i in range(4):
        for j in range(8):
            p = (0.35, 0.3 / 1.85 ** i, 16 * 8 ** 2 / 32 ** 2, np.pi / 8 * j)
            tr = t + p[3]
            tr = tr + 2 * np.pi * (tr < -np.pi) - 2 * np.pi * (tr > np.pi)
            filters.append(np.exp(-10 * p[0] * (fr / n / p[1] - 1) ** 2 - 2 * p[2] * np.pi * tr ** 2))
    # gistGabor: symmetric padding, |ifft2(F G)|, crop, downN(., 4), column-major blocks
    spectrum = np.fft.fft2(np.pad(output, be, mode="symmetric"))
    edges = np.fix(np.linspace(0, n - 2 * be, 5)).astype(int)
    g = []
    for G in filters:
        ig = np.abs(np.fft.ifft2(spectrum * G))[be:n - be, be:n - be]
        v = np.array([[ig[edges[a]:edges[a + 1], edges[b]:edges[b + 1]].mean() for b in range(4)]
                      for a in range(4)])
        g.extend(v.flatten(order="F"))
    return np.array(g)


def natural_like(seed: int, size: int = 256) -> np.ndarray:
    """Coarse random structure plus a little fine noise, in [0, 1]."""
    rng = np.random.default_rng(seed)
    coarse = torch.as_tensor(rng.random((1, 1, 16, 16)), dtype=torch.float64)
    smooth = torch.nn.functional.interpolate(coarse, size=(size, size), mode="bicubic",
                                             align_corners=False)[0, 0].numpy()
    image = 0.8 * smooth + 0.2 * rng.random((size, size))
    return (image - image.min()) / (image.max() - image.min())


def test_gist_matches_the_reference_lmgist_transcription(built):
    images = [natural_like(0), grating(256, 9.0, math.pi / 3, 0.4)]
    ours = features(built["gist"], images)
    assert ours.shape == (2, 512)
    for row, image in zip(ours, images):
        reference = lmgist_reference(image)
        np.testing.assert_allclose(row, reference, rtol=2e-3, atol=2e-4 * reference.max())


def test_gist_of_a_uniform_image_is_zero_and_gist_ignores_affine_intensity_changes(built):
    loaded = built["gist"]
    assert np.abs(features(loaded, [np.full((256, 256), 0.4)])).max() == 0
    image = natural_like(1)
    plain, dimmed = features(loaded, [image, 0.3 + 0.5 * image])
    assert plain.max() > 0.05
    np.testing.assert_allclose(dimmed, plain, rtol=1e-3, atol=1e-4 * plain.max())


def test_gist_puts_a_vertical_grating_in_the_first_orientation_of_the_matching_scale(built):
    # scale 1 peaks at 0.3/1.85 = 0.162 cycles/px: a vertical grating of wavelength 1/0.162 px
    energy = features(built["gist"], [grating(256, 1.85 / 0.3, 0.0)]).reshape(4, 8, 16).mean(-1)
    assert np.unravel_index(energy.argmax(), energy.shape) == (1, 0)
    assert energy[1, 0] > 10 * energy[1, 4]                  # the orthogonal orientation


# --- random fourier features ---------------------------------------------------------------------

def test_random_fourier_features_approximate_the_gaussian_kernel(built):
    from mousescore_baselines.random_fourier import bandwidth
    loaded = built["random_fourier"]
    sigma = bandwidth(64 * 64)
    assert sigma == 16.0
    rng = np.random.default_rng(2)
    kernels, estimates = [], []
    for noise in (0.0, 0.05, 0.15, 0.25, 0.35, 0.5):
        x = rng.random((64, 64))
        y = x + noise * rng.standard_normal((64, 64))
        zx, zy = features(loaded, [x, y])
        kernels.append(math.exp(-np.sum((x - y) ** 2) / (2 * sigma ** 2)))
        estimates.append(zx @ zy)
        assert zx @ zx == pytest.approx(1.0, abs=0.05)
    kernels, estimates = np.array(kernels), np.array(estimates)
    assert kernels.min() < 0.2 and kernels[1] > 0.9            # the pairs span the kernel's range
    assert np.abs(estimates - kernels).max() < 0.05            # error ~ 1/sqrt(4096) per pair
    assert np.corrcoef(estimates, kernels)[0, 1] > 0.99


def test_random_fourier_features_are_seeded(built):
    from mousescore_baselines.random_fourier import build, draw
    module = built["random_fourier"].module.features
    assert tuple(module.weights.shape) == (4096, 4096) and tuple(module.offsets.shape) == (4096,)
    # W ~ N(0, 1/sigma^2), b ~ U(0, 2 pi)
    assert float(module.weights.std()) * 16 == pytest.approx(1.0, abs=0.01)
    assert abs(float(module.weights.mean())) < 1e-3
    assert 0 <= float(module.offsets.min()) and float(module.offsets.max()) < 2 * math.pi
    weights, offsets = draw(64 * 64, seed=0)
    assert np.array_equal(module.weights.numpy(), weights) and np.array_equal(module.offsets.numpy(), offsets)
    images = [natural_like(3, 64), natural_like(4, 64)]
    original, same, other = build(0), build(0), build(1)
    assert other.provenance["seed"] == 1
    z, z_same, z_other = features(original, images), features(same, images), features(other, images)
    assert np.array_equal(z, z_same)
    assert z_other.shape == (2, 4096)
    assert np.abs(z_other - z).max() > 0.01
    # different draws, same kernel
    assert z_other[0] @ z_other[1] == pytest.approx(z[0] @ z[1], abs=0.05)


# --- pixels --------------------------------------------------------------------------------------

def test_pixels_are_the_gray_image_resized_like_pil(built):
    from PIL import Image
    loaded = built["pixels"]
    rng = np.random.default_rng(5)
    images = rng.random((2, 100, 90, 3), dtype=np.float32)
    with torch.inference_mode():
        ours = loaded.module(preprocess(images, loaded)).numpy()
    assert ours.shape == (2, 1, 64, 64)
    for row, image in zip(ours, images):
        gray = image.mean(axis=-1)
        expected = np.asarray(Image.fromarray(gray, mode="F").resize((64, 64), Image.BILINEAR))
        np.testing.assert_allclose(row[0], expected, atol=1e-5)
