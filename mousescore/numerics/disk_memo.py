"""Remember on disk what benchmarks derive from their data alone (ceilings, inter-mouse scores), so
that building a benchmark costs a file read instead of thousands of ridge fits on every run.

The key is the function, the code identity (:mod:`mousescore.code_identity`) and the arguments' values
(array bytes included), so changed data or code computes afresh. Each file holds its key beside the
value, in a zip whose CRC-32 is checked on every read: a file that is truncated, altered or copied
from another key is removed with a warning and computed again. ``MOUSESCORE_FEATURE_CACHE=0`` turns
this off with the feature cache.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
import zipfile

import numpy as np

from .. import config
from ..code_identity import code_identity
from ..data.identity import array_digest

logger = logging.getLogger("mousescore")


def _fingerprint(value, digest) -> None:
    if isinstance(value, np.ndarray):
        digest.update(f"array {array_digest(value)}".encode())
    elif hasattr(value, "identifier") and hasattr(value, "options"):   # a metric: what it computes
        digest.update(f"metric {value.identifier} {sorted(value.options.items())}".encode())
    else:
        digest.update(repr(value).encode())


def disk_memo(function):
    @functools.wraps(function)
    def remembered(*args, **kwargs):
        if not config.settings().caches:
            return function(*args, **kwargs)
        digest = hashlib.sha256(f"{function.__module__}.{function.__qualname__} {code_identity()}".encode())
        for value in list(args) + sorted(kwargs.items()):
            _fingerprint(value, digest)
        key = digest.hexdigest()
        path = config.home() / "derived" / f"{key}.npz"
        if path.exists():
            try:
                return _read(path, key)
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
                logger.warning("derived-data cache file %s is damaged (%s: %s); removed it, computing "
                               "it again", path, type(error).__name__, error)
                path.unlink(missing_ok=True)
        result = function(*args, **kwargs)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(file, value=np.asarray(result), key=np.array(key))
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
        return result
    return remembered


def _read(path, key: str):
    """The value stored under ``key``; zipfile checks each member's CRC-32 as it reads it."""
    with np.load(path, allow_pickle=False) as stored:
        if str(stored["key"]) != key:
            raise ValueError(f"it holds the value of another key ({str(stored['key'])[:12]}...)")
        value = stored["value"]
    return value.item() if value.ndim == 0 else value
