"""How a run computes and what it reports: one frozen :class:`RunOptions` passed whole from the entry
points (``mousescore.score``, ``score_model``, ``score_benchmarks``, the command line) down to the
extraction, instead of the same six arguments threaded through every call."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from typing import Any, Callable, Iterator, Optional

from ..registry.plugins import Registry, get_registry
from ..results.store import ResultStore


def log_to_stderr(message: str) -> None:
    """The default ``log``: one ``[mousescore] ...`` line on stderr."""
    print(f"[mousescore] {message}", file=sys.stderr, flush=True)


def silent(message: str) -> None:
    """A ``log`` that says nothing."""


@dataclass(frozen=True)
class RunOptions:
    """How to score, not what: the same numbers come out whatever these are (``force`` aside, which
    recomputes what would otherwise be reused, to the same numbers).

    ``batch_size``: images per forward pass (None: a whole set of up to 128, else 64, halved until
    the extraction fits in memory). ``device``: a torch device name (None or ``"auto"``: CUDA when
    present, else the CPU). ``threads``: torch CPU threads while scoring (None: torch's setting).
    ``progress``: progress bars on a terminal (stderr); elsewhere the progress is told through
    ``log`` alone. ``log``: where progress lines go (default: stderr; :func:`silent` says nothing).
    ``registry``: the plugins (None: the installed ones). ``store``: the result store (None: the
    default store for registered models, none for unregistered ones). ``force``: recompute stored
    scores and extract features again instead of reading the feature cache.
    """
    batch_size: Optional[int] = None
    device: Optional[str] = None
    threads: Optional[int] = None
    progress: bool = True
    log: Callable[[str], None] = log_to_stderr
    registry: Optional[Registry] = None
    store: Optional[ResultStore] = None
    force: bool = False

    @classmethod
    def build(cls, options: Optional["RunOptions"] = None, caller: str = "score", **changes: Any) -> "RunOptions":
        """``options`` (default: the defaults) with ``changes``, the keyword arguments the entry points
        accept beside ``options`` (``log=None`` keeps the default log)."""
        if options is not None and not isinstance(options, RunOptions):
            raise TypeError(f"{caller}(): options must be a RunOptions, not a {type(options).__name__}")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise TypeError(f"{caller}() got an unexpected keyword argument {unknown[0]!r} "
                            f"(run options: {', '.join(sorted(names))})")
        if changes.get("log", log_to_stderr) is None:
            changes.pop("log")
        return replace(options or cls(), **changes)

    def plugins(self) -> Registry:
        """The registry to use: the one given, else the installed plugins'."""
        return self.registry or get_registry()

    @contextmanager
    def threads_set(self) -> Iterator[None]:
        """torch's CPU threads set to ``threads`` for the duration (nothing, torch not even imported,
        when ``threads`` is None)."""
        if not self.threads:
            yield
            return
        import torch
        before = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            yield
        finally:
            torch.set_num_threads(before)
