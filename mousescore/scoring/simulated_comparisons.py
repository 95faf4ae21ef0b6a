"""Error rates of the board's comparisons on simulated data where the truth is known.

One replicate: stimuli with a 12-dimensional latent structure, a simulated site (its neurons are the
latent structure plus noise), and four models whose layers are the latent structure plus noise: three
with equal true scores and 1, 10 and 150 layers (the noise of a model's layers shares 80% of its
variance across them: correlated layers), and one with 10 layers and a true score 0.03 higher. Each is
scored by the real :class:`~mousescore.scoring.benchmark.Benchmark` (the CV value and its stored
resamples), and the six pairs are compared as the board does
(:func:`mousescore.results.uncertainty.cv_difference`, Holm over the six). Measured:

- the family-wise rate of a false "differs" among the three equal models (nominal 5%);
- the coverage of the 95% paired intervals of the three equal pairs (nominal 95%), and, to see why
  where it misses, the empirical SD of each equal pair's CV difference beside the RMS of its SEs;
- the power: how often the better model is told apart from its equal 10-layer twin;
- for contrast, the rate at which the Max (the paper's number) ranks the 150-layer model above the
  1-layer one, and the mean Max and CV value per model.

Two kinds of site:

- RSA (:data:`REGIMES`): 118 stimuli (Allen), one site RDM from 160 neurons; the CV value's evidence
  is its delete-one jackknife with the pair sketch. Two regimes of model noise: ``"family"``, models
  sharing most of their representation (as networks of one family do; paired SD of two equal models'
  RSA ~0.01, as efficientnet_lite0 vs lite1 on Allen VISp), and ``"independent"``, models with
  independent noise (paired SD ~0.02).
- per neuron (:data:`NEURON_REGIMES`): the board's ``antolik2016.V1_region1-ridge`` (50 images, 103
  neurons), scored by the real per-neuron benchmark with the ``ridge`` metric (α = 1, fitted within each
  half; the CV value's evidence is its delete-one jackknife, each half refitted without each
  stimulus). ``srp_ridge`` reads the Gram matrix of a random projection of
  the same 200-feature layers (the same cost per layer once projected, the same statistics), so
  ``ridge`` stands for both. Neurons carry the latent structure with gains uniform on [0.3, 1] against
  noise of SD 4.5; model noise as for RSA. The levels give what the board's random-init networks get
  on that site (CV value ~0.04, Max ~0.12, SE of a CV value ~0.02, paired SEs 0.005–0.03). Regimes:
  ``"neurons"`` (one family, +0.03), ``"neurons, +0.06"`` (the same, +0.06) and ``"neurons,
  independent"``. Measured (300 replicates of "neurons", seeds from 10,000): no false "differs"
  (0/300), coverage 99.8% (898/900), power 95% (SE 1.3%); the Max ranks the 150-layer model above the
  1-layer one in 91%. The per-neuron intervals are conservative: an equal pair's CV difference has SD
  0.005 across replicates against an RMS standard error of 0.008 (ratio 0.61-0.64), because the
  delete-one jackknife counts the pair part of a leave-one-out score twice
  (``tests/scoring/test_comparisons.py`` has the numbers; bootstrap draws before it: power 45%, ratio 0.45).

The truth and noise levels are fixed constants; the extra signal that makes the better model 0.03
better is calibrated on single layers (:func:`calibrate`: its mean CV value against an equal model's,
the same layer noise, 200 replicates; ``performance/simulate_comparisons.py --calibrate``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

import numpy as np

from ..data.assemblies import NeuroidAssembly, StimulusSet
from ..extraction.extract import LayerFeatures
from ..numerics import reductions
from ..numerics.ridge import centered_gram
from ..numerics.rsa import correlation_matrix, rdm
from ..results.uncertainty import cv_difference, holm, score_evidence
from .benchmark import Benchmark, neural_benchmark, rdm_benchmark

N_STIMULI, N_NEURONS, LATENT, WIDTH = 118, 160, 12, 40
NEURAL_NOISE = 6.0            # per neuron, against a latent signal of variance 12
LAYER_SHARE = 0.8             # of a model's layer noise shared by its layers
LAYER_COUNTS = (1, 10, 150)   # the equal models; the better one has LAYER_COUNTS[1]
SIGNAL_SEED = 12345           # the latent structure's mapping to a layer's features: the same always
# (shared family noise, model noise, extra signal of the better model): the extra signal gives +0.03
# on one layer (measured over 200 replicates; calibrate() as written now, seeds from 50,000, gives
# +0.0295, +0.0296 and +0.0288, SE 0.0001, on the CV value and the Max alike)
REGIMES = {"family": (7.0, 2.0, 0.101), "family, noisier": (7.0, 2.5, 0.103), "independent": (0.0, 8.0, 0.106)}

# The per-neuron site: antolik2016 V1_region1's 50 images and 103 neurons. Layers wider than the
# stimuli, as a network's are (40 features against 49 would put ridge at its interpolation threshold).
NEURON_STIMULI, NEURON_COUNT, NEURON_WIDTH = 50, 103, 200
NEURON_NOISE = 4.5            # per neuron, against a latent signal of variance 12 times its gain²
NEURON_GAINS = (0.3, 1.0)     # neurons carry the latent structure to different degrees
# As REGIMES; the extra signal gives, on the CV value of one layer (calibrate(), 200 replicates from
# seed 50,000): +0.0302, +0.0606 and +0.0299 (SEs 0.0002-0.0004); the Max of one layer: +0.025, +0.048,
# +0.026. In the full design the better model's CV value is 0.0298 above its twin's (300 replicates).
NEURON_REGIMES = {"neurons": (7.0, 2.0, 0.26), "neurons, +0.06": (7.0, 2.0, 0.66),
                  "neurons, independent": (0.0, 8.0, 0.25)}

LEVEL, ALPHA = 0.95, 0.05
KEY = reductions.correlation()
GRAM_KEY = reductions.centered_gram()
# the three equal pairs first, then the better model (3) against each; its equal twin is model 1
PAIRS = [(0, 1), (0, 2), (1, 2), (3, 0), (3, 1), (3, 2)]


@dataclass
class Replicate:
    false_claim: bool          # some pair of equal models "differs" (Holm over the six pairs)
    covered: List[bool]        # per equal pair: its 95% interval holds 0
    found: bool                # the better model differs from its equal twin
    max_follows_layers: bool   # the 150-layer model's Max above the 1-layer model's
    max_values: List[float]
    cv_values: List[float]
    differences: List[float]   # per pair of PAIRS: the CV difference
    errors: List[float]        # and its standard error from the resamples


@dataclass
class _Site:
    """A simulated benchmark and what its models are made of."""
    benchmark: Benchmark
    signal: np.ndarray                      # the latent structure as a layer's features carry it
    ids: List[str]
    reduce: Callable[[np.ndarray], dict]    # a layer's features -> what the benchmark's metric reads


def replicate(seed: int, regime: str = "family") -> Replicate:
    """One seeded replicate of a regime of :data:`REGIMES` (RSA) or :data:`NEURON_REGIMES`."""
    rng = np.random.default_rng(seed)
    site = _site(rng, regime)
    family_noise, model_noise, extra = _regime(regime)
    family = site.signal + family_noise * rng.normal(size=site.signal.shape)
    models = [(n, family) for n in LAYER_COUNTS] + [(LAYER_COUNTS[1], family + extra * site.signal)]
    scores = [site.benchmark.score(f"m{i}", _layers(rng, base, n, model_noise, site))
              for i, (n, base) in enumerate(models)]
    return _compared(scores)


def _regime(regime: str) -> tuple:
    return NEURON_REGIMES[regime] if regime in NEURON_REGIMES else REGIMES[regime]


def _site(rng, regime: str) -> _Site:
    return _neuron_site(rng) if regime in NEURON_REGIMES else _rsa_site(rng)


def _rsa_site(rng) -> _Site:
    """One site RDM from N_NEURONS neurons on N_STIMULI stimuli; layers reduced to correlation matrices."""
    latent = rng.normal(size=(N_STIMULI, LATENT))
    responses = latent @ rng.normal(size=(LATENT, N_NEURONS)) + NEURAL_NOISE * rng.normal(size=(N_STIMULI, N_NEURONS))
    ids = [f"s{i}" for i in range(N_STIMULI)]
    stimuli = StimulusSet.create(rng.random(size=(N_STIMULI, 2, 2)), ids)   # random pixels: a plan per replicate
    site = rdm_benchmark("simulated.site-rsa", "simulated", stimuli, rdm(responses), ids, ["site"], np.ones(1), "none")
    return _Site(site, _signal(latent, WIDTH), ids, lambda features: {KEY: correlation_matrix(features)})


def _neuron_site(rng) -> _Site:
    """NEURON_COUNT neurons on NEURON_STIMULI stimuli scored per neuron by ridge; layers reduced to
    their centred Gram matrices (what ``ridge`` reads)."""
    latent = rng.normal(size=(NEURON_STIMULI, LATENT))
    gains = rng.uniform(*NEURON_GAINS, size=NEURON_COUNT)
    responses = (latent @ rng.normal(size=(LATENT, NEURON_COUNT))) * gains \
        + NEURON_NOISE * rng.normal(size=(NEURON_STIMULI, NEURON_COUNT))
    ids = [f"s{i}" for i in range(NEURON_STIMULI)]
    stimuli = StimulusSet.create(rng.random(size=(NEURON_STIMULI, 2, 2)), ids)
    neurons = NeuroidAssembly.create(responses, ids, [f"n{i}" for i in range(NEURON_COUNT)])
    site = neural_benchmark("simulated.site-ridge", "simulated", stimuli, neurons, metric="ridge")
    return _Site(site, _signal(latent, NEURON_WIDTH), ids, lambda features: {GRAM_KEY: centered_gram(features)})


def _signal(latent: np.ndarray, width: int) -> np.ndarray:
    return latent @ np.random.default_rng(SIGNAL_SEED).normal(size=(LATENT, width))


def _layers(rng, base: np.ndarray, n_layers: int, noise: float, site: _Site) -> LayerFeatures:
    """A model's layers: ``base`` plus noise of which LAYER_SHARE of the SD is shared by the layers."""
    shared = rng.normal(size=base.shape)
    layers = []
    for _ in range(n_layers):
        own = LAYER_SHARE * shared + np.sqrt(1 - LAYER_SHARE ** 2) * rng.normal(size=base.shape)
        layers.append(base + noise * own)
    return _features(site, layers)


