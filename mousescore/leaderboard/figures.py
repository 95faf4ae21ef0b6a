"""SVG figures of the leaderboard's analyses, each drawn from the data dict of :mod:`mousescore.leaderboard.analyses`.

Each figure is built by a function of :data:`FIGURES` (a matplotlib Figure, so that tests can measure
where its text lies) and written by :func:`to_svg`; :data:`RENDERERS` does both. The same data gives
byte-identical SVG: the SVG hash salt is fixed, the date left out, and text is kept as text (not glyph
paths), so that it stays searchable. Text is drawn literally: a ``$`` is a dollar sign, never
mathtext. Titles are wrapped to their panel's width, and point labels are placed where they overlap
neither each other, nor a point, nor the axes' edge (a label that finds no such place is left out).
"""
from __future__ import annotations

import io
import textwrap
from typing import Any, Dict, List, Sequence

import matplotlib

matplotlib.use("Agg")   # no display; must precede the pyplot import
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import matplotlib.transforms  # noqa: E402

from .analyses import CATEGORIES  # noqa: E402

# text.parse_math off: names and metadata come from records (pull requests), and a "$...$" in them
# must be drawn as written, not parsed as mathtext (malformed mathtext raises and stops the build); no
# label of ours uses mathtext.
# (typed Any: matplotlib types rc_context's keys as a Literal of every rc name)
STYLE: Any = {"svg.hashsalt": "mousescore", "svg.fonttype": "none", "font.size": 9, "axes.titlesize": 9,
              "axes.spines.top": False, "axes.spines.right": False, "text.parse_math": False}
CATEGORY_STYLE = {"trained": {"color": "#1f6fb4", "marker": "o", "label": "trained"},
                  "random": {"color": "#e07b00", "marker": "s", "label": "random init"},
                  "baseline": {"color": "#6b6b6b", "marker": "^", "label": "baseline"}}
MAX_LABELLED_POINTS = 25   # beyond this, point labels overlap into noise


TITLE_CHARACTERS_PER_INCH = 12   # of a 9 pt title: where to wrap it so that it stays over its panel
# where a point's label may go, in points from it: close first, then ever farther (with a leader line)
LABEL_OFFSETS = [(4, 4), (4, -4), (-4, 4), (-4, -4)] + [
    (round(distance * dx), round(distance * dy)) for distance in (12, 22, 34, 48, 64)
    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1), (0.7, 0.7), (0.7, -0.7), (-0.7, 0.7), (-0.7, -0.7))]


def _panels(count: int, width: float = 4.4, height: float = 3.6):
    figure, axes = plt.subplots(1, count, figsize=(width * count, height), squeeze=False)
    figure.panel_width = width   # type: ignore[attr-defined]  # read by _title, to wrap to the panel
    return figure, list(axes[0])


def _title(axis, text: str) -> None:
    """The panel's title, each line wrapped to the panel's width."""
    width = int(axis.figure.panel_width * TITLE_CHARACTERS_PER_INCH)
    axis.set_title("\n".join(textwrap.fill(line, width) for line in text.split("\n")))


def to_svg(figure) -> str:
    """The figure as SVG text (laid out first, labels placed last: their places depend on the layout)."""
    buffer = io.StringIO()
    with matplotlib.rc_context(STYLE):
        _lay_out(figure)
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue()


LEGEND_HEIGHT = 0.3   # inches under the panels for the legend's row


def _lay_out(figure) -> None:
    if getattr(figure, "laid_out", False):
        return
    legend_axis = getattr(figure, "legend_axis", None)
    handles, labels = legend_axis.get_legend_handles_labels() if legend_axis is not None else ([], [])
    if handles:
        figure.legend(handles, labels, loc="lower center", ncol=len(handles), frameon=False, fontsize=7,
                      handletextpad=0.3, columnspacing=1.2)
    figure.tight_layout(rect=(0, LEGEND_HEIGHT / figure.get_figheight() if handles else 0, 1, 1))
    for axis, names, xs, ys in getattr(figure, "pending_labels", []):
        _place_labels(axis, names, xs, ys)
    figure.laid_out = True


def laid_out(figure):
    """The figure with its layout done and labels placed, as it will be written (for measuring)."""
    with matplotlib.rc_context(STYLE):
        _lay_out(figure)
        figure.canvas.draw()
    return figure


def _legend(axis) -> None:
    """One legend for the figure, in a row under its panels (inside a panel it covers points wherever
    the data lie); the panels' entries are the same, the first panel's are used."""
    if getattr(axis.figure, "legend_axis", None) is None:
        axis.figure.legend_axis = axis


