"""Sparse random projection (Li, Hastie & Church 2006), as in scikit-learn's SparseRandomProjection.

Each of the ``k`` components has a Binomial(p, density) number of non-zeros at distinct random input
features, each ±sqrt(1/density)/sqrt(k) with equal probability; density defaults to 1/sqrt(p). The
matrix depends only on (seed, p, k), so the same layer width always gets the same projection.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.sparse as sp


@lru_cache(maxsize=8)
def sparse_projection_matrix(n_features: int, n_components: int, seed: int = 0,
                             density: float | None = None) -> sp.csr_matrix:
    """(n_components × n_features) CSR matrix, float32, reproducible from its arguments."""
    if density is None:
        density = 1.0 / np.sqrt(n_features)
    rng = np.random.default_rng(np.random.SeedSequence([seed, n_features, n_components]))
    counts = rng.binomial(n_features, density, size=n_components)
    indices = np.concatenate([np.sort(rng.choice(n_features, size=c, replace=False, shuffle=False))
                              for c in counts]).astype(np.int64)
    scale = np.float32(np.sqrt(1.0 / density) / np.sqrt(n_components))
    signs = rng.integers(0, 2, size=indices.size).astype(np.float32) * 2 - 1
    indptr = np.concatenate([[0], np.cumsum(counts)])
    return sp.csr_matrix((signs * scale, indices, indptr), shape=(n_components, n_features))


def project(features: np.ndarray, n_components: int = 4096, seed: int = 0) -> np.ndarray:
    """Project (n × p) features to (n × n_components), computed in float32."""
    features = np.asarray(features, dtype=np.float32)
    matrix = sparse_projection_matrix(features.shape[1], n_components, seed)
    return np.asarray((matrix @ features.T).T)
