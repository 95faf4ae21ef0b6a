"""Result records for the leaderboard: one compact, diffable JSON file per model.

``leaderboard/results/<model>.json`` holds the model's Scores on every benchmark (without per-unit
scores, which would make a record megabytes) plus the model's and each benchmark's metadata, so that
the site is built from the records alone. To stay small with ~160 models × ~60 benchmarks, a model
file says once what its benchmarks share: the model's metadata, the provenance that every benchmark
has in common, the checksums of each dataset, each distinct text (how an error, a ceiling, the CV
value and the draws were made) and each distinct list of layer names; each benchmark
is then one line, its layer profile and its bootstrap draws int16 multiples of :data:`PRECISION`
(1e-4: half a step is below :data:`VERIFY_TOLERANCE`, and a score's sampling error is 0.01–0.06),
base64-encoded. Strict JSON: NaN is written as null.

Readers see one flat record per (model, benchmark), the same dict whatever the file layout
(:func:`read_records`). Every file is checked against the schema of
:mod:`mousescore.results.record_schema` before it is unpacked (records arrive by pull request): a
malformed one is an error naming the file and the field, never skipped or half read.
"""
from __future__ import annotations

import base64
import gc
import json
import math
from contextlib import contextmanager
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

from ..errors import MousescoreError
from ..registry.plugins import get_registry
from .record_schema import (
    ENCODED_OPTIONAL,
    ENCODED_TYPES,
    EXTRA_SCORE_FIELDS,
    RECORD_VERSION,
    RecordError,
    check_draw_counts,
    check_model_file,
    is_file_name,
    load_json_file,
)
from .record_schema import PER_BENCHMARK as _PER_BENCHMARK
from .record_schema import TEXTS as _TEXTS
from .score import Score

DEFAULT_RESULTS_DIR = Path("leaderboard") / "results"
# The committed board of a source checkout (an editable install): found from the package, not the cwd
COMMITTED_RESULTS_DIR = Path(__file__).resolve().parents[2] / DEFAULT_RESULTS_DIR
# Models that were tried and could not be scored, with why (written by tools/seed_leaderboard.py): the
# board lists them instead of dropping them silently. It lies beside the records folder.
UNSCORABLE_FILE = "unscorable.json"
# Scores are deterministic for a seeded model on one machine; across machines and BLAS thread counts
# float32 sums reorder, which moves scores by ~1e-6. 1e-4 is well above that and far below any
# difference that would change a ranking.
VERIFY_TOLERANCE = 1e-4
PRECISION = 1e-4               # of the stored layer profiles and bootstrap draws (scores lie in [-1, 1])
_MISSING = -32768              # int16 code for NaN
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
    """The flat record of one score (what :func:`read_records` returns)."""
    record: Dict[str, Any] = {"record_version": RECORD_VERSION}
    record.update({k: v for k, v in asdict(score).items() if k != "unit_scores"})
    record["model_metadata"] = _plain_metadata(model_metadata)
    record["benchmark_metadata"] = _plain_metadata(benchmark_metadata)
    return _strict(record)


def record_to_score(record: Dict) -> Score:
    values = {k: v for k, v in record.items() if k in _SCORE_FIELDS}
    for name in ("value", "error", "ceiling", "ceiled_value", "best_layer_depth", "cv_value"):
        values[name] = _number(values.get(name))
    values["layer_profile"] = {k: _number(v) for k, v in values.get("layer_profile", {}).items()}
    values["references"] = {k: _number(v) for k, v in values.get("references", {}).items()}
    for name in ("draws",) + ENCODED_OPTIONAL:
        values[name] = [_number(v) for v in values.get(name) or []]
    return Score(**values)


def check_name(name: str) -> str:
    """A model or benchmark identifier that can name a file (no folders, not hidden)."""
    if not isinstance(name, str) or not is_file_name(name):
        raise MousescoreError(f"'{name}' cannot name a record file")
    return name


def record_path(results_dir: Path, model: str) -> Path:
    return Path(results_dir) / f"{check_name(model)}.json"


def encode_values(values) -> str:
    """Values in [-1, 1] (NaN allowed) as base64 of little-endian int16 multiples of PRECISION."""
    import numpy as np  # here: the CLI imports the records and must start without numpy
    values = np.asarray([_number(v) for v in values], dtype=np.float64)
    codes = np.where(np.isfinite(values), np.round(np.nan_to_num(values) / PRECISION), _MISSING)
    codes = np.where(codes == _MISSING, _MISSING, np.clip(codes, -32767, 32767))
    return base64.b64encode(codes.astype("<i2").tobytes()).decode("ascii")


