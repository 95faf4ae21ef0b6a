"""One pass over a model's layers for the benchmarks on one stimulus set.

Per layer, each metric's evidence is formed once for a *pool* of units (benchmarks with one metric on
the same stimuli whose metric scores each unit on its own, ``independent_units``: an Allen area and
its layer and cre sites hold the same neurons) and reduced at once to what each benchmark keeps:

- its per-unit scores on all stimuli (the layer profile; the Max is its best layer);
- the cross-validated value: the layer is chosen within one half of the stimuli and scored within the
  other, both ways round, over :data:`N_SPLITS` seeded splits. The mapping is fitted *within* each
  half (a leave-one-out prediction of a half sees only that half; an RDM compares the pairs within
  it), so that choice and report are independent;
- what the CV value's uncertainty is computed from, with the layer chosen again every time (see
  :mod:`mousescore.results.uncertainty`): the CV value with each stimulus left out in turn (its
  delete-one jackknife). RSA's evidence scores any subset of the stimuli in closed form (one quadratic
  form per layer gives every half without every stimulus); a metric fitted within each half that says
  how its halves score without each of their stimuli (``halves_left_out``: ridge and SRP-Ridge refitted
  without it in closed form) gives the same. Any other metric fitted within each half (PLS) gives
  bootstrap draws of the first :data:`N_DRAW_SPLITS` split's value (draw b resamples the stimuli, and
  the neurons, with the same indices as the score's other draws; the layer is picked on half A under
  draw b and reported on half B under draw b) beside every split's value. A model with more layers gets
  no head start (``tests/scoring/test_comparisons.py`` simulates it).

Nothing of a layer outlives the layer but these numbers (a running best per split, draw and left-out
stimulus), so a 150-layer network costs no more memory than a 10-layer one.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..data.identity import stimuli_digest
from ..numerics.resampling import (
    N_SPLITS,
    PredictionEvidence,
    StimulusWeights,
    half_splits,
    stimulus_resamples,
    unit_resamples,
)
from ..numerics.stats import CentredColumns
from ..registry.caches import cached
from ..registry.contracts import ResamplableMetric, units_are_independent
from ..registry.layer_reductions import LayerReductions

N_DRAW_SPLITS = 1    # of those, the splits each bootstrap draw of the CV value is computed on
DRAW_HALVES = tuple(range(N_DRAW_SPLITS)) + tuple(range(N_SPLITS, N_SPLITS + N_DRAW_SPLITS))

CV_KIND = ("layer chosen on a random half of the stimuli, scored on the other half (both ways, {n_splits} "
           "seeded splits shared by every model; {fit}), mean")
CV_DRAWS_KIND = ("; {n} bootstrap draws of it, the layer chosen again within every draw on {n_draw_splits} "
                 "of the splits (resampling as the score's draws)")
CV_JACKKNIFE_KIND = "; its delete-one jackknife over the {n} stimuli, the layer chosen again without each"
CV_REFIT_KIND = (" (the mapping refitted within the half without it, each neuron's ridge penalty held at the "
                 "one it chose on the whole half)")
FIT = {True: "the mapping fitted within each half",
       False: "each half scored on its own stimuli from the layer's evidence, which fits nothing to them"}


@dataclass
class LayerSummary:
    """What a benchmark keeps of the pass."""
    unit_scores: Dict[str, np.ndarray] = field(default_factory=dict)   # layer -> per unit, all stimuli
    cv_value: float = float("nan")
    cv_draws: List[float] = field(default_factory=list)
    cv_splits: List[float] = field(default_factory=list)     # per split, both directions' mean
    cv_jackknife: List[float] = field(default_factory=list)  # CV value without stimulus i, less their mean
    cv_within_halves: bool = True     # False: the metric cannot fit within a half (see summarize)


@dataclass(eq=False)
class _Pool:
    metric: ResamplableMetric
    target: np.ndarray                  # pooled: stimuli × units, or units (sites) × n × n
    members: list                       # (benchmark, its columns in the pool)


def summarize(benchmarks: Sequence, features) -> Dict[int, LayerSummary]:
    """Per benchmark (by ``id``) with a resamplable metric, its :class:`LayerSummary` on ``features``.
    Layer by layer, every pool in turn: what metrics derive from a layer on the way (the half
    decompositions that srp_ridge and srp_ridge_gcv share) is kept in the pass's own
    :class:`LayerReductions` of the layer, dropped with the layer."""
    passes = [_Pass(pool) for pool in _pools([b for b in benchmarks if isinstance(b.metric, ResamplableMetric)])]
    for layer in features.layers:
        if layer in features.nonfinite:
            for layer_pass in passes:
                layer_pass.skip(layer)
            continue
        scratch = LayerReductions(features.reduced[layer])
        for layer_pass in passes:
            layer_pass.add(layer, scratch)
    return {key: summary for layer_pass in passes for key, summary in layer_pass.finish().items()}


def cv_kind(summary: LayerSummary, draws_kind: str) -> str:
    """How a summary's CV value and its draws were computed (their plan is the score's draws' plan)."""
    text = CV_KIND.format(n_splits=N_SPLITS, fit=FIT[summary.cv_within_halves])
    if summary.cv_draws:
        text += CV_DRAWS_KIND.format(n=len(summary.cv_draws), n_draw_splits=N_DRAW_SPLITS)
    if summary.cv_jackknife:
        text += CV_JACKKNIFE_KIND.format(n=len(summary.cv_jackknife))
        if summary.cv_within_halves:
            text += CV_REFIT_KIND
    return text


