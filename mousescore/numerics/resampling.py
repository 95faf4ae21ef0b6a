"""Scores on parts and resamples of the stimuli: cross-validated layer selection and bootstrap draws.

A metric's per-layer *evidence* is what its per-unit score is computed from: out-of-sample
predictions beside the responses (SRP-Ridge, ridge, PLS), or the model RDM beside the neural RDMs
(RSA). Scoring it with stimulus weights gives the per-unit score on any subset (0/1 weights) or
bootstrap resample (multinomial counts) of the stimuli in one product, without refitting: a
resample's Pearson r over (stimulus, prediction) pairs with repeats equals the r weighted by counts.

Resampling plans depend only on a key (the stimulus set or the benchmark) and the sizes, never on
the model: every model on a benchmark is resampled with the same indices (common random numbers),
so that the paired difference of two models has an interval from their stored draws alone.
"""
from __future__ import annotations

import functools
import weakref
import zlib
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

from .rsa import triangle_positions

N_DRAWS = 200        # bootstrap draws per score
N_SPLITS = 10        # random half splits of the stimuli for cross-validated layer selection
MEMO_ENTRIES = 256         # targets remembered per plan (a run's ~100 benchmarks and their sides)
_CHUNK_ELEMENTS = 1 << 23   # pair weights formed at most this many at a time (64 MiB of float64)


def plan_seed(key: str, purpose: str) -> int:
    """A seed for one kind of resampling plan, from a stable key (never Python's salted hash)."""
    return zlib.crc32(f"{purpose}:{key}".encode())


def _counts(picks: np.ndarray, n: int) -> np.ndarray:
    counts = np.zeros((len(picks), n))
    np.add.at(counts, (np.arange(len(picks))[:, None], picks), 1.0)
    return counts


@functools.lru_cache(maxsize=16)
def stimulus_resamples(n: int, key: str, n_draws: int = N_DRAWS) -> "StimulusWeights":
    """Bootstrap counts (draws × n): how often each stimulus is drawn, n draws with replacement.
    One object per plan in a process, so that what it remembers serves every model and benchmark."""
    rng = np.random.default_rng(plan_seed(key, "stimuli"))
    return StimulusWeights(_counts(rng.integers(0, n, size=(n_draws, n)), n))


@functools.lru_cache(maxsize=16)
def seeded_resamples(n: int, n_draws: int, seed: int) -> "StimulusWeights":
    """Bootstrap counts from ``default_rng(seed)``: the same draws as ``n_draws`` successive
    ``rng.integers(0, n, n)`` calls."""
    return StimulusWeights(_counts(np.random.default_rng(seed).integers(0, n, size=(n_draws, n)), n))


@functools.lru_cache(maxsize=256)     # one per benchmark of a run, read-only
def unit_resamples(n_units: int, key: str, n_draws: int = N_DRAWS) -> np.ndarray:
    """Bootstrap counts (draws × units) of the neurons, drawn with replacement."""
    rng = np.random.default_rng(plan_seed(f"units:{key}", "stimuli"))
    counts = _counts(rng.integers(0, n_units, size=(n_draws, n_units)), n_units)
    counts.flags.writeable = False
    return counts


