"""Remember on disk what benchmarks derive from their data alone (ceilings, inter-mouse scores), so
that building a benchmark costs a file read instead of thousands of ridge fits on every run.

The key is the function, the mousescore version and the arguments' values (array bytes included), so
changed data or code computes afresh. ``MOUSESCORE_FEATURE_CACHE=0`` turns this off with the feature
cache.
"""
from __future__ import annotations

import functools
import hashlib
import os
import tempfile

import numpy as np

from .. import __version__, config


def _fingerprint(value, digest) -> None:
    if isinstance(value, np.ndarray):
        digest.update(f"array{value.shape}{value.dtype}".encode())
        digest.update(np.ascontiguousarray(value).reshape(-1).view(np.uint8) if value.dtype != object
                      else "\x00".join(map(str, value.ravel())).encode())
    elif hasattr(value, "identifier") and hasattr(value, "options"):   # a metric: what it computes
        digest.update(f"metric {value.identifier} {sorted(value.options.items())}".encode())
    else:
        digest.update(repr(value).encode())


def disk_memo(function):
    @functools.wraps(function)
    def remembered(*args, **kwargs):
        if not config.settings().caches:
            return function(*args, **kwargs)
        digest = hashlib.sha256(f"{function.__module__}.{function.__qualname__} {__version__}".encode())
        for value in list(args) + sorted(kwargs.items()):
            _fingerprint(value, digest)
        path = config.home() / "derived" / f"{digest.hexdigest()}.npy"
        try:
            stored = np.load(path, allow_pickle=False)
            return stored.item() if stored.ndim == 0 else stored
        except (OSError, ValueError):   # absent or damaged: compute it
            pass
        result = function(*args, **kwargs)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            np.save(file, np.asarray(result), allow_pickle=False)
        os.replace(temporary, path)
        return result
    return remembered
