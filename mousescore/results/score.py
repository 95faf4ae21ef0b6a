"""The Score of one model on one benchmark, with everything needed to trust and reproduce it."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from typing import Any, Dict, List, Optional, Tuple


@dataclass
class Score:
    model: str
    benchmark: str
    value: float                 # the metric at the best layer, mean over units (neurons or sites)
    error: float
    error_kind: str              # how ``error`` was estimated
    ceiling: float
    ceiling_kind: str
    ceiled_value: float          # value / ceiling
    best_layer: str
    best_layer_depth: float      # 0 = first recorded layer, 1 = last, in execution order
    layer_profile: Dict[str, float] = field(default_factory=dict)   # layer -> value, execution order
    unit_scores: Dict[str, float] = field(default_factory=dict)     # unit -> score at the best layer
    n_units: int = 0             # units scored (finite)
    n_excluded: int = 0          # units left out (NaN or constant responses)
    references: Dict[str, float] = field(default_factory=dict)      # e.g. inter-mouse score
    provenance: Dict[str, Any] = field(default_factory=dict)
    cv_value: float = float("nan")   # cross-validated layer selection (see mousescore.scoring.layer_pass)
    cv_kind: str = ""
    draws: List[float] = field(default_factory=list)   # bootstrap draws of ``value`` (common random numbers)
    draws_kind: str = ""
    # bootstrap draws of ``cv_value``, the layer chosen again in every draw (same plan as ``draws``)
    cv_draws: List[float] = field(default_factory=list)
    # the CV value of each split (both directions' mean): their spread is the split noise in cv_draws
    cv_splits: List[float] = field(default_factory=list)
    # the CV value with each stimulus left out in turn (delete-one jackknife; RSA), the layer chosen
    # again, as deviations from their mean (the variance and covariances need no more)
    cv_jackknife: List[float] = field(default_factory=list)
    # with the jackknife of an RDM score: its pair-specific part, sketched (mousescore.results.uncertainty)
    cv_pair_sketch: List[float] = field(default_factory=list)

    def interval(self, level: float = 0.95) -> Optional[Tuple[float, float]]:
        """Percentile interval of the bootstrap draws, or None without draws."""
        return percentile_interval(self.draws, level)

    def to_json(self) -> str:
        # its fields are plain values, lists and flat dicts: no deep copy (asdict's costs ~4 ms for
        # a score of 3,000 neurons)
        return json.dumps({f.name: getattr(self, f.name) for f in fields(self)}, sort_keys=False)

    @classmethod
    def from_json(cls, text: str) -> "Score":
        return cls(**json.loads(text))

    def summary(self) -> str:
        interval = self.interval()
        return (f"{self.model} on {self.benchmark}: {self.value:.4f} ± {self.error:.4f} "
                f"({self.error_kind})"
                + (f", 95% interval [{interval[0]:.4f}, {interval[1]:.4f}]" if interval else "")
                + (f"; cross-validated {self.cv_value:.4f}" if math.isfinite(self.cv_value) else "")
                + f"; ceiling {self.ceiling:.4f} ({self.ceiling_kind}), "
                f"ceiled {self.ceiled_value:.4f}; best layer {self.best_layer} "
                f"(relative depth {self.best_layer_depth:.3f}, {len(self.layer_profile)} layers)")


def percentile_interval(draws, level: float = 0.95) -> Optional[Tuple[float, float]]:
    """The central ``level`` percentile interval of bootstrap draws (NaN draws left out)."""
    import numpy as np  # here: the CLI imports Score and must start without numpy
    values = np.asarray(draws if draws is not None else [], dtype=np.float64)
    values = values[np.isfinite(values)]
    if not len(values):
        return None
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def paired_difference(draws_a, draws_b, value_a: float, value_b: float, level: float = 0.95) -> Optional[dict]:
    """A − B with the percentile interval of the paired draw differences. The draws must come from
    the same resampling plan (common random numbers): their differences then carry the uncertainty
    of the difference itself, and a model against itself differs by exactly 0. None without draws."""
    import numpy as np
    a = np.asarray(draws_a if draws_a is not None else [], dtype=np.float64)
    b = np.asarray(draws_b if draws_b is not None else [], dtype=np.float64)
    if not len(a) or len(a) != len(b):
        return None
    interval = percentile_interval(a - b, level)
    if interval is None:
        return None
    return {"difference": float(value_a - value_b), "low": interval[0], "high": interval[1],
            "significant": bool(interval[0] > 0 or interval[1] < 0)}
