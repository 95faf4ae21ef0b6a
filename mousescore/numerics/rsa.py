"""Representational similarity: RDM = 1 − Pearson r between stimuli; score = Pearson of upper triangles."""
from __future__ import annotations

import numpy as np

from ..registry.caches import cached
from .disk_memo import disk_memo
from .stats import pearson_rows, split_half_correction, split_half_means, split_half_sizes, working_array

# Layers up to this width are correlated in float64: it costs little there, and their stimuli can
# correlate at r ≈ 0.99, where float32 products move an RSA score by up to 1e-5 (measured by
# performance/run_benchmarks.py against np.corrcoef). Wider layers: float32 products, float64 sums.
FLOAT64_WIDTH = 1 << 16


def correlation_matrix(features: np.ndarray, chunk: int = 1 << 14) -> np.ndarray:
    """Pearson r between rows (stimuli) across columns (features), float64 accumulation."""
    n, p = features.shape
    if p <= FLOAT64_WIDTH:
        features = np.asarray(features, dtype=np.float64)
    # Row means chunk by chunk too: ``features`` may be activations spilled to disk.
    means = sum(np.asarray(features[:, s:s + chunk]).sum(axis=1, dtype=np.float64) for s in range(0, p, chunk)) / p
    gram = np.zeros((n, n), dtype=np.float64)
    for start in range(0, p, chunk):
        block = working_array(features[:, start:start + chunk])
        block = block - means[:, None].astype(block.dtype)
        gram += (block @ block.T).astype(np.float64)
    norms = np.sqrt(np.diag(gram))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = gram / np.outer(norms, norms)
    return np.clip(corr, -1.0, 1.0)


def rdm(features: np.ndarray) -> np.ndarray:
    return 1.0 - correlation_matrix(features)


def upper_triangle(matrix: np.ndarray) -> np.ndarray:
    return matrix.reshape(-1)[triangle_positions(matrix.shape[0])]


@cached(maxsize=8)
def triangle_positions(n: int) -> np.ndarray:
    """Flat positions of the upper triangle (diagonal excluded) of an n × n matrix, row by row."""
    rows, cols = np.triu_indices(n, k=1)
    return rows * n + cols


def compare_rdms(model_rdm: np.ndarray, neural_rdms: np.ndarray) -> np.ndarray:
    """Pearson r between the model RDM's upper triangle and each neural RDM's (sites × n × n)."""
    neural_rdms = np.asarray(neural_rdms)
    if neural_rdms.ndim == 2:
        neural_rdms = neural_rdms[None]
    n = model_rdm.shape[0]
    return pearson_rows(upper_triangle(np.asarray(model_rdm)),
                        neural_rdms.reshape(len(neural_rdms), n * n)[:, triangle_positions(n)])


@disk_memo
def split_half_rdm_reliability(responses: np.ndarray, n_splits: int = 20, seed: int = 0) -> float:
    """Reliability of a population RDM: RDMs of two random halves of the repeats, Pearson r of their
    upper triangles, corrected to all repeats (:func:`~.stats.split_half_correction` with the
    population's mean half sizes: plain Spearman–Brown for equal halves), averaged over splits.

    ``responses``: (presentation, neuroid, repetition), NaN-padded.
    """
    first, second = split_half_sizes(responses)
    estimates = [compare_rdms(rdm(a), rdm(b)[None])[0] for a, b in split_half_means(responses, n_splits, seed)]
    return float(np.mean(split_half_correction(np.asarray(estimates), np.nanmean(first), np.nanmean(second))))
