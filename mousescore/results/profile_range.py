"""The value range a layer-profile plot shows, so that a collapsed layer does not flatten the rest.

A network's last layers can collapse (a near-constant output scores −0.98 where every other layer lies
in 0 … 0.3): scaled to include it, the profile becomes a flat line. Values beyond Tukey's far fences
(3 interquartile ranges past the quartiles) are left outside the range and marked where they lie
instead; the ceilings shown stay inside it.
"""
from __future__ import annotations

import math
from typing import Iterable, List, NamedTuple, Optional, Sequence

FENCE_IQRS = 3.0       # Tukey's "far out": a layer beyond it is clearly not part of the profile's trend
MARGIN = 0.05          # of the range, on each side


class ProfileRange(NamedTuple):
    low: float
    high: float
    clipped_below: List[int]    # indices (into the values given) left below ``low``
    clipped_above: List[int]


def profile_range(values: Sequence[Optional[float]], keep: Iterable[Optional[float]] = ()) -> ProfileRange:
    """The range to draw ``values`` in (None and NaN ignored), with the indices of those left outside;
    ``keep`` (e.g. ceilings) always lies inside. With fewer than 4 finite values nothing is clipped."""
    finite = sorted(_finite_only(values))
    kept = _finite_only(keep)
    if not finite and not kept:
        return ProfileRange(0.0, 1.0, [], [])
    lower, upper = -math.inf, math.inf
    if len(finite) >= 4:
        first, third = _quantile(finite, 0.25), _quantile(finite, 0.75)
        spread = max(third - first, 1e-3)     # equal values: a small spread, not a zero-width fence
        lower, upper = first - FENCE_IQRS * spread, third + FENCE_IQRS * spread
    inside = [v for v in finite if lower <= v <= upper] + kept
    low, high = min(inside), max(inside)
    pad = MARGIN * (high - low or abs(high) or 1.0)
    low, high = low - pad, high + pad
    below = [i for i, v in enumerate(values) if v is not None and math.isfinite(v) and v < low]
    above = [i for i, v in enumerate(values) if v is not None and math.isfinite(v) and v > high]
    return ProfileRange(low, high, below, above)


def _finite_only(values: Iterable[Optional[float]]) -> List[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def _quantile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default), without numpy."""
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)