def fits_within_halves(metric) -> bool:
    """Whether ``metric.layer_evidence`` takes ``stimuli`` (evidence fitted on those stimuli alone).
    A metric without it is scored on the halves from its evidence on all stimuli, which is
    independent only where the metric fits nothing to the stimuli."""
    try:
        return "stimuli" in inspect.signature(metric.layer_evidence).parameters
    except (TypeError, ValueError):
        return False


class _Pass:
    """One pool's pass over the layers: the halves and draws of its stimuli, each benchmark's state."""

    def __init__(self, pool: _Pool):
        first = pool.members[0][0]
        self.pool, self.n = pool, len(first.stimuli.stimulus_ids())
        self.key = stimuli_digest(first.stimuli)
        self.halves = [np.flatnonzero(row) for row in half_splits(self.n, self.key, n_splits=N_SPLITS).matrix]
        self.counts = stimulus_resamples(self.n, self.key).matrix                  # draws × stimuli
        self.within = fits_within_halves(pool.metric)
        # a half with fewer stimuli than the metric needs (PLS's own folds) gives no CV value
        self.too_small = min(len(half) for half in self.halves) < getattr(pool.metric, "min_stimuli", 3)
        self.half_targets = [_restrict(pool.target, half) for half in self.halves] if self.within else None
        self.half_responses: Dict[int, CentredColumns] = {}     # per half size: the responses' side of r
        self.subsets = _subset_plan(self.n, self.key)
        self.states = [_CVState(benchmark, columns, len(self.counts), self.n) for benchmark, columns in pool.members]
        self.selection: Optional[np.ndarray] = None       # units × benchmarks, made by _unit_means

    def skip(self, layer: str) -> None:
        for state in self.states:
            state.summary.unit_scores[layer] = np.full(len(state.columns), np.nan)

    def add(self, layer: str, reduced: LayerReductions) -> None:
        metric = self.pool.metric
        evidence = metric.layer_evidence(reduced, self.pool.target)
        full = evidence.scores()[0]
        drawn, left_out = {}, None
        if self.too_small:
            for state in self.states:
                state.summary.unit_scores[layer] = full[state.columns]
            return
        if self.within:
            fitted = _fitted_within(metric, reduced, self.pool.target, self.halves, self.half_targets)
            plain = _plain_scores(fitted, self.half_targets, self.half_responses)
            if hasattr(metric, "halves_left_out"):     # each half refitted without each stimulus, in closed form
                left_out = self._left_out(plain, metric.halves_left_out(reduced, self.pool.target, self.halves))
            else:
                drawn = {h: fitted[h].scores(self.counts[:, self.halves[h]]) for h in DRAW_HALVES}
        elif hasattr(evidence, "subset_scores"):   # RSA: every half, and each without one stimulus
            plain, left_out = evidence.subset_scores(self.subsets)
        else:     # nothing fitted: a half's score is the evidence on all stimuli weighted by the half
            every = evidence.scores(_cv_plan(self.n, self.key))
            plain, rest = every[:len(self.halves)], every[len(self.halves):]
            drawn = {h: rest[i * len(self.counts):(i + 1) * len(self.counts)] for i, h in enumerate(DRAW_HALVES)}
        whole = self._unit_means(plain)
        left_out_means = None if left_out is None else self._unit_means(left_out)
        drawn_means = self._drawn_means(drawn, evidence.resample_units)
        for k, state in enumerate(self.states):
            state.summary.unit_scores[layer] = full[state.columns]
            state.update(whole[..., k], drawn_means[k], None if left_out_means is None else left_out_means[..., k])

    def finish(self) -> Dict[int, LayerSummary]:
        return {id(state.benchmark): state.finish(self.within) for state in self.states}

    def _unit_means(self, scores: np.ndarray) -> np.ndarray:
        """Each row's mean over each benchmark's finite units (rows × benchmarks)."""
        if self.selection is None:
            self.selection = unit_selection([state.columns for state in self.states], scores.shape[-1])
        return selected_unit_means(scores, self.selection)

    def _drawn_means(self, drawn: Dict[int, np.ndarray], resampled: bool) -> List[Dict[int, np.ndarray]]:
        """Per benchmark, each draw half's means under every draw; where the evidence resamples units,
        over the units each benchmark's own draws resample."""
        if resampled:
            return [{h: state.resampled_unit_means(values) for h, values in drawn.items()} for state in self.states]
        pooled = {h: self._unit_means(values) for h, values in drawn.items()}
        return [{h: means[..., k] for h, means in pooled.items()} for k in range(len(self.states))]

    def _left_out(self, plain: np.ndarray, per_half: Sequence[np.ndarray]) -> np.ndarray:
        """Every half's per-unit scores with each stimulus left out (halves × stimuli × units), from each
        half's (its stimuli × units): a stimulus outside a half leaves its score as it is."""
        left_out = np.repeat(plain[:, None, :], self.n, axis=1)
        for h, (half, scores) in enumerate(zip(self.halves, per_half)):
            left_out[h, half] = scores
        return left_out


