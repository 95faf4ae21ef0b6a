"""What a stored score and a leaderboard record file must look like, checked before anything reads them.

Records arrive by pull request and the local store can be edited or damaged, so neither is trusted:
a value of the wrong type, a missing field, a NaN that strict JSON cannot hold, undecodable base64,
draws of the wrong count or a key given twice is refused with the file (or store row) and the field
named, instead of crashing the site build or being dropped without a word.

Conventions:

- A score's fields and their types come from :class:`~mousescore.results.score.Score`'s dataclass
  annotations, so a field added there (with a default) is accepted and type-checked without a change
  here. Unknown fields are refused (a typo must not vanish).
- In a record file a number may be ``null`` (strict JSON's NaN); the literals ``NaN``/``Infinity`` are
  refused. Counts (``n_units``, ``n_excluded``) are integers >= 0, ``error`` >= 0,
  ``best_layer_depth`` in [0, 1].
- Profiles and draws are strict base64 of little-endian int16 (:mod:`mousescore.results.records`): a
  profile has one value per layer of its layer list; where ``draws_kind`` states "N draws" the draws
  are exactly N, and every model's draws on one benchmark have one length (they pair draw by draw).
- A record file is at most :data:`MAX_RECORD_FILE_BYTES` (the largest committed one is 0.45 MB); a
  larger one is refused before it is read.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import typing
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional

from ..errors import DataError
from .score import Score

RECORD_VERSION = 4
# Version 2 (mousescore 0.2-0.3) lacks the CV value's resamples and took it from 10 splits: still read,
# so that a board being rescored model by model stays whole; such models are ranked without claims.
READABLE_VERSIONS = (2, 3, 4)
MAX_RECORD_FILE_BYTES = 8 * 2**20
TEXTS = ("error_kind", "ceiling_kind", "cv_kind", "draws_kind")   # said once per model file, by index
PER_BENCHMARK = ("value", "error", "error_kind", "ceiling", "ceiling_kind", "ceiled_value", "best_layer",
                 "best_layer_depth", "n_units", "n_excluded", "references", "cv_value", "cv_kind", "draws_kind")
FILE_FIELDS = ("record_version", "model", "model_metadata", "provenance", "texts", "layers", "benchmarks")
OPTIONAL_FILE_FIELDS = ("dataset_files",)
ENTRY_STRUCTURE = ("layers", "profile", "draws", "provenance", "benchmark_metadata")
# Lists of numbers a score may have, base64 of little-endian values. Draws and splits are scores in
# [-1, 1], stored as the draws are (int16 multiples of 1e-4); the jackknife's deviations (~1e-4 to 1e-2)
# and the sketch (unbounded) need relative precision: float16, 11 bits, ample for a variance.
ENCODED_TYPES = {"cv_draws": "int16", "cv_splits": "int16", "cv_jackknife": "float16", "cv_pair_sketch": "float16"}
ENCODED_OPTIONAL = tuple(ENCODED_TYPES)
# Model metadata that the board computes with: a string where a bool belongs ("false") would rank a
# random network as trained.
METADATA_TYPES = {"trained": (bool,), "parameters": (int, float), "family": (str,), "training": (str,),
                  "task_cluster": (str,), "display_name": (str,), "architecture_class": (str,)}
_STATED_DRAWS = re.compile(r"\b(\d+) draws\b")


class RecordError(DataError):
    """A stored score or a record file breaks the schema; the message names the file and field."""


class _NonStandardNumber:
    """What a ``NaN``/``Infinity`` literal parses to, so that the field holding it can be named."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


# --- reading a file ------------------------------------------------------------------------------

def load_json_file(path: Path, max_bytes: int = MAX_RECORD_FILE_BYTES) -> Any:
    """A JSON file's value, refused if over ``max_bytes`` (before it is read), not a file, not UTF-8,
    not JSON, or holding a key twice (JSON readers would keep the last one silently)."""
    path = Path(path)
    if not path.is_file():
        raise RecordError(f"{path} is not a regular file")
    size = path.stat().st_size
    if size > max_bytes:
        raise RecordError(f"{path} is {size:,} bytes, more than the {max_bytes:,} a record file may have: "
                          f"it is not a record written by `mousescore results export`")
    try:
        return json.loads(path.read_bytes().decode("utf-8"), object_pairs_hook=_without_duplicates,
                          parse_constant=_NonStandardNumber)
    except UnicodeDecodeError as error:
        raise RecordError(f"{path} is not UTF-8 text: {error}") from None
    except ValueError as error:
        raise RecordError(f"{path} is not valid JSON: {error}") from None


