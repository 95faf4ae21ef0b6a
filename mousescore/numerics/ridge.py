"""Ridge regression with exact leave-one-out predictions, in the dual (or the primal, when narrower).

With column-centred features Z (n × k) and K = Z Zᵀ = V diag(w) Vᵀ, the hat matrix of ridge with an
unpenalised intercept is H = V diag(w / (w + α)) Vᵀ + 11ᵀ/n, and the leave-one-out residual is
eᵢ = (yᵢ − ŷᵢ) / (1 − Hᵢᵢ) (generalised cross-validation). Both numerator and denominator are formed
from α / (w + α) directly, never as 1 − (something close to 1), so small α stays accurate. One eigendecomposition serves every
neuron and every α; it matches scikit-learn's RidgeCV leave-one-out values.

Primal or dual by shape: with fewer features than stimuli (p < n: a 512-wide layer on thousands of
macaque images) the n × n Gram matrix is replaced by the centred features themselves (n × p, smaller),
decomposed through their p × p covariance, which gives the same nonzero eigenpairs of K.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

from .stats import working_array


def centered_gram(features: np.ndarray, chunk: int = 1 << 14) -> np.ndarray:
    """K = Z_c Z_cᵀ, Z_c the column-centred features: float32 (or float64) chunks summed in float64."""
    n, p = features.shape
    gram = np.zeros((n, n), dtype=np.float64)
    for start in range(0, p, chunk):
        block = working_array(features[:, start:start + chunk])
        block = block - block.mean(axis=0, dtype=np.float64).astype(block.dtype)
        gram += (block @ block.T).astype(np.float64)
    return gram


def ridge_summary(features: np.ndarray) -> np.ndarray:
    """What ridge keeps of a layer (n × p): the centred Gram matrix (n × n), or, when p < n, the
    column-centred features (n × p, float64). A Gram matrix is square; the features then are not."""
    n, p = features.shape
    if p >= n:
        return centered_gram(features)
    features = np.asarray(features, dtype=np.float64)
    return features - features.mean(axis=0)


def gram_of(summary: np.ndarray) -> np.ndarray:
    """The centred Gram matrix from either form of :func:`ridge_summary`."""
    return summary if summary.shape[0] == summary.shape[1] else summary @ summary.T


def decompose(summary: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Eigenpairs for :func:`loo_predictions` from either form of :func:`ridge_summary`: the dual
    (:func:`complement_eigh`, n − 1 pairs) or the primal (:func:`primal_eigh`, at most p pairs)."""
    summary = np.asarray(summary, dtype=np.float64)
    return complement_eigh(summary) if summary.shape[0] == summary.shape[1] else primal_eigh(summary)