def unit_selection(column_sets: Sequence[np.ndarray], n_units: int) -> np.ndarray:
    """Units × sets: how often each set (a benchmark's columns of its pool) counts each unit."""
    selection = np.zeros((n_units, len(column_sets)))
    for k, columns in enumerate(column_sets):
        np.add.at(selection[:, k], columns, 1.0)
    return selection


def selected_unit_means(scores: np.ndarray, selection: np.ndarray) -> np.ndarray:
    """Each row's mean over each set's finite units (… × sets), as ``np.nanmean(scores[..., columns])``
    per set: every benchmark of a pool in one product (27 Allen sites pass over a score array once)."""
    finite = np.isfinite(scores)
    with np.errstate(all="ignore"):
        if finite.all():        # the usual case: the counts are the selection's own
            return (scores @ selection) / selection.sum(axis=0)
        return (np.where(finite, scores, 0.0) @ selection) / (finite.astype(np.float64) @ selection)


def _fitted_within(metric, reduced, target, halves, half_targets) -> list:
    """Each half's evidence with the mapping fitted on that half alone: the metric's
    ``halves_evidence`` where it has one (all halves at once), else ``layer_evidence(..., stimuli=half)``."""
    if hasattr(metric, "halves_evidence"):
        return metric.halves_evidence(reduced, target, halves)
    return [metric.layer_evidence(reduced, own, stimuli=half) for half, own in zip(halves, half_targets)]


