"""Small SVG charts written directly (no plotting library): a model's layer profiles and a benchmark's
ranking with its intervals.

There is one of each per model and per benchmark, so they must be quick (matplotlib took half a
second per model page, most of the build) and small (a profile of 1,000 layers is thinned to what the
panel can show: every two pixels keep their lowest and highest value). Text stays text;
the same data gives the same bytes.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence, Tuple, TypeGuard

from ..results.profile_range import profile_range
from .markup import esc

CATEGORY_COLORS = {"trained": "#1f6fb4", "random": "#e07b00", "baseline": "#6b6b6b"}
LINE = "#1f6fb4"
BAND = "#dcdcdc"
MUTED = "#5f6368"
STYLE = ("<style>text{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:10px;"
         "fill:#1d1d1f}.muted{fill:#5f6368}.title{font-weight:600}</style>")
PANEL = (250, 150)           # width, height of one layer-profile panel
PANEL_MARGIN = (36, 8, 18, 22)   # left, right, top (title), bottom (axis labels)
COLUMNS = 4                  # panels per row
PIXELS_PER_COLUMN = 2        # a profile keeps its lowest and highest value per this many pixels
ROW_HEIGHT = 13              # of the ranking chart, per model
RANK_LABELS = 220            # width of its model names


def svg(width: float, height: float, body: str, label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{esc(label)}">'
            f"<title>{esc(label)}</title>{STYLE}\n{body}</svg>\n")


def nice_ticks(low: float, high: float, count: int = 4) -> List[float]:
    """Round values (1, 2 or 5 times a power of ten apart) between ``low`` and ``high``."""
    span = high - low
    if not span > 0:
        return [low]
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(power * m for m in (1, 2, 5, 10) if power * m >= 0.7 * raw)   # about ``count`` steps
    first = math.ceil(low / step) * step
    return [round(first + i * step, 10) for i in range(int((high - first) / step + 1e-9) + 1)]


def _tick_text(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value else "0"


def _finite(value: Optional[float]) -> TypeGuard[float]:
    return value is not None and math.isfinite(value)


# --- layer profiles ------------------------------------------------------------------------------

def layer_profiles(panels: Sequence[Dict], label: str) -> str:
    """Small multiples, one panel per benchmark: the profile over relative depth, the grey band of the
    ceiling (with a dashed line at the benchmark's own), the chosen layer as a dot with its 95%
    interval, and layers far below (or above) the rest as triangles on the panel's edge. ``panels``:
    dicts with label, depth, values, best (index or None), interval, ceiling, band."""
    if not panels:
        return svg(400, 40, '<text x="4" y="24" class="muted">no layer profiles</text>', label)
    width, height = PANEL
    rows = math.ceil(len(panels) / COLUMNS)
    body = "".join(_profile_panel(panel, (i % COLUMNS) * width, (i // COLUMNS) * height)
                   for i, panel in enumerate(panels))
    return svg(min(len(panels), COLUMNS) * width, rows * height, body, label)


def _profile_panel(panel: Dict, x0: float, y0: float) -> str:
    width, height = PANEL
    left, right, top, bottom = PANEL_MARGIN
    plot_x, plot_y = x0 + left, y0 + top
    plot_w, plot_h = width - left - right, height - top - bottom
    values = panel["values"]
    keep = [panel.get("ceiling")] + list(panel.get("band") or []) + list(panel.get("interval") or [])
    shown = profile_range(values, keep=keep)
    low, high = shown.low, shown.high

    def x(depth: float) -> float:
        return plot_x + depth * plot_w

    def y(value: float) -> float:
        return plot_y + plot_h - (min(max(value, low), high) - low) / (high - low) * plot_h

    parts = [f'<text x="{plot_x:.1f}" y="{y0 + 12:.1f}" class="title">{esc(panel["label"])}</text>']
    band = panel.get("band")
    if band and _finite(band[0]) and _finite(band[1]):
        top_y, bottom_y = y(band[1]), y(band[0])
        parts.append(f'<rect x="{plot_x:.1f}" y="{top_y:.1f}" width="{plot_w:.1f}" '
                     f'height="{max(bottom_y - top_y, 1.5):.1f}" fill="{BAND}"><title>ceiling band '
                     f'{band[0]:.3f} to {band[1]:.3f}</title></rect>')
    if _finite(panel.get("ceiling")):
        parts.append(f'<line x1="{plot_x:.1f}" x2="{plot_x + plot_w:.1f}" y1="{y(panel["ceiling"]):.1f}" '
                     f'y2="{y(panel["ceiling"]):.1f}" stroke="{MUTED}" stroke-dasharray="3 2" stroke-width="0.8">'
                     f'<title>ceiling {panel["ceiling"]:.3f}</title></line>')
    parts.append(_axes(plot_x, plot_y, plot_w, plot_h, low, high, y))
    for segment in _segments(panel["depth"], values, plot_w / PIXELS_PER_COLUMN):
        parts.append(f'<path d="{_relative_path([(x(d), y(v)) for d, v in segment])}" fill="none" '
                     f'stroke="{LINE}" stroke-width="1.2"/>')
    parts.append(_clipped_marks(panel["depth"], values, low, high, x, plot_y, plot_h))
    best = panel.get("best")
    if best is not None and _finite(values[best]):
        bx, by = x(panel["depth"][best]), y(values[best])
        interval = panel.get("interval")
        if interval:
            parts.append(f'<line x1="{bx:.1f}" x2="{bx:.1f}" y1="{y(interval[1]):.1f}" y2="{y(interval[0]):.1f}" '
                         f'stroke="#000" stroke-width="1.4"/>')
        tip = f"chosen layer {panel['layers'][best]}: {values[best]:.3f}" + (
            f", 95% interval [{interval[0]:.3f}, {interval[1]:.3f}]" if interval else "")
        parts.append(f'<circle cx="{bx:.1f}" cy="{by:.1f}" r="3.2" fill="#fff" stroke="#000" stroke-width="1.4">'
                     f"<title>{esc(tip)}</title></circle>")
    return "".join(parts) + "\n"


def _axes(plot_x, plot_y, plot_w, plot_h, low, high, y) -> str:
    parts = [f'<path d="M{plot_x:.1f},{plot_y:.1f}V{plot_y + plot_h:.1f}H{plot_x + plot_w:.1f}" fill="none" '
             f'stroke="#999" stroke-width="0.8"/>']
    for tick in nice_ticks(low, high, 4):
        ty = y(tick)
        parts.append(f'<text x="{plot_x - 3:.1f}" y="{ty + 3:.1f}" text-anchor="end" class="muted">'
                     f"{_tick_text(tick)}</text>")
    if low < 0 < high:
        parts.append(f'<line x1="{plot_x:.1f}" x2="{plot_x + plot_w:.1f}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
                     f'stroke="#bbb" stroke-width="0.6"/>')
    base = plot_y + plot_h + 11
    parts.append(f'<text x="{plot_x:.1f}" y="{base:.1f}" class="muted">first layer</text>'
                 f'<text x="{plot_x + plot_w:.1f}" y="{base:.1f}" text-anchor="end" class="muted">last</text>')
    return "".join(parts)


def _segments(depths: Sequence[float], values: Sequence[Optional[float]], columns: float) -> List[List[Tuple]]:
    """The profile's runs of finite values, each thinned to two points per one of ``columns`` columns."""
    runs: List[List[Tuple[float, float]]] = []
    run: List[Tuple[float, float]] = []
    for depth, value in zip(depths, values):
        if _finite(value):
            run.append((depth, value))
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    return [_thinned(run, int(columns)) for run in runs]


def _relative_path(points: List[Tuple[float, float]]) -> str:
    """An SVG path through the points, each step relative to the last at 0.1 px (about half the bytes
    of absolute coordinates; the rounding does not add up: each step is taken from rounded positions)."""
    rounded = [(round(px * 10), round(py * 10)) for px, py in points]
    steps = [f"{_tenths(bx - ax)},{_tenths(by - ay)}" for (ax, ay), (bx, by) in zip(rounded, rounded[1:])]
    start = f"M{_tenths(rounded[0][0])},{_tenths(rounded[0][1])}"
    return start + ("l" + " ".join(steps) if steps else "h0")


def _tenths(value: int) -> str:
    whole, tenth = divmod(abs(value), 10)
    text = f"{whole}.{tenth}" if tenth else f"{whole}"
    return ("-" if value < 0 else "") + (text[1:] if text.startswith("0.") else text)


def _thinned(points: List[Tuple[float, float]], columns: int) -> List[Tuple[float, float]]:
    """At most the lowest and highest point of each of ``columns`` columns, in order (the line looks the
    same at the panel's size, spikes and collapses included)."""
    if len(points) <= 2 * columns:
        return points
    kept: List[Tuple[float, float]] = []
    bucket: List[Tuple[float, float]] = []
    current = None
    for point in points:
        column = int(point[0] * columns)
        if column != current and bucket:
            kept += _extremes(bucket)
            bucket = []
        current = column
        bucket.append(point)
    return kept + _extremes(bucket)


def _extremes(bucket: List[Tuple[float, float]]) -> List[Tuple[float, float]]:
    lowest, highest = min(bucket, key=lambda p: p[1]), max(bucket, key=lambda p: p[1])
    return sorted({lowest, highest}, key=bucket.index)


def _clipped_marks(depths, values, low, high, x, plot_y, plot_h) -> str:
    marks = []
    for depth, value in zip(depths, values):
        if not _finite(value) or low <= value <= high:
            continue
        cx = x(depth)
        if value < low:
            edge = plot_y + plot_h
            shape = f"M{cx - 3:.1f},{edge - 6:.1f}h6l-3,6z"
        else:
            edge = plot_y
            shape = f"M{cx - 3:.1f},{edge + 6:.1f}h6l-3,-6z"
        marks.append(f'<path d="{shape}" fill="#c0392b"><title>a layer outside the axis: {value:.3f}</title></path>')
    return "".join(marks)


# --- a benchmark's ranking -----------------------------------------------------------------------

def ranking(rows: Sequence[Dict], label: str, ceiling: Optional[float] = None) -> str:
    """One line per model, best first: its CV value as a dot, coloured by trained / random init /
    baseline, and its 95% interval as a bar; the ceiling as a dashed line. ``rows``: dicts with model,
    cv_value, interval, category."""
    shown = [row for row in rows if _finite(row.get("cv_value"))]
    if not shown:
        return svg(400, 40, '<text x="4" y="24" class="muted">no cross-validated values</text>', label)
    width, plot_left, plot_right, top = 780, RANK_LABELS + 10, 760, 28
    values = [row["cv_value"] for row in shown]
    values += [v for row in shown for v in (row.get("interval") or [])]
    if _finite(ceiling) and ceiling <= 1:
        values.append(ceiling)
    low, high = min(values + [0.0]), max(values)
    pad = 0.03 * (high - low or 1.0)
    low, high = low - pad, high + pad
    height = top + len(shown) * ROW_HEIGHT + 8

    def x(value: float) -> float:
        return plot_left + (value - low) / (high - low) * (plot_right - plot_left)

    parts = []
    for tick in nice_ticks(low, high, 6):
        tx = x(tick)
        parts.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{top - 4}" y2="{height - 6}" stroke="#eee"/>'
                     f'<text x="{tx:.1f}" y="{top - 8}" text-anchor="middle" class="muted">{_tick_text(tick)}</text>')
    if low < 0 < high:
        parts.append(f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="{top - 4}" y2="{height - 6}" stroke="#bbb"/>')
    if _finite(ceiling) and low <= ceiling <= high:
        parts.append(f'<line x1="{x(ceiling):.1f}" x2="{x(ceiling):.1f}" y1="{top - 4}" y2="{height - 6}" '
                     f'stroke="{MUTED}" stroke-dasharray="4 3"><title>ceiling {ceiling:.3f}</title></line>'
                     f'<text x="{x(ceiling) + 3:.1f}" y="{top - 18}" class="muted">ceiling</text>')
    for index, row in enumerate(shown):
        cy = top + index * ROW_HEIGHT + ROW_HEIGHT / 2
        color = CATEGORY_COLORS.get(row.get("category") or "", LINE)
        name = row["model"] if len(row["model"]) <= 34 else row["model"][:33] + "…"
        parts.append(f'<text x="{RANK_LABELS}" y="{cy + 3.5:.1f}" text-anchor="end">{esc(name)}</text>')
        interval = row.get("interval")   # (the numbers themselves are in the table and the CSV)
        if interval:
            parts.append(f'<path d="M{x(interval[0]):.1f},{cy:.1f}H{x(interval[1]):.1f}" stroke="{color}" '
                         f'stroke-width="1.6" opacity="0.7"/>')
        parts.append(f'<circle cx="{x(row["cv_value"]):.1f}" cy="{cy:.1f}" r="3" fill="{color}"/>')
    legend = "".join(f'<circle cx="{8 + i * 70}" cy="9" r="3" fill="{CATEGORY_COLORS[kind]}"/>'
                     f'<text x="{14 + i * 70}" y="12">{text}</text>'
                     for i, (kind, text) in enumerate((("trained", "trained"), ("random", "random init"),
                                                       ("baseline", "baseline"))))
    return svg(width, height, legend + "".join(parts), label)
