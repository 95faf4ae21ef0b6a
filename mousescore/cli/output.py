"""What more than one command prints: scores as an aligned table, and warnings about plugins that
failed to load."""
from __future__ import annotations

import math
import sys
from typing import List, Sequence

# (header, right-aligned): numbers line up on their last digit, names on their first letter
COLUMNS = (("model", False), ("benchmark", False), ("metric", False), ("score", True), ("±", True),
           ("95% interval", True), ("CV score", True), ("ceiling", True), ("ceiled", True),
           ("best layer", False), ("depth", True), ("units", True), ("note", False))


def _number(value: float) -> str:
    return f"{value:.4f}" if math.isfinite(value) else "nan"


def _row(s) -> List[str]:
    """One :class:`~mousescore.results.score.Score`'s cells, in the order of ``COLUMNS``."""
    interval = s.interval()
    return [s.model, s.benchmark, str(s.provenance.get("metric", "")), _number(s.value), _number(s.error),
            f"[{interval[0]:.4f}, {interval[1]:.4f}]" if interval else "",
            _number(s.cv_value) if math.isfinite(s.cv_value) else "",
            _number(s.ceiling), _number(s.ceiled_value), str(s.best_layer), f"{s.best_layer_depth:.2f}",
            f"{s.n_units}" + (f" ({s.n_excluded} excluded)" if s.n_excluded else ""),
            "SURROGATE data, not recordings" if s.provenance.get("surrogate_data") else ""]


def score_table(scores: Sequence) -> str:
    """The scores as a table with a header, one row per score and its columns aligned (a column no
    score fills is left out), then each score's references, one a line."""
    rows = [[header for header, _ in COLUMNS]] + [_row(s) for s in scores]
    kept = [i for i in range(len(COLUMNS)) if any(row[i] for row in rows[1:])]
    widths = {i: max(len(row[i]) for row in rows) for i in kept}
    lines = ["  ".join(row[i].rjust(widths[i]) if COLUMNS[i][1] else row[i].ljust(widths[i]) for i in kept).rstrip()
             for row in rows]
    lines += [f"{s.benchmark} reference: {name} = {value:.4f}" for s in scores for name, value in s.references.items()]
    return "\n".join(lines)


def print_scores(scores) -> None:
    """The scores' table on standard output."""
    print(score_table(scores))


def warn_about_broken_plugins(registry) -> None:
    for name, problem in sorted(registry.problems.items()):
        print(f"warning: plugin '{name}' {problem}; the other plugins still work", file=sys.stderr)
