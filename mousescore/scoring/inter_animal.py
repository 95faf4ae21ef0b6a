"""The inter-mouse score (Conwell et al. 2021, §3.9): how well other mice predict a mouse.

Each neuron of one mouse is predicted from the neurons of the same site in all *other* mice, with
exactly the metric a model is scored with (the same projection, ridge and cross-validation), in place
of a model layer's features.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

from ..numerics.disk_memo import disk_memo
from ..numerics.reductions import reduce_all
from ..registry.layer_reductions import LayerReductions


@disk_memo
def intermouse_scores(responses: np.ndarray, mice: np.ndarray, metric) -> np.ndarray:
    """Per-neuron scores (NaN where a neuron's mouse is the only one); responses: stimuli × neurons."""
    responses = np.asarray(responses, dtype=np.float64)
    mice = np.asarray(mice).astype(str)
    scores = np.full(responses.shape[1], np.nan)
    for mouse in np.unique(mice):
        own, others = mice == mouse, mice != mouse
        if not others.any():
            continue
        predictors = responses[:, others].astype(np.float32)
        reduced = LayerReductions({key: reduce_all(key, predictors) for key in metric.reductions()})
        scores[own] = metric.layer_scores(reduced, responses[:, own])
    return scores


def bootstrap_interval(values: np.ndarray, n_bootstrap: int = 1000, level: float = 0.95,
                       seed: int = 0) -> Tuple[float, float]:
    """Percentile bootstrap interval of the mean over the finite values."""
    values = np.asarray(values)[np.isfinite(values)]
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (n_bootstrap, len(values)))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    return float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail))
