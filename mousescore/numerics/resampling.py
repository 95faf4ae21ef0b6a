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

import weakref
import zlib
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

from ..registry.caches import cached, register_cache
from .rsa import triangle_positions

N_DRAWS = 200        # bootstrap draws per score
N_SPLITS = 50        # half splits of the CV value (10 left it an SD of ~0.012 of its own on 118 stimuli)
PAIR_SKETCH_SIZE = 100     # directions of the pair sketch: its squared norm is within ~14% (sqrt(2/100))
MEMO_ENTRIES = 256         # targets remembered per plan (a run's ~100 benchmarks and their sides)
_CHUNK_ELEMENTS = 1 << 23   # pair weights formed at most this many at a time (64 MiB of float64)


def plan_seed(key: str, purpose: str) -> int:
    """A seed for one kind of resampling plan, from a stable key (never Python's salted hash)."""
    return zlib.crc32(f"{purpose}:{key}".encode())


def _counts(picks: np.ndarray, n: int) -> np.ndarray:
    counts = np.zeros((len(picks), n))
    np.add.at(counts, (np.arange(len(picks))[:, None], picks), 1.0)
    return counts


@cached(maxsize=16)
def stimulus_resamples(n: int, key: str, n_draws: int = N_DRAWS) -> "StimulusWeights":
    """Bootstrap counts (draws × n): how often each stimulus is drawn, n draws with replacement.
    One object per plan in a process, so that what it remembers serves every model and benchmark."""
    rng = np.random.default_rng(plan_seed(key, "stimuli"))
    return StimulusWeights(_counts(rng.integers(0, n, size=(n_draws, n)), n))


@cached(maxsize=16)
def seeded_resamples(n: int, n_draws: int, seed: int) -> "StimulusWeights":
    """Bootstrap counts from ``default_rng(seed)``: the same draws as ``n_draws`` successive
    ``rng.integers(0, n, n)`` calls."""
    return StimulusWeights(_counts(np.random.default_rng(seed).integers(0, n, size=(n_draws, n)), n))


@cached(maxsize=256)     # one per benchmark of a run, read-only
def unit_resamples(n_units: int, key: str, n_draws: int = N_DRAWS) -> np.ndarray:
    """Bootstrap counts (draws × units) of the neurons, drawn with replacement."""
    rng = np.random.default_rng(plan_seed(f"units:{key}", "stimuli"))
    counts = _counts(rng.integers(0, n_units, size=(n_draws, n_units)), n_units)
    counts.flags.writeable = False
    return counts


@cached(maxsize=16)
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


register_cache(forget_targets)


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


SKETCH_CHUNK = 1 << 15    # pairs whose directions are drawn at a time (25 MiB for 100 directions)


def sketch_pairs(values: np.ndarray, key: str, size: int = PAIR_SKETCH_SIZE) -> np.ndarray:
    """G v for values over the pairs of the stimuli (the upper triangle, row by row) and G a
    ``size`` × pairs matrix of standard Gaussian directions seeded by the stimuli (``key``): the same
    for every model. G is drawn in chunks of pairs and never held whole (3,200 stimuli have 5.1
    million pairs)."""
    seed = plan_seed(key, "pair sketch")
    sketch = np.zeros(size)
    for number, start in enumerate(range(0, len(values), SKETCH_CHUNK)):
        chunk = values[start:start + SKETCH_CHUNK]
        sketch += _directions(seed, number, size, len(chunk)) @ chunk
    return sketch


@cached(maxsize=2)      # the one chunk of 118 stimuli serves a model's 27 Allen benchmarks
def _directions(seed: int, number: int, size: int, length: int) -> np.ndarray:
    directions = np.random.default_rng([seed, number]).standard_normal((size, length))
    directions.flags.writeable = False
    return directions


def _pair_matrix(pairs: np.ndarray, n: int) -> np.ndarray:
    """Upper-triangle values (pairs, or sites × pairs) as symmetric n × n matrices, zero diagonal."""
    pairs = np.asarray(pairs, dtype=np.float64)
    out = np.zeros(pairs.shape[:-1] + (n * n,))
    out[..., triangle_positions(n)] = pairs
    out = out.reshape(pairs.shape[:-1] + (n, n))
    return out + np.swapaxes(out, -1, -2)


