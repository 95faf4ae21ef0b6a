"""The Score of one model on one benchmark, with everything needed to trust and reproduce it."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Dict


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

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=False)

    @classmethod
    def from_json(cls, text: str) -> "Score":
        return cls(**json.loads(text))

    def summary(self) -> str:
        return (f"{self.model} on {self.benchmark}: {self.value:.4f} ± {self.error:.4f} "
                f"({self.error_kind}); ceiling {self.ceiling:.4f} ({self.ceiling_kind}), "
                f"ceiled {self.ceiled_value:.4f}; best layer {self.best_layer} "
                f"(relative depth {self.best_layer_depth:.3f}, {len(self.layer_profile)} layers)")
