"""Scores as data: a tidy table, layer profiles, a plot and paired comparisons, for notebooks.

pandas and matplotlib are imported when a table or a plot is asked for, not before.
"""
from __future__ import annotations

import difflib
import html
import logging
import math
from dataclasses import fields
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Union

from ..errors import MousescoreError
from .profile_range import ProfileRange, profile_range
from .records import committed_results_dir, gc_paused, read_records
from .score import Score, paired_difference
from .uncertainty import cv_difference, score_evidence

logger = logging.getLogger("mousescore")

COLUMNS = ["model", "benchmark", "value", "error", "interval_low", "interval_high", "cv_value",
           "ceiling", "ceiled_value", "best_layer", "best_layer_depth", "n_layers", "n_units",
           "n_excluded", "error_kind", "ceiling_kind"]
REFERENCE_PREFIX = "reference_"   # to_pandas' columns of the scores' references


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
            values = {name: record[name] for name in names if name in record}
            for key in ("value", "error", "ceiling", "ceiled_value", "cv_value", "best_layer_depth"):
                values[key] = math.nan if values.get(key) is None else float(values[key])
            # read_records decodes these as floats, NaN included: they are copied as they are, and
            # converted one by one only where a record holds nulls (one by one was most of load_board's time)
            profile = values.get("layer_profile") or {}
            values["layer_profile"] = ({layer: _float(v) for layer, v in profile.items()}
                                       if None in profile.values() else dict(profile))
            draws = values.get("draws") or []
            values["draws"] = [_float(v) for v in draws] if None in draws else list(draws)
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
        the score's bootstrap draws, ``cv_value`` its cross-validated layer selection, ``ceiling`` its
        noise ceiling; then one column per reference the scores carry, ``reference_<name>`` (e.g.
        ``reference_intermouse``, the inter-animal score, with ``_ci95_low`` / ``_ci95_high``), NaN
        where a score has no such reference."""
        import pandas as pd
        rows = self.rows()
        names = sorted({name for s in self.scores for name in s.references})
        for row, s in zip(rows, self.scores):
            row.update({REFERENCE_PREFIX + name: _float(s.references.get(name)) for name in names})
        return pd.DataFrame(rows, columns=COLUMNS + [REFERENCE_PREFIX + name for name in names])

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
        """Per benchmark both models were scored on, a row: each model's Max (the columns named after
        the models), ``difference`` = A − B with the percentile interval of the paired bootstrap
        differences at the chosen layers (every model is resampled with the same indices on a
        benchmark), ``significant`` when it excludes 0; then each model's cross-validated value
        (``<model> CV``) and ``cv_difference`` = A − B with the interval and p-value the board uses
        (the layer choice inside it; see :mod:`mousescore.results.uncertainty`), NaN where either
        score lacks the CV resamples. A model absent from these results is a MousescoreError naming it."""
        import pandas as pd
        a, b = self._by_benchmark(model_a), self._by_benchmark(model_b)
        names = (model_a, model_b) if model_a != model_b else (f"{model_a} (A)", f"{model_b} (B)")
        shared = [name for name in a if name in b]
        if not shared:
            raise MousescoreError(f"{model_a} and {model_b} share no benchmark in these results: {model_a} was "
                                  f"scored on {_few(a)}, {model_b} on {_few(b)}")
        unpaired = [name for name in shared if a[name].draws_kind != b[name].draws_kind]
        if unpaired:   # e.g. a record of an older version beside a new score: other resampling indices
            logger.warning("%s and %s were resampled under different resampling plans on %s: no paired "
                           "interval there (rescore both with this mousescore version)", model_a, model_b,
                           ", ".join(unpaired[:5]) + (f" and {len(unpaired) - 5} more" if len(unpaired) > 5 else ""))
        rows = []
        for benchmark in shared:
            difference = None if benchmark in unpaired else paired_difference(
                a[benchmark].draws, b[benchmark].draws, a[benchmark].value, b[benchmark].value, level)
            rows.append({"benchmark": benchmark, names[0]: a[benchmark].value, names[1]: b[benchmark].value,
                         **(difference or {"difference": a[benchmark].value - b[benchmark].value,
                                           "low": math.nan, "high": math.nan, "significant": False}),
                         **_cv_columns(a[benchmark], b[benchmark], names, level, benchmark in unpaired)})
        table = pd.DataFrame(rows, columns=["benchmark", names[0], names[1], "difference", "low", "high",
                                            "significant", f"{names[0]} CV", f"{names[1]} CV", "cv_difference",
                                            "cv_low", "cv_high", "cv_p"])
        table.attrs["difference"] = f"{model_a} − {model_b}"
        return table

    def _by_benchmark(self, model: str) -> Dict[str, Score]:
        """The model's scores by benchmark; a model not in these results is an error naming it."""
        found = {s.benchmark: s for s in self.scores if s.model == model}
        if not found:
            models = sorted({s.model for s in self.scores})
            close = difflib.get_close_matches(model, models, n=3)
            raise MousescoreError(f"{model} is not in these results"
                                  + (f" (did you mean {', '.join(close)}?)" if close else "")
                                  + f"; they hold {len(models)} model(s): {_few(models)}")
        return found

    def plot_profile(self, benchmarks: Optional[Sequence[str]] = None, ax=None, depth: bool = True):
        """Each score's layer profile against relative depth (or layer index), its best layer marked,
        its ceiling a dashed line in its colour over the grey band the ceilings span; layers that
        collapse far below (or above) the rest are drawn at the axis' edge as triangles, so that they
        do not flatten the profile (see :mod:`mousescore.results.profile_range`). Returns the axes."""
        if ax is None:
            import matplotlib.pyplot as plt
            _, ax = plt.subplots(figsize=(6, 3.5))
        wanted = [benchmarks] if isinstance(benchmarks, str) else benchmarks
        chosen = [s for s in self.scores if wanted is None or s.benchmark in wanted]
        if not chosen:
            raise KeyError(f"no score on {wanted}")
        ceilings = [s.ceiling for s in chosen if math.isfinite(s.ceiling)]
        if len(set(ceilings)) > 1:
            ax.axhspan(min(ceilings), max(ceilings), color="0.88", lw=0, zorder=0, label="ceilings' range")
        profiles = []
        for s in chosen:
            values = list(s.layer_profile.values())
            x = [i / max(len(values) - 1, 1) if depth else i for i in range(len(values))]
            line, = ax.plot(x, values, label=f"{s.model} · {s.benchmark}", linewidth=1.2)
            best = list(s.layer_profile).index(s.best_layer) if s.best_layer in s.layer_profile else None
            if best is not None:
                ax.plot([x[best]], [values[best]], "o", color=line.get_color())
            if math.isfinite(s.ceiling):
                ax.axhline(s.ceiling, color=line.get_color(), linestyle="--", linewidth=0.8)
            profiles.append((x, values, line.get_color()))
        shown = profile_range([v for _, values, _ in profiles for v in values], keep=ceilings)
        ax.set_ylim(shown.low, shown.high)
        _mark_clipped(ax, profiles, shown)
        if ceilings:
            ax.plot([], [], color="0.3", linestyle="--", linewidth=0.8, label="ceiling")
        ax.set_xlabel("relative depth (0 first layer, 1 last)" if depth else "layer (execution order)")
        ax.set_ylabel("score (mean over units)")
        ax.legend(fontsize="small", frameon=False)
        return ax

    def _repr_html_(self) -> str:
        if not self.scores:
            return "<p>no scores</p>"
        table = self.to_pandas().drop(columns=["error_kind", "ceiling_kind"])
        models = html.escape(", ".join(sorted({s.model for s in self.scores})))
        return (f"<p>{len(self.scores)} score(s) of {models}; interval: 95% percentile interval of the bootstrap "
                "draws</p>" + table.to_html(index=False, float_format="%.4f"))

    def __repr__(self) -> str:
        lines = [f"Results: {len(self.scores)} score(s)"]
        lines += [f"  {s.summary()}" for s in self.scores[:20]]
        if len(self.scores) > 20:
            lines.append(f"  ... and {len(self.scores) - 20} more (.to_pandas() shows all)")
        return "\n".join(lines)