def decode_values(text: str) -> List[float]:
    """The values :func:`encode_values` wrote; anything but strict base64 of whole int16 values is a
    ValueError (a lenient decoder would drop stray characters, and values with them)."""
    import numpy as np
    data = base64.b64decode(text, validate=True)
    if len(data) % 2:
        raise ValueError(f"{len(data)} bytes are not whole int16 values")
    codes = np.frombuffer(data, dtype="<i2")
    # vectorised: the same values as Python's round(code * PRECISION, 4) per element, 25 times faster
    # (4 million calls of round on numpy scalars were most of the time `load_board()` took)
    return np.where(codes == _MISSING, np.nan, np.round(codes.astype(np.float64) * PRECISION, 4)).tolist()


def encode_field(name: str, values) -> str:
    """An optional list field as ``record_schema.ENCODED_TYPES`` says: int16 codes as
    :func:`encode_values`, or float16 (NaN kept)."""
    if ENCODED_TYPES[name] == "int16":
        return encode_values(values)
    import numpy as np
    return base64.b64encode(np.asarray([_number(v) for v in values], dtype="<f2").tobytes()).decode("ascii")


def decode_field(name: str, text: str) -> List[float]:
    """The values :func:`encode_field` wrote (strict base64 of whole values, else a ValueError)."""
    if ENCODED_TYPES[name] == "int16":
        return decode_values(text)
    import numpy as np
    data = base64.b64decode(text, validate=True)
    if len(data) % 2:
        raise ValueError(f"{len(data)} bytes are not whole float16 values")
    return [float(v) for v in np.frombuffer(data, dtype="<f2")]


def pack_model(records: List[Dict]) -> Dict:
    """One model file from its flat records (any order; written sorted by benchmark)."""
    records = sorted(records, key=lambda r: r["benchmark"])
    model = records[0]["model"]
    if any(r["model"] != model for r in records):
        raise MousescoreError("a model file holds the records of one model")
    provenances = [dict(r.get("provenance") or {}) for r in records]
    shared = {k: v for k, v in provenances[0].items()
              if k != "dataset_files" and all(p.get(k, object()) == v for p in provenances)}
    layer_lists: List[List[str]] = []
    dataset_files: Dict[str, Dict] = {}    # the data's checksums, once per dataset
    texts: List[str] = []
    benchmarks = {}
    for record, provenance in zip(records, provenances):
        layers = list(record.get("layer_profile") or {})
        if layers not in layer_lists:
            layer_lists.append(layers)
        entry: Dict[str, Any] = {k: record.get(k) for k in _PER_BENCHMARK}
        entry.update({k: record[k] for k in EXTRA_SCORE_FIELDS if k in record})
        for name in _TEXTS:
            text = entry[name] or ""
            if text not in texts:
                texts.append(text)
            entry[name] = texts.index(text)
        entry["layers"] = layer_lists.index(layers)
        entry["profile"] = encode_values(record["layer_profile"].values())
        entry["draws"] = encode_values(record.get("draws") or [])
        entry.update({name: encode_field(name, record[name]) for name in ENCODED_OPTIONAL if record.get(name)})
        entry["provenance"] = {k: v for k, v in provenance.items() if k not in shared}
        if "dataset_files" in entry["provenance"] and "dataset" in provenance:
            dataset_files[provenance["dataset"]] = entry["provenance"].pop("dataset_files")
        entry["benchmark_metadata"] = record.get("benchmark_metadata") or {}
        benchmarks[record["benchmark"]] = entry
    return _strict({"record_version": RECORD_VERSION, "model": model,
                    "model_metadata": records[0].get("model_metadata") or {}, "provenance": shared,
                    "dataset_files": dataset_files, "texts": texts, "layers": layer_lists,
                    "benchmarks": benchmarks})


def unpack_model(packed: Dict) -> List[Dict]:
    """The flat records of one model file."""
    records = []
    for benchmark, entry in packed["benchmarks"].items():
        record = {"record_version": packed["record_version"], "model": packed["model"], "benchmark": benchmark}
        record.update({k: entry.get(k) for k in _PER_BENCHMARK})
        record.update({k: entry[k] for k in EXTRA_SCORE_FIELDS if k in entry})
        for name in _TEXTS:
            record[name] = packed["texts"][entry[name]]
        layers, profile = packed["layers"][entry["layers"]], decode_values(entry["profile"])
        if len(layers) != len(profile):
            raise ValueError(f"{benchmark}: {len(profile)} profile values for {len(layers)} layers")
        record["layer_profile"] = dict(zip(layers, profile))
        record["draws"] = decode_values(entry.get("draws") or "")
        record.update({name: decode_field(name, entry[name]) for name in ENCODED_OPTIONAL if name in entry})
        record["provenance"] = {**packed["provenance"], **entry.get("provenance", {})}
        dataset = record["provenance"].get("dataset")
        if dataset in packed.get("dataset_files", {}):
            record["provenance"]["dataset_files"] = packed["dataset_files"][dataset]
        record["model_metadata"] = packed["model_metadata"]
        record["benchmark_metadata"] = entry.get("benchmark_metadata", {})
        records.append(record)
    return records


