"""Every setting mousescore reads from the environment, in one place, and a way to override them.

=============================  ===================  =====================================================
variable                       setting              meaning (default)
=============================  ===================  =====================================================
``MOUSESCORE_HOME``            ``home``             cache, results and packaged data
                                                    (``$XDG_CACHE_HOME/mousescore``, ``~/.cache/mousescore``)
``MOUSESCORE_DATA_PATH``       ``data_path``        local mirrors of upstream data files, like ``PATH``
``MOUSESCORE_WEIGHTS_PATH``    ``weights_path``     local mirrors of trained weights, like ``PATH``
``MOUSESCORE_FEATURE_CACHE``   ``caches``           ``0``/``off`` turns off the feature cache and the disk
                                                    memo of ceilings and inter-animal scores (on)
``MOUSESCORE_FEATURE_CACHE_GB`` ``feature_cache_gb`` size of the feature cache (10)
``MOUSESCORE_MEMORY_LIMIT_GB`` ``memory_limit_gb``  memory the whole process may hold (none: what is free);
                                                    a bounded run also forgets each benchmark's
                                                    resampling memos after scoring it
``MOUSESCORE_INJECT_FAULT``    ``inject_fault``     reliability tests only: kill the process at this point
=============================  ===================  =====================================================

The two ``_GB`` sizes count in GiB (2³⁰ bytes), as ``free -g`` does. Settings are read
from the environment on every call, so a changed variable counts at once;
:func:`override` changes them for a block of code without touching ``os.environ`` (tests, and
``leaderboard verify``, which must recompute everything with the caches off).
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

from .errors import MousescoreError

HOME_VARIABLE = "MOUSESCORE_HOME"
DATA_PATH_VARIABLE = "MOUSESCORE_DATA_PATH"
WEIGHTS_PATH_VARIABLE = "MOUSESCORE_WEIGHTS_PATH"
CACHES_VARIABLE = "MOUSESCORE_FEATURE_CACHE"
FEATURE_CACHE_GB_VARIABLE = "MOUSESCORE_FEATURE_CACHE_GB"
MEMORY_LIMIT_VARIABLE = "MOUSESCORE_MEMORY_LIMIT_GB"
FAULT_VARIABLE = "MOUSESCORE_INJECT_FAULT"
OFF = ("0", "off", "false", "no")


@dataclass(frozen=True)
class Settings:
    home: Path
    data_path: Tuple[Path, ...]
    weights_path: Tuple[Path, ...]
    caches: bool
    feature_cache_gb: float
    memory_limit_gb: Optional[float]
    inject_fault: Optional[str]


_overrides: List[dict] = []


def _path_list(variable: str) -> Tuple[Path, ...]:
    return tuple(Path(p).expanduser() for p in os.environ.get(variable, "").split(os.pathsep) if p)


def _number(variable: str, default: Optional[float]) -> Optional[float]:
    text = os.environ.get(variable, "")
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise MousescoreError(f"{variable} must be a number of GiB, not '{text}'") from None
    if value <= 0:
        raise MousescoreError(f"{variable} must be positive, not '{text}'")
    return value


def _home() -> Path:
    if os.environ.get(HOME_VARIABLE):
        return Path(os.environ[HOME_VARIABLE]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "mousescore"


def settings() -> Settings:
    """The settings in force now: the environment, then any :func:`override` blocks, innermost last."""
    current = Settings(
        home=_home(), data_path=_path_list(DATA_PATH_VARIABLE), weights_path=_path_list(WEIGHTS_PATH_VARIABLE),
        caches=os.environ.get(CACHES_VARIABLE, "1").lower() not in OFF,
        feature_cache_gb=_number(FEATURE_CACHE_GB_VARIABLE, 10.0),
        memory_limit_gb=_number(MEMORY_LIMIT_VARIABLE, None),
        inject_fault=os.environ.get(FAULT_VARIABLE) or None)
    for changes in _overrides:
        current = replace(current, **changes)
    return current


@contextmanager
def override(**changes) -> Iterator[Settings]:
    """Change settings inside a ``with`` block (``override(caches=False)``), for this process only."""
    unknown = set(changes) - {f.name for f in fields(Settings)}
    if unknown:
        raise TypeError(f"unknown settings {sorted(unknown)}; known: {[f.name for f in fields(Settings)]}")
    if "home" in changes:
        changes["home"] = Path(changes["home"])
    for name in ("data_path", "weights_path"):
        if name in changes:
            changes[name] = tuple(Path(p) for p in changes[name])
    _overrides.append(changes)
    try:
        yield settings()
    finally:
        _overrides.remove(changes)


def home() -> Path:
    """Where mousescore keeps its cache, results and packaged data (``MOUSESCORE_HOME``)."""
    return settings().home


def torch_home() -> Path:
    """torch's own cache folder as ``torch.hub`` finds it (``$TORCH_HOME``, else
    ``$XDG_CACHE_HOME/torch``), without importing torch: listing models must stay light."""
    cache = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(os.environ.get("TORCH_HOME") or os.path.join(cache, "torch")).expanduser()
