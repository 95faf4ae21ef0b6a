"""Raw rows of layers whose whole-set reductions (Gram, correlation) span several batches: appended
to one file per layer on disk instead of kept in memory, and read back in column chunks."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Dict, Tuple

import numpy as np

from .. import config


class Spill:
    """The spilled rows of one extraction, under ``$MOUSESCORE_HOME/tmp``; removed by :meth:`close`."""

    def __init__(self):
        directory = config.home() / "tmp"
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = Path(tempfile.mkdtemp(prefix="spill-", dir=directory))
        self.shapes: Dict[str, Tuple[int, int]] = {}

    def append(self, layer: str, rows: np.ndarray) -> None:
        n, p, path = self.shapes.get(layer, (0, rows.shape[1], self.directory / f"{len(self.shapes)}.f32"))
        with open(path, "ab") as file:
            file.write(memoryview(np.ascontiguousarray(rows, dtype=np.float32)))   # no bytes copy
        self.shapes[layer] = (n + rows.shape[0], p, path)

    def __contains__(self, layer: str) -> bool:
        return layer in self.shapes

    def read(self, layer: str) -> "SpilledRows":
        n, p, path = self.shapes[layer]
        return SpilledRows(path, n, p)

    def discard(self, layer: str) -> None:
        if layer in self.shapes:
            self.shapes.pop(layer)[2].unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class SpilledRows:
    """A spilled layer's rows (n × p, float32), read from its file a column chunk at a time
    (``rows[:, a:b]``): only the chunk in use is in memory. A memory map would keep every page it
    touched resident, up to the whole layer (380 MB for ResNet-18's widest)."""
    dtype = np.dtype(np.float32)
    ndim = 2

    def __init__(self, path: Path, n: int, p: int):
        self.path, self.shape = path, (n, p)

    def __getitem__(self, index) -> np.ndarray:
        rows, columns = index
        if rows != slice(None) or not isinstance(columns, slice) or columns.step not in (None, 1):
            raise IndexError("spilled rows are read as [:, start:stop]")
        n, p = self.shape
        start, stop, _ = columns.indices(p)
        block = np.empty((n, max(stop - start, 0)), dtype=np.float32)
        with open(self.path, "rb") as file:
            for row in range(n):
                file.seek((row * p + start) * 4)
                file.readinto(block[row])
        return block

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        values = np.fromfile(self.path, dtype=np.float32).reshape(self.shape)
        return values if dtype is None else values.astype(dtype, copy=False)
