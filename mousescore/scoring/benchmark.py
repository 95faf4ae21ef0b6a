"""A benchmark: stimuli, a neural target, a metric and a ceiling; scores a model's reduced features.

The model commits one layer: every layer is scored, the layer with the highest mean over the
benchmark's units (neurons, or sites for RSA) wins, and its mean is the score ("SRP-Ridge Max",
"RSA Max" in the paper). Beside it, for metrics that expose their evidence (the built-in ones): the
cross-validated value and its bootstrap draws with the layer chosen again in every draw
(:mod:`.layer_pass`), and bootstrap draws of the score at the committed layer, resampled with the
same indices for every model (common random numbers).

Targets that cannot be scored are refused when the benchmark is built, with the reason: values that
are not real numbers or are infinite (NaN marks a missing response), no neuroids, fewer stimuli than
the metric's ``min_stimuli`` (a metric's declared floor, default 3: a Pearson r over 2 points is ±1
whatever the data), a ``repetition`` dim with fewer than 2 repeats, or no neuron with 2 usable repeats
of every stimulus, values beyond the float64 range the metrics square and sum without under- or overflow
(magnitudes in [1e-30, 1e30]: rescale, every unit's score is a correlation), or no neuroid whose mean
response varies across stimuli. A neuron without a split-half ceiling (fewer than 2 usable repeats of some stimulus,
or halves that never vary) is left out of the ceiling's mean, and the ceiling kind says how many.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Sequence

import numpy as np

from ..data.assemblies import NeuroidAssembly, StimulusSet
from ..data.headers import require_real
from ..data.identity import array_digest, stimuli_digest
from ..errors import DataError
from ..extraction.extract import LayerFeatures
from ..numerics.resampling import stimulus_resamples, unit_resamples
from ..numerics.stats import fewest_repeats, split_half_reliability
from ..registry.contracts import AggregatingMetric, Metric, ResamplableMetric
from ..registry.plugins import Registry, get_registry
from ..results.score import Score
from .layer_pass import LayerSummary, summarize
from .layer_pass import cv_kind as _cv_kind

# An area's ceiled value divides its mean score by the mean of its units' ceilings (a ratio of means):
# the mean of per-unit ratios lets a unit with a ceiling near zero dominate (Allen VISrl: 0.115 as a
# ratio of means, 0.223 as a mean of per-site ratios, from one unreliable site).
CEILED_RULE = "; ceiled value = mean score / mean ceiling of the scored units (ratio of means)"
# The plan names the content its resampling indices are seeded by (stimulus ids and pixels; the
# target's values for neurons): draws pair with another score's only under the same plan.
DRAWS_KIND = {True: "bootstrap over stimuli and neurons ({n} draws, the same indices for every model; "
                    "mapping not refit: its out-of-sample predictions are resampled; plan {plan})",
              False: "bootstrap over stimuli ({n} draws, the same indices for every model; pairs of a "
                     "stimulus with its own duplicate left out; plan {plan})"}


@dataclass
class Benchmark:
    identifier: str
    dataset: str
    metric: Metric
    stimuli: StimulusSet
    target: object                   # what the metric consumes, rows in the order of ``stimuli``
    unit_ids: Sequence[str]
    unit_ceilings: np.ndarray
    ceiling_kind: str
    references: Dict[str, float] = field(default_factory=dict)  # e.g. the inter-mouse score
    metadata: Dict[str, Any] = field(default_factory=dict)
    _unit_keys: Optional[list] = field(default=None, init=False, repr=False, compare=False)
    _target_digest: Optional[str] = field(default=None, init=False, repr=False, compare=False)

    def score(self, model: str, features: LayerFeatures, summary: Optional[LayerSummary] = None) -> Score:
        """The model's score from its reduced features; ``summary``: this benchmark's part of a
        :func:`~mousescore.scoring.layer_pass.summarize` pass over the features, shared with other
        benchmarks on the same stimuli (made here when not given)."""
        expected = self.stimuli.stimulus_ids()
        if not np.array_equal(features.stimulus_ids, expected):
            raise DataError(f"{self.identifier}: features were extracted for different stimuli "
                            f"than the benchmark's ({len(features.stimulus_ids)} vs {len(expected)})")
        if isinstance(self.metric, ResamplableMetric):
            summary = summary or summarize([self], features)[id(self)]
            per_layer = summary.unit_scores
            profile = {layer: _mean(per_layer[layer]) for layer in features.layers}
        else:   # a metric that only scores: Max alone
            summary = None
            values = {layer: ((float("nan"), np.full(len(self.unit_ids), np.nan)) if layer in features.nonfinite
                              else _layer_value(self.metric, features.reductions_of(layer), self.target))
                      for layer in features.layers}
            profile = {layer: value for layer, (value, _) in values.items()}
            per_layer = {layer: units for layer, (_, units) in values.items()}
        finite = {layer: v for layer, v in profile.items() if np.isfinite(v)}
        if not finite:
            raise DataError(f"{self.identifier}: no layer gave a finite score (constant features?)")
        best = max(finite, key=finite.get)      # first layer wins ties (execution order)
        units = per_layer[best]
        scored = np.isfinite(units)
        error, error_kind = self.metric.error(features.reductions_of(best), self.target, units)
        evidence = self.metric.layer_evidence(features.reductions_of(best), self.target) if summary else None
        draws, draws_kind = self._draws(evidence) if summary else ([], "")
        cv = summary.cv_value if summary else float("nan")
        with np.errstate(all="ignore"):   # units without a ceiling are left out of it (see module docstring)
            ceilings = self.unit_ceilings[scored & np.isfinite(self.unit_ceilings)]
            ceiling = float(np.mean(ceilings)) if len(ceilings) else float("nan")
        return Score(
            model=model, benchmark=self.identifier, value=finite[best], error=float(error),
            error_kind=error_kind, ceiling=ceiling, ceiling_kind=self.ceiling_kind + CEILED_RULE,
            ceiled_value=finite[best] / ceiling, best_layer=best,
            best_layer_depth=features.relative_depth(best), layer_profile=profile,
            unit_scores={str(u): float(s) for u, s in zip(self.unit_ids, units)},
            n_units=int(scored.sum()), n_excluded=int((~scored).sum()),
            references=dict(self.references), draws=draws, draws_kind=draws_kind,
            **(self._cv_fields(summary, evidence, draws_kind) if np.isfinite(cv) else {}))

    def _cv_fields(self, summary: LayerSummary, evidence, draws_kind: str) -> Dict[str, Any]:
        """The CV value and what its uncertainty is computed from (see mousescore.results.uncertainty):
        bootstrap draws and per-split values, or the jackknife and, for RDMs, the sketch of the
        committed layer's pair-specific influence."""
        fields = {"cv_value": summary.cv_value, "cv_kind": _cv_kind(summary, draws_kind),
                  "cv_draws": summary.cv_draws, "cv_splits": summary.cv_splits,
                  "cv_jackknife": summary.cv_jackknife}
        if summary.cv_jackknife and hasattr(evidence, "pair_sketch"):
            fields["cv_pair_sketch"] = [float(v) for v in evidence.pair_sketch(stimuli_digest(self.stimuli))]
        return fields

    def _draws(self, evidence):
        """Bootstrap draws of the score at the committed layer, and how they were made."""
        key = stimuli_digest(self.stimuli)
        draws = _draws(evidence, len(self.stimuli.stimulus_ids()), key, self.target_digest())
        plan = key[:12] + (f"/{self.target_digest()[:12]}" if evidence.resample_units else "")
        return draws, DRAWS_KIND[evidence.resample_units].format(n=len(draws), plan=plan)

    def target_digest(self) -> str:
        """The content identity of the neural target (sha256 of its values): seeds the resampling of
        its units, so that the same data give the same draws under any benchmark name."""
        if self._target_digest is None:
            self._target_digest = array_digest(np.asarray(self.target))
        return self._target_digest

    def unit_keys(self) -> list:
        """Per unit (dataset, id, a fingerprint of its target column): equal keys, equal data."""
        if self._unit_keys is None:
            target = np.asarray(self.target, dtype=np.float64)
            rows = target.T if target.ndim == 2 else target.reshape(len(target), -1)   # one row per unit
            probe = np.random.default_rng(rows.shape[1]).standard_normal(rows.shape[1])
            fingerprints = np.nan_to_num(rows, nan=0.123456789) @ probe
            self._unit_keys = [(self.dataset, str(u), float(f)) for u, f in zip(self.unit_ids, fingerprints)]
        return self._unit_keys