def _few_ticks(axis) -> None:
    """At most 6 ticks per axis: a panel 4 inches wide has no room for more labels side by side."""
    axis.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(6))
    axis.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(6))


def _empty(axis, message: str) -> None:
    axis.text(0.5, 0.5, message, ha="center", va="center", transform=axis.transAxes, color="#6b6b6b")
    axis.set_xticks([])
    axis.set_yticks([])


def _label_points(axis, names: Sequence[str], xs: Sequence[float], ys: Sequence[float]) -> None:
    """Labels are placed once the layout is done (see :func:`_lay_out`); beyond MAX_LABELLED_POINTS
    they would cover the plot, and none are drawn."""
    if len(names) <= MAX_LABELLED_POINTS:
        axis.figure.pending_labels = getattr(axis.figure, "pending_labels", []) + [(axis, names, xs, ys)]


def _place_labels(axis, names: Sequence[str], xs: Sequence[float], ys: Sequence[float]) -> None:
    """Each label at the first offset from its point where it overlaps no label placed before, no point
    and stays inside the axes; points are labelled from the most crowded outwards."""
    renderer = axis.figure.canvas.get_renderer()
    inside = axis.get_window_extent(renderer)
    points = [axis.transData.transform((x, y)) for x, y in zip(xs, ys)]
    marks = [matplotlib.transforms.Bbox.from_bounds(px - 3, py - 3, 6, 6) for px, py in points]
    taken: List = []

    def crowding(index):
        px, py = points[index]
        return -sum(abs(px - qx) + abs(py - qy) < 40 for qx, qy in points)

    for index in sorted(range(len(names)), key=lambda i: (crowding(i), names[i])):
        for dx, dy in LABEL_OFFSETS:
            # measured without its leader line (whose box would reach the point), drawn with it
            label = _annotate(axis, names[index], (xs[index], ys[index]), (dx, dy), leader=False)
            box = label.get_window_extent(renderer).expanded(1.04, 1.1)
            fits = (inside.containsx(box.x0) and inside.containsx(box.x1) and inside.containsy(box.y0)
                    and inside.containsy(box.y1))
            label.remove()
            if fits and not any(box.overlaps(other) for other in taken + marks):
                taken.append(box)
                _annotate(axis, names[index], (xs[index], ys[index]), (dx, dy), leader=abs(dx) + abs(dy) > 12)
                break


def _annotate(axis, text: str, point, offset, leader: bool):
    dx, dy = offset
    label = axis.annotate(text, point, xytext=offset, textcoords="offset points", fontsize=7,
                          ha="left" if dx > 0 else "right" if dx < 0 else "center", va="bottom" if dy >= 0 else "top",
                          arrowprops={"arrowstyle": "-", "color": "#999", "lw": 0.5} if leader else None)
    label.set_in_layout(False)
    return label


def _spread(count: int, width: float = 0.16) -> List[float]:
    """Evenly spaced offsets in [-width/2, width/2], so that equal values stay visible (no random jitter)."""
    if count < 2:
        return [0.0] * count
    return [-width / 2 + width * index / (count - 1) for index in range(count)]