def _dump(packed: Dict) -> str:
    """Indented head; one line per benchmark, so that a re-scored benchmark is a one-line diff."""
    head = {k: v for k, v in packed.items() if k != "benchmarks"}
    lines = json.dumps(head, indent=1, allow_nan=False)[:-2].rstrip("\n") + ',\n "benchmarks": {\n'
    entries = [f" {json.dumps(name)}: {json.dumps(entry, allow_nan=False, separators=(',', ':'))}"
               for name, entry in packed["benchmarks"].items()]
    return lines + ",\n".join(entries) + "\n }\n}\n"


def write_records(results_dir: Path, records: List[Dict]) -> List[Path]:
    """Write flat records into their models' files, keeping the other benchmarks already there if that
    file is of this record version (a file holds one version: records scored under an older one are
    replaced whole, never relabelled)."""
    by_model: Dict[str, Dict[str, Dict]] = {}
    for record in records:
        check_name(record["benchmark"])
        by_model.setdefault(record["model"], {})[record["benchmark"]] = record
    written = []
    for model, new in by_model.items():
        path = record_path(results_dir, model)
        kept = ({r["benchmark"]: r for r in _read_model_file(path) if r.get("record_version") == RECORD_VERSION}
                if path.exists() else {})
        kept.update(new)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(_dump(pack_model(list(kept.values()))))
        temporary.replace(path)
        written.append(path)
    return written


def write_record(results_dir: Path, record: Dict) -> Path:
    return write_records(results_dir, [record])[0]


def _read_model_file(path: Path) -> List[Dict]:
    """The flat records of one model file, checked against the schema first."""
    try:
        packed = load_json_file(path)
        check_model_file(packed, path)
    except RecordError as error:
        raise RecordError(f"malformed result record {error}") from None
    return unpack_model(packed)


def read_records(results_dir: Path, models: Optional[Iterable[str]] = None) -> List[Dict]:
    """Every record under ``results_dir`` (sorted by model, benchmark); a malformed file is an error
    naming it, never skipped silently."""
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise MousescoreError(f"no result records at {results_dir} (`mousescore results export` writes them)")
    old = sorted(path.parent.name for path in results_dir.glob("*/*.json"))
    if old:
        raise MousescoreError(f"{results_dir} holds record_version 1 folders ({old[0]}/, …): re-score those "
                              f"models and `mousescore results export` them, then remove the folders")
    wanted = set(models) if models is not None else None
    records = []
    with gc_paused():
        for path in sorted(results_dir.glob("*.json")):
            if wanted is not None and path.stem not in wanted:
                continue
            records.extend(_read_model_file(path))
    check_draw_counts(records)
    return records


@contextmanager
def gc_paused():
    """The cyclic garbage collector off while millions of acyclic objects are made (the board's
    records: its passes over them took a third of the reading time), restored after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def committed_results_dir() -> Path:
    """The committed board's records folder, ``leaderboard/results`` of the repository this package
    lies in, whatever the current directory; a clear error where mousescore was installed without it."""
    if not COMMITTED_RESULTS_DIR.is_dir():
        raise MousescoreError(f"no committed leaderboard records beside this mousescore (looked in "
                              f"{COMMITTED_RESULTS_DIR}): pass the records folder of a mousescore checkout "
                              f"(e.g. load_board('path/to/leaderboard/results'), or --results)")
    return COMMITTED_RESULTS_DIR


def unscorable_path(results_dir: Path) -> Path:
    return Path(results_dir).parent / UNSCORABLE_FILE


def read_unscorable(results_dir: Path) -> Dict[str, str]:
    """{model: reason} for the models the board could not score (empty when there is no such file)."""
    path = unscorable_path(results_dir)
    if not path.exists():
        return {}
    entries = load_json_file(path)
    if not isinstance(entries, dict) or not all(isinstance(v, str) for v in entries.values()):
        raise MousescoreError(f"{path} must map each model to the reason it could not be scored")
    return entries


def export_records(scores: Iterable[Score], results_dir: Path, registry=None) -> List[Dict]:
    """Write the scores into their models' record files (returns the records written), with model and
    benchmark metadata from the registry (custom benchmarks, which are not registered, are not
    leaderboard material and are skipped)."""
    registry = registry or get_registry()
    known_models = set(registry.identifiers("model"))
    known_benchmarks = set(registry.identifiers("benchmark"))
    records = []
    for score in scores:
        if score.benchmark not in known_benchmarks:
            continue
        model_metadata = registry.get("model", score.model).metadata if score.model in known_models else {}
        benchmark_metadata = registry.get("benchmark", score.benchmark).metadata
        records.append(make_record(score, model_metadata, benchmark_metadata))
    if records:
        write_records(results_dir, records)
    return records
