"""The process's in-memory caches (of mousescore and of the plugins that use these), and one call that
empties them all: a long notebook session, a test that needs a cold start, memory to give back."""
from __future__ import annotations

import functools
from typing import Callable, List, Optional, TypeVar

F = TypeVar("F", bound=Callable)

_CLEARS: List[Callable[[], None]] = []


def cached(maxsize: Optional[int] = 128) -> Callable[[F], F]:
    """``functools.lru_cache(maxsize)``, registered so that :func:`clear_caches` empties it (the
    decorated function keeps ``cache_clear`` and ``cache_info``)."""
    def decorate(function: F) -> F:
        wrapped = functools.lru_cache(maxsize=maxsize)(function)
        _CLEARS.append(wrapped.cache_clear)
        return wrapped  # type: ignore[return-value]   # the lru wrapper calls as the function does
    return decorate


def register_cache(clear: Callable[[], None]) -> Callable[[], None]:
    """Register how to empty a cache that is not a function's (a module's dict: its ``clear``), so that
    :func:`clear_caches` empties it too; returns ``clear``."""
    _CLEARS.append(clear)
    return clear


def clear_caches() -> None:
    """Empty every registered cache (those of the modules imported so far: the others hold nothing).
    Nothing computed changes: what they held is computed again when next needed."""
    for clear in list(_CLEARS):
        clear()
