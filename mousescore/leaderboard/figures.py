"""SVG figures of the leaderboard's analyses, each drawn from the data dict of :mod:`mousescore.leaderboard.analyses`.

Every renderer returns the SVG text. The same data gives byte-identical SVG: the SVG hash salt is
fixed, the date left out, and text is kept as text (not glyph paths), so that it stays searchable.
Text is drawn literally: a ``$`` is a dollar sign, never mathtext.
"""
from __future__ import annotations

import io
import math
from typing import Dict, List, Optional, Sequence

import matplotlib

matplotlib.use("Agg")   # no display; must precede the pyplot import
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

from .analyses import CATEGORIES, HIERARCHY  # noqa: E402

# text.parse_math off: names and metadata come from records (pull requests), and a "$...$" in them
# must be drawn as written, not parsed as mathtext (a malformed one crashed the build); no label of
# ours uses mathtext.
STYLE = {"svg.hashsalt": "mousescore", "svg.fonttype": "none", "font.size": 9, "axes.titlesize": 9,
         "axes.spines.top": False, "axes.spines.right": False, "text.parse_math": False}
CATEGORY_STYLE = {"trained": {"color": "#1f6fb4", "marker": "o", "label": "trained"},
                  "random": {"color": "#e07b00", "marker": "s", "label": "random init"},
                  "baseline": {"color": "#6b6b6b", "marker": "^", "label": "baseline"}}