def _layer_value(metric: Metric, reduced, target):
    """(the layer's score, its per-unit scores): the mean over units, unless the metric aggregates
    its own way (``layer_value``, e.g. Brain-Score's median over neurons per split)."""
    if isinstance(metric, AggregatingMetric):
        return metric.layer_value(reduced, target)
    unit_scores = metric.layer_scores(reduced, target)
    return _mean(unit_scores), unit_scores


def _mean(unit_scores: np.ndarray) -> float:
    with np.errstate(all="ignore"):
        return float(np.nanmean(unit_scores)) if np.isfinite(unit_scores).any() else float("nan")


def _draws(evidence, n_stimuli: int, stimulus_key: str, units_key: str) -> list:
    """Bootstrap draws of the mean score at the committed layer: stimuli resampled with counts keyed
    by the stimuli's content (shared by every benchmark on those stimuli), neurons keyed by the
    target's content."""
    per_unit = evidence.scores(stimulus_resamples(n_stimuli, stimulus_key))     # draws × units
    finite = np.isfinite(per_unit)
    unit_weights = (unit_resamples(per_unit.shape[1], units_key) if evidence.resample_units
                    else np.ones_like(per_unit))
    with np.errstate(all="ignore"):
        draws = (np.where(finite, per_unit, 0.0) * unit_weights).sum(axis=1) / (finite * unit_weights).sum(axis=1)
    return [float(d) for d in draws]


