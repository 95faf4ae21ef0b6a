"""Result records for the leaderboard: one small, diffable JSON file per (model, benchmark).

``leaderboard/results/<model>/<benchmark>.json`` holds a Score (without per-unit scores, which would
make a record megabytes) plus the model's and the benchmark's metadata, so that the site is built from
the records alone. Strict JSON: NaN is written as null and read back as NaN.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

from ..errors import MousescoreError
from ..registry.plugins import get_registry
from .score import Score

RECORD_VERSION = 1
DEFAULT_RESULTS_DIR = Path("leaderboard") / "results"
# Scores are deterministic for a seeded model on one machine; across machines and BLAS thread counts
# float32 sums reorder, which moves scores by ~1e-6. 1e-4 is well above that and far below any
# difference that would change a ranking.
VERIFY_TOLERANCE = 1e-4
_SCORE_FIELDS = {f.name for f in fields(Score)}


def _strict(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def _plain_metadata(metadata: Dict) -> Dict:
    return {k: v for k, v in dict(metadata).items() if not callable(v)}


def make_record(score: Score, model_metadata: Dict, benchmark_metadata: Dict) -> Dict:
    record = {"record_version": RECORD_VERSION}
    record.update({k: v for k, v in asdict(score).items() if k != "unit_scores"})
    record["model_metadata"] = _plain_metadata(model_metadata)
    record["benchmark_metadata"] = _plain_metadata(benchmark_metadata)
    return _strict(record)


def record_to_score(record: Dict) -> Score:
    values = {k: v for k, v in record.items() if k in _SCORE_FIELDS}
    for name in ("value", "error", "ceiling", "ceiled_value", "best_layer_depth"):
        values[name] = _number(values.get(name))
    values["layer_profile"] = {k: _number(v) for k, v in values.get("layer_profile", {}).items()}
    values["references"] = {k: _number(v) for k, v in values.get("references", {}).items()}
    return Score(**values)


def record_path(results_dir: Path, model: str, benchmark: str) -> Path:
    for name in (model, benchmark):
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise MousescoreError(f"'{name}' cannot name a record file")
    return Path(results_dir) / model / f"{benchmark}.json"


def write_record(results_dir: Path, record: Dict) -> Path:
    path = record_path(results_dir, record["model"], record["benchmark"])
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(record, indent=1, allow_nan=False) + "\n")
    temporary.replace(path)
    return path


def read_records(results_dir: Path, models: Optional[Iterable[str]] = None) -> List[Dict]:
    """Every record under ``results_dir`` (sorted by model, benchmark); a malformed file is an error
    naming it, never skipped silently."""
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise MousescoreError(f"no result records at {results_dir} (`mousescore results export` writes them)")
    wanted = set(models) if models is not None else None
    records = []
    for path in sorted(results_dir.glob("*/*.json")):
        if wanted is not None and path.parent.name not in wanted:
            continue
        try:
            record = json.loads(path.read_text())
            missing = {"model", "benchmark", "value", "ceiling", "layer_profile"} - set(record)
            if missing:
                raise ValueError(f"missing {sorted(missing)}")
        except ValueError as error:
            raise MousescoreError(f"malformed result record {path}: {error}") from error
        if (record["model"], record["benchmark"]) != (path.parent.name, path.stem):
            raise MousescoreError(f"result record {path} is for {record['model']} on "
                                  f"{record['benchmark']}: the file is misplaced")
        records.append(record)
    return records


def export_records(scores: Iterable[Score], results_dir: Path, registry=None) -> List[Path]:
    """Write a record for each score, with model and benchmark metadata from the registry (custom
    benchmarks, which are not registered, are not leaderboard material and are skipped)."""
    registry = registry or get_registry()
    known_models = set(registry.identifiers("model"))
    known_benchmarks = set(registry.identifiers("benchmark"))
    written = []
    for score in scores:
        if score.benchmark not in known_benchmarks:
            continue
        model_metadata = registry.get("model", score.model).metadata if score.model in known_models else {}
        benchmark_metadata = registry.get("benchmark", score.benchmark).metadata
        written.append(write_record(results_dir, make_record(score, model_metadata, benchmark_metadata)))
    return written
