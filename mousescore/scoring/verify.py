"""Re-score a model and compare with its committed result records: every number on the board must
reproduce from one command."""
from __future__ import annotations

import fnmatch
import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np

from .. import __version__, config
from ..errors import MousescoreError
from ..registry.plugins import get_registry
from ..results.record_schema import ENCODED_OPTIONAL, ENCODED_TYPES
from ..results.records import PRECISION, VERIFY_TOLERANCE, read_records, record_to_score
from ..results.score import Score
from ..results.store import ResultStore
from .score_model import score_model


@dataclass
class VerifyReport:
    lines: List[str] = field(default_factory=list)
    differing: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differing


def _close(a: float, b: float, tolerance: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tolerance


def resampling_plan(score: Score) -> str:
    """The plan a score's draws and CV halves were resampled under ("" for records of mousescore
    before 0.3, whose plans were seeded by the stimulus set's name)."""
    found = re.search(r"plan ([0-9a-f/]+)", score.draws_kind)
    return found.group(1) if found else ""


# Replicates of the CV value choose every half's layer (and a neuron's α) again on other stimuli: a
# near-tie, such as a convolution and the normalisation after it, may be decided the other way by the
# float32 noise of another machine's features (seen between seeding machines: 2 of 118 jackknife
# entries moved by 2e-4, the CV value by 1e-7).
NEAR_TIE_SHARE = 0.05
CV_REPLICATES = ("cv_jackknife", "cv_draws", "cv_splits")
# The pair sketch projects a second-order residual of the RDM, which amplifies the features' float32
# noise: a relative change of 1e-5 of a model RDM moves it by 6e-5 of its norm (iid), one seen between
# two machines by 3e-4 (its float16 storage alone by 2e-4); another layer or stimulus order by ~1.
SKETCH_NOISE = 10.0


def _field_reproduces(name: str, recorded: Sequence[float], fresh: Sequence[float], tolerance: float) -> bool:
    """Whether a recorded list field (stored at PRECISION, int16, or as float16, half its relative
    step 2^-11 more; on its own scale, its RMS, where that exceeds 1) reproduces:

    - the pair sketch: within ``SKETCH_NOISE`` × ``tolerance`` of its norm (relative L2);
    - replicates of the CV value (``CV_REPLICATES``): each within the tolerance but for at most
      ``NEAR_TIE_SHARE`` of them (at least one), a near-tie decided the other way, and their spread
      (SD) within the tolerance;
    - anything else (the Max's bootstrap draws, at the committed layer): each within the tolerance."""
    a, b = np.asarray(recorded, dtype=np.float64), np.asarray(fresh, dtype=np.float64)
    if name == "cv_pair_sketch":
        if (np.isnan(a) != np.isnan(b)).any():
            return False
        finite = ~np.isnan(a)
        return bool(np.linalg.norm(a[finite] - b[finite]) <= SKETCH_NOISE * tolerance * np.linalg.norm(a[finite]))
    half_float16 = 2.0 ** -11 if ENCODED_TYPES.get(name) == "float16" else 0.0
    scale = max(1.0, float(np.sqrt(np.mean(a * a)))) if half_float16 else 1.0
    allowed = tolerance * scale + (half_float16 * np.abs(b) if half_float16 else PRECISION / 2)
    apart = ~(np.abs(a - b) <= allowed)       # NaN on either side counts as apart unless both are NaN
    apart &= ~(np.isnan(a) & np.isnan(b))
    if name not in CV_REPLICATES:
        return not apart.any()
    spread_a, spread_b = np.nanstd(a), np.nanstd(b)
    return bool(apart.sum() <= max(1, int(NEAR_TIE_SHARE * len(a))) and abs(spread_a - spread_b) <= tolerance)


def compare(recorded: Score, fresh: Score, tolerance: float) -> List[str]:
    """What differs between a record and a fresh score, beyond ``tolerance``. A record made before
    mousescore 0.3 has no plan: its CV value and draws are not compared (see :func:`resampling_plan`);
    any other change of plan is a difference (the stimuli or the target changed)."""
    problems = []
    same_plan = resampling_plan(recorded) == resampling_plan(fresh)
    if not same_plan and resampling_plan(recorded):
        problems.append(f"resampling plan {resampling_plan(fresh)} vs recorded {resampling_plan(recorded)}")
    for name in ("value", "error", "ceiling", "cv_value"):
        a, b = getattr(recorded, name), getattr(fresh, name)
        if name == "cv_value" and (math.isnan(a) or not same_plan):   # record_version 1 recorded none
            continue
        if not _close(a, b, tolerance):
            problems.append(f"{name} {b:.6f} vs recorded {a:.6f}")
    for name in ("draws",) + ENCODED_OPTIONAL:
        a, b = getattr(recorded, name), getattr(fresh, name)
        if not (a and same_plan):
            continue
        if len(a) != len(b):
            problems.append(f"{len(b)} {name} vs {len(a)} recorded")
        elif not _field_reproduces(name, a, b, tolerance):
            problems.append(f"{name} differ")
    if list(recorded.layer_profile) != list(fresh.layer_profile):
        problems.append(f"layers differ ({len(fresh.layer_profile)} now, {len(recorded.layer_profile)} recorded)")
    else:
        worst = max((abs(recorded.layer_profile[k] - fresh.layer_profile[k]) for k in recorded.layer_profile
                     if math.isfinite(recorded.layer_profile[k]) and math.isfinite(fresh.layer_profile[k])),
                    default=0.0)
        if worst > tolerance:
            problems.append(f"layer profile differs by up to {worst:.2e}")
    if recorded.best_layer != fresh.best_layer:
        tie = _close(fresh.layer_profile.get(recorded.best_layer, math.nan),
                     fresh.layer_profile.get(fresh.best_layer, math.nan), tolerance)
        if not tie:   # a near-tie may flip between machines without changing the score
            problems.append(f"best layer {fresh.best_layer} vs recorded {recorded.best_layer}")
    for name, a in recorded.references.items():
        b = fresh.references.get(name, math.nan)
        if not _close(a, b, tolerance):
            problems.append(f"reference {name} {b:.6f} vs recorded {a:.6f}")
    return problems


def verify_model(model: str, results_dir, benchmarks: Sequence[str] = (), tolerance: float = VERIFY_TOLERANCE,
                 registry=None, rescore=None) -> VerifyReport:
    """Re-score ``model`` from scratch (caches off; into a temporary store, leaving the user's results
    alone) on the benchmarks of its records and report each record as reproduced or not."""
    registry = registry or get_registry()
    records = {r["benchmark"]: record_to_score(r) for r in read_records(results_dir, models=[model])}
    if not records:
        raise MousescoreError(f"no result records for '{model}' under {results_dir}")
    wanted = [b for b in records if not benchmarks or any(fnmatch.fnmatch(b, p) for p in benchmarks)]
    unmatched = [p for p in benchmarks if not fnmatch.filter(records, p)]
    if unmatched:
        raise MousescoreError(f"'{model}' has no records matching {unmatched} under {results_dir}")
    with tempfile.TemporaryDirectory() as scratch, config.override(caches=False):
        fresh = (rescore or score_model)(model, wanted, force=True, registry=registry,
                                         store=ResultStore(Path(scratch) / "verify.sqlite"), progress=False)
    fresh_by_benchmark: Dict[str, Score] = {s.benchmark: s for s in fresh}
    report = VerifyReport()
    for benchmark in wanted:
        recorded, now = records[benchmark], fresh_by_benchmark[benchmark]
        problems = compare(recorded, now, tolerance)
        if problems:
            report.differing.append(benchmark)
            report.lines.append(f"DIFFERS {benchmark}: " + "; ".join(problems))
        else:
            report.lines.append(f"ok      {benchmark}: {now.value:.6f} (recorded {recorded.value:.6f}, "
                                f"|Δ| {abs(now.value - recorded.value):.1e})")
    version_note = _version_note(recorded_versions={r.provenance.get("mousescore_version") for r in records.values()})
    report.lines.append(f"{len(wanted) - len(report.differing)}/{len(wanted)} record(s) of {model} reproduce "
                        f"within {tolerance:g}{version_note}")
    legacy = [b for b in wanted if not resampling_plan(records[b]) and resampling_plan(fresh_by_benchmark[b])]
    if legacy:
        report.lines.append(f"note: {len(legacy)} record(s) were resampled under the plans of mousescore "
                            f"before 0.3 (seeded by the stimulus set's name): their CV values and bootstrap "
                            f"draws were not compared; rescore to record this version's")
    return report


def _version_note(recorded_versions) -> str:
    others = sorted(str(v) for v in recorded_versions if v != __version__)
    return f" (records from mousescore {', '.join(others)}, now {__version__})" if others else ""
