"""Registered benchmarks built once per process, while the data and settings they are built from
stay as they were."""
from __future__ import annotations

from typing import Dict, Optional

from .. import config
from ..registry.plugins import Registry
from .benchmark import Benchmark

_BUILT: Dict[str, tuple] = {}     # identifier -> (registry, data state, Benchmark)


def built_benchmark(registry: Registry, identifier: str, state: Optional[tuple] = None) -> Benchmark:
    """The registered benchmark, built once per process while the packaged and built data under
    MOUSESCORE_HOME and the settings stay as they were (a notebook or a seeding run scores many
    models against the same benchmarks: 90 Allen, surrogate and antolik benchmarks take ~1 s to
    build). ``state``: :func:`data_state`, when the caller has just taken it for several benchmarks.
    With the caches off (``leaderboard verify``) every call builds afresh."""
    if not config.settings().caches:
        return registry.get("benchmark", identifier).factory()
    state = state or data_state()
    cached = _BUILT.get(identifier)
    if cached is None or cached[0] is not registry or cached[1] != state:
        _BUILT[identifier] = (registry, state, registry.get("benchmark", identifier).factory())
    return _BUILT[identifier][2]


def data_state() -> tuple:
    """What a benchmark is built from: the settings and every packaged or built data file's size
    and modification time (a repackaged or rebuilt dataset changes it)."""
    files = []
    for folder in ("packaged", "built"):
        root = config.home() / folder
        if root.is_dir():
            files += [(str(path), path.stat().st_size, path.stat().st_mtime_ns)
                      for path in sorted(root.rglob("*")) if path.is_file()]
    return (repr(config.settings()), tuple(files))
