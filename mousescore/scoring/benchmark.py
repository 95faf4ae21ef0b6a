"""A benchmark: stimuli, a neural target, a metric and a ceiling; scores a model's reduced features.

The model commits one layer: every layer is scored, the layer with the highest mean over the
benchmark's units (neurons, or sites for RSA) wins, and its mean is the score ("SRP-Ridge Max",
"RSA Max" in the paper). Beside it, for metrics that expose their evidence (the built-in ones): the
cross-validated value (:mod:`.layer_selection`) and bootstrap draws of the score at the committed
layer, resampled with the same indices for every model (common random numbers).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Sequence

import numpy as np

from ..data.assemblies import NeuroidAssembly, StimulusSet
from ..errors import DataError
from ..extraction.extract import LayerFeatures
from ..numerics import reductions
from ..numerics.resampling import N_SPLITS, half_splits, stimulus_resamples, unit_resamples
from ..numerics.stats import split_half_reliability
from ..registry.contracts import Metric, ResamplableMetric
from ..registry.plugins import Registry, get_registry
from ..results.score import Score
from .layer_selection import CV_KIND, cross_validated_value

# An area's ceiled value divides its mean score by the mean of its units' ceilings (a ratio of means):
# the mean of per-unit ratios lets a unit with a ceiling near zero dominate (Allen VISrl: 0.115 as a
# ratio of means, 0.223 as a mean of per-site ratios, from one unreliable site).
CEILED_RULE = "; ceiled value = mean score / mean ceiling of the scored units (ratio of means)"
DRAWS_KIND = {True: "bootstrap over stimuli and neurons ({n} draws, the same indices for every model; "
                    "mapping not refit: its out-of-sample predictions are resampled)",
              False: "bootstrap over stimuli ({n} draws, the same indices for every model; pairs of a "
                     "stimulus with its own duplicate left out)"}


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

    def score(self, model: str, features: LayerFeatures) -> Score:
        expected = self.stimuli.stimulus_ids()
        if not np.array_equal(features.stimulus_ids, expected):
            raise DataError(f"{self.identifier}: features were extracted for different stimuli "
                            f"than the benchmark's ({len(features.stimulus_ids)} vs {len(expected)})")
        if isinstance(self.metric, ResamplableMetric):
            profile, units, cv, draws, draws_kind = self._score_with_evidence(features)
        else:   # a metric that only scores: Max alone
            per_layer = {layer: (np.full(len(self.unit_ids), np.nan) if layer in features.nonfinite
                                 else self.metric.layer_scores(features.reduced[layer], self.target))
                         for layer in features.layers}
            profile = {layer: _mean(s) for layer, s in per_layer.items()}
            units, cv, draws, draws_kind = None, float("nan"), [], ""
        finite = {layer: v for layer, v in profile.items() if np.isfinite(v)}
        if not finite:
            raise DataError(f"{self.identifier}: no layer gave a finite score (constant features?)")
        best = max(finite, key=finite.get)      # first layer wins ties (execution order)
        units = per_layer[best] if units is None else units
        scored = np.isfinite(units)
        error, error_kind = self.metric.error(features.reduced[best], self.target, units)
        with np.errstate(all="ignore"):
            ceiling = float(np.mean(self.unit_ceilings[scored]))
        return Score(
            model=model, benchmark=self.identifier, value=finite[best], error=float(error),
            error_kind=error_kind, ceiling=ceiling, ceiling_kind=self.ceiling_kind + CEILED_RULE,
            ceiled_value=finite[best] / ceiling, best_layer=best,
            best_layer_depth=features.relative_depth(best), layer_profile=profile,
            unit_scores={str(u): float(s) for u, s in zip(self.unit_ids, units)},
            n_units=int(scored.sum()), n_excluded=int((~scored).sum()),
            references=dict(self.references), cv_value=cv,
            cv_kind=CV_KIND.format(n_splits=N_SPLITS) if np.isfinite(cv) else "",
            draws=draws, draws_kind=draws_kind)

    def _score_with_evidence(self, features: LayerFeatures):
        """Every layer's mean over units on all stimuli (the profile) and on the CV halves; the
        committed layer's unit scores and bootstrap draws. One weighted product per layer."""
        n = len(self.stimuli.stimulus_ids())
        key = str(self.stimuli.identifier)
        weights = half_splits(n, key, with_all=True)
        profile, halves, best, best_value = {}, {}, None, -np.inf
        slices: Dict[tuple, np.ndarray] = {}
        for layer in features.layers:
            if layer in features.nonfinite:
                profile[layer], halves[layer] = float("nan"), np.full(len(weights) - 1, np.nan)
                continue
            evidence, per_unit = self._layer_unit_scores(features.reduced[layer], weights, slices)
            finite = np.isfinite(per_unit)
            counts = finite.sum(axis=1)
            with np.errstate(all="ignore"):   # mean over the finite units of each row; NaN for none
                means = np.where(counts > 0, np.where(finite, per_unit, 0.0).sum(axis=1) / counts, np.nan)
            profile[layer], halves[layer] = float(means[0]), means[1:]
            if np.isfinite(profile[layer]) and profile[layer] > best_value:   # first layer wins ties
                best, best_value, best_units = (evidence, layer), profile[layer], per_unit[0]
        if best is None:
            return profile, None, float("nan"), [], ""
        evidence = best[0] or self.metric.layer_evidence(features.reduced[best[1]], self.target)
        draws = _draws(evidence, n, key, self.identifier)
        return (profile, best_units, cross_validated_value(halves), draws,
                DRAWS_KIND[evidence.resample_units].format(n=len(draws)))

    def _layer_unit_scores(self, reduced, weights, slices):
        """One layer's per-unit scores under the CV weights, and its evidence (None when it was not
        needed). A metric whose units are independent (``independent_units``: each neuron's LOO
        ridge depends on that neuron alone, each site's RSA on that site's RDM) shares them, through
        the layer's features, between the benchmarks holding the same units (an Allen area and its
        layer sites): each unit is scored once per layer."""
        if not getattr(self.metric, "independent_units", False):
            evidence = self.metric.layer_evidence(reduced, self.target)
            return evidence, evidence.scores(weights)
        memo = reduced.setdefault(reductions.decomposition(
            ("unit scores", self.metric.identifier, repr(sorted(self.metric.options.items())), id(weights))), {})
        keys = self.unit_keys()
        missing = tuple(i for i, unit in enumerate(keys) if unit not in memo)
        evidence = None
        if missing:
            if missing not in slices:      # one array per benchmark: its sides are remembered once
                slices[missing] = self.target if len(missing) == len(keys) else _units_of(self.target, list(missing))
            evidence = self.metric.layer_evidence(reduced, slices[missing])
            computed = evidence.scores(weights)
            for column, index in enumerate(missing):
                memo[keys[index]] = computed[:, column]
            if len(missing) == len(keys):
                return evidence, computed
        return (None, np.stack([memo[unit] for unit in keys], axis=1))

    def unit_keys(self) -> list:
        """Per unit (dataset, id, a fingerprint of its target column): equal keys, equal data."""
        if self._unit_keys is None:
            target = np.asarray(self.target, dtype=np.float64)
            rows = target.T if target.ndim == 2 else target.reshape(len(target), -1)   # one row per unit
            probe = np.random.default_rng(rows.shape[1]).standard_normal(rows.shape[1])
            fingerprints = np.nan_to_num(rows, nan=0.123456789) @ probe
            self._unit_keys = [(self.dataset, str(u), float(f)) for u, f in zip(self.unit_ids, fingerprints)]
        return self._unit_keys


