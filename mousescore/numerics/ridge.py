"""Ridge regression with exact leave-one-out predictions, in the dual (or the primal, when narrower).

With column-centred features Z (n × k) and K = Z Zᵀ = V diag(w) Vᵀ, the hat matrix of ridge with an
unpenalised intercept is H = V diag(w / (w + α)) Vᵀ + 11ᵀ/n, and the leave-one-out residual is
eᵢ = (yᵢ − ŷᵢ) / (1 − Hᵢᵢ) (generalised cross-validation). Both numerator and denominator are formed
from α / (w + α) directly, never as 1 − (something close to 1), so small α stays accurate. One
eigendecomposition serves every neuron and every α; it matches scikit-learn's RidgeCV leave-one-out values.

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
    """Eigenpairs of the centred Gram matrix restricted to the complement of the constant vector
    (of each matrix of a stack, b × n × n: one LAPACK call for the halves of a cross-validation).

    A Householder reflection P (P e₁ = 1/√n) splits off the intercept direction exactly, so
    1 − Hᵢᵢ is a sum of positive terms instead of a difference of nearly equal numbers.
    """
    n = gram.shape[-1]
    v = np.full(n, 1.0 / np.sqrt(n))
    v[0] -= 1.0
    v /= np.linalg.norm(v)
    # P K P = K − v wᵀ − w vᵀ with w = 2(Kv − (vᵀKv) v): its block off e₁ as one rank-two product
    # (a few passes over the stack, instead of two reflections with a temporary each)
    kv = gram @ v
    w = 2.0 * (kv - (kv @ v)[..., None] * v)[..., 1:]
    reflected = np.stack(np.broadcast_arrays(v[1:], w), axis=-1) @ np.stack(np.broadcast_arrays(w, v[1:]), axis=-2)
    np.subtract(gram[..., 1:, 1:], reflected, out=reflected)
    eigenvalues, eigenvectors = np.linalg.eigh(reflected)
    # back through P = I − 2vvᵀ (its columns 1..n−1) as a rank-one update: n² per matrix, not n³
    vectors = (-2.0 * v)[:, None] @ (v[1:] @ eigenvectors)[..., None, :]
    vectors[..., 1:, :] += eigenvectors
    return np.clip(eigenvalues, 0.0, None), vectors


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
            operators.append((_weighted_outer(eigenvectors, damping), squared_vectors @ damping))
        else:
            fit = eigenvalues / (eigenvalues + alpha)
            residual = np.eye(n) - 1.0 / n - _weighted_outer(eigenvectors, fit)
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


def mean_eigenvalue(decomposition: Tuple[np.ndarray, np.ndarray], n: int) -> float:
    """trace(K) / n, K the centred Gram matrix: the layer's feature scale (squared), which either form of
    :func:`decompose` gives as the sum of its eigenvalues. 1.0 for a constant layer, whose every α
    predicts the same (the mean of the other stimuli)."""
    scale = float(np.sum(decomposition[0])) / n
    return scale if scale > 0 else 1.0


def loo_predictions_per_target(decomposition: Tuple[np.ndarray, np.ndarray], targets: np.ndarray,
                               alphas: Sequence) -> Tuple[np.ndarray, np.ndarray]:
    """Leave-one-out predictions (n × t) at each target's own α (lowest LOO squared error among
    ``alphas``, the first on a tie), and the α chosen per target: :func:`loo_predictions`'s values,
    without an n × n operator per α.

    The targets are rotated into the eigenbasis once (Ṽᵀ Y); each α then costs one n × k × t product,
    R Y = V diag(d) Vᵀ Y, and the leverage complements h. A grid of 20 α on 3,200 stimuli thus stays
    near one operator's cost instead of twenty. A target with a NaN gets NaN predictions and α NaN.

    Stacked problems: eigenvalues (b × k), eigenvectors (b × n × k) and targets (b × n × t) give
    predictions (b × n × t) and α (b × t) for b fits at once (the halves of a cross-validation, each
    with its own decomposition); ``alphas`` is then a grid (g) or one per fit (g × b).
    """
    targets = np.asarray(targets, dtype=np.float64)
    if targets.ndim == 1:
        targets = targets[:, None]
    grid = np.asarray(alphas, dtype=np.float64)
    if grid.size == 0 or grid.min() <= 0:
        raise ValueError("ridge penalties must be given, and positive")
    eigenvalues, eigenvectors = decomposition
    n = targets.shape[-2]
    complete = eigenvectors.shape[-1] == n - 1
    rotated = np.swapaxes(eigenvectors, -1, -2) @ targets
    squared_vectors = eigenvectors ** 2
    best: Optional[np.ndarray] = None
    best_error: np.ndarray = np.empty(0)
    chosen: np.ndarray = np.empty(0)
    for alpha in grid:
        alpha = alpha[..., None] if np.ndim(alpha) else alpha          # one per fit: against its eigenvalues
        if complete:     # as loo_operators: R = V diag(d) Vᵀ, h = V² d, d = α / (w + α)
            damping = alpha / (eigenvalues + alpha)
            residuals = eigenvectors @ (damping[..., None] * rotated)
            residuals /= squared_vectors @ damping[..., None]
        else:            # primal: the directions with w = 0 are kept whole (d = 1)
            fit = eigenvalues / (eigenvalues + alpha)
            leverage = 1.0 - 1.0 / n - squared_vectors @ fit[..., None]
            residuals = targets - targets.mean(axis=-2, keepdims=True) - eigenvectors @ (fit[..., None] * rotated)
            residuals /= leverage
        error = (residuals * residuals).sum(axis=-2)
        if best is None:      # the first α takes every target with a finite error (a NaN one stays NaN)
            better = error < np.inf
            best, best_error = targets - residuals, np.where(better, error, np.inf)
            chosen = np.full(better.shape, np.nan)
            if not better.all():
                best[np.broadcast_to(~better[..., None, :], best.shape)] = np.nan
        else:
            better = error < best_error
            if not better.any():
                continue
            np.copyto(best, targets - residuals, where=better[..., None, :])
            best_error = np.where(better, error, best_error)
        chosen = np.where(better, np.broadcast_to(alpha, better.shape) if np.ndim(alpha) else alpha, chosen)
    assert best is not None      # the grid is not empty: its first α set it
    return best, chosen


def stacked_decompositions(decompositions: Sequence[Tuple[np.ndarray, np.ndarray]]):
    """Decompositions of equal shape stacked for :func:`loo_predictions_per_target` (b × k, b × n × k),
    or None when their shapes differ (primal decompositions keep as many directions as each has)."""
    if len({d[1].shape for d in decompositions}) != 1:
        return None
    return np.stack([d[0] for d in decompositions]), np.stack([d[1] for d in decompositions])


def restrict_summary(summary: np.ndarray, stimuli: np.ndarray) -> np.ndarray:
    """A :func:`ridge_summary` of those stimuli alone, from the summary of all: the Gram matrix's rows
    and columns (or the features' rows), centred again on those stimuli, as ridge with an intercept
    fitted on them alone centres them (a leave-one-out fit within a half sees only that half).
    ``stimuli`` b × m (subsets of one size) with a Gram matrix gives the stack of their b Gram matrices."""
    summary = np.asarray(summary, dtype=np.float64)
    stimuli = np.asarray(stimuli)
    if summary.shape[0] != summary.shape[1]:      # the features' rows: centred (and, if wide, a Gram) anew
        if stimuli.ndim != 1:
            raise ValueError("the rows of a primal summary are restricted one subset at a time")
        return ridge_summary(summary[stimuli])
    block = summary[stimuli[..., :, None], stimuli[..., None, :]]
    row_means = block.mean(axis=-1, keepdims=True)
    block -= row_means                          # in place: a stack of Cowley's halves is 80 MB
    block -= np.swapaxes(row_means, -1, -2)
    block += row_means.mean(axis=-2, keepdims=True)
    return block


_CHUNK_ELEMENTS = 1 << 15    # fits × m × max(m, targets) per chunk of left_out_loo_scores (256 kB of
#                               float64: its m × m and m × targets arrays stay in cache; bit for bit the same)


def left_out_loo_scores(decomposition: Tuple[np.ndarray, np.ndarray], targets: np.ndarray,
                        alphas: np.ndarray) -> np.ndarray:
    """Per fit, left-out stimulus i and target: the Pearson r of the leave-one-out predictions of the
    fit's other stimuli, ridge refitted without i (b × m × t): the delete-one jackknife of a score
    fitted within a subset of the stimuli, without refitting.

    Leaving out the set S = {i, j} of a ridge fit (fixed α, unpenalised intercept) leaves the residuals
    r_S = (R_SS)⁻¹ (R y)_S, R = I − H the residual operator (``loo_operators``' R = V diag(d) Vᵀ): j's
    residual without i is eᵢⱼ = (Rᵢᵢ aⱼ − Rⱼᵢ aᵢ) / Dᵢⱼ, a = R y, Dᵢⱼ = Rᵢᵢ Rⱼⱼ − Rᵢⱼ². The sums over j
    that r needs (of e, e², e y) are products of the m × m matrices W = 1/D (zero diagonal), W ∘ R, W², ...
    with the targets: a few m × m × t products per fit, nothing of size m² t held. ``decomposition``:
    stacked complete dual eigenpairs (b × k, b × m × k, as :func:`complement_eigh` of stacked Grams);
    ``targets``: b × m × t; ``alphas``: each fit's and target's α (b × t; the α each target chose on its
    fit, held fixed when a stimulus is left out; NaN: a NaN score)."""
    eigenvalues, eigenvectors = decomposition
    targets = np.asarray(targets, dtype=np.float64)
    b, m, t = targets.shape
    alphas = np.broadcast_to(np.asarray(alphas, dtype=np.float64), (b, t))
    if eigenvectors.shape[-1] != m - 1:
        raise ValueError("left_out_loo_scores takes the complete dual decomposition of each fit")
    # centred per fit: the residuals do not move (R 1 = 0), r does not either, and the sums of squares
    # below then lose nothing to a large mean
    targets = targets - targets.mean(axis=1, keepdims=True)
    scores = np.full((b, m, t), np.nan)
    levels, rank = _alpha_levels(alphas)
    for k in range(levels.shape[1]):
        counts = (rank == k).sum(axis=1)
        # the fits with a k-th α, those with most targets at it first: the chunks below then pad little
        fits = np.flatnonzero(counts)[np.argsort(-counts[counts > 0], kind="stable")]
        for chunk in _cache_sized(fits, m * np.maximum(m, counts[fits])):
            # each fit's targets at its k-th α, padded to the chunk's widest with a repeat of its first
            # (computed twice, the same number): one stacked pass however the α differ by fit
            width = int(counts[chunk].max())
            columns = np.argsort(rank[chunk] != k, axis=1, kind="stable")[:, :width]
            columns = np.where(np.arange(width) < counts[chunk][:, None], columns, columns[:, :1])[:, None, :]
            whole = bool((counts[chunk] == t).all())     # every fit's every target: nothing to gather
            y = targets[chunk] if whole else np.take_along_axis(targets[chunk], columns, axis=2)
            r = _left_out_r(eigenvalues[chunk], eigenvectors[chunk], y, levels[chunk, k][:, None])
            if whole:
                scores[chunk] = r
            else:
                block = scores[chunk]
                np.put_along_axis(block, np.broadcast_to(columns, r.shape), r, axis=2)
                scores[chunk] = block
    return scores


def _cache_sized(fits: np.ndarray, sizes: np.ndarray) -> List[np.ndarray]:
    """Consecutive runs of ``fits`` (widest first) whose first one's size times their number stays
    within _CHUNK_ELEMENTS (at least one fit each)."""
    chunks, start = [], 0
    while start < len(fits):
        length = max(1, _CHUNK_ELEMENTS // int(sizes[start]))
        chunks.append(fits[start:start + length])
        start += length
    return chunks


def _alpha_levels(alphas: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Each fit's distinct α in increasing order (fits × most distinct; NaN past a fit's own), and each
    target's place among them (fits × targets; −1 where its α is NaN)."""
    finite = np.isfinite(alphas)
    order = np.argsort(np.where(finite, alphas, np.inf), axis=1, kind="stable")
    ordered = np.take_along_axis(alphas, order, axis=1)
    new = np.concatenate([np.ones((len(alphas), 1), bool), ordered[:, 1:] != ordered[:, :-1]], axis=1)
    new &= np.isfinite(ordered)
    place = np.cumsum(new, axis=1) - 1                    # each sorted target's level
    levels = np.full((len(alphas), int(new.sum(axis=1).max(initial=0))), np.nan)
    rows = np.nonzero(new)[0]
    levels[rows, place[new]] = ordered[new]
    rank = np.full(alphas.shape, -1)
    np.put_along_axis(rank, order, np.where(np.isfinite(ordered), place, -1), axis=1)
    return levels, rank


def _weighted_outer(vectors: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """V diag(w) Vᵀ (of each matrix of a stack) for positive weights, as B Bᵀ with B = V diag(√w): one
    product of a matrix with its own transpose, which BLAS computes as a symmetric rank-k update (half
    the multiplications of a general product, and exactly symmetric)."""
    scaled = vectors * np.sqrt(weights)[..., None, :]
    return scaled @ np.swapaxes(scaled, -1, -2)


def _left_out_r(eigenvalues, eigenvectors, y, alpha):
    """:func:`left_out_loo_scores` of some fits (their centred targets ``y``) at one α each (``alpha``:
    a number, or a column of one per fit)."""
    b, m, t = y.shape
    operator = _weighted_outer(eigenvectors, alpha / (eigenvalues + alpha))
    a = operator @ y                                           # R y
    diagonal = np.diagonal(operator, axis1=1, axis2=2)[:, :, None]           # Rᵢᵢ as a column
    with np.errstate(divide="ignore", invalid="ignore"):
        w = 1.0 / (diagonal * np.swapaxes(diagonal, 1, 2) - operator * operator)
    w[:, np.arange(m), np.arange(m)] = 0.0                     # j = i is not among the others
    wr = w * operator
    w2 = w * w
    w2r = w2 * operator
    w_ay = w @ np.concatenate([a, a * y], axis=2)              # one product for both sums against w
    sum_e = diagonal * w_ay[..., :t] - a * wr.sum(axis=2, keepdims=True)
    sum_ey = diagonal * w_ay[..., t:] - a * (wr @ y)
    sum_ee = diagonal * diagonal * (w2 @ (a * a)) - 2 * diagonal * a * (w2r @ a) \
        + a * a * (w2r * operator).sum(axis=2, keepdims=True)
    # predictions p = y − e over j ≠ i: their sums from those of y and e
    count = m - 1
    sy, syy = y.sum(axis=1, keepdims=True) - y, (y * y).sum(axis=1, keepdims=True) - y * y
    sp, spy = sy - sum_e, syy - sum_ey
    spp = syy - 2 * sum_ey + sum_ee
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (spy - sp * sy / count) / np.sqrt((spp - sp * sp / count) * (syy - sy * sy / count))
    return np.clip(r, -1.0, 1.0)