def _without_duplicates(pairs) -> Dict:
    found = dict(pairs)   # built in C; a key given twice shows as a shorter dict
    if len(found) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key '{key}' is given twice in one object (keep one)")
            seen.add(key)
    return found


# --- type rules from annotations -----------------------------------------------------------------

def _is_number(value: Any, nullable: bool) -> bool:
    if value is None:
        return nullable
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _rule(annotation) -> Callable[[Any, bool], Optional[str]]:
    """A check for values of ``annotation``: returns what was expected, or None when the value fits."""
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is float:
        return lambda value, nullable: None if _is_number(value, nullable) else \
            "a number" + (" or null" if nullable else "")
    if annotation is int:
        return lambda value, nullable: None if isinstance(value, int) and not isinstance(value, bool) \
            else "an integer"
    if annotation is str:
        return lambda value, nullable: None if isinstance(value, str) else "a string"
    if origin in (dict, Dict, Mapping) and arguments:
        inner = _rule(arguments[1])

        def check_dict(value, nullable):
            if not isinstance(value, dict):
                return "an object"
            for key, item in value.items():
                expected = inner(item, nullable)
                if expected:
                    return f"an object whose values are {expected} (the one at '{key}' is {_show(item)})"
            return None
        return check_dict
    if origin in (list, List) and arguments:
        inner = _rule(arguments[0])

        def check_list(value, nullable):
            if not isinstance(value, list):
                return "a list"
            for index, item in enumerate(value):
                expected = inner(item, nullable)
                if expected:
                    return f"a list of {expected} (item {index} is {_show(item)})"
            return None
        return check_list
    return lambda value, nullable: None if _plain_json(value) else "plain JSON values (no NaN)"


def _plain_json(value: Any) -> bool:
    if isinstance(value, _NonStandardNumber):
        return False
    if isinstance(value, dict):
        return all(_plain_json(item) for item in value.values())
    if isinstance(value, list):
        return all(_plain_json(item) for item in value)
    return True


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


_HINTS = typing.get_type_hints(Score)   # the annotations are strings (postponed evaluation)
SCORE_RULES = {f.name: _rule(_HINTS[f.name]) for f in fields(Score)}
REQUIRED_SCORE_FIELDS = tuple(f.name for f in fields(Score)
                              if f.default is MISSING and f.default_factory is MISSING)


# Score's fields that a model file holds nowhere else: one added to Score later travels in each
# benchmark's line under its own name (and is checked by its annotation)
EXTRA_SCORE_FIELDS = tuple(name for name in SCORE_RULES if name not in PER_BENCHMARK + ENTRY_STRUCTURE
                           + ENCODED_OPTIONAL + ("model", "benchmark", "layer_profile", "unit_scores"))


def check_field(where: str, name: str, value: Any, nullable: bool = True) -> None:
    """One of Score's fields against its annotation and range."""
    expected = SCORE_RULES[name](value, nullable)
    if expected is None and isinstance(value, (int, float)) and not isinstance(value, bool):
        expected = _out_of_range(name, value)
    if expected:
        raise RecordError(f"{where}: field '{name}' must be {expected}, not {_show(value)}")


def _out_of_range(name: str, value: float) -> Optional[str]:
    if name in ("n_units", "n_excluded") and value < 0:
        return "a count >= 0"
    if name == "error" and value < 0:
        return "a standard error >= 0"
    if name == "best_layer_depth" and not 0 <= value <= 1:
        return "a relative depth in [0, 1]"
    return None


def check_score_fields(values: Any, where: str, nullable: bool = False) -> None:
    """A stored score's fields: an object with every required field of Score, no unknown one, each of
    its annotated type (the store keeps NaN as a number: ``nullable`` False)."""
    if not isinstance(values, dict):
        raise RecordError(f"{where}: a score must be a JSON object, not {_show(values)}")
    missing = [name for name in REQUIRED_SCORE_FIELDS if name not in values]
    unknown = sorted(set(values) - set(SCORE_RULES))
    if missing or unknown:
        raise RecordError(f"{where}: " + "; ".join(
            ([f"missing field(s) {missing}"] if missing else [])
            + ([f"unknown field(s) {unknown} (written by another mousescore version?)"] if unknown else [])))
    for name, value in values.items():
        check_field(where, name, value, nullable)


# --- a leaderboard model file --------------------------------------------------------------------

