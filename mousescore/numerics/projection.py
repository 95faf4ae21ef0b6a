"""Sparse random projection (Li, Hastie & Church 2006), as in scikit-learn's SparseRandomProjection.

Each of the ``k`` components has a Binomial(p, density) number of non-zeros at distinct random input
features, each ±sqrt(1/density)/sqrt(k) with equal probability; density is 1/sqrt(p). The
matrix depends only on (seed, p, k), so the same layer width always gets the same projection.
"""
from __future__ import annotations

import os
import sys
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, Tuple

import numpy as np
import scipy.sparse as sp

from ..registry.caches import register_cache

# Matrices are reused across batches and across layers of equal width; about 8 bytes per non-zero
# (k·√p of them), kept least-recently-used within this budget.
CACHE_BYTES = 2 << 30
_cache: "OrderedDict[tuple, sp.csc_matrix]" = OrderedDict()


def sparse_projection_matrix(n_features: int, n_components: int, seed: int = 0) -> sp.csc_matrix:
    """(n_components × n_features) matrix, float32, reproducible from its arguments (cached)."""
    key = (n_features, n_components, seed)
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    # CSC makes ``matrix @ features.T`` about 4x faster than CSR in scipy.
    matrix = _generate(n_features, n_components, seed).tocsc()
    _cache[key] = matrix
    while len(_cache) > 1 and sum(m.data.nbytes + m.indices.nbytes for m in _cache.values()) > CACHE_BYTES:
        _cache.popitem(last=False)
    return matrix


@register_cache
def clear_cache() -> None:
    """Forget the projection matrices and free the transposition buffers."""
    _cache.clear()
    release_buffers()


def release_buffers() -> None:
    """Free the transposition buffers (extraction does at its end: they serve one extraction's layers)."""
    _buffers.clear()


def _generate(n_features: int, n_components: int, seed: int) -> sp.csr_matrix:
    density = 1.0 / np.sqrt(n_features)
    rng = np.random.default_rng(np.random.SeedSequence([seed, n_features, n_components]))
    counts = rng.binomial(n_features, density, size=n_components)
    indices = np.concatenate([np.sort(rng.choice(n_features, size=c, replace=False, shuffle=False))
                              for c in counts]).astype(np.int32)
    scale = np.float32(np.sqrt(1.0 / density) / np.sqrt(n_components))
    signs = rng.integers(0, 2, size=indices.size).astype(np.float32) * 2 - 1
    indptr = np.concatenate([[0], np.cumsum(counts)])
    return sp.csr_matrix((signs * scale, indices, indptr), shape=(n_components, n_features))


# The product needs the rows transposed (features × rows, C order); projecting a few rows at a time
# bounds that copy (an 800k-wide layer of 118 images would otherwise copy 380 MB). Each row's result
# is the same. The copy goes into one reused buffer per thread: scipy's own copy went into fresh
# memory every call, and faulting those pages in cost more than the product (ResNet-50 on the 640
# Cowley images: 64 s of copying against 47 s of product).
CHUNK_BYTES = 64 << 20
_pools: Dict[Tuple[int, int], ThreadPoolExecutor] = {}
_buffers: Dict[int, np.ndarray] = {}   # thread id -> transposition buffer (at most CHUNK_BYTES or one row)


def _threads() -> int:
    """As many as torch uses (the hooks run while its threads wait), else the CPUs we may run on."""
    torch = sys.modules.get("torch")
    if torch is not None:
        return max(1, torch.get_num_threads())
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _map(function, items) -> None:
    """Run ``function`` on every item, on a thread pool: scipy's sparse product releases the GIL
    (an 800k-wide layer of 118 rows: 0.26 s on one thread, 0.14 s on two)."""
    threads = min(_threads(), len(items))
    if threads < 2:
        for item in items:
            function(item)
        return
    key = (os.getpid(), threads)   # a forked child cannot use its parent's threads
    if key not in _pools:
        _pools[key] = ThreadPoolExecutor(threads, thread_name_prefix="mousescore-projection")
    for _ in _pools[key].map(function, items):
        pass


def project(features: np.ndarray, n_components: int = 4096, seed: int = 0) -> np.ndarray:
    """Project (n × p) features to (n × n_components), computed in float32."""
    features = np.asarray(features, dtype=np.float32)
    n, p = features.shape
    matrix = sparse_projection_matrix(p, n_components, seed)
    # Row chunks bound the copy and give every thread a share (the rows are independent).
    step = max(1, min(CHUNK_BYTES // (4 * max(p, 1)), -(-n // _threads())))
    projected = np.empty((n, n_components), dtype=np.float32)

    def product(start):
        projected[start:start + step] = (matrix @ _transposed(features[start:start + step])).T

    _map(product, range(0, n, step))
    return projected


def _transposed(rows: np.ndarray) -> np.ndarray:
    """``rows.T`` as a C-ordered array in this thread's reused buffer (torch's blocked copy: 2-3x
    numpy's on wide rows)."""
    import torch
    size = rows.size
    buffer = _buffers.get(threading.get_ident())
    if buffer is None or buffer.size < size:
        buffer = _buffers[threading.get_ident()] = np.empty(size, dtype=np.float32)
    out = buffer[:size].reshape(rows.shape[1], rows.shape[0])
    if rows.flags.writeable and min(rows.strides) >= 0:
        torch.from_numpy(out).copy_(torch.from_numpy(rows).t())
    else:   # torch cannot wrap a read-only or reversed array
        np.copyto(out, rows.T)
    return out