AREA_COLORS = dict(zip(HIERARCHY, ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#a6761d")))
MAX_LABELLED_POINTS = 25   # beyond this, point labels overlap into noise


def _panels(count: int, width: float = 4.4, height: float = 3.6):
    figure, axes = plt.subplots(1, count, figsize=(width * count, height), squeeze=False)
    return figure, list(axes[0])


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.tight_layout()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue()


def _nan(value: Optional[float]) -> float:
    return math.nan if value is None else value


def _empty(axis, message: str) -> None:
    axis.text(0.5, 0.5, message, ha="center", va="center", transform=axis.transAxes, color="#6b6b6b")
    axis.set_xticks([])
    axis.set_yticks([])


def _label_points(axis, names: Sequence[str], xs: Sequence[float], ys: Sequence[float]) -> None:
    if len(names) > MAX_LABELLED_POINTS:
        return
    for name, x, y in zip(names, xs, ys):
        axis.annotate(name, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=7)


def _spread(count: int, width: float = 0.16) -> List[float]:
    """Evenly spaced offsets in [-width/2, width/2], so that equal values stay visible (no random jitter)."""
    if count < 2:
        return [0.0] * count
    return [-width / 2 + width * index / (count - 1) for index in range(count)]


def render_trained_vs_random(data: Dict) -> str:
    """Fig. 1: each trained network against its random-init variant, one panel per metric."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _panels(len(data["metrics"]))
        for axis, (metric, label) in zip(axes, data["metrics"].items()):
            pairs = [pair for pair in data["pairs"] if None not in pair[metric].values()]
            wins = data["trained_wins"][metric]
            significant = (f", {wins['significant_wins']} of {wins['with_intervals']} significantly"
                           if wins.get("with_intervals") else "")
            axis.set_title(f"{label}:\ntrained > random in {wins['wins']} of {wins['n']} pairs{significant}")
            if not pairs:
                _empty(axis, "no trained / random pair with this score")
                continue
            xs = [pair[metric]["random"] for pair in pairs]
            ys = [pair[metric]["trained"] for pair in pairs]
            low, high = min(xs + ys), max(xs + ys)
            margin = 0.05 * (high - low or 1.0)
            axis.plot([low - margin, high + margin], [low - margin, high + margin], color="#b0b0b0", lw=1,
                      label="trained = random")
            # The paired 95% interval of trained − random, drawn at the pair's x from random + low to
            # random + high: a bar that crosses the diagonal is a difference not told apart from 0.
            for x, pair in zip(xs, pairs):
                difference = (pair.get("difference") or {}).get(metric)
                if difference:
                    axis.plot([x, x], [x + difference["low"], x + difference["high"]],
                              color=CATEGORY_STYLE["trained"]["color"], lw=1.2, alpha=0.7)
            axis.scatter(xs, ys, color=CATEGORY_STYLE["trained"]["color"], zorder=3)
            _label_points(axis, [pair["trained"] for pair in pairs], xs, ys)
            axis.set_xlabel(f"random init ({label})")
            axis.set_ylabel(f"trained ({label})")
            axis.legend(loc="lower right", frameon=False)
        return _svg(figure)


def render_depth_by_area(data: Dict) -> str:
    """Fig. 2: relative depth of the best layer per area, areas in hierarchy order, medians as bars with
    their 95% bootstrap interval over models, and the Friedman test across areas in the title."""
    hierarchy = data["hierarchy"]
    with matplotlib.rc_context(STYLE):
        figure, axes = _panels(len(data["metrics"]), width=5.0)
        for axis, panel in zip(axes, data["metrics"].values()):
            axis.set_title(f"{panel['label']}: best-layer depth by area\n{friedman_text(panel['friedman'])}")
            for offset, kind in zip((-0.25, 0.0, 0.25), CATEGORIES):
                style = CATEGORY_STYLE[kind]
                xs, ys = [], []
                for position, area in enumerate(hierarchy):
                    points = panel["areas"][area][kind]
                    xs += [position + offset + shift for shift in _spread(len(points))]
                    ys += [point["depth"] for point in points]
                    median, centre = panel["medians"][area][kind], position + offset
                    if median is not None:
                        axis.hlines(median, centre - 0.1, centre + 0.1, color=style["color"], lw=2)
                    spread = panel["median_intervals"][area][kind]
                    if spread:
                        axis.vlines(centre, spread[0], spread[1], color=style["color"], lw=1.2)
                axis.scatter(xs, ys, s=14, alpha=0.5, color=style["color"], marker=style["marker"],
                             label=style["label"])
            axis.set_xticks(range(len(hierarchy)), hierarchy)
            axis.set_ylim(-0.05, 1.05)
            axis.set_ylabel("relative depth of the best layer (0 first, 1 last)")
            axis.legend(loc="lower right", frameon=False, fontsize=7)
        return _svg(figure)


def friedman_text(test: Dict) -> str:
    """The paper's §3.7 statistics as printed on Fig. 2."""
    if test["chi2"] is None:
        return f"Friedman test: n/a (n = {test['n']} models with all areas)"
    return (f"Friedman chi2 = {test['chi2']:.2f}, Kendall's W = {test['w']:.3f}, p = {test['p']:.2g}\n"
            f"(n = {test['n']} models as blocks, k = {test['k']} areas)")


def render_family_mosaic(data: Dict) -> str:
    """Fig. 3: area-mean scores per task cluster or family, with the range of the areas' ceilings."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _panels(len(data["metrics"]), width=5.0, height=4.0)
        for axis, panel in zip(axes, data["metrics"].values()):
            axis.set_title(f"{panel['label']} by task cluster / family")
            if panel["ceiling"]:
                axis.axhspan(panel["ceiling"]["low"], panel["ceiling"]["high"], color="#d9d9d9", alpha=0.6,
                             label="ceiling range over areas", lw=0)
            if not panel["groups"]:
                _empty(axis, "no model with all six areas")
                continue
            for position, group in enumerate(panel["groups"]):
                for shift, point in zip(_spread(len(group["models"]), 0.4), group["models"]):
                    style = CATEGORY_STYLE[point["category"]]
                    axis.scatter(position + shift, point["score"], s=18, marker=style["marker"],
                                 color=style["color"], zorder=3)
                axis.hlines(group["median"], position - 0.3, position + 0.3, color="black", lw=1.5, zorder=4)
            for kind in CATEGORIES:   # one legend entry per category, wherever its points are
                axis.scatter([], [], marker=CATEGORY_STYLE[kind]["marker"], color=CATEGORY_STYLE[kind]["color"],
                             label=CATEGORY_STYLE[kind]["label"])
            names = [group["group"] for group in panel["groups"]]
            axis.set_xticks(range(len(names)), names, rotation=40, ha="right")
            axis.set_ylabel(f"{panel['label']} (mean over areas)")
            axis.legend(loc="best", frameon=False, fontsize=7)
        return _svg(figure)


def render_rsa_vs_srp_ridge(data: Dict) -> str:
    """§3.8: each model's RSA Max against its SRP-Ridge Max, with the Spearman correlation."""
    spearman, labels = data["spearman"], data["labels"]
    rho = "n/a" if spearman["rho"] is None else f"{spearman['rho']:.3f}"
    with matplotlib.rc_context(STYLE):
        figure, (axis,) = _panels(1, width=5.0, height=4.0)
        axis.set_title(f"{labels['rsa']} vs {labels['srp_ridge']}:\nSpearman rho = {rho} (n = {spearman['n']})")
        if not data["models"]:
            _empty(axis, "no model with both scores")
            return _svg(figure)
        for kind in CATEGORIES:
            points = [point for point in data["models"] if point["category"] == kind]
            if points:
                axis.scatter([p["rsa"] for p in points], [p["srp_ridge"] for p in points], s=20,
                             marker=CATEGORY_STYLE[kind]["marker"], color=CATEGORY_STYLE[kind]["color"],
                             label=CATEGORY_STYLE[kind]["label"], zorder=3)
        points = data["models"]
        _label_points(axis, [p["model"] for p in points], [p["rsa"] for p in points], [p["srp_ridge"] for p in points])
        axis.set_xlabel(labels["rsa"])
        axis.set_ylabel(labels["srp_ridge"])
        axis.legend(loc="best", frameon=False, fontsize=7)
        return _svg(figure)


def render_max_vs_cv(data: Dict) -> str:
    """Max − CV value (mean over the six areas) against the number of layers, a panel per metric."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _panels(len(data["metrics"]))
        for axis, panel in zip(axes, data["metrics"].values()):
            rho = "n/a" if panel["spearman_rho"] is None else f"{panel['spearman_rho']:.2f}"
            axis.set_title(f"{panel['label']} − CV: Spearman rho with layers = {rho}")
            if not panel["points"]:
                _empty(axis, "no model with CV values on every benchmark")
                continue
            for kind in CATEGORIES:
                points = [p for p in panel["points"] if p["category"] == kind]
                if points:
                    axis.scatter([p["layers"] for p in points], [p["gap"] for p in points], s=20,
                                 marker=CATEGORY_STYLE[kind]["marker"], color=CATEGORY_STYLE[kind]["color"],
                                 label=CATEGORY_STYLE[kind]["label"], zorder=3)
            axis.axhline(0, color="#b0b0b0", lw=1)
            axis.set_xscale("log", base=2)
            # plain numbers: the log axis' default labels are mathtext, drawn literally with parse_math off
            axis.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}"))
            axis.set_xlabel("layers scored (log scale)")
            axis.set_ylabel("Max − cross-validated value")
            axis.legend(loc="best", frameon=False, fontsize=7)
        return _svg(figure)


def render_layer_profile(data: Dict, model: str) -> str:
    """One model's score per layer (x: relative depth in execution order), a line per area and a panel
    per metric; the best layer of each area is starred."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _panels(len(data["metrics"]))
        for axis, panel in zip(axes, data["metrics"].values()):
            axis.set_title(f"{model}: {panel['label']} per layer")
            if not panel["areas"]:
                _empty(axis, "no Allen area records")
                continue
            for area, profile in panel["areas"].items():
                color = AREA_COLORS.get(area, "black")
                axis.plot(profile["depth"], [_nan(value) for value in profile["values"]], color=color, lw=1.2,
                          label=area)
                if profile["best_layer"] in profile["layers"]:
                    best = profile["layers"].index(profile["best_layer"])
                    axis.scatter([profile["depth"][best]], [_nan(profile["values"][best])], marker="*", s=80,
                                 color=color, edgecolor="black", linewidth=0.5, zorder=3)
            axis.set_xlim(-0.02, 1.02)
            axis.set_xlabel("relative layer depth (★ best layer)")
            axis.set_ylabel(panel["label"].replace(" Max", ""))
            axis.legend(loc="best", frameon=False, fontsize=7)
        return _svg(figure)


RENDERERS = {"trained-vs-random": render_trained_vs_random, "depth-by-area": render_depth_by_area,
             "family-mosaic": render_family_mosaic, "rsa-vs-srp-ridge": render_rsa_vs_srp_ridge,
             "max-vs-cv": render_max_vs_cv}
