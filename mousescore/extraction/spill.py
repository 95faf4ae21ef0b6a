"""Raw rows of layers whose whole-set reductions (Gram, correlation) span several batches: appended
to one file per layer on disk instead of kept in memory, and read back in column chunks.

Spill folders never outlive their process:

- each is named ``spill-<scope>-<pid>-<start>-<random>`` under ``$MOUSESCORE_HOME/tmp``: the
  owner's host and pid namespace (``scope``), its pid and its start time (``/proc/<pid>/stat``, in
  clock ticks since boot; ``x`` where there is no ``/proc``), so that a reused pid is not taken for
  the owner;
- :meth:`Spill.close` removes it (extraction closes its spill in a ``finally``: an exception or a
  KeyboardInterrupt from SIGINT unwinds through it); while a spill is open, SIGTERM, SIGHUP and
  SIGINT, where they have their default action (SIGINT only where Python's KeyboardInterrupt was
  replaced by it), remove this process's folders first and then end the process as the signal would
  have (status -15, -1, -2); an ignored signal or an application's own handler is left alone; an
  exit through ``sys.exit`` removes them at exit;
- SIGKILL (or a power cut) leaves the folder: the next spill or extraction removes every folder of
  this scope whose process is gone (no such pid, or a pid started at another time). A live
  process's folder is never removed. A folder whose owner cannot be checked from here (another
  host's or pid namespace's on a shared home, or one whose name holds no owner) is
  removed once nothing in it has changed for :data:`UNCHECKABLE_AFTER_S` (a day).
"""
from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np

from .. import config
from ..errors import MousescoreError

PREFIX = "spill-"
UNCHECKABLE_AFTER_S = 24 * 3600
# what a folder's name says of its owner; the random tail (tempfile's) has no '-', so the scope,
# which may, is whatever precedes the last three fields
_OWNED_NAME = re.compile(r"^spill-(?P<scope>.+)-(?P<pid>\d+)-(?P<start>\d+|x)-(?P<tail>[a-z0-9_]+)$")
# SIGINT too where it has the default action (killing), not Python's KeyboardInterrupt, which unwinds
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name))

_open_folders: Dict[Path, int] = {}   # this process's open spill folders -> the pid that made them
_lock = threading.Lock()
_atexit_registered = False


def start_token(pid: int) -> Optional[str]:
    """When the process started (clock ticks since boot, field 22 of ``/proc/<pid>/stat``), or None
    where that cannot be read (no /proc, no such process, another user's hidden process)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()   # the command name may hold ') '
        return fields[19].decode()
    except (OSError, IndexError, UnicodeDecodeError):
        return None


def scope() -> str:
    """Where this process's pids mean something: its host and pid namespace. Folders of another scope
    (a shared home seen by several machines or containers) cannot be checked by pid from here."""
    host = re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname())[:48] or "host"
    try:
        namespace = re.sub(r"\D", "", os.readlink("/proc/self/ns/pid"))
    except OSError:
        namespace = ""
    return f"{host}.{namespace}" if namespace else host


def _process_is_gone(pid: int, started: str) -> Optional[bool]:
    """Whether the process that made a folder is gone: no process has its pid, or the one that has
    it started at another time (the pid was reused). None where that cannot be told from here."""
    if os.name == "nt":
        return None   # os.kill(pid, 0) would terminate the process there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass          # another user's live process
    except (OSError, OverflowError):   # no pid this system can have
        return None
    if started == "x":
        return False
    now = start_token(pid)
    return False if now is None else now != started   # unreadable start (hidden /proc): alive


def _unchanged_for(folder: Path) -> float:
    """Seconds since anything in the folder (its entries or their contents) last changed."""
    try:
        times = [folder.stat().st_mtime] + [entry.stat().st_mtime for entry in folder.iterdir()]
    except OSError:
        return 0.0
    return time.time() - max(times)


def is_orphan(folder: Path, here: Optional[str] = None) -> bool:
    """Whether a spill folder's process is gone (see the module docstring for the rule)."""
    owner = _OWNED_NAME.match(folder.name)
    gone = None
    if owner is not None and owner["scope"] == (here or scope()):
        gone = _process_is_gone(int(owner["pid"]), owner["start"])
    return _unchanged_for(folder) > UNCHECKABLE_AFTER_S if gone is None else gone