def _features(site: _Site, layers: List[np.ndarray]) -> LayerFeatures:
    features = LayerFeatures(stimulus_ids=np.array(site.ids))
    for number, values in enumerate(layers):
        name = f"layer{number}"
        features.layers.append(name)
        features.reduced[name] = site.reduce(values)
    return features


def _compared(scores) -> Replicate:
    """The six pairs compared as the board compares them: paired CV differences, Holm over the six."""
    evidence = [score_evidence(score) for score in scores]
    compared = [_paired(evidence[a], evidence[b]) for a, b in PAIRS]
    rejected = holm([c["p"] for c in compared], ALPHA)
    return Replicate(false_claim=bool(rejected[:3].any()), covered=[c["low"] <= 0 <= c["high"] for c in compared[:3]],
                     found=bool(rejected[4]), max_follows_layers=scores[2].value > scores[0].value,
                     max_values=[s.value for s in scores], cv_values=[s.cv_value for s in scores],
                     differences=[c["difference"] for c in compared], errors=[c["error"] for c in compared])


def _paired(a: Optional[dict], b: Optional[dict]) -> dict:
    """:func:`cv_difference` of two simulated scores, which always have paired CV evidence."""
    compared = cv_difference(a, b, LEVEL) if a is not None and b is not None else None
    if compared is None:
        raise ValueError("a simulated pair of scores without paired CV evidence")
    return compared


