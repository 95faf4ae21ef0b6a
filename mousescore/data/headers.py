"""Check what a data file declares before anything is allocated for it.

A ``.npy`` header or a netCDF file's dims name a shape, and loading allocates it: an 8 KB file can
declare 149 GiB. Before a file is loaded, its header is read alone and refused, with the reason, when

- its values are not real numbers (strings, objects, complex, bool, dates): a number computed from
  them would be meaningless, or could not be computed at all;
- a ``.npy`` file holds fewer bytes than its header declares (truncated, or forged);
- what it declares would take more memory than the load budget: ``MOUSESCORE_MEMORY_LIMIT_GB`` less
  what this process holds, else the memory available now (``MemAvailable``), as the extraction's
  memory pre-flight counts it. Values are counted as float64, the precision they are scored in.

netCDF files may be compressed, so only the budget bounds them; their headers are read with netCDF4
(metadata only, no variable is read).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

import numpy as np

from .. import config
from ..errors import DataError

FLOAT64_BYTES = 8
#: The budget where the memory available cannot be read (not Linux).
FALLBACK_BUDGET_BYTES = 16 << 30

_REAL_KINDS = "iuf"     # dtype kinds that hold real numbers: signed, unsigned, float
_KIND_NAMES = {"b": "booleans", "c": "complex numbers", "U": "strings", "S": "byte strings", "O": "Python objects",
               "V": "raw or structured records", "M": "dates", "m": "time spans"}


def load_budget_bytes() -> int:
    """Bytes a file's values may take once loaded (see the module docstring)."""
    available = available_bytes()
    return available if available is not None else FALLBACK_BUDGET_BYTES


def available_bytes() -> Optional[int]:
    """Memory this process may still take: ``MOUSESCORE_MEMORY_LIMIT_GB`` less what it holds, else
    the memory available now (None where that cannot be read). The extraction's memory pre-flight
    counts by the same rule."""
    limit = config.settings().memory_limit_gb
    if limit is not None:
        return max(int(limit * 2 ** 30) - resident_bytes(), 0)
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def resident_bytes() -> int:
    """This process's resident memory (0 where it cannot be read)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def require_real(dtype, what: str) -> None:
    """Refuse values that are not real numbers (ints, unsigned ints and floats are)."""
    dtype = np.dtype(dtype)
    if dtype.kind in _REAL_KINDS:
        return
    kind = _KIND_NAMES.get(dtype.kind, f"dtype {dtype}")
    raise DataError(f"{what} holds {kind} (dtype {dtype.str}), not real numbers: save it as a float array "
                    f"(numpy: values.astype(float))")


def require_budget(n_values: int, what: str, budget: Optional[int] = None) -> None:
    """Refuse ``n_values`` float64 values that would not fit in the load budget."""
    budget = load_budget_bytes() if budget is None else budget
    needed = int(n_values) * FLOAT64_BYTES
    if needed > budget:
        raise DataError(f"{what} declares {n_values:,} values ({_gib(needed)} as float64), more than "
                        f"{budget_text(budget)}: refused before loading")


def budget_text(budget: int) -> str:
    """Where a load budget comes from, for a refusal's message."""
    limit = config.settings().memory_limit_gb
    if limit is None:
        return f"the {_gib(budget)} of memory available now (free memory, or set MOUSESCORE_MEMORY_LIMIT_GB)"
    return (f"the {_gib(budget)} left under MOUSESCORE_MEMORY_LIMIT_GB={limit:g} (the process already holds "
            f"{_gib(resident_bytes())}; raise the limit)")


def _gib(n_bytes: int) -> str:
    return f"{n_bytes / 2 ** 30:.3g} GiB"


@dataclass(frozen=True)
class NpyHeader:
    shape: Tuple[int, ...]
    dtype: np.dtype
    data_offset: int      # where the values start

    @property
    def n_values(self) -> int:
        return int(np.prod(self.shape, dtype=object))


def npy_header(path) -> NpyHeader:
    """The shape and dtype a ``.npy`` file declares, read without loading it."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read = {(1, 0): np.lib.format.read_array_header_1_0,
                    (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if read is None:
                raise ValueError(f"unsupported .npy format version {version}")
            shape, _, dtype = read(handle)
            return NpyHeader(tuple(int(s) for s in shape), np.dtype(dtype), handle.tell())
    except FileNotFoundError as error:
        raise DataError(f"{path}: file not found") from error
    except IsADirectoryError as error:
        raise DataError(f"{path}: a folder, not a .npy file") from error
    except (ValueError, OSError, SyntaxError, TypeError) as error:   # the header is a Python literal
        raise DataError(f"{path}: not a readable .npy file ({error})") from error


def check_npy(path, what: Optional[str] = None) -> NpyHeader:
    """The header of a ``.npy`` file whose values are real numbers, all present, within the budget."""
    what = what or str(path)
    header = npy_header(path)
    require_real(header.dtype, what)
    declared = header.n_values * header.dtype.itemsize
    held = os.path.getsize(path) - header.data_offset
    if held < declared:
        raise DataError(f"{what} declares shape {header.shape} ({declared:,} bytes of {header.dtype.str}) but "
                        f"holds only {max(held, 0):,}: the file is truncated or corrupt")
    require_budget(header.n_values, what)
    return header


def load_npy(path, what: Optional[str] = None) -> np.ndarray:
    """A ``.npy`` file's array, after :func:`check_npy`; never unpickles."""
    check_npy(path, what)
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise DataError(f"{what or path}: cannot read the array ({error})") from error


def netcdf_values(path, what: Optional[str] = None) -> int:
    """How many values the variables of a netCDF file declare (every group), read from its header."""
    import netCDF4

    try:
        with netCDF4.Dataset(path, "r") as dataset:
            return _group_values(dataset)
    except FileNotFoundError as error:
        raise DataError(f"{path}: file not found") from error
    except (OSError, RuntimeError, ValueError, KeyError) as error:
        raise DataError(f"cannot read {what or f'netCDF file {path}'}: {error}") from error


def _group_values(group) -> int:
    total = sum(int(np.prod(variable.shape, dtype=object)) for variable in group.variables.values())
    return total + sum(_group_values(child) for child in group.groups.values())


def check_netcdf(path, what: Optional[str] = None) -> None:
    """Refuse a netCDF file whose declared variables would not fit in the load budget."""
    require_budget(netcdf_values(path, what), what or str(path))