def remove_orphaned_spills() -> int:
    """Remove the spill folders under ``$MOUSESCORE_HOME/tmp`` whose process is gone (SIGKILL, a
    crash); returns how many. Two processes may clean at once: a folder gone already is no error."""
    directory = config.home() / "tmp"
    try:
        folders = [entry for entry in directory.iterdir() if entry.name.startswith(PREFIX) and entry.is_dir()]
    except OSError:
        return 0
    here = scope()
    removed = 0
    for folder in folders:
        if folder not in _open_folders and is_orphan(folder, here):
            shutil.rmtree(folder, ignore_errors=True)
            removed += not folder.exists()
    return removed


def _remove_open_folders() -> None:
    """Remove the folders this process opened (never a parent's, inherited by a forked child)."""
    me = os.getpid()
    for folder, owner in list(_open_folders.items()):
        if owner == me:
            shutil.rmtree(folder, ignore_errors=True)
            _open_folders.pop(folder, None)


def _on_termination(signum, frame) -> None:
    """A terminating signal while spilling: remove the spill, then end as the default action would have."""
    _remove_open_folders()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)   # only reached if the signal is blocked in this thread


def _take_over_signals() -> None:
    """Handle the terminating signals that have their default action (one another handler owns, or an
    ignored one, is left alone). Only the main thread may set handlers; elsewhere a kill leaves the
    folder to the next start's cleanup."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in _SIGNALS:
        if signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, _on_termination)


def _give_back_signals() -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in _SIGNALS:
        if signal.getsignal(signum) is _on_termination:
            signal.signal(signum, signal.SIG_DFL)


def _register(folder: Path) -> None:
    global _atexit_registered
    with _lock:
        if not _atexit_registered:
            atexit.register(_remove_open_folders)
            _atexit_registered = True
        _take_over_signals()   # again each time: an earlier spill may have been opened off the main thread
        _open_folders[folder] = os.getpid()


def _unregister(folder: Path) -> None:
    with _lock:
        _open_folders.pop(folder, None)
        if not _open_folders:
            _give_back_signals()


class Spill:
    """The spilled rows of one extraction, under ``$MOUSESCORE_HOME/tmp``; removed by :meth:`close`.
    Creating one first removes the folders dead processes left."""

    def __init__(self):
        directory = config.home() / "tmp"
        directory.mkdir(parents=True, exist_ok=True)
        remove_orphaned_spills()
        pid = os.getpid()
        owner = f"{PREFIX}{scope()}-{pid}-{start_token(pid) or 'x'}-"
        self.directory = Path(tempfile.mkdtemp(prefix=owner, dir=directory))
        _register(self.directory)
        self.shapes: Dict[str, Tuple[int, int, Path]] = {}

    def append(self, layer: str, rows: np.ndarray) -> None:
        n, p, path = self.shapes.get(layer, (0, rows.shape[-1], self.directory / f"{len(self.shapes)}.f32"))
        if rows.shape[1:] != (p,):   # a row of another width would misalign every later one
            raise MousescoreError(f"layer {layer}: rows of {rows.shape[1:]} features appended to spilled "
                                  f"rows of {p}")
        with open(path, "ab") as file:
            file.write(np.ascontiguousarray(rows, dtype=np.float32).data)   # a memoryview: no bytes copy
        self.shapes[layer] = (n + rows.shape[0], p, path)

    def __contains__(self, layer: str) -> bool:
        return layer in self.shapes

    def read(self, layer: str) -> "SpilledRows":
        """The layer's rows, after checking that its file holds exactly what was written to it."""
        n, p, path = self.shapes[layer]
        try:
            size = path.stat().st_size
        except OSError as error:
            raise MousescoreError(f"the spilled rows of layer {layer} are gone ({path}: {error.strerror}); "
                                  f"was {path.parent.parent} cleaned by hand? Score again") from error
        if size != n * p * SpilledRows.dtype.itemsize:
            raise MousescoreError(f"the spilled rows of layer {layer} ({path}) hold {size} bytes, not the "
                                  f"{n * p * 4} written ({n} rows of {p}): score again")
        return SpilledRows(path, n, p)

    def discard(self, layer: str) -> None:
        if layer in self.shapes:
            self.shapes.pop(layer)[2].unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
        _unregister(self.directory)


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
                if file.readinto(block[row]) != block[row].nbytes:   # never hand back unread memory
                    raise MousescoreError(f"{self.path} ended before row {row} of {n}: score again")
        return block

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        values = np.fromfile(self.path, dtype=np.float32)
        if values.size != self.shape[0] * self.shape[1]:
            raise MousescoreError(f"{self.path} holds {values.size} values, not {self.shape}: score again")
        values = values.reshape(self.shape)
        return values if dtype is None else values.astype(dtype, copy=False)