def primal_eigh(centred: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Nonzero eigenpairs of K = Z Zᵀ from the p × p covariance Zᵀ Z = W diag(w) Wᵀ (Z column-centred,
    p < n): the eigenvectors are Z W w^(-1/2), orthogonal to the constant vector since Z's columns sum
    to zero. Costs p³ + n p² instead of the dual's n³."""
    eigenvalues, vectors = np.linalg.eigh(centred.T @ centred)
    keep = eigenvalues > max(eigenvalues.max(initial=0.0), 0.0) * centred.shape[1] * np.finfo(float).eps
    return eigenvalues[keep], (centred @ vectors[:, keep]) / np.sqrt(eigenvalues[keep])


def complement_eigh(gram: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Eigenpairs of the centred Gram matrix restricted to the complement of the constant vector.

    A Householder reflection P (P e₁ = 1/√n) splits off the intercept direction exactly, so
    1 − Hᵢᵢ is a sum of positive terms instead of a difference of nearly equal numbers.
    """
    n = gram.shape[0]
    v = np.full(n, 1.0 / np.sqrt(n))
    v[0] -= 1.0
    v /= np.linalg.norm(v)
    reflected = gram - 2.0 * np.outer(v, v @ gram)
    reflected -= 2.0 * np.outer(reflected @ v, v)
    eigenvalues, eigenvectors = np.linalg.eigh(reflected[1:, 1:])
    reflection = np.eye(n) - 2.0 * np.outer(v, v)
    return np.clip(eigenvalues, 0.0, None), reflection[:, 1:] @ eigenvectors


def loo_operators(decomposition: Tuple[np.ndarray, np.ndarray], n: int,
                  alphas: Sequence[float] = (1.0,)) -> List[Tuple[np.ndarray, np.ndarray]]:
    """Per α, the residual operator R (n × n) and leverage complements h (n) with which the
    leave-one-out residuals of any targets Y are R Y / h: one product per target set, so that every
    benchmark on a layer (27 Allen sites, say) pays one n × n × t product instead of two.

    With (w, V) the eigenpairs off the intercept direction and d = α / (w + α): R = V diag(d) Vᵀ and
    hᵢ = Σⱼ Vᵢⱼ² dⱼ. A primal decomposition (:func:`primal_eigh`) lacks the directions with w = 0,
    where d = 1: then R = I − 11ᵀ/n − V diag(1 − d) Vᵀ and hᵢ = 1 − 1/n − Σⱼ Vᵢⱼ² (1 − dⱼ), whose
    subtraction is safe there since the leverages sum to at most p/n.
    """
    if min(alphas) <= 0:
        raise ValueError("ridge penalties must be positive")
    eigenvalues, eigenvectors = decomposition
    complete = eigenvectors.shape[1] == n - 1
    squared_vectors = eigenvectors ** 2
    operators = []
    for alpha in alphas:
        if complete:
            damping = alpha / (eigenvalues + alpha)
            operators.append(((eigenvectors * damping) @ eigenvectors.T, squared_vectors @ damping))
        else:
            fit = eigenvalues / (eigenvalues + alpha)
            residual = np.eye(n) - 1.0 / n - (eigenvectors * fit) @ eigenvectors.T
            operators.append((residual, 1.0 - 1.0 / n - squared_vectors @ fit))
    return operators


def loo_predictions(gram: Optional[np.ndarray], targets: np.ndarray, alphas: Sequence[float] = (1.0,),
                    decomposition: Optional[Tuple[np.ndarray, np.ndarray]] = None,
                    operators: Optional[List[Tuple[np.ndarray, np.ndarray]]] = None,
                    ) -> Tuple[np.ndarray, np.ndarray]:
    """Leave-one-out predictions (n × t) and the α chosen per target (lowest LOO squared error).

    ``gram`` is :func:`centered_gram` of the regressors, or pass its :func:`complement_eigh` as
    ``decomposition`` (one serves every target set and α), or that decomposition's
    :func:`loo_operators` for ``alphas`` as ``operators``; ``targets`` is (n × t).
    """
    targets = np.asarray(targets, dtype=np.float64)
    if targets.ndim == 1:
        targets = targets[:, None]
    n = targets.shape[0]
    if operators is None:
        decomposition = decomposition or complement_eigh(np.asarray(gram, dtype=np.float64))
        operators = loo_operators(decomposition, n, alphas)
    if len(operators) == 1:         # one α (the paper's): nothing to choose, no copies to pick from
        residual, leverage = operators[0]
        residuals = (residual @ targets) / leverage[:, None]
        finite = np.einsum("ij,ij->j", residuals, residuals) < np.inf      # as the general rule below
        predictions = targets - residuals
        predictions[:, ~finite] = np.nan
        return predictions, np.where(finite, float(alphas[0]), np.nan)
    best = np.full(targets.shape, np.nan)
    best_error = np.full(targets.shape[1], np.inf)
    chosen = np.full(targets.shape[1], np.nan)
    for alpha, (residual, leverage) in zip(alphas, operators):
        residuals = (residual @ targets) / leverage[:, None]
        error = (residuals ** 2).sum(axis=0)
        better = error < best_error
        best[:, better] = (targets - residuals)[:, better]
        best_error[better], chosen[better] = error[better], alpha
    return best, chosen
