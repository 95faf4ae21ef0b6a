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

A value that cannot be meant is refused with a :class:`~mousescore.errors.MousescoreError` naming the
variable, never read as something else: a size that is not a positive, finite number, a memory limit
above this machine's memory, a feature cache larger than the disk that holds ``MOUSESCORE_HOME``, a
switch other than ``1/on/true/yes`` or ``0/off/false/no``.

A relative path in a path setting (``MOUSESCORE_HOME``, ``MOUSESCORE_DATA_PATH``,
``MOUSESCORE_WEIGHTS_PATH``) is resolved once, against the working directory of the first read (this
module's import, or the first :func:`settings` after the variable changed), and written back to
``os.environ`` as an absolute path: a later ``chdir`` and every child process (Dask workers, the
tutorial, a subprocess) see the same folders, so ``MOUSESCORE_DATA_PATH=../shared/data`` means one
place everywhere.
"""
from __future__ import annotations

import math
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple, overload

from .errors import MousescoreError

HOME_VARIABLE = "MOUSESCORE_HOME"
DATA_PATH_VARIABLE = "MOUSESCORE_DATA_PATH"
WEIGHTS_PATH_VARIABLE = "MOUSESCORE_WEIGHTS_PATH"
CACHES_VARIABLE = "MOUSESCORE_FEATURE_CACHE"
FEATURE_CACHE_GB_VARIABLE = "MOUSESCORE_FEATURE_CACHE_GB"
MEMORY_LIMIT_VARIABLE = "MOUSESCORE_MEMORY_LIMIT_GB"
FAULT_VARIABLE = "MOUSESCORE_INJECT_FAULT"
PATH_VARIABLES = (HOME_VARIABLE, DATA_PATH_VARIABLE, WEIGHTS_PATH_VARIABLE)
ON = ("1", "on", "true", "yes")
OFF = ("0", "off", "false", "no")
GIB = 2 ** 30


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


def _absolute(value: str) -> str:
    """A path, or a ``PATH``-like list of them, made absolute against the working directory now."""
    return os.pathsep.join(os.path.abspath(os.path.expanduser(p)) for p in value.split(os.pathsep) if p)


def _pin_paths() -> None:
    """Resolve relative path settings once and write them back, so that a later ``chdir`` and every
    child process (which inherits ``os.environ``) read the same folders as this process."""
    for variable in PATH_VARIABLES:
        value = os.environ.get(variable)
        if value and value != _absolute(value):
            os.environ[variable] = _absolute(value)


def _path_list(variable: str) -> Tuple[Path, ...]:
    return tuple(Path(p) for p in os.environ.get(variable, "").split(os.pathsep) if p)


def _switch(variable: str, default: bool) -> bool:
    text = os.environ.get(variable, "").strip().lower()
    if not text:
        return default
    if text not in ON + OFF:   # a typo ('offf') must not leave the caches on without a word
        raise MousescoreError(f"{variable} must be one of {'/'.join(ON)} or {'/'.join(OFF)}, "
                              f"not '{os.environ[variable]}'")
    return text in ON


@overload
def _gib(variable: str, default: float, maximum: Callable[[], Optional[Tuple[float, str]]]) -> float: ...


@overload
def _gib(variable: str, default: None, maximum: Callable[[], Optional[Tuple[float, str]]]) -> Optional[float]: ...


def _gib(variable: str, default: Optional[float],
         maximum: Callable[[], Optional[Tuple[float, str]]]) -> Optional[float]:
    """A size in GiB from the environment: a positive, finite number no larger than ``maximum()``
    (its GiB and what it is), or ``default`` when unset."""
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise MousescoreError(f"{variable} must be a number of GiB, not '{text}'") from None
    if not math.isfinite(value) or value <= 0:
        raise MousescoreError(f"{variable} must be a positive, finite number of GiB, not '{text}'")
    limit = maximum()
    if limit is not None and value > limit[0]:
        raise MousescoreError(f"{variable}={text} is more than {limit[1]} ({limit[0]:.1f} GiB): "
                              f"set it to at most that, or unset it")
    return value


def _machine_memory() -> Optional[Tuple[float, str]]:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB, "this machine's memory"
    except (AttributeError, ValueError, OSError):   # no sysconf (Windows): no upper bound to check
        return None


def _disk_of(folder: Path) -> Callable[[], Optional[Tuple[float, str]]]:
    def size() -> Optional[Tuple[float, str]]:
        existing = next((p for p in (folder, *folder.parents) if p.is_dir()), None)
        if existing is None:
            return None
        return shutil.disk_usage(existing).total / GIB, f"the whole disk that holds {folder}"
    return size


def _home() -> Path:
    if os.environ.get(HOME_VARIABLE):
        return Path(os.environ[HOME_VARIABLE])
    cache = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(os.path.expanduser(cache)):   # the XDG spec: a relative value is invalid, ignored
        cache = str(Path.home() / ".cache")
    return Path(cache).expanduser() / "mousescore"


def settings() -> Settings:
    """The settings in force now: the environment, then any :func:`override` blocks, innermost last."""
    _pin_paths()
    home_folder = _home()
    current = Settings(
        home=home_folder, data_path=_path_list(DATA_PATH_VARIABLE), weights_path=_path_list(WEIGHTS_PATH_VARIABLE),
        caches=_switch(CACHES_VARIABLE, True),
        feature_cache_gb=_gib(FEATURE_CACHE_GB_VARIABLE, 10.0, _disk_of(home_folder)),
        memory_limit_gb=_gib(MEMORY_LIMIT_VARIABLE, None, _machine_memory),
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
        changes["home"] = Path(_absolute(str(changes["home"])))
    for name in ("data_path", "weights_path"):
        if name in changes:
            changes[name] = tuple(Path(_absolute(str(p))) for p in changes[name])
    _overrides.append(changes)
    try:
        yield settings()
    finally:
        _overrides.remove(changes)


def home() -> Path:
    """Where mousescore keeps its cache, results and packaged data (``MOUSESCORE_HOME``)."""
    return settings().home


def child_environment(leave_out=()) -> Dict[str, str]:
    """The environment a child process starts with: this process's, path settings made absolute
    (:func:`_pin_paths`), without the variables in ``leave_out``."""
    _pin_paths()
    return {key: value for key, value in os.environ.items() if key not in leave_out}


def torch_home() -> Path:
    """torch's own cache folder as ``torch.hub`` finds it (``$TORCH_HOME``, else
    ``$XDG_CACHE_HOME/torch``), without importing torch: listing models must stay light."""
    cache = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(os.environ.get("TORCH_HOME") or os.path.join(cache, "torch")).expanduser()


_pin_paths()   # at import: before any child process is started with this environment
