"""What more than one command prints: score lines, and warnings about plugins that failed to load."""
from __future__ import annotations

import math
import sys


def score_line(s) -> str:
    """One :class:`~mousescore.results.score.Score` in one line: value, error, interval, CV value,
    ceiling, best layer and units."""
    interval = s.interval()
    return (f"{s.benchmark}  score {s.value:.4f} ± {s.error:.4f}"
            + (f" [95% {interval[0]:.4f}, {interval[1]:.4f}]" if interval else "")
            + (f"  cross-validated {s.cv_value:.4f}" if math.isfinite(s.cv_value) else "")
            + f"  ceiling {s.ceiling:.4f}  "
            f"ceiled {s.ceiled_value:.4f}  best layer {s.best_layer} "
            f"(relative depth {s.best_layer_depth:.2f})  units {s.n_units}"
            + (f" ({s.n_excluded} excluded)" if s.n_excluded else "")
            + ("  [SURROGATE data, not recordings]" if s.provenance.get("surrogate_data") else ""))


def print_scores(scores) -> None:
    """Each score's line with its references below it, then the mean score over several benchmarks."""
    for s in scores:
        print(score_line(s))
        for name, value in s.references.items():
            print(f"    reference: {name} = {value:.4f}")
    if len(scores) > 1:
        values = [s.value for s in scores if math.isfinite(s.value)]
        print(f"{len(scores)} benchmarks, mean score {sum(values) / len(values):.4f}")


def warn_about_broken_plugins(registry) -> None:
    for name, problem in sorted(registry.problems.items()):
        print(f"warning: plugin '{name}' {problem}; the other plugins still work", file=sys.stderr)
