"""Load untrusted files from the internet safely.

- Pickles without running their code: only numpy arrays and plain containers.
- ZIP archives read in memory, never extracted; an archive whose member names could escape a folder
  (``../``, absolute paths, drive letters) or whose declared size is absurd (a zip bomb) is refused
  before anything is read.
"""
from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

from ..errors import DataError

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

MAX_UNCOMPRESSED_BYTES = 8 << 30


def unsafe_member(name: str) -> bool:
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    return (posix.is_absolute() or windows.is_absolute() or bool(windows.drive) or "\x00" in name
            or ".." in posix.parts or ".." in windows.parts)


def open_zip(path) -> zipfile.ZipFile:
    """A ZipFile whose members have all been checked; use it as a context manager."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise DataError(f"{path}: not a readable zip archive ({error})") from error
    infos = archive.infolist()
    bad = [info.filename for info in infos if unsafe_member(info.filename)]
    total = sum(info.file_size for info in infos)
    if bad or total > MAX_UNCOMPRESSED_BYTES:
        archive.close()
        reason = (f"member names escape the archive's folder: {bad[:3]}" if bad
                  else f"it would unpack to {total / 2**30:.1f} GiB")
        raise DataError(f"{path}: refusing this zip archive, {reason}")
    return archive
