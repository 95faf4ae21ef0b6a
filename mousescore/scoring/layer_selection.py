"""Choosing the committed layer: the paper's Max, and a cross-validated value beside it.

"Max" picks the best layer on the same stimuli it reports, so it rises with the number of layers a
model offers (more draws at the noise). The cross-validated value picks the layer on a random half of
the stimuli and reports that layer's score on the other half, both ways round, averaged over the
seeded splits of :func:`mousescore.numerics.resampling.half_splits` (the same for every model).
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

CV_KIND = ("layer chosen on a random half of the stimuli, scored on the other half (both ways, "
           "{n_splits} seeded splits shared by every model), mean")


def cross_validated_value(half_means: Mapping[str, np.ndarray]) -> float:
    """``half_means``: per layer (execution order) its mean score over units on each half, first the
    splits' halves then their complements (2·splits values). NaN when no layer is finite anywhere."""
    table = np.array([np.asarray(v, dtype=np.float64) for v in half_means.values()])   # layers × 2S
    if table.size == 0:
        return float("nan")
    n_splits = table.shape[1] // 2
    choose = np.where(np.isfinite(table), table, -np.inf)
    reported = []
    for chosen_on, reported_on in [(s, s + n_splits) for s in range(n_splits)] + \
                                  [(s + n_splits, s) for s in range(n_splits)]:
        if np.isfinite(choose[:, chosen_on]).any():
            reported.append(table[int(np.argmax(choose[:, chosen_on])), reported_on])   # first layer wins ties
    with np.errstate(all="ignore"):
        return float(np.nanmean(reported)) if reported else float("nan")
