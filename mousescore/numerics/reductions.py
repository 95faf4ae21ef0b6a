"""Reductions: what a metric needs of a layer's activations, named by hashable keys, and computed here.

A metric asks for reductions by key (:meth:`mousescore.registry.contracts.Metric.reductions`);
extraction computes them inside the forward hooks and keeps only them. Make keys with these
constructors, never as tuple literals: the key is also the feature cache's file name.

- :func:`srp` ``(k, seed)``: the sparse random projection of the rows (n × k);
- :func:`srp_gram` ``(k, seed)``: what ridge needs of that projection (:func:`.ridge.ridge_summary`:
  its centred Gram matrix, n × n instead of n × k, or the centred projection itself when k < n);
- :func:`centered_gram`: the same of the raw features;
- :func:`correlation`: Pearson r between stimuli (RSA's similarity matrix).

Projections work batch by batch (:data:`ROWWISE`); the others need every stimulus of a layer at once.
"""
from __future__ import annotations

from typing import List, cast

import numpy as np

from ..registry.contracts import Reduction
from .projection import project
from .ridge import ridge_summary
from .rsa import correlation_matrix

ROWWISE = {"srp", "srp_gram"}
DERIVED = "derived:eigh"


def srp(n_components: int, seed: int = 0) -> Reduction:
    return ("srp", int(n_components), int(seed))


def srp_gram(n_components: int, seed: int = 0) -> Reduction:
    return ("srp_gram", int(n_components), int(seed))


def centered_gram() -> Reduction:
    return ("centered_gram",)


def correlation() -> Reduction:
    return ("correlation",)


def decomposition(of: Reduction) -> Reduction:
    """Where a metric keeps what it derives from a reduction (a ridge eigendecomposition) beside the
    layer's features, so that benchmarks sharing the features share it; never extracted or cached."""
    return (DERIVED,) + tuple(of)


def is_rowwise(key: Reduction) -> bool:
    return key[0] in ROWWISE


def reduce(key: Reduction, rows, kernels=None) -> np.ndarray:
    """One reduction of ``rows``. ``kernels``: a module with ``project``, ``ridge_summary`` and
    ``correlation_matrix`` (default: the numpy ones; :mod:`.torch_kernels` on a device)."""
    kind = key[0]
    if kind in ROWWISE:
        return (kernels.project if kernels else project)(rows, n_components=cast(int, key[1]), seed=cast(int, key[2]))
    if kind == "centered_gram":
        return (kernels.ridge_summary if kernels else ridge_summary)(rows)
    if kind == "correlation":
        return (kernels.correlation_matrix if kernels else correlation_matrix)(rows)
    raise ValueError(f"unknown reduction {key!r}")


def finish(key: Reduction, parts: List[np.ndarray]) -> np.ndarray:
    """A layer's reduction from its per-batch pieces."""
    if not is_rowwise(key):
        return parts[0]
    rows = np.concatenate(parts)
    return ridge_summary(rows.astype(np.float64)) if key[0] == "srp_gram" else rows


def reduce_all(key: Reduction, rows: np.ndarray) -> np.ndarray:
    """A reduction of a whole stimulus set's rows at once (not batch by batch)."""
    return finish(key, [reduce(key, rows)])