def load_board(results_dir: Union[str, Path, None] = None) -> Results:
    """The leaderboard's records as :class:`Results`, for analysis in pandas: those of ``results_dir``,
    by default the committed board (:func:`committed_results_dir`, wherever the current directory is)."""
    records = read_records(Path(results_dir) if results_dir is not None else committed_results_dir())
    with gc_paused():
        return Results.from_records(records)


def _float(value) -> float:
    return math.nan if value is None else float(value)


def _mark_clipped(ax, profiles, shown: ProfileRange) -> None:
    """Layers outside the shown range as triangles on the axis' edge, and a note of the most extreme."""
    outside = []
    for x, values, color in profiles:
        for edge, marker, beyond in ((shown.low, "v", lambda v: v < shown.low),
                                     (shown.high, "^", lambda v: v > shown.high)):
            found = [i for i, value in enumerate(values) if math.isfinite(value) and beyond(value)]
            if found:
                ax.plot([x[i] for i in found], [edge] * len(found), marker, color=color, clip_on=False,
                        markersize=6, zorder=4)
                outside += [values[i] for i in found]
    if outside:
        ax.text(0.01, 0.02, f"{len(outside)} layer(s) outside the axis, drawn as triangles on its edge "
                            f"(from {min(outside):.2f} to {max(outside):.2f})", transform=ax.transAxes,
                fontsize="x-small", color="0.3", va="bottom")


def _few(names, count: int = 8) -> str:
    names = list(names)
    return ", ".join(names[:count]) + (f" and {len(names) - count} more" if len(names) > count else "")


def _cv_columns(a: Score, b: Score, names, level: float, unpaired: bool) -> Dict[str, float]:
    """The CV values of two scores and the board's comparison of them (NaN where it cannot be made)."""
    first, second = score_evidence(a), score_evidence(b)
    found = None if unpaired or first is None or second is None else cv_difference(first, second, level)
    return {f"{names[0]} CV": a.cv_value, f"{names[1]} CV": b.cv_value,
            "cv_difference": found["difference"] if found else a.cv_value - b.cv_value,
            "cv_low": found["low"] if found else math.nan, "cv_high": found["high"] if found else math.nan,
            "cv_p": found["p"] if found else math.nan}
