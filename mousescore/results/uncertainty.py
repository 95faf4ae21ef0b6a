"""The uncertainty of a cross-validated value, and of the difference of two, from what a score stores.

A score's CV value is the mean over S seeded half splits of the stimuli of T_s, the split's value
(the layer chosen on one half and reported on the other, both ways). Its *evidence* (a mapping with
``value`` and the stored resamples) comes in one of two kinds:

- ``jackknife`` and ``pair_sketch`` (RSA): the CV value recomputed with each stimulus left out in
  turn, all S splits, the layer chosen again every time, and a sketch of the pair-specific part of the
  committed layer's r. An RDM correlation is a U-statistic over pairs of stimuli: with Hoeffding's
  decomposition (stimulus effects of variance σ₁², pair-specific parts e of variance σ₂²), its variance
  is 4σ₁²/n + 2σ₂²/(n(n − 1)), while the delete-one jackknife V_J = (n − 1)/n · Σ (θ₍ᵢ₎ − θ̄)² has
  expectation 4σ₁²/n + 4σ₂²/(n(n − 2)): it counts the pair part twice. So
  Var = V_J − σ̂₂² · (4/(n(n − 2)) − 2/(n(n − 1))), σ̂₂² = ‖sketch‖² / (size · (pairs − n)), floored at
  V_J / 2 (the most a pure pair part could inflate it). A bootstrap of the stimuli is worse: a pair of
  stimuli drawn k and l times weighs k·l, which triples the pair part (simulated on 118 stimuli: SEs
  about twice too large, no power); the uncorrected jackknife: SEs 1.35 times too large.
- ``jackknife`` alone (SRP-Ridge, ridge and their ``_gcv`` twins): the same delete-one jackknife, each
  half's ridge refitted without the stimulus in closed form (leave-pair-out residuals), the α a neuron
  chose on the half held fixed. A leave-one-out prediction of one stimulus depends on every other one,
  so such a score has a pair part too, which this plain jackknife also counts twice: it errs on the
  safe side (simulated on antolik V1's 50 stimuli: SEs about 1.5 times the true SD).
- ``draws`` and ``splits`` (other metrics fitted within each half: PLS): bootstrap draws of T_0
  (the first split, stimuli resampled within its halves, layer chosen again) and T_s of every split.
  The draws vary one split's value, not the mean of S: by the law of total variance,
  Var(T_0) = Var(E[T | data]) + E[Var(T | data)] while Var(mean of S) = Var(E[T | data]) +
  E[Var(T | data)] / S, and the spread of the splits estimates E[Var(T | data)]; so
  Var = Var(draws) − (1 − 1/S) · Var(splits), floored at Var(splits) / S. Draws that resample stimuli
  and neurons together count the neuron × stimulus spread twice (simulated: SEs about 2.2 times the
  true SD).

Two models on the same plan: the same formulas on their difference, resample by resample (common
random numbers: what the two share cancels). ``tests/scoring/test_comparisons.py`` measures the error
rates on simulated data with equal true scores and models of 1 to 150 layers.

numpy and scipy are imported inside the functions: the CLI imports this package and starts without them.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Optional, Tuple

Evidence = Mapping[str, Any]   # {"value", "jackknife"[, "pair_sketch"]} or {"value", "draws", "splits"}


def evidence_of(value: Optional[float], jackknife=None, draws=None, splits=None, pair_sketch=None) -> Optional[dict]:
    """A CV value's evidence from a score's fields (``cv_value``, ``cv_jackknife``, ``cv_draws``,
    ``cv_splits``, ``cv_pair_sketch``), or None where it has neither kind."""
    if value is None or not math.isfinite(value):
        return None
    if jackknife is not None and len(jackknife):
        found = {"value": float(value), "jackknife": list(jackknife)}
        if pair_sketch is not None and len(pair_sketch):
            found["pair_sketch"] = list(pair_sketch)
        return found
    if draws is not None and len(draws) and splits is not None and len(splits):
        return {"value": float(value), "draws": list(draws), "splits": list(splits)}
    return None


def score_evidence(score) -> Optional[dict]:
    """:func:`evidence_of` a :class:`~mousescore.results.score.Score`'s CV fields."""
    return evidence_of(score.cv_value, score.cv_jackknife, score.cv_draws, score.cv_splits, score.cv_pair_sketch)


def cv_variance(evidence: Evidence) -> Optional[float]:
    """The variance of the CV value (see the module docstring); None with too few finite resamples."""
    import numpy as np
    if "jackknife" in evidence:
        left_out = np.asarray(evidence["jackknife"], dtype=np.float64)
        n = len(left_out)
        if n < 4 or not np.isfinite(left_out).all():
            return None
        jackknife = float((n - 1) / n * ((left_out - left_out.mean()) ** 2).sum())
        sketch = np.asarray(evidence.get("pair_sketch", []), dtype=np.float64)
        if not len(sketch) or not np.isfinite(sketch).all():
            return jackknife
        pair_variance = float(sketch @ sketch) / len(sketch) / (n * (n - 1) / 2 - n)
        twice_counted = pair_variance * (4 / (n * (n - 2)) - 2 / (n * (n - 1)))
        return max(jackknife - twice_counted, jackknife / 2)
    draws = np.asarray(evidence["draws"], dtype=np.float64)
    splits = np.asarray(evidence["splits"], dtype=np.float64)
    draws, splits = draws[np.isfinite(draws)], splits[np.isfinite(splits)]
    if len(draws) < 2 or len(splits) < 2:
        return None
    one_split, between = float(np.var(draws, ddof=1)), float(np.var(splits, ddof=1))
    return max(one_split - (1 - 1 / len(splits)) * between, between / len(splits))


