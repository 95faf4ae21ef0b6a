"""Correlations and reliabilities, vectorised over neurons."""
from __future__ import annotations

import numpy as np

from .disk_memo import disk_memo


def working_array(values) -> np.ndarray:
    """float64 stays float64 (exact reference path); anything else computes in float32."""
    values = np.asarray(values)
    return values if values.dtype == np.float64 else values.astype(np.float32, copy=False)


def pearson_columns(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r between matching columns of ``a`` and ``b`` (n × k, or stacks of them: … × n × k).

    NaN where a column is constant, or varies only at rounding level (its spread is below 1e-12 of
    its magnitude): such a correlation would only measure floating-point noise.
    """
    return CentredColumns(b).pearson(a)


class CentredColumns:
    """One side of :func:`pearson_columns` prepared once for many partners (the responses of a
    cross-validation's halves, against every layer's predictions): its centred columns, their sums
    of squares and the NaN rule's flags."""

    def __init__(self, b: np.ndarray):
        b = np.asarray(b, dtype=np.float64)
        self.flat = _flat(b)
        self.centred = _unit_scaled(b - b.mean(axis=-2, keepdims=True))
        self.squares = (self.centred * self.centred).sum(axis=-2)

    def pearson(self, a: np.ndarray) -> np.ndarray:
        """Pearson r of ``a``'s columns (shaped as this side) with this side's."""
        a = np.asarray(a, dtype=np.float64)
        constant = _flat(a) | self.flat
        a = _unit_scaled(a - a.mean(axis=-2, keepdims=True))
        denominator = np.sqrt((a * a).sum(axis=-2) * self.squares)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (a * self.centred).sum(axis=-2) / denominator
        r[constant | ~(denominator > 0)] = np.nan
        return np.clip(r, -1.0, 1.0)


def pearson_rows(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Pearson r between the vector ``x`` (k) and each row of ``rows`` (m × k), with the NaN rules of
    :func:`pearson_columns`: one product instead of broadcasting ``x`` to every row."""
    x = np.asarray(x, dtype=np.float64)
    rows = np.asarray(rows, dtype=np.float64)
    constant = _flat(x[:, None])[0] | _flat(rows.T)
    x = x - x.mean()
    rows = rows - rows.mean(axis=1, keepdims=True)
    denominator = np.sqrt((x @ x) * np.einsum("ij,ij->i", rows, rows))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = rows @ x / denominator
    r[constant | ~(denominator > 0)] = np.nan
    return np.clip(r, -1.0, 1.0)


def _unit_scaled(centred: np.ndarray) -> np.ndarray:
    """Columns divided by their largest magnitude: r does not change, and sums of squared products of
    columns of 1e-80 (or 1e200) neither underflow nor overflow."""
    top = np.abs(centred).max(axis=-2, keepdims=True)
    return centred / np.where(top > 0, top, 1.0)


def _flat(x: np.ndarray) -> np.ndarray:
    """Per column (along the stimuli, axis −2): constant, or varying only at rounding level."""
    with np.errstate(invalid="ignore"):
        spread = x.max(axis=-2) - x.min(axis=-2)
        return ~(spread > 1e-12 * np.abs(x).max(axis=-2))


def spearman_brown(r, factor: float = 2.0):
    """Reliability of the full data from the correlation of two halves."""
    r = np.asarray(r, dtype=np.float64)
    return factor * r / (1 + (factor - 1) * r)


def split_half_correction(r, first_size, second_size):
    """Reliability of the mean of all k = n₁ + n₂ repeats from the correlation ``r`` of the means of
    two halves of n₁ and n₂ repeats (Spearman–Brown generalised to unequal halves).

    Under the classical model (every repeat = signal + independent noise of one variance), the
    half means correlate as r = √(ρ(n₁)·ρ(n₂)) with ρ(n) = n·ρ₁ / (1 + (n − 1)·ρ₁): solve for the
    single-repeat reliability ρ₁, then return ρ(k). Equal halves give exactly Spearman–Brown with
    factor 2; the factor-2 rule on unequal halves (7 repeats as 3 + 4) misstates the reliability of
    k repeats. r ≤ 0, which that model cannot produce, keeps the factor-2 rule (noise stays signed,
    so a mean over neurons is not biased upwards).
    """
    r = np.asarray(r, dtype=np.float64)
    n1 = np.broadcast_to(np.asarray(first_size, dtype=np.float64), r.shape)
    n2 = np.broadcast_to(np.asarray(second_size, dtype=np.float64), r.shape)
    k, r2 = n1 + n2, r * r
    a = n1 * n2 - r2 * (n1 - 1) * (n2 - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        single = (r2 * (k - 2) + np.sqrt(r2 * r2 * (k - 2) ** 2 + 4 * a * r2)) / (2 * a)
        general = k * single / (1 + (k - 1) * single)
    return np.where((r > 0) & (n1 != n2), general, spearman_brown(r))


def split_half_sizes(responses: np.ndarray):
    """Per neuron, the mean number of repeats in the first and the second half of
    :func:`split_half_means` (⌊c/2⌋ and ⌈c/2⌉ of its group's c valid repeats of each presentation);
    the same for every split."""
    responses = np.asarray(responses, dtype=np.float64)
    first = np.full(responses.shape[1], np.nan)
    second = np.full(responses.shape[1], np.nan)
    for members, group_valid in _repeat_groups(responses):
        counts = group_valid.sum(axis=1)
        if counts.any():
            first[members], second[members] = np.mean(counts // 2), np.mean(counts - counts // 2)
    return first, second


def fewest_repeats(responses: np.ndarray) -> np.ndarray:
    """Per neuron, its fewest usable (non-NaN) repeats of any presentation. A split-half ceiling needs
    at least 2 (one in each half); with fewer its halves are NaN and so is its reliability."""
    responses = np.asarray(responses)
    if responses.shape[0] == 0:
        return np.zeros(responses.shape[1], dtype=int)
    return (~np.isnan(responses)).sum(axis=2).min(axis=0)


def _repeat_groups(responses: np.ndarray):
    """(neuron indices, valid repeats (presentation × repetition)) per pattern of missing repeats."""
    missing = np.isnan(responses)
    patterns, group_of = np.unique(missing.transpose(1, 0, 2).reshape(responses.shape[1], -1), axis=0,
                                   return_inverse=True)
    groups = [np.flatnonzero(group_of.ravel() == g) for g in range(len(patterns))]
    # A group's valid repeats: those where any of its neurons has a value (a sporadic NaN of one neuron
    # in a shared repeat is left out of that neuron's mean alone).
    return [(members, ~missing[:, members, :].all(axis=1)) for members in groups]


def split_half_means(responses: np.ndarray, n_splits: int = 20, seed: int = 0):
    """Yield (first half mean, second half mean), each (presentation × neuroid), for random splits.

    ``responses``: (presentation, neuroid, repetition), NaN where a presentation had fewer repeats.
    Neurons recorded together share their missing repeats and one split of them (25/25 for 50
    repeats, 3/4 for 7); neurons with another pattern of missing repeats (another recording, pooled
    into one assembly: 10 repeats here, 8 there) are split on their own repeats, never on repeats they
    lack. Each split shuffles, per group and presentation, the group's valid repeats; a neuron without
    any response gets NaN halves (it cannot be scored). At least 2 repeats of every presentation are
    needed.
    """
    responses = np.asarray(responses, dtype=np.float64)
    missing = np.isnan(responses)
    groups = _repeat_groups(responses)
    if (np.any([valid for _, valid in groups], axis=0).sum(axis=1) < 2).any():   # over all neurons together
        raise ValueError("split halves need at least 2 repeats of every presentation")
    filled = np.nan_to_num(responses)
    present = ~missing
    rng = np.random.default_rng(seed)
    for _ in range(n_splits):
        first_mean = np.full(responses.shape[:2], np.nan)    # stays NaN for neurons with no response at all
        second_mean = np.full(responses.shape[:2], np.nan)
        for members, group_valid in groups:
            if not group_valid.any():
                continue
            counts = group_valid.sum(axis=1)
            keys = np.where(group_valid, rng.random(group_valid.shape), np.inf)
            ranks = keys.argsort(axis=1).argsort(axis=1)
            first = group_valid & (ranks < (counts // 2)[:, None])
            second = group_valid & ~first
            for half, mean in ((first, first_mean), (second, second_mean)):
                taken = present[:, members, :] & half[:, None, :]
                with np.errstate(invalid="ignore", divide="ignore"):   # a half without a repeat: NaN
                    mean[:, members] = (filled[:, members, :] * taken).sum(-1) / taken.sum(-1)
        yield first_mean, second_mean


@disk_memo
def split_half_reliability(responses: np.ndarray, n_splits: int = 20, seed: int = 0) -> np.ndarray:
    """Per-neuron split-half reliability, averaged over random splits: the two half means correlated
    across presentations (see :func:`split_half_means`), corrected to all repeats by
    :func:`split_half_correction` (Spearman–Brown, exact for unequal halves)."""
    first, second = split_half_sizes(responses)
    return np.mean([split_half_correction(pearson_columns(a, b), first, second)
                    for a, b in split_half_means(responses, n_splits, seed)], axis=0)