def _units_of(target: np.ndarray, units: list) -> np.ndarray:
    """Those units of a target: columns of responses (stimuli × neurons), or RDMs (sites × n × n)."""
    return target[:, units] if np.ndim(target) == 2 else target[units]


def _mean(unit_scores: np.ndarray) -> float:
    with np.errstate(all="ignore"):
        return float(np.nanmean(unit_scores)) if np.isfinite(unit_scores).any() else float("nan")


def _draws(evidence, n_stimuli: int, stimulus_key: str, benchmark_key: str) -> list:
    """Bootstrap draws of the mean score at the committed layer: stimuli resampled with counts keyed
    by the stimulus set (shared by every benchmark on those stimuli), neurons keyed by the benchmark."""
    per_unit = evidence.scores(stimulus_resamples(n_stimuli, stimulus_key))     # draws × units
    finite = np.isfinite(per_unit)
    unit_weights = (unit_resamples(per_unit.shape[1], benchmark_key) if evidence.resample_units
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
    reliability (Spearman–Brown, ``n_splits`` random splits of the repeats)."""
    order = stimulus_order(stimuli, responses.stimulus_ids(), "responses")
    if "repetition" in responses.dims:
        responses = responses.transpose("presentation", "neuroid", "repetition")
        ceilings = split_half_reliability(responses.values[order], n_splits=n_splits, seed=seed)
        kind = (f"split-half reliability per neuron over repeats (Spearman-Brown, exact for unequal "
                f"halves; {n_splits} random splits), mean over neurons")
    else:
        ceilings = np.full(responses.sizes["neuroid"], np.nan)
        kind = "none: the responses have no repeats"
    target = responses.trial_mean().transpose("presentation", "neuroid").values[order]
    return Benchmark(identifier=identifier, dataset=dataset, metric=_metric(metric, metric_options, registry),
                     stimuli=stimuli, target=target, unit_ids=list(responses["neuroid_id"].values),
                     unit_ceilings=ceilings, ceiling_kind=kind, references=dict(references or {}),
                     metadata=dict(metadata or {}))


def rdm_benchmark(identifier: str, dataset: str, stimuli: StimulusSet, rdms: np.ndarray,
                  rdm_stimulus_ids: Sequence[str], unit_ids: Sequence[str], unit_ceilings,
                  ceiling_kind: str, references: Optional[Mapping] = None,
                  metadata: Optional[Mapping] = None, registry: Optional[Registry] = None) -> Benchmark:
    """RSA benchmark against one or more neural RDMs (sites × n × n, 1 − r), one committed layer."""
    rdms = np.asarray(rdms, dtype=np.float64)
    if rdms.ndim == 2:
        rdms = rdms[None]
    order = stimulus_order(stimuli, rdm_stimulus_ids, "RDM rows")
    return Benchmark(identifier=identifier, dataset=dataset, metric=_metric("rsa", None, registry), stimuli=stimuli,
                     target=rdms[:, order][:, :, order], unit_ids=list(unit_ids),
                     unit_ceilings=np.asarray(unit_ceilings, dtype=np.float64), ceiling_kind=ceiling_kind,
                     references=dict(references or {}), metadata=dict(metadata or {}))