def _metric(metric: str, options: Optional[Mapping], registry: Optional[Registry]) -> Metric:
    """The registered metric of that identifier, built with ``options``."""
    return (registry or get_registry()).get("metric", metric).factory(**dict(options or {}))


def stimulus_order(stimuli: StimulusSet, stimulus_ids: Sequence[str], what: str) -> np.ndarray:
    """Positions in ``stimulus_ids`` of each of the stimuli, in the stimuli's order; clear errors."""
    positions = {str(s): i for i, s in enumerate(stimulus_ids)}
    wanted = stimuli.stimulus_ids().tolist()
    missing = [s for s in wanted if s not in positions]
    extra = sorted(set(positions) - set(wanted))
    if missing or extra:
        raise DataError(f"{what} and the images do not match: "
                        + (f"no {what} for {missing[:5]} " if missing else "")
                        + (f"no image for {extra[:5]}" if extra else "")
                        + f" ({len(missing)} and {len(extra)} in all)")
    return np.array([positions[s] for s in wanted])


def neural_benchmark(identifier: str, dataset: str, stimuli: StimulusSet, responses: NeuroidAssembly,
                     metric: str = "srp_ridge", metric_options: Optional[Mapping] = None,
                     n_splits: int = 20, seed: int = 0, references: Optional[Mapping] = None,
                     metadata: Optional[Mapping] = None, registry: Optional[Registry] = None) -> Benchmark:
    """Per-neuron benchmark; with a ``repetition`` dim the ceiling is each neuron's split-half
    reliability (Spearman–Brown, ``n_splits`` random splits of the repeats). Unscorable responses are
    refused (see the module docstring)."""
    order = stimulus_order(stimuli, responses.stimulus_ids(), "responses")
    built_metric = _metric(metric, metric_options, registry)
    _check_responses(identifier, responses, built_metric)
    if "repetition" in responses.dims:
        responses = responses.transpose("presentation", "neuroid", "repetition")
        ceilings = split_half_reliability(responses.values[order], n_splits=n_splits, seed=seed)
        kind = (f"split-half reliability per neuron over repeats (Spearman-Brown, exact for unequal "
                f"halves; {n_splits} random splits), mean over neurons") + _without_ceiling(ceilings)
    else:
        ceilings = np.full(responses.sizes["neuroid"], np.nan)
        kind = "none: the responses have no repeats"
    target = responses.trial_mean().transpose("presentation", "neuroid").values[order]
    return Benchmark(identifier=identifier, dataset=dataset, metric=built_metric,
                     stimuli=stimuli, target=target, unit_ids=list(responses["neuroid_id"].values),
                     unit_ceilings=ceilings, ceiling_kind=kind, references=dict(references or {}),
                     metadata=dict(metadata or {}))


def rdm_benchmark(identifier: str, dataset: str, stimuli: StimulusSet, rdms: np.ndarray,
                  rdm_stimulus_ids: Sequence[str], unit_ids: Sequence[str], unit_ceilings,
                  ceiling_kind: str, references: Optional[Mapping] = None,
                  metadata: Optional[Mapping] = None, registry: Optional[Registry] = None) -> Benchmark:
    """RSA benchmark against one or more neural RDMs (sites × n × n, 1 − r), one committed layer."""
    require_real(np.asarray(rdms).dtype, f"{identifier}: the RDM")
    rdms = np.asarray(rdms, dtype=np.float64)
    if rdms.ndim == 2:
        rdms = rdms[None]
    order = stimulus_order(stimuli, rdm_stimulus_ids, "RDM rows")
    built_metric = _metric("rsa", None, registry)
    _check_stimulus_count(identifier, len(order), built_metric)
    return Benchmark(identifier=identifier, dataset=dataset, metric=built_metric, stimuli=stimuli,
                     target=rdms[:, order][:, :, order], unit_ids=list(unit_ids),
                     unit_ceilings=np.asarray(unit_ceilings, dtype=np.float64), ceiling_kind=ceiling_kind,
                     references=dict(references or {}), metadata=dict(metadata or {}))