def rates(replicates: List[Replicate]) -> Dict[str, Any]:
    """The measured rates, with the binomial standard errors of the first three; per equal pair, the
    empirical SD of its CV difference over the replicates and the RMS of its SEs (equal where the
    variance formula is calibrated); the mean difference of the better model and its twin."""
    n = len(replicates)
    false = np.mean([r.false_claim for r in replicates])
    coverage = np.mean([c for r in replicates for c in r.covered])
    power = np.mean([r.found for r in replicates])
    differences, errors = np.array([r.differences for r in replicates]), np.array([r.errors for r in replicates])
    return {"replicates": n, "false_differs": float(false), "false_differs_se": float(np.sqrt(false * (1 - false) / n)),
            "coverage": float(coverage), "coverage_se": float(np.sqrt(coverage * (1 - coverage) / (3 * n))),
            "power": float(power), "power_se": float(np.sqrt(power * (1 - power) / n)),
            "max_ranks_150_above_1": float(np.mean([r.max_follows_layers for r in replicates])),
            "mean_max": [float(v) for v in np.mean([r.max_values for r in replicates], axis=0)],
            "mean_cv": [float(v) for v in np.mean([r.cv_values for r in replicates], axis=0)],
            "equal_pairs_sd": [float(v) for v in np.std(differences[:, :3], axis=0, ddof=1)] if n > 1 else [],
            "equal_pairs_rms_se": [float(v) for v in np.sqrt(np.mean(errors[:, :3] ** 2, axis=0))],
            "better_minus_twin": float(np.mean(differences[:, 4]))}


