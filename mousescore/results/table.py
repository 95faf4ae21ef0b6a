"""Scores as data: a tidy table, layer profiles, a plot and paired comparisons, for notebooks.

pandas and matplotlib are imported when a table or a plot is asked for, not before.
"""
from __future__ import annotations

import html
import logging
import math
from dataclasses import fields
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Union

from .records import DEFAULT_RESULTS_DIR, read_records
from ..errors import MousescoreError
from .score import Score, paired_difference
from .uncertainty import cv_difference, score_evidence

logger = logging.getLogger("mousescore")

COLUMNS = ["model", "benchmark", "value", "error", "interval_low", "interval_high", "cv_value",
           "ceiling", "ceiled_value", "best_layer", "best_layer_depth", "n_layers", "n_units",
           "n_excluded", "error_kind", "ceiling_kind"]


class Results(Sequence[Score]):
    """The scores of one or more models on benchmarks, in the order they were scored."""

    def __init__(self, scores: Iterable[Score]):
        self.scores: List[Score] = list(scores)

    @classmethod
    def from_records(cls, records: Iterable[Dict]) -> "Results":
        """Results from leaderboard records (:func:`mousescore.read_records`); records keep no
        per-unit scores, so ``unit_scores`` is empty."""
        names = {f.name for f in fields(Score)}
        scores = []
        for record in records:
            values = {key: value for key, value in record.items() if key in names}
            for key in ("value", "error", "ceiling", "ceiled_value", "cv_value", "best_layer_depth"):
                values[key] = math.nan if values.get(key) is None else float(values[key])
            values["layer_profile"] = {layer: math.nan if v is None else float(v)
                                       for layer, v in (values.get("layer_profile") or {}).items()}
            values["draws"] = [math.nan if v is None else float(v) for v in values.get("draws") or []]
            scores.append(Score(**values))
        return cls(scores)

    def __len__(self) -> int:
        return len(self.scores)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Results(self.scores[index])
        return self.scores[index]

    def __iter__(self) -> Iterator[Score]:
        return iter(self.scores)

    def __add__(self, other: "Results") -> "Results":
        return Results(self.scores + list(other))

    def get(self, benchmark: str, model: Optional[str] = None) -> Score:
        """The score on ``benchmark`` (of ``model``, where several models are in the results)."""
        found = [s for s in self.scores if s.benchmark == benchmark and model in (None, s.model)]
        if not found:
            raise KeyError(f"no score on {benchmark}" + (f" for {model}" if model else "")
                           + f"; these results hold {sorted({s.benchmark for s in self.scores})[:8]}")
        if len(found) > 1:
            raise KeyError(f"{len(found)} models scored on {benchmark}: pass model= one of "
                           f"{[s.model for s in found]}")
        return found[0]

    def rows(self) -> List[Dict]:
        """One plain dict per score, with the columns of :data:`COLUMNS`."""
        rows = []
        for s in self.scores:
            interval = s.interval() or (math.nan, math.nan)
            rows.append({"model": s.model, "benchmark": s.benchmark, "value": s.value, "error": s.error,
                         "interval_low": interval[0], "interval_high": interval[1], "cv_value": s.cv_value,
                         "ceiling": s.ceiling, "ceiled_value": s.ceiled_value, "best_layer": s.best_layer,
                         "best_layer_depth": s.best_layer_depth, "n_layers": len(s.layer_profile),
                         "n_units": s.n_units, "n_excluded": s.n_excluded, "error_kind": s.error_kind,
                         "ceiling_kind": s.ceiling_kind})
        return rows

    def to_pandas(self):
        """A tidy table: one row per (model, benchmark); the interval is the 95% percentile interval of
        the score's bootstrap draws, ``cv_value`` its cross-validated layer selection."""
        import pandas as pd
        return pd.DataFrame(self.rows(), columns=COLUMNS)

    def profiles(self):
        """Layer profiles: rows are layers (execution order), columns (model, benchmark)."""
        import pandas as pd
        columns = {(s.model, s.benchmark): pd.Series(s.layer_profile, dtype=float) for s in self.scores}
        table = pd.DataFrame(columns)
        order: Dict[str, None] = {}
        for s in self.scores:
            order.update(dict.fromkeys(s.layer_profile))
        table = table.reindex(list(order))
        table.columns.names = ["model", "benchmark"]
        table.index.name = "layer"
        return table

    def compare(self, model_a: str, model_b: str, level: float = 0.95):
        """Per benchmark both models were scored on: A − B of the Max and the percentile interval of the
        paired bootstrap differences at the chosen layers (every model is resampled with the same
        indices on a benchmark), ``significant`` when it excludes 0; and A − B of the cross-validated
        values with the interval and p-value the board uses (the layer choice inside it; see
        :mod:`mousescore.results.uncertainty`), NaN where either score lacks the CV resamples."""
        import pandas as pd
        a = {s.benchmark: s for s in self.scores if s.model == model_a}
        b = {s.benchmark: s for s in self.scores if s.model == model_b}
        rows = []
        shared = [name for name in a if name in b]
        unpaired = [name for name in shared if a[name].draws_kind != b[name].draws_kind]
        if unpaired:   # e.g. a record of an older version beside a new score: other resampling indices
            logger.warning("%s and %s were resampled under different resampling plans on %s: no paired "
                           "interval there (rescore both with this mousescore version)", model_a, model_b,
                           ", ".join(unpaired[:5]) + (f" and {len(unpaired) - 5} more" if len(unpaired) > 5 else ""))
        for benchmark in shared:
            difference = None if benchmark in unpaired else paired_difference(
                a[benchmark].draws, b[benchmark].draws, a[benchmark].value, b[benchmark].value, level)
            rows.append({"benchmark": benchmark, "a": a[benchmark].value, "b": b[benchmark].value,
                         **(difference or {"difference": a[benchmark].value - b[benchmark].value,
                                           "low": math.nan, "high": math.nan, "significant": False}),
                         **_cv_columns(a[benchmark], b[benchmark], level, benchmark in unpaired)})
        if not rows:
            missing = [m for m, scores in ((model_a, a), (model_b, b)) if not scores]
            raise MousescoreError(f"{' and '.join(missing)} not in these results" if missing else
                                  f"{model_a} and {model_b} share no benchmark in these results")
        return pd.DataFrame(rows, columns=["benchmark", "a", "b", "difference", "low", "high", "significant",
                                           "cv_a", "cv_b", "cv_difference", "cv_low", "cv_high", "cv_p"])

    def plot_profile(self, benchmarks: Optional[Sequence[str]] = None, ax=None, depth: bool = True):
        """Each score's layer profile against relative depth (or layer index), its best layer marked;
        returns the matplotlib axes."""
        if ax is None:
            import matplotlib.pyplot as plt
            _, ax = plt.subplots(figsize=(6, 3.5))
        wanted = [benchmarks] if isinstance(benchmarks, str) else benchmarks
        chosen = [s for s in self.scores if wanted is None or s.benchmark in wanted]
        if not chosen:
            raise KeyError(f"no score on {wanted}")
        for s in chosen:
            values = list(s.layer_profile.values())
            x = [i / max(len(values) - 1, 1) if depth else i for i in range(len(values))]
            line, = ax.plot(x, values, label=f"{s.model} · {s.benchmark}", linewidth=1.2)
            best = list(s.layer_profile).index(s.best_layer) if s.best_layer in s.layer_profile else None
            if best is not None:
                ax.plot([x[best]], [values[best]], "o", color=line.get_color())
        ax.set_xlabel("relative depth (0 first layer, 1 last)" if depth else "layer (execution order)")
        ax.set_ylabel("score (mean over units)")
        ax.legend(fontsize="small", frameon=False)
        return ax

    def _repr_html_(self) -> str:
        if not self.scores:
            return "<p>no scores</p>"
        table = self.to_pandas().drop(columns=["error_kind", "ceiling_kind"])
        return (f"<p>{len(self.scores)} score(s) of {html.escape(', '.join(sorted({s.model for s in self.scores})))}; "
                "interval: 95% percentile interval of the bootstrap draws</p>" + table.to_html(index=False, float_format="%.4f"))

    def __repr__(self) -> str:
        lines = [f"Results: {len(self.scores)} score(s)"]
        lines += [f"  {s.summary()}" for s in self.scores[:20]]
        if len(self.scores) > 20:
            lines.append(f"  ... and {len(self.scores) - 20} more (.to_pandas() shows all)")
        return "\n".join(lines)


def load_board(results_dir: Union[str, Path] = DEFAULT_RESULTS_DIR) -> Results:
    """The committed leaderboard (its records folder) as :class:`Results`, for analysis in pandas."""
    return Results.from_records(read_records(Path(results_dir)))


def _cv_columns(a: Score, b: Score, level: float, unpaired: bool) -> Dict[str, float]:
    """The CV values of two scores and the board's comparison of them (NaN where it cannot be made)."""
    evidence = [score_evidence(a), score_evidence(b)]
    found = None if unpaired or None in evidence else cv_difference(*evidence, level)
    return {"cv_a": a.cv_value, "cv_b": b.cv_value,
            "cv_difference": found["difference"] if found else a.cv_value - b.cv_value,
            "cv_low": found["low"] if found else math.nan, "cv_high": found["high"] if found else math.nan,
            "cv_p": found["p"] if found else math.nan}