def figure_trained_vs_random(data: Dict):
    """Fig. 1: each trained network against its random-init variant, one panel per metric."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _panels(len(data["metrics"]))
        for axis, (metric, label) in zip(axes, data["metrics"].items()):
            pairs = [pair for pair in data["pairs"] if None not in pair[metric].values()]
            wins = data["trained_wins"][metric]
            significant = (f", {wins['significant_wins']} of {wins['with_intervals']} significantly"
                           if wins.get("with_intervals") else "")
            _title(axis, f"{label}:\ntrained > random in {wins['wins']} of {wins['n']} pairs{significant}")
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
            _few_ticks(axis)
            _label_points(axis, [pair["trained"] for pair in pairs], xs, ys)
            axis.set_xlabel(f"random init ({label})")
            axis.set_ylabel(f"trained ({label})")
            _legend(axis)
        return figure


def figure_one_backbone_tasks(data: Dict):
    """One backbone, different tasks: per score, each trained network's CV value minus its random-init
    twin's, with the paired 95% interval; filled where Holm's procedure says it differs from 0."""
    networks = data["networks"]
    with matplotlib.rc_context(STYLE):
        figure, axes = _panels(max(len(data["metrics"]), 1), width=3.6, height=0.5 + 0.42 * max(len(networks), 2))
        if not networks:
            _empty(axes[0], data.get("reason", "no networks"))
            return figure
        rows = list(range(len(networks)))[::-1]          # the reference network on top
        names = [f"{entry['model']}\n({entry['task']}, {entry['quantization'].split(' ')[0]})" for entry in networks]
        color = CATEGORY_STYLE["trained"]["color"]
        for panel, (axis, (metric, label)) in enumerate(zip(axes, data["metrics"].items())):
            _title(axis, f"{label}:\ntrained − {data['twin']}")
            axis.axvline(0, color="#b0b0b0", lw=1)
            for row, entry in zip(rows, networks):
                difference = entry["vs_random"].get(metric)
                if not difference:
                    continue
                axis.plot([difference["low"], difference["high"]], [row, row], color=color, lw=1.4)
                filled = difference.get("differs")
                axis.scatter([difference["difference"]], [row], color=color if filled else "white",
                             edgecolors=color, zorder=3, s=22)
            axis.set_yticks(rows)
            axis.set_yticklabels(names if panel == 0 else [""] * len(rows), fontsize=7)
            axis.set_ylim(-0.6, len(networks) - 0.4)
            axis.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5))
            axis.set_xlabel("difference of CV values")
        return figure


def figure_depth_by_area(data: Dict):
    """Fig. 2: relative depth of the best layer per area, areas in hierarchy order, medians as bars with
    their 95% bootstrap interval over models, and the Friedman test across areas in the title."""
    hierarchy = data["hierarchy"]
    with matplotlib.rc_context(STYLE):
        figure, axes = _panels(len(data["metrics"]), width=5.0)
        for axis, panel in zip(axes, data["metrics"].values()):
            _title(axis, f"{panel['label']}: best-layer depth by area\n{friedman_text(panel['friedman'])}")
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
            _legend(axis)
        return figure


def friedman_text(test: Dict) -> str:
    """The paper's §3.7 statistics as printed on Fig. 2."""
    if test["chi2"] is None:
        return f"Friedman test: n/a (n = {test['n']} models with all areas)"
    return (f"Friedman chi2 = {test['chi2']:.2f}, Kendall's W = {test['w']:.3f}, p = {test['p']:.2g}\n"
            f"(n = {test['n']} models as blocks, k = {test['k']} areas)")


def figure_family_mosaic(data: Dict):
    """Fig. 3: area-mean scores per task cluster or family, with the range of the areas' ceilings."""
    with matplotlib.rc_context(STYLE):
        groups = max((len(panel["groups"]) for panel in data["metrics"].values()), default=0)
        # ~0.7 inch per group keeps the slanted group names apart as groups are added
        figure, axes = _panels(len(data["metrics"]), width=max(5.0, 0.7 * groups + 1.0), height=4.0)
        for axis, panel in zip(axes, data["metrics"].values()):
            _title(axis, f"{panel['label']} by task trained for (random init and baselines apart)")
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
            _legend(axis)
        return figure


def figure_rsa_vs_srp_ridge(data: Dict):
    """§3.8: each model's RSA Max against its SRP-Ridge Max, with the Spearman correlation."""
    spearman, labels = data["spearman"], data["labels"]
    rho = "n/a" if spearman["rho"] is None else f"{spearman['rho']:.3f}"
    with matplotlib.rc_context(STYLE):
        figure, (axis,) = _panels(1, width=5.0, height=4.0)
        _title(axis, f"{labels['rsa']} vs {labels['srp_ridge']}:\nSpearman rho = {rho} (n = {spearman['n']})")
        if not data["models"]:
            _empty(axis, "no model with both scores")
            return figure
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
        _legend(axis)
        return figure


def figure_max_vs_cv(data: Dict):
    """Max − CV value (mean over the six areas) against the number of layers, a panel per metric."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _panels(len(data["metrics"]))
        for axis, panel in zip(axes, data["metrics"].values()):
            rho = "n/a" if panel["spearman_rho"] is None else f"{panel['spearman_rho']:.2f}"
            _title(axis, f"{panel['label']} − CV: Spearman rho with layers = {rho}")
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
            _legend(axis)
        return figure


FIGURES = {"trained-vs-random": figure_trained_vs_random, "one-backbone-tasks": figure_one_backbone_tasks,
           "depth-by-area": figure_depth_by_area,
           "family-mosaic": figure_family_mosaic, "rsa-vs-srp-ridge": figure_rsa_vs_srp_ridge,
           "max-vs-cv": figure_max_vs_cv}
RENDERERS = {name: (lambda data, build=build: to_svg(build(data))) for name, build in FIGURES.items()}
