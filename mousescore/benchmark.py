"""A benchmark: stimuli, a neural target, a metric and a ceiling; scores a model's reduced features.

The model commits one layer: every layer is scored, the layer with the highest mean over the
benchmark's units (neurons, or sites for RSA) wins, and its mean is the score ("SRP-Ridge Max",
"RSA Max" in the paper).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Sequence

import numpy as np

from .assemblies import StimulusSet
from .errors import DataError
from .extraction import LayerFeatures
from .score import Score


@dataclass
class Benchmark:
    identifier: str
    dataset: str
    metric: Any                      # has reductions(), layer_scores(), error(), identifier, options
    stimuli: StimulusSet
    target: Any                      # what the metric consumes, rows in the order of ``stimuli``
    unit_ids: Sequence[str]
    unit_ceilings: np.ndarray
    ceiling_kind: str
    metadata: Dict[str, Any] = field(default_factory=dict)

    def score(self, model: str, features: LayerFeatures) -> Score:
        expected = self.stimuli.stimulus_ids()
        if not np.array_equal(features.stimulus_ids, expected):
            raise DataError(f"{self.identifier}: features were extracted for different stimuli "
                            f"than the benchmark's ({len(features.stimulus_ids)} vs {len(expected)})")
        per_layer = {layer: self.metric.layer_scores(features.reduced[layer], self.target)
                     for layer in features.layers}
        with np.errstate(all="ignore"):
            profile = {layer: float(np.nanmean(s)) if np.isfinite(s).any() else float("nan")
                       for layer, s in per_layer.items()}
        finite = {layer: v for layer, v in profile.items() if np.isfinite(v)}
        if not finite:
            raise DataError(f"{self.identifier}: no layer gave a finite score (constant features?)")
        best = max(finite, key=finite.get)      # first layer wins ties (execution order)
        units = per_layer[best]
        scored = np.isfinite(units)
        error, error_kind = self.metric.error(features.reduced[best], self.target, units)
        ceiling = float(np.mean(self.unit_ceilings[scored]))
        return Score(
            model=model, benchmark=self.identifier, value=finite[best], error=float(error),
            error_kind=error_kind, ceiling=ceiling, ceiling_kind=self.ceiling_kind,
            ceiled_value=finite[best] / ceiling, best_layer=best,
            best_layer_depth=features.relative_depth(best), layer_profile=profile,
            unit_scores={str(u): float(s) for u, s in zip(self.unit_ids, units)},
            n_units=int(scored.sum()), n_excluded=int((~scored).sum()))