def check_model_file(packed: Any, path: Path) -> None:
    """A packed model file (see :mod:`mousescore.results.records`) before it is unpacked."""
    where = str(path)
    if not isinstance(packed, dict):
        raise RecordError(f"{where}: a record file must hold a JSON object, not {_show(packed)}")
    _check_version(packed.get("record_version"), where)
    _check_keys(packed, FILE_FIELDS, OPTIONAL_FILE_FIELDS, where)
    _check_model(packed["model"], Path(path), where)
    _check_free_object(packed["model_metadata"], f"{where}: model_metadata")
    _check_metadata_types(packed["model_metadata"], f"{where}: model_metadata")
    _check_free_object(packed["provenance"], f"{where}: provenance")
    if "dataset_files" in packed:
        _check_dataset_files(packed["dataset_files"], f"{where}: dataset_files")
    _check_strings(packed["texts"], f"{where}: texts")
    _check_layer_lists(packed["layers"], f"{where}: layers")
    benchmarks = packed["benchmarks"]
    if not isinstance(benchmarks, dict) or not benchmarks:
        raise RecordError(f"{where}: field 'benchmarks' must be a non-empty object, not {_show(benchmarks)}")
    for benchmark, entry in benchmarks.items():
        check_entry(packed, benchmark, entry, f"{where}: benchmarks['{benchmark}']")


def _check_version(version: Any, where: str) -> None:
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise RecordError(f"{where}: record_version {version!r}, not one of {list(READABLE_VERSIONS)} (the "
                          f"versions this mousescore reads): re-score the model and `mousescore results "
                          f"export`, or update mousescore")


def _check_keys(values: Dict, required, optional, where: str) -> None:
    missing = [name for name in required if name not in values]
    unknown = sorted(set(values) - set(required) - set(optional))
    if missing:
        raise RecordError(f"{where}: missing field(s) {missing}")
    if unknown:
        raise RecordError(f"{where}: unknown field(s) {unknown}")


def is_file_name(name: str) -> bool:
    """A model or benchmark identifier that can name a file (no folders, not hidden)."""
    return bool(name) and "/" not in name and "\\" not in name and not name.startswith(".")


def _check_model(model: Any, path: Path, where: str) -> None:
    if not isinstance(model, str):
        raise RecordError(f"{where}: field 'model' must be a string, not {_show(model)}")
    if model != path.stem:
        raise RecordError(f"{where}: the record is for {model}, but its file is named {path.name}: the "
                          f"file is misplaced (a model's records belong in {model}.json)")


