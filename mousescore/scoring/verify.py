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
        # stored at PRECISION (int16: half a step more than the tolerance) or as float16 (half its
        # relative step, 2^-11, more), whose values need not be on a score's scale: the tolerance is
        # then relative to the field's own (its RMS, at least 1). A pair sketch's entries are Gaussian
        # projections of order 50, and the features' float32 noise moves them by ~5e-4.
        half_float16 = 2.0 ** -11 if ENCODED_TYPES.get(name) == "float16" else 0.0
        scale = max(1.0, math.sqrt(sum(x * x for x in a) / len(a))) if half_float16 else 1.0
        if len(a) != len(b):
            problems.append(f"{len(b)} {name} vs {len(a)} recorded")
        elif not all(_close(x, y, tolerance * scale + (half_float16 * abs(y) if half_float16 else PRECISION / 2))
                     for x, y in zip(a, b)):
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
