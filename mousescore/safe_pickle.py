"""Load pickles from the internet without running their code: only numpy arrays and plain containers."""
from __future__ import annotations

import io
import pickle
from pathlib import Path

from .errors import DataError

# (module, name) pairs a numpy-array pickle needs; nothing that can execute code.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("collections", "OrderedDict"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load '{module}.{name}': only numpy arrays and dicts "
                                     f"are allowed in this file")


def load_pickle(path: Path):
    try:
        with open(path, "rb") as handle:
            return _RestrictedUnpickler(io.BufferedReader(handle)).load()
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError) as error:
        raise DataError(f"{path}: unsafe or corrupt pickle ({error})") from error