@functools.lru_cache(maxsize=16)
def half_splits(n: int, key: str, n_splits: int = N_SPLITS, with_all: bool = False) -> "StimulusWeights":
    """0/1 weights (2·splits × n): row s is a random half of the stimuli (⌊n/2⌋ of them), row
    splits + s its complement; ``with_all``: a first row of ones (all stimuli) before them."""
    rng = np.random.default_rng(plan_seed(key, "halves"))
    first = np.zeros((n_splits, n))
    for row in first:
        row[rng.permutation(n)[:n // 2]] = 1.0
    rows = [np.ones((1, n))] if with_all else []
    return StimulusWeights(np.concatenate(rows + [first, 1.0 - first]), every_layer=True)


class StimulusWeights:
    """Rows of stimulus weights (m × n), remembering what a target costs under them: scoring every
    layer against one target under one set of weights computes the target's side (its weighted
    moments, its RDM pairs) once, not once per layer. Memo entries hold their target, so that the
    ``id`` in their key cannot be reused by another object while they live. ``every_layer``: a plan
    every layer is scored under (the CV halves), so that a layer's side under it is worth keeping
    beside the layer; a bootstrap plan scores only each benchmark's chosen layer."""

    def __init__(self, matrix: np.ndarray, every_layer: bool = False):
        self.matrix = np.asarray(matrix, dtype=np.float64)
        self.matrix.flags.writeable = False     # shared by every caller of a cached plan
        self.every_layer = every_layer
        self._memo: Dict[Tuple, Any] = {}
        _PLANS.add(self)

    def __len__(self) -> int:
        return len(self.matrix)

    def remembered(self, key: Tuple, compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            if len(self._memo) >= MEMO_ENTRIES:     # a long session of custom benchmarks: forget the oldest
                self._memo.pop(next(iter(self._memo)))
            self._memo[key] = compute()
        return self._memo[key]


_PLANS: "weakref.WeakSet[StimulusWeights]" = weakref.WeakSet()


def forget_targets() -> None:
    """Drop what every plan remembers of its targets (a bounded-memory run does after each
    benchmark: the sides of ~100 benchmarks' targets under the bootstrap plans held ~75 MiB)."""
    for plan in list(_PLANS):
        plan._memo.clear()


def as_weights(weights, n: int) -> StimulusWeights:
    if weights is None:
        return StimulusWeights(np.ones((1, n)))
    return weights if isinstance(weights, StimulusWeights) else StimulusWeights(weights)


class _Side:
    """One side of a weighted Pearson r: centred columns (n × k) and their moments under weights."""

    def __init__(self, values: np.ndarray, weights: np.ndarray):
        values = np.asarray(values, dtype=np.float64)
        # pearson_columns' rule: a spread below 1e-12 of the magnitude is rounding, not signal
        tiny = (1e-12 * np.abs(values).max(axis=0)) ** 2
        self.centred = values - values.mean(axis=0)    # centred first: the moments lose nothing
        self.total = weights.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.mean = (weights @ self.centred) / self.total
            self.variance = (weights @ (self.centred * self.centred)) / self.total - self.mean ** 2
        self.flat = self.variance <= tiny


def _correlate(x: _Side, y: _Side, cross: np.ndarray) -> np.ndarray:
    """r from both sides' moments and the weighted sum of products ``cross`` (m × k)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (cross / x.total - x.mean * y.mean) / np.sqrt(x.variance * y.variance)
    r[x.flat | y.flat | ~np.isfinite(r)] = np.nan
    return np.clip(r, -1.0, 1.0)


def weighted_pearson(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Pearson r between matching columns of ``x`` and ``y`` (n × k) under each row of stimulus
    ``weights`` (m × n): m × k. NaN where a column is (numerically) constant under the weights."""
    w = np.asarray(weights, dtype=np.float64)
    a, b = _Side(x, w), _Side(y, w)
    return _correlate(a, b, w @ (a.centred * b.centred))


class PredictionEvidence:
    """Out-of-sample predictions and responses (stimuli × neurons): per-neuron Pearson r."""

    resample_units = True     # neurons are a sample of a population: draws resample them too

    def __init__(self, predictions: np.ndarray, responses: np.ndarray):
        self.predictions = np.asarray(predictions, dtype=np.float64)
        self.responses = responses

    def scores(self, weights=None) -> np.ndarray:
        """Per-neuron r under each row of stimulus weights (m × neurons); all stimuli once if None."""
        weights = as_weights(weights, len(self.predictions))
        target = weights.remembered(("responses", id(self.responses)),
                                    lambda: (self.responses, _Side(self.responses, weights.matrix)))[1]
        layer = _Side(self.predictions, weights.matrix)
        return _correlate(layer, target, weights.matrix @ (layer.centred * target.centred))


def _model_side(model: np.ndarray, pair_weights: np.ndarray):
    """The model's side of the correlation, and its centred pairs times the pair weights (so that a
    site's cross term is one product)."""
    side = _Side(model[:, None], pair_weights)
    return side, pair_weights * side.centred[:, 0]


def model_triangle(model_rdm: np.ndarray) -> np.ndarray:
    """The upper triangle (diagonal excluded, row by row) of an n × n RDM, float64."""
    n = model_rdm.shape[0]
    return np.asarray(model_rdm, dtype=np.float64).reshape(-1)[triangle_positions(n)]


@functools.lru_cache(maxsize=8)
def _pairs(n: int) -> Tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(n, k=1)


class RDMEvidence:
    """A model RDM and neural RDMs (sites × n × n): per-site Pearson r of the upper triangles. Under
    weights, the pair of stimuli i < j weighs wᵢ·wⱼ, so a resample leaves out the pairs of a stimulus
    with its own duplicate, and a subset compares only the pairs within it."""

    resample_units = False    # the sites are the benchmark's fixed sites, not a sample

    def __init__(self, model_rdm: np.ndarray, neural_rdms: np.ndarray, layer_memo: Optional[dict] = None):
        """``model_rdm``: n × n, or its upper triangle (row by row, as :func:`model_triangle` gives).
        ``layer_memo``: a dict kept beside the layer's features (and freed with them), where the
        model's side of the correlation under a plan every layer is scored under is kept for every
        benchmark on that layer (not a bootstrap plan's: m × pairs for each benchmark's chosen layer
        grew the memory by ~16 MiB a benchmark on 118 stimuli, to save ~5 ms)."""
        model_rdm = np.asarray(model_rdm)
        self.n = np.shape(neural_rdms)[-1]
        self.model = model_rdm if model_rdm.ndim == 1 else model_triangle(model_rdm)
        self.neural_rdms = neural_rdms
        self.layer_memo = layer_memo

    def _neural_pairs(self) -> np.ndarray:
        neural = np.asarray(self.neural_rdms, dtype=np.float64)
        neural = neural[None] if neural.ndim == 2 else neural
        return neural.reshape(len(neural), self.n * self.n)[:, triangle_positions(self.n)].T   # pairs × sites

    def scores(self, weights=None) -> np.ndarray:
        """Per-site r under each row of stimulus weights (m × sites); all stimuli once if None."""
        weights = as_weights(weights, self.n)
        rows, cols = _pairs(self.n)
        step = max(1, _CHUNK_ELEMENTS // max(1, len(rows)))
        neural = weights.remembered(("rdm pairs", id(self.neural_rdms)),
                                    lambda: (self.neural_rdms, self._neural_pairs()))[1]
        whole = step >= len(weights)      # small enough to remember (a few MB); else formed per chunk
        parts = []
        for start in range(0, len(weights), step):
            chunk = weights.matrix[start:start + step]
            pair_weights = (weights.remembered(("pair weights",), lambda: chunk[:, rows] * chunk[:, cols]) if whole
                            else chunk[:, rows] * chunk[:, cols])
            target = (weights.remembered(("rdm side", id(self.neural_rdms)),
                                         lambda: (self.neural_rdms, _Side(neural, pair_weights)))[1] if whole
                      else _Side(neural, pair_weights))
            if whole and self.layer_memo is not None and weights.every_layer:   # once per layer
                if id(weights) not in self.layer_memo:
                    self.layer_memo[id(weights)] = (weights, *_model_side(self.model, pair_weights))
                layer, weighted = self.layer_memo[id(weights)][1:]
            else:
                layer, weighted = _model_side(self.model, pair_weights)
            parts.append(_correlate(layer, target, weighted @ target.centred))
        return np.concatenate(parts)