def _plain_scores(evidences: Sequence, half_targets: Sequence, sides: Dict[int, CentredColumns]) -> np.ndarray:
    """Each half's per-unit scores on its own stimuli (halves × units): where the evidence is
    predictions of the halves' own responses (``half_targets``), Pearson r of the predictions against
    the responses' side prepared once per half size for every layer (``sides``; the same numbers as
    ``scores()``), else each evidence's own ``scores()``."""
    if not all(type(e) is PredictionEvidence for e in evidences):
        return np.vstack([e.scores()[0] for e in evidences])
    scores = np.empty((len(evidences), evidences[0].predictions.shape[1]))
    sizes = np.array([len(e.predictions) for e in evidences])
    for size in np.unique(sizes):
        rows = np.flatnonzero(sizes == size)
        if size not in sides:
            sides[size] = CentredColumns(np.stack([half_targets[h] for h in rows]))
        scores[rows] = sides[size].pearson(np.stack([evidences[h].predictions for h in rows]))
    return scores


@cached(maxsize=4)
def _subset_plan(n: int, key: str) -> StimulusWeights:
    """The halves' 0/1 weights, as a plan that remembers each target's side for every layer."""
    return StimulusWeights(half_splits(n, key, n_splits=N_SPLITS).matrix)


@cached(maxsize=4)
def _cv_plan(n: int, key: str) -> StimulusWeights:
    """The halves' 0/1 weights, then each draw half's bootstrap counts within it: one plan, so that a
    metric that fits nothing scores every half and draw of a layer in one call."""
    halves = half_splits(n, key, n_splits=N_SPLITS).matrix
    counts = stimulus_resamples(n, key).matrix
    return StimulusWeights(np.vstack([halves] + [counts * halves[h] for h in DRAW_HALVES]))


class _CVState:
    """A benchmark's running layer choice per split direction, on all its stimuli's halves and under
    every draw: the best value seen on the choosing half and the reporting half's value of that layer
    (first layer wins ties, as for the Max)."""

    def __init__(self, benchmark, columns: np.ndarray, n_draws: int, n_stimuli: int):
        self.benchmark, self.columns = benchmark, columns
        self.summary = LayerSummary()
        # direction d of split s chooses on half choose[d] and reports on report[d]
        split = np.arange(N_SPLITS)
        self.choose, self.report = np.concatenate([split, split + N_SPLITS]), np.concatenate([split + N_SPLITS, split])
        self.best = np.full(2 * N_SPLITS, -np.inf)
        self.reported = np.full(2 * N_SPLITS, np.nan)
        draw_split = np.arange(N_DRAW_SPLITS)
        self.draw_choose = np.concatenate([draw_split, draw_split + N_SPLITS])
        self.draw_report = np.concatenate([draw_split + N_SPLITS, draw_split])
        self.draw_best = np.full((2 * N_DRAW_SPLITS, n_draws), -np.inf)
        self.draw_reported = np.full((2 * N_DRAW_SPLITS, n_draws), np.nan)
        self.left_out_best = np.full((2 * N_SPLITS, n_stimuli), -np.inf)   # jackknife: stimulus i left out
        self.left_out_reported = np.full((2 * N_SPLITS, n_stimuli), np.nan)
        self.jackknife = False
        self._unit_weights: Optional[np.ndarray] = None

    def resampled_unit_means(self, draws: np.ndarray) -> np.ndarray:
        """Each bootstrap draw's mean over this benchmark's finite units, the units resampled with the
        score's own unit indices (the plain means of a pool are :func:`selected_unit_means`)."""
        if self._unit_weights is None:
            self._unit_weights = unit_resamples(len(self.columns), self.benchmark.target_digest())
        own = draws[..., self.columns]
        finite = np.isfinite(own)
        with np.errstate(all="ignore"):
            return (np.where(finite, own, 0.0) * self._unit_weights).sum(axis=-1) \
                / (finite * self._unit_weights).sum(axis=-1)

    def update(self, whole: np.ndarray, drawn: Dict[int, np.ndarray], left_out: Optional[np.ndarray]) -> None:
        """One layer's means on every half (``whole``), for the draw halves under every draw (``drawn``),
        and on every half with each stimulus left out (``left_out``, halves × stimuli)."""
        chosen = whole[self.choose]
        better = np.isfinite(chosen) & (chosen > self.best)
        self.best[better], self.reported[better] = chosen[better], whole[self.report][better]
        if left_out is not None:
            self.jackknife = True
            chosen = left_out[self.choose]
            better = np.isfinite(chosen) & (chosen > self.left_out_best)
            self.left_out_best[better], self.left_out_reported[better] = chosen[better], left_out[self.report][better]
        if not drawn:
            return
        chosen = np.array([drawn[h] for h in self.draw_choose])
        reported = np.array([drawn[h] for h in self.draw_report])
        better = np.isfinite(chosen) & (chosen > self.draw_best)
        self.draw_best[better], self.draw_reported[better] = chosen[better], reported[better]

    def finish(self, within: bool) -> LayerSummary:
        reported = np.where(np.isfinite(self.best), self.reported, np.nan)          # 2 · splits
        if np.isfinite(reported).any():
            self.summary.cv_value = float(_finite_mean(reported, axis=0))
            self.summary.cv_splits = [float(v) for v in _finite_mean(reported.reshape(2, N_SPLITS), axis=0)]
            if self.jackknife:
                left_out = np.where(np.isfinite(self.left_out_best), self.left_out_reported, np.nan)
                values = _finite_mean(left_out, axis=0)
                # only their spread matters (and a record keeps 16 bits): kept as deviations from their mean
                self.summary.cv_jackknife = [float(v) for v in values - values.mean()]
            drawn = np.where(np.isfinite(self.draw_best), self.draw_reported, np.nan)
            if np.isfinite(drawn).any():
                self.summary.cv_draws = [float(v) for v in _finite_mean(drawn, axis=0)]
        self.summary.cv_within_halves = within
        return self.summary