def difference_evidence(a: Evidence, b: Evidence) -> Optional[dict]:
    """The evidence of A − B: the same kind, resample by resample; None where the kinds or the
    plans' sizes differ (different plans cannot be paired)."""
    import numpy as np
    names: Tuple[str, ...] = ("jackknife",) if "jackknife" in a else ("draws", "splits")
    if any(name not in b or len(a[name]) != len(b[name]) for name in names):
        return None
    if "pair_sketch" in a and "pair_sketch" in b and len(a["pair_sketch"]) == len(b["pair_sketch"]):
        names += ("pair_sketch",)
    return {"value": float(a["value"]) - float(b["value"]),
            **{name: list(np.asarray(a[name], dtype=np.float64) - np.asarray(b[name], dtype=np.float64))
               for name in names}}


def normal_quantile(level: float) -> float:
    """The two-sided standard normal quantile of a central ``level`` interval."""
    from scipy.stats import norm
    return float(norm.ppf(0.5 + level / 2))


def cv_interval(evidence: Evidence, level: float = 0.95) -> Optional[tuple]:
    """The central ``level`` normal interval of a CV value (or of a difference's evidence)."""
    variance = cv_variance(evidence)
    if variance is None:
        return None
    half = normal_quantile(level) * math.sqrt(variance)
    return float(evidence["value"]) - half, float(evidence["value"]) + half


def cv_difference(a: Evidence, b: Evidence, level: float = 0.95) -> Optional[dict]:
    """A − B of two CV values from the same plan: the difference, its standard error, its ``level``
    interval and the two-sided p-value of "no difference" (normal); None where they cannot be paired."""
    from scipy.stats import norm
    evidence = difference_evidence(a, b)
    variance = cv_variance(evidence) if evidence else None
    if evidence is None or variance is None:
        return None
    difference, error = evidence["value"], math.sqrt(variance)
    half = normal_quantile(level) * error
    if error > 0:
        p_value = float(2 * norm.sf(abs(difference) / error))
    else:        # identical resamples: equal values differ by nothing, others beyond doubt
        p_value = 1.0 if difference == 0 else 0.0
    return {"difference": difference, "error": error, "low": difference - half, "high": difference + half,
            "p": p_value}


def holm(p_values, alpha: float = 0.05):
    """Holm's step-down procedure: which hypotheses (a bool array) are rejected at family-wise
    error rate ``alpha``."""
    import numpy as np
    p_values = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p_values, kind="stable")
    thresholds = alpha / (len(p_values) - np.arange(len(p_values)))
    failing = np.flatnonzero(p_values[order] > thresholds)
    accepted_from = failing[0] if len(failing) else len(p_values)
    rejected = np.zeros(len(p_values), dtype=bool)
    rejected[order[:accepted_from]] = True
    return rejected


def mean_evidence(parts) -> Optional[dict]:
    """The evidence of the mean of several CV values on one plan (areas on the same stimuli): every
    stored resample averaged across the parts; None where a part lacks evidence or the kinds differ."""
    import numpy as np
    if not parts or any(part is None for part in parts):
        return None
    names = [name for name in ("jackknife", "draws", "splits", "pair_sketch") if name in parts[0]]
    if any(sorted(name for name in part if name != "value") != sorted(names) for part in parts):
        return None
    if any(len({len(part[name]) for part in parts}) != 1 for name in names):
        return None
    return {"value": float(np.mean([part["value"] for part in parts])),
            **{name: list(np.mean([np.asarray(part[name], dtype=np.float64) for part in parts], axis=0))
               for name in names}}


def normal_draws(evidence, n_draws: int = 1000, seed: int = 0):
    """Draws (models × n_draws) of several models' CV values from one plan, normal with the covariance
    their resamples give, each model's spread scaled to its :func:`cv_variance`: for rank intervals.
    None where the models' evidence is not of one kind and size."""
    import numpy as np
    if not evidence or any(e is None for e in evidence):
        return None
    name = "jackknife" if "jackknife" in evidence[0] else "draws"
    if any(name not in e or len(e[name]) != len(evidence[0][name]) for e in evidence):
        return None
    resamples = np.array([e[name] for e in evidence], dtype=np.float64)
    deviations = resamples - resamples.mean(axis=1, keepdims=True)
    spread = np.sqrt((deviations ** 2).sum(axis=1))
    wanted = np.array([cv_variance(e) or 0.0 for e in evidence])
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(spread > 0, np.sqrt(wanted) / spread, 0.0)      # unit sum of squares × SD
    normal = np.random.default_rng(seed).standard_normal((resamples.shape[1], n_draws))
    values = np.array([e["value"] for e in evidence])[:, None]
    return values + (scale[:, None] * deviations) @ normal