def simulate(n_replicates: int, regime: str = "family", first_seed: int = 0) -> Dict[str, float]:
    """The rates over ``n_replicates`` seeded replicates (one BLAS thread, as scoring uses on a few
    hundred stimuli)."""
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1, user_api="blas"):
        return rates([replicate(seed, regime) for seed in range(first_seed, first_seed + n_replicates)])


def calibrate(n_replicates: int = 200, regime: str = "family", first_seed: int = 0,
              extra: Optional[float] = None) -> Dict[str, float]:
    """What the regime's extra signal (or ``extra``) adds, on single layers: per replicate one layer of
    the equal models and the same layer with the extra signal (the same noise: only the signal
    differs), scored on one site; the mean differences of their CV values and of their Max, with SEs."""
    from threadpoolctl import threadpool_limits
    family_noise, model_noise, regime_extra = _regime(regime)
    extra = regime_extra if extra is None else extra
    cv, maxima = [], []
    with threadpool_limits(limits=1, user_api="blas"):
        for seed in range(first_seed, first_seed + n_replicates):
            rng = np.random.default_rng(seed)
            site = _site(rng, regime)
            layer = site.signal + family_noise * rng.normal(size=site.signal.shape) \
                + model_noise * rng.normal(size=site.signal.shape)
            plain = site.benchmark.score("plain", _features(site, [layer]))
            better = site.benchmark.score("better", _features(site, [layer + extra * site.signal]))
            cv.append(better.cv_value - plain.cv_value)
            maxima.append(better.value - plain.value)
    return {"replicates": n_replicates, "extra": extra,
            "cv_difference": float(np.mean(cv)), "cv_difference_se": float(np.std(cv, ddof=1) / np.sqrt(n_replicates)),
            "max_difference": float(np.mean(maxima)),
            "max_difference_se": float(np.std(maxima, ddof=1) / np.sqrt(n_replicates))}
