"""What identifies data is its content, never its name.

Two labs' folders can both be called ``images/`` with the same file names and different pixels; a
folder can be renamed. So whatever is computed from stimuli (the feature cache's key, which benchmarks
share one extraction, the seeds of the cross-validation splits and bootstrap resamples) is keyed by
:func:`stimuli_digest`: the stimulus ids in their order and the decoded pixels, nothing else. The same
images give the same numbers under any name; different images never share anything.
"""
from __future__ import annotations

import hashlib
import weakref
from typing import Dict, Tuple

import numpy as np

from ..registry.caches import register_cache

# id(object) -> (weak reference, digest): a stimulus set is hashed once per process (Allen's 118 scenes
# are ~500 MB of float32: 0.3 s), and the reference confirms the id still names the same object.
_DIGESTS: Dict[int, Tuple[weakref.ref, str]] = {}
register_cache(_DIGESTS.clear)


def array_digest(values, *labels) -> str:
    """sha256 of an array's shape, dtype and bytes, after any labels (strings) given."""
    digest = hashlib.sha256()
    for label in labels:
        digest.update(f"{label}\n".encode())
    values = np.ascontiguousarray(values)
    digest.update(f"{values.shape}:{values.dtype}".encode())
    digest.update(values.reshape(-1).view(np.uint8) if values.dtype != object
                  else "\x00".join(map(str, values.ravel())).encode())
    return digest.hexdigest()


def stimuli_digest(stimuli) -> str:
    """The content identity of a StimulusSet: its stimulus ids in order and its pixels (sha256)."""
    remembered = _DIGESTS.get(id(stimuli))
    if remembered is not None and remembered[0]() is stimuli:
        return remembered[1]
    digest = array_digest(stimuli.values, "\n".join(map(str, stimuli.stimulus_ids())))
    key = id(stimuli)
    _DIGESTS[key] = (weakref.ref(stimuli, lambda _: _DIGESTS.pop(key, None)), digest)
    return digest