DEFAULT_MIN_STIMULI = 3   # a metric that declares no ``min_stimuli``: Pearson r needs 3 points


def check_stimulus_count(identifier: str, n_stimuli: int, metric: str, registry: Optional[Registry] = None) -> None:
    """Refuse fewer stimuli than the registered ``metric`` needs, before anything is computed from them."""
    _check_stimulus_count(identifier, n_stimuli, _metric(metric, None, registry))


def _check_stimulus_count(identifier: str, n_stimuli: int, metric: Metric) -> None:
    """Refuse fewer stimuli than the metric can give a meaningful number for."""
    needed = int(getattr(metric, "min_stimuli", DEFAULT_MIN_STIMULI))
    if n_stimuli < needed:
        raise DataError(f"{identifier}: {n_stimuli} stimuli, and the {metric.identifier} metric needs at "
                        f"least {needed} for a score that depends on the data: give more stimuli")


def _check_responses(identifier: str, responses: NeuroidAssembly, metric: Metric) -> None:
    """Refuse responses no number can honestly be computed from (see the module docstring)."""
    require_real(responses.dtype, f"{identifier}: the responses")
    if responses.sizes["neuroid"] == 0:
        raise DataError(f"{identifier}: the responses have no neuroids")
    _check_stimulus_count(identifier, responses.sizes["presentation"], metric)
    values = np.asarray(responses.values)
    if np.isinf(values).any():
        raise DataError(f"{identifier}: the responses hold {int(np.isinf(values).sum())} infinite values: "
                        f"mark a missing response with NaN, never inf")
    check_scale(identifier, values, "responses")
    if "repetition" in responses.dims:
        check_repeats(identifier, responses.transpose("presentation", "neuroid", "repetition").values)
    check_variation(identifier, responses.trial_mean().transpose("presentation", "neuroid").values)


SCALE_RANGE = (1e-30, 1e30)   # squares and their sums over stimuli stay normal float64 numbers


def check_scale(identifier: str, values: np.ndarray, what: str) -> None:
    """Refuse values whose magnitude the metrics' float64 sums of squares cannot hold."""
    magnitude = np.abs(np.asarray(values, dtype=np.float64))
    largest = float(np.nanmax(magnitude, initial=0.0))
    low, high = SCALE_RANGE
    if largest > high or 0 < largest < low:
        raise DataError(f"{identifier}: the {what} reach {largest:.3g} at most, outside [{low:g}, {high:g}] "
                        f"where their squares and sums stay exact in float64: rescale them (e.g. to "
                        f"spikes/s or dF/F; a correlation does not change)")


def check_variation(identifier: str, means: np.ndarray) -> None:
    """Refuse responses (presentation × neuroid, repeats averaged) in which no neuroid varies across
    stimuli beyond rounding: nothing to predict or correlate (one such neuroid is excluded and counted)."""
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)      # all-NaN neuroids: NaN spread
        spread = np.nanmax(means, axis=0) - np.nanmin(means, axis=0)
        varies = spread > 1e-12 * np.nanmax(np.abs(means), axis=0)
    if not varies.any():
        raise DataError(f"{identifier}: no neuroid's mean response varies across the stimuli: nothing to "
                        f"predict or correlate")


def check_repeats(identifier: str, values: np.ndarray) -> None:
    """``values``: presentation × neuroid × repetition. A repetition dim is there for the split-half
    ceiling: it needs 2 repeats of every stimulus in at least one neuron (the others are left out of
    the ceiling)."""
    if values.shape[2] < 2:
        raise DataError(f"{identifier}: the repetition dim has {values.shape[2]} repeat(s), and a split-half "
                        f"ceiling needs at least 2: drop the dim for trial-averaged data (no ceiling)")
    if not (fewest_repeats(values) >= 2).any():
        raise DataError(f"{identifier}: no neuroid has 2 usable (non-NaN) repeats of every stimulus, so no "
                        f"split-half ceiling can be computed: drop the stimuli with one repeat, or average "
                        f"the repeats and drop the repetition dim (no ceiling)")


def _without_ceiling(ceilings: np.ndarray) -> str:
    """The ceiling kind's note on neurons left out of the ceiling, if any."""
    missing = int((~np.isfinite(ceilings)).sum())
    if not missing:
        return ""
    return (f"; {missing} of {len(ceilings)} neurons have no split-half ceiling (fewer than 2 usable repeats "
            f"of some stimulus, or halves that never vary) and are left out of the ceiling's mean")
