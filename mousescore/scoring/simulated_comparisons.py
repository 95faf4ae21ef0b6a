"""Error rates of the board's comparisons on simulated data where the truth is known.

One replicate: 118 stimuli with a 12-dimensional latent structure, a site RDM from 160 simulated
neurons (the latent structure plus noise), and four models whose layers are the latent structure plus
noise: three with equal true scores and 1, 10 and 150 layers (the noise of a model's layers shares 80%
of its variance across them: correlated layers), and one with 10 layers and a true score 0.03 higher.
Each is scored by the real :class:`~mousescore.scoring.benchmark.Benchmark` (RSA; the CV value with its
jackknife and pair sketch), and the six pairs are compared as the board does
(:func:`mousescore.results.uncertainty.cv_difference`, Holm over the six). Measured:

- the family-wise rate of a false "differs" among the three equal models (nominal 5%);
- the coverage of the 95% paired intervals of the three equal pairs (nominal 95%);
- the power: how often the better model is told apart from its equal 10-layer twin;
- for contrast, the rate at which the Max (the paper's number) ranks the 150-layer model above the
  1-layer one, and the mean Max and CV value per model.

Two regimes of model noise: ``"family"``, models sharing most of their representation (as networks of
one family do; paired SD of two equal models' RSA ~0.01, as efficientnet_lite0 vs lite1 on Allen
VISp), and ``"independent"``, models with independent noise (paired SD ~0.02). The truth and noise
levels are fixed constants; the calibration of the 0.03 difference is measured on single layers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List

import numpy as np

from ..data.assemblies import StimulusSet
from ..extraction.extract import LayerFeatures
from ..numerics import reductions
from ..numerics.rsa import correlation_matrix, rdm
from ..results.uncertainty import cv_difference, holm, score_evidence
from .benchmark import rdm_benchmark

N_STIMULI, N_NEURONS, LATENT, WIDTH = 118, 160, 12, 40
NEURAL_NOISE = 6.0            # per neuron, against a latent signal of variance 12
LAYER_SHARE = 0.8             # of a model's layer noise shared by its layers
LAYER_COUNTS = (1, 10, 150)   # the equal models; the better one has LAYER_COUNTS[1]
# (shared family noise, model noise, extra signal of the better model): the extra signal gives +0.03
# on one layer (measured over 200 replicates by performance/simulate_comparisons.py --calibrate)
REGIMES = {"family": (7.0, 2.0, 0.101), "family, noisier": (7.0, 2.5, 0.103), "independent": (0.0, 8.0, 0.106)}
LEVEL, ALPHA = 0.95, 0.05
KEY = reductions.correlation()


@dataclass
class Replicate:
    false_claim: bool          # some pair of equal models "differs" (Holm over the six pairs)
    covered: List[bool]        # per equal pair: its 95% interval holds 0
    found: bool                # the better model differs from its equal twin
    max_follows_layers: bool   # the 150-layer model's Max above the 1-layer model's
    max_values: List[float]
    cv_values: List[float]


def replicate(seed: int, regime: str = "family") -> Replicate:
    family_noise, model_noise, extra = REGIMES[regime]
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(N_STIMULI, LATENT))
    responses = latent @ rng.normal(size=(LATENT, N_NEURONS)) + NEURAL_NOISE * rng.normal(size=(N_STIMULI, N_NEURONS))
    ids = [f"s{i}" for i in range(N_STIMULI)]
    stimuli = StimulusSet.create(rng.random(size=(N_STIMULI, 2, 2)), ids)
    site = rdm_benchmark("simulated.site-rsa", "simulated", stimuli, rdm(responses), ids, ["site"], np.ones(1), "none")
    signal = latent @ np.random.default_rng(12345).normal(size=(LATENT, WIDTH))   # the same mapping always
    family = signal + family_noise * rng.normal(size=(N_STIMULI, WIDTH))
    models = [(n, family) for n in LAYER_COUNTS] + [(LAYER_COUNTS[1], family + extra * signal)]
    scores = [site.score(f"m{i}", _layers(rng, base, n, model_noise, ids)) for i, (n, base) in enumerate(models)]
    evidence = [score_evidence(score) for score in scores]
    pairs = [(0, 1), (0, 2), (1, 2), (3, 0), (3, 1), (3, 2)]
    compared = [cv_difference(evidence[a], evidence[b], LEVEL) for a, b in pairs]
    rejected = holm([c["p"] for c in compared], ALPHA)
    return Replicate(false_claim=bool(rejected[:3].any()), covered=[c["low"] <= 0 <= c["high"] for c in compared[:3]],
                     found=bool(rejected[4]), max_follows_layers=scores[2].value > scores[0].value,
                     max_values=[s.value for s in scores], cv_values=[s.cv_value for s in scores])


def _layers(rng, base: np.ndarray, n_layers: int, noise: float, ids) -> LayerFeatures:
    shared = rng.normal(size=base.shape)
    features = LayerFeatures(stimulus_ids=np.array(ids))
    for number in range(n_layers):
        own = LAYER_SHARE * shared + np.sqrt(1 - LAYER_SHARE ** 2) * rng.normal(size=base.shape)
        name = f"layer{number}"
        features.layers.append(name)
        features.reduced[name] = {KEY: correlation_matrix(base + noise * own)}
    return features


def rates(replicates: List[Replicate]) -> Dict[str, float]:
    """The measured rates, with the binomial standard errors of the first three."""
    n = len(replicates)
    false = np.mean([r.false_claim for r in replicates])
    coverage = np.mean([c for r in replicates for c in r.covered])
    power = np.mean([r.found for r in replicates])
    return {"replicates": n, "false_differs": float(false), "false_differs_se": float(np.sqrt(false * (1 - false) / n)),
            "coverage": float(coverage), "coverage_se": float(np.sqrt(coverage * (1 - coverage) / (3 * n))),
            "power": float(power), "power_se": float(np.sqrt(power * (1 - power) / n)),
            "max_ranks_150_above_1": float(np.mean([r.max_follows_layers for r in replicates])),
            "mean_max": [float(v) for v in np.mean([r.max_values for r in replicates], axis=0)],
            "mean_cv": [float(v) for v in np.mean([r.cv_values for r in replicates], axis=0)]}


def simulate(n_replicates: int, regime: str = "family", first_seed: int = 0) -> Dict[str, float]:
    """The rates over ``n_replicates`` seeded replicates (one BLAS thread, as scoring uses on a few
    hundred stimuli)."""
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1, user_api="blas"):
        return rates([replicate(seed, regime) for seed in range(first_seed, first_seed + n_replicates)])
