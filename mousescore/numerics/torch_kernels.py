"""The reduction kernels of :mod:`mousescore.extraction.extract` in torch (``extraction.reduce(key, rows,
kernels=torch_reductions)``), on the device the model runs on (a GPU),
so activations never leave it: only the projection (n × k) or the n × n matrices come back.

Same definitions as the numpy path (``projection.project``, ``ridge.ridge_summary``,
``rsa.correlation_matrix``): float32 products in column chunks, summed in float64; the projection uses
the very same sparse matrix. Equal to the numpy path within float32 rounding (tested on the CPU).
"""
from __future__ import annotations

import warnings
from typing import Dict, Tuple

import numpy as np

from ..registry.caches import register_cache
from .projection import sparse_projection_matrix
from .rsa import FLOAT64_WIDTH

CHUNK = 1 << 14
_matrices: Dict[Tuple, object] = {}
register_cache(_matrices.clear)


def _projection_tensor(n_features: int, n_components: int, seed: int, device):
    import torch
    key = (n_features, n_components, seed, str(device))
    if key not in _matrices:
        if len(_matrices) > 64:   # layers of many widths: keep the device's memory bounded
            _matrices.clear()
        csr = sparse_projection_matrix(n_features, n_components, seed).tocsr()
        with warnings.catch_warnings():   # "sparse CSR support is in beta": it is what we need here
            warnings.simplefilter("ignore", UserWarning)
            _matrices[key] = torch.sparse_csr_tensor(
                torch.from_numpy(csr.indptr.astype(np.int64)), torch.from_numpy(csr.indices.astype(np.int64)),
                torch.from_numpy(csr.data), size=csr.shape, device=device, check_invariants=False)
    return _matrices[key]


def project(rows, n_components: int, seed: int) -> np.ndarray:
    matrix = _projection_tensor(rows.shape[1], n_components, seed, rows.device)
    return (matrix @ rows.T).T.cpu().numpy()


def _gram(rows, center) -> np.ndarray:
    import torch
    n, p = rows.shape
    gram = torch.zeros((n, n), dtype=torch.float64, device=rows.device)
    for start in range(0, p, CHUNK):
        block = center(rows[:, start:start + CHUNK])
        gram += (block @ block.T).double()
    return gram.cpu().numpy()


def ridge_summary(rows) -> np.ndarray:
    """As ``ridge.ridge_summary``: the centred Gram matrix, or the centred rows when narrower (p < n)."""
    import torch
    if rows.shape[1] < rows.shape[0]:
        rows = rows.double()
        return (rows - rows.mean(dim=0)).cpu().numpy()
    return _gram(rows, lambda block: block - block.mean(dim=0, dtype=torch.float64).float())


def correlation_matrix(rows) -> np.ndarray:
    import torch
    if rows.shape[1] <= FLOAT64_WIDTH:   # as rsa.correlation_matrix does
        rows = rows.double()
    means = rows.mean(dim=1, keepdim=True, dtype=torch.float64).to(rows.dtype)
    gram = _gram(rows, lambda block: block - means)
    norms = np.sqrt(np.diag(gram))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.clip(gram / np.outer(norms, norms), -1.0, 1.0)