def _subset_sums(subsets: np.ndarray, matrices: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """For 0/1 subset rows u (m × n) and symmetric zero-diagonal matrices Q (n × n, or k × n × n): the
    sum over the pairs within each subset, ½ uᵀQu (m, or k × m), and that sum without stimulus i,
    ½ uᵀQu − uᵢ(Qu)ᵢ (m × n, or k × m × n)."""
    rows = subsets @ matrices                        # (k ×) m × n: (Qu)ᵢ, Q symmetric
    own = rows * subsets
    total = own.sum(axis=-1) / 2
    return total, total[..., None] - own


def _subset_pearson(x: Tuple[np.ndarray, ...], y: Tuple[np.ndarray, ...], cross: np.ndarray,
                    count: np.ndarray) -> np.ndarray:
    """Pearson r from pair sums: x = (Σx, Σx², flat), y likewise, ``cross`` Σxy, ``count`` pairs."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_x, mean_y = x[0] / count, y[0] / count
        var_x, var_y = x[1] / count - mean_x ** 2, y[1] / count - mean_y ** 2
        r = (cross / count - mean_x * mean_y) / np.sqrt(var_x * var_y)
    r[(var_x <= x[2]) | (var_y <= y[2]) | ~np.isfinite(r)] = np.nan
    return np.clip(r, -1.0, 1.0)


def _model_side(model: np.ndarray, pair_weights: np.ndarray):
    """The model's side of the correlation, and its centred pairs times the pair weights (so that a
    site's cross term is one product)."""
    side = _Side(model[:, None], pair_weights)
    return side, pair_weights * side.centred[:, 0]


def model_triangle(model_rdm: np.ndarray) -> np.ndarray:
    """The upper triangle (diagonal excluded, row by row) of an n × n RDM, float64."""
    n = model_rdm.shape[0]
    return np.asarray(model_rdm, dtype=np.float64).reshape(-1)[triangle_positions(n)]


# The spread of correlation distances below which a layer's RDM is rounding, not representation: rows
# alike up to k float32 steps (relative ~6e-8 each) lie ~(k·6e-8)²/2 apart, so 1e-11 is ~70 steps. Rows
# identical bit for bit still gave dissimilarities up to 6e-16 (the rounding of r), and the dead
# squeeze-excitation layers of random networks, alike up to 1 step, up to 5e-13.
RDM_ROUNDING = 1e-11


def layer_rdm_triangle(correlation: np.ndarray) -> np.ndarray:
    """The upper triangle of a layer's RDM, 1 − r of its stimulus × stimulus correlations; all zeros
    (a constant RDM, which no site correlates with: no score) where its dissimilarities span at most
    :data:`RDM_ROUNDING`. Correlated with a neural RDM, such rounding gave scores as large as a real
    layer's (0.11 for tresnet_l-random on VISrl), which Max then picked."""
    triangle = model_triangle(1.0 - correlation)
    if triangle.size and np.ptp(triangle) <= RDM_ROUNDING:
        return np.zeros_like(triangle)
    return triangle


@cached(maxsize=8)
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

    def subset_scores(self, subsets: "StimulusWeights") -> Tuple[np.ndarray, np.ndarray]:
        """Per-site r on the pairs within each subset of the stimuli (0/1 rows, m × n): m × sites; and
        on each subset with one stimulus left out (its delete-one jackknife): m × n × sites, where a
        stimulus outside a subset leaves it whole. Equal to ``scores`` under the 0/1 rows, from
        quadratic forms over the pairs (one n × n product per quantity, not one per left-out stimulus).
        The sites' side is remembered by ``subsets`` for every layer."""
        u = subsets.matrix
        neural = subsets.remembered(("subset sides", id(self.neural_rdms)),
                                    lambda: (self.neural_rdms, self._neural_subset_side(u)))[1]
        model = self.model
        tiny = (1e-12 * np.abs(model).max(initial=0.0)) ** 2
        centred = _pair_matrix(model - model.mean(), self.n)
        count = neural["count"]
        x, xx = _subset_sums(u, centred), _subset_sums(u, centred * centred)
        cross = _subset_sums(u, centred[None] * neural["centred"])      # sites × m (× n)
        results = []
        for part in (0, 1):            # the subsets whole, then each with one stimulus left out
            own = lambda values: np.moveaxis(values[part], 0, -1)          # noqa: E731 (sites last)
            results.append(_subset_pearson((x[part][..., None], xx[part][..., None], tiny),
                                           (own(neural["sums"]), own(neural["squares"]), neural["tiny"]),
                                           own(cross), count[part][..., None]))
        return results[0], results[1]

    def pair_sketch(self, key: str, size: int = PAIR_SKETCH_SIZE) -> np.ndarray:
        """A sketch of the pair-specific part of the mean r over the sites: the linearised influence
        of each pair of stimuli on r, ψ = x̃ỹ − r(x̃² + ỹ²)/2 (x̃, ỹ the standardised pair values),
        averaged over the sites, less its stimulus effects (Hoeffding's second-order part e), projected
        on ``size`` seeded Gaussian directions shared by every model on these stimuli (``key``).
        ‖G e‖² / size estimates Σ e², and G(e_A − e_B) = G e_A − G e_B, so two models' sketches give
        the pair-specific variance of their difference, which a delete-one jackknife counts twice
        (see :mod:`mousescore.results.uncertainty`)."""
        neural = self._neural_pairs()                                        # pairs × sites
        x = (self.model - self.model.mean()) / self.model.std()
        with np.errstate(invalid="ignore", divide="ignore"):
            y = (neural - neural.mean(axis=0)) / neural.std(axis=0)
            r = (x[:, None] * y).mean(axis=0)
            psi = x[:, None] * y - r * (x[:, None] ** 2 + y ** 2) / 2
        psi = psi[:, np.isfinite(r)].mean(axis=1) if np.isfinite(r).any() else np.full(len(x), np.nan)
        n = self.n
        matrix = _pair_matrix(psi, n)
        mean = psi.mean()
        effects = (n - 1) / (n - 2) * (matrix.sum(axis=1) / (n - 1) - mean)        # unbiased row effects
        rows, cols = _pairs(n)
        residual = psi - effects[rows] - effects[cols] - mean
        return sketch_pairs(residual, key, size)

    def _neural_subset_side(self, subsets: np.ndarray) -> Dict[str, Any]:
        pairs = self._neural_pairs().T                                     # sites × pairs
        centred = _pair_matrix(pairs - pairs.mean(axis=1, keepdims=True), self.n)
        sums, squares = _subset_sums(subsets, centred), _subset_sums(subsets, centred * centred)
        return {"centred": centred, "sums": sums, "squares": squares,
                "count": _subset_sums(subsets, _pair_matrix(np.ones(len(pairs[0])), self.n)),
                "tiny": (1e-12 * np.abs(pairs).max(axis=1)) ** 2}

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