def _finite_mean(values: np.ndarray, axis: int) -> np.ndarray:
    """The mean of the finite values along ``axis``; NaN where there are none (without a warning)."""
    finite = np.isfinite(values)
    count = finite.sum(axis=axis)
    total = np.where(finite, values, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _restrict(target: np.ndarray, stimuli: np.ndarray) -> np.ndarray:
    """The target of those stimuli: rows of responses, or rows and columns of RDMs."""
    return target[stimuli] if np.ndim(target) == 2 else target[:, stimuli][:, :, stimuli]


def _pools(benchmarks: Sequence) -> List[_Pool]:
    """Benchmarks whose metric (identifier and options) scores each unit on its own, on the same
    stimuli, pooled over their distinct units (equal :meth:`Benchmark.unit_keys`); every other
    benchmark alone. The numbers are those of each benchmark alone."""
    groups: Dict[tuple, list] = {}
    for benchmark in benchmarks:
        metric, shape = benchmark.metric, np.shape(benchmark.target)
        # responses (stimuli × neurons) or RDMs (sites × n × n), one unit per neuron or site
        layout = {2: (shape[1:], shape[:1]), 3: (shape[:1], shape[1:])}.get(len(shape))
        poolable = (units_are_independent(metric) and layout
                    and layout[0] == (len(benchmark.unit_ids),))
        key = ((metric.identifier, repr(sorted(metric.options.items())), stimuli_digest(benchmark.stimuli),
                len(shape), layout[1]) if poolable else ("alone", id(benchmark)))
        groups.setdefault(key, []).append(benchmark)
    return [_pool_of(members) for members in groups.values()]


def _pool_of(members: list) -> _Pool:
    if len(members) == 1:
        only = members[0]
        return _Pool(only.metric, only.target, [(only, np.arange(len(only.unit_ids)))])
    position: Dict[tuple, int] = {}
    parts, pooled = [], []
    for benchmark in members:
        keys = benchmark.unit_keys()
        new = [i for i, unit in enumerate(keys) if unit not in position]
        for i in new:
            position[keys[i]] = len(position)
        if new:
            parts.append(_units_of(benchmark.target, new))
        pooled.append((benchmark, np.array([position[unit] for unit in keys])))
    axis = 1 if np.ndim(parts[0]) == 2 else 0
    target = np.concatenate([np.asarray(p, dtype=np.float64) for p in parts], axis=axis)
    return _Pool(members[0].metric, target, pooled)


def _units_of(target: np.ndarray, units: list) -> np.ndarray:
    """Those units of a target: columns of responses (stimuli × neurons), or RDMs (sites × n × n)."""
    return target[:, units] if np.ndim(target) == 2 else target[units]