def _check_free_object(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise RecordError(f"{where} must be an object, not {_show(value)}")
    if not _plain_json(value):
        raise RecordError(f"{where} holds NaN or Infinity, which strict JSON cannot: write null")


def _check_metadata_types(metadata: Dict, where: str) -> None:
    for name, types in METADATA_TYPES.items():
        value = metadata.get(name)
        if value is not None and (not isinstance(value, types) or (bool not in types and isinstance(value, bool))):
            wanted = " or ".join(t.__name__ for t in types)
            raise RecordError(f"{where}.{name} must be {wanted} or null, not {_show(value)}")
    parameters = metadata.get("parameters")
    if isinstance(parameters, (int, float)) and not isinstance(parameters, bool) and parameters < 0:
        raise RecordError(f"{where}.parameters must be >= 0, not {parameters}")


def _check_dataset_files(value: Any, where: str) -> None:
    if not isinstance(value, dict) or not all(
            isinstance(files, dict) and all(isinstance(v, str) for v in files.values()) for files in value.values()):
        raise RecordError(f"{where} must map each dataset to {{file: checksum string}}")


def _check_strings(value: Any, where: str) -> None:
    if not isinstance(value, list) or not all(isinstance(text, str) for text in value):
        raise RecordError(f"{where} must be a list of strings")


def _check_layer_lists(value: Any, where: str) -> None:
    if not isinstance(value, list):
        raise RecordError(f"{where} must be a list of layer-name lists")
    for index, layers in enumerate(value):
        _check_strings(layers, f"{where}[{index}]")
        if len(set(layers)) != len(layers):
            twice = sorted({layer for layer in layers if layers.count(layer) > 1})
            raise RecordError(f"{where}[{index}] names layer(s) {twice[:3]} twice: their profile values "
                              f"would overwrite each other")


def check_entry(packed: Dict, benchmark: str, entry: Any, where: str) -> None:
    """One benchmark's line of a model file."""
    if not is_file_name(benchmark):
        raise RecordError(f"{where}: '{benchmark}' cannot name a page of the site (no folders, not hidden)")
    if not isinstance(entry, dict):
        raise RecordError(f"{where} must be an object, not {_show(entry)}")
    # a field added to Score (with a default) may appear here: it is checked by its annotation
    _check_keys(entry, PER_BENCHMARK + ENTRY_STRUCTURE, EXTRA_SCORE_FIELDS + ENCODED_OPTIONAL, where)
    for name in PER_BENCHMARK:
        if name in TEXTS:
            _check_index(entry[name], packed["texts"], f"{where}.{name}", "texts")
        else:
            check_field(where, name, entry[name])
    for name in EXTRA_SCORE_FIELDS:
        if name in entry:
            check_field(where, name, entry[name])
    _check_index(entry["layers"], packed["layers"], f"{where}.layers", "layers")
    layers = packed["layers"][entry["layers"]]
    profile = decode_codes(entry["profile"], f"{where}.profile")
    if profile != len(layers):
        raise RecordError(f"{where}.profile: {profile} values for the {len(layers)} layers of layers"
                          f"[{entry['layers']}]")
    for name in ENCODED_OPTIONAL:
        if name in entry:
            decode_codes(entry[name], f"{where}.{name}", ENCODED_TYPES[name])
    draws = decode_codes(entry["draws"], f"{where}.draws")
    stated = stated_draws(packed["texts"][entry["draws_kind"]])
    if stated is not None and draws != stated:
        raise RecordError(f"{where}.draws: {draws} draws, but draws_kind says {stated}")
    _check_free_object(entry["provenance"], f"{where}.provenance")
    _check_free_object(entry["benchmark_metadata"], f"{where}.benchmark_metadata")


def _check_index(value: Any, items: List, where: str, table: str) -> None:
    if type(value) is not int or not 0 <= value < len(items):
        raise RecordError(f"{where} must be an index into {table} (0 to {len(items) - 1}), not {_show(value)}")


def decode_codes(text: Any, where: str, kind: str = "int16") -> int:
    """The number of values (of ``kind``, 2 bytes each: int16 for a profile or draws) a string holds;
    refuses what is not strict base64 of whole values (a lenient decoder drops stray characters and
    loses values silently)."""
    if not isinstance(text, str):
        raise RecordError(f"{where} must be a base64 string, not {_show(text)}")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise RecordError(f"{where} is not valid base64 ({error})") from None
    if len(data) % 2:
        raise RecordError(f"{where} decodes to {len(data)} bytes, not whole {kind} values")
    return len(data) // 2


def stated_draws(draws_kind: str) -> Optional[int]:
    """The number of draws a draws_kind text states ("... (200 draws, ...)"), or None."""
    found = _STATED_DRAWS.search(draws_kind or "")
    return int(found.group(1)) if found else None


def check_draw_counts(records: List[Dict]) -> None:
    """Every model's draws on one benchmark, and each of the CV value's resamples, have one length and
    one plan (``draws_kind``): they pair draw by draw (common random numbers), and a mismatch would
    silently drop, or falsify, every interval that involves them. Within one record version: records
    of another version are never paired (the board claims from the CV resamples, which only the
    current version has; ``compare`` refuses draws of different plans), so a board being rescored
    model by model stays readable."""
    first: Dict[tuple, Dict] = {}
    for record in records:
        draws = record.get("draws") or []
        if not draws:
            continue
        seen = first.setdefault((record["benchmark"], record.get("record_version")), record)
        if len(seen["draws"]) != len(draws):
            raise RecordError(f"{record['benchmark']}: {record['model']} has {len(draws)} draws, "
                              f"{seen['model']} {len(seen['draws'])}: the draws of one benchmark pair "
                              f"draw by draw and must have one length (re-score and export the odd one)")
        if seen.get("draws_kind") != record.get("draws_kind"):   # the kind names the resampling plan
            raise RecordError(f"{record['benchmark']}: {record['model']} was resampled under another plan "
                              f"than {seen['model']} ({record.get('draws_kind')!r} vs {seen.get('draws_kind')!r}): "
                              f"their draws do not pair; re-score both with one mousescore version")
        for name in ENCODED_OPTIONAL:
            mine, theirs = record.get(name) or [], seen.get(name) or []
            if mine and theirs and len(mine) != len(theirs):
                raise RecordError(f"{record['benchmark']}: {record['model']} has {len(mine)} {name}, "
                                  f"{seen['model']} {len(theirs)}: they pair value by value (re-score and "
                                  f"export the odd one)")
