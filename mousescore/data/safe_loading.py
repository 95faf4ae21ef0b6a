"""Load untrusted files from the internet safely.

- Pickles without running their code: only numpy arrays and plain containers.
- ZIP archives read in memory, never extracted; an archive whose member names could escape a folder
  (``../``, absolute paths, drive letters) or whose declared size is absurd (a zip bomb) is refused
  before anything is read. A member is read by :func:`read_member`, which trusts none of its declared
  sizes: its compressed bytes must lie before the next member, it must inflate to exactly the size it
  declares (never more: inflating stops one byte past it), and its CRC must match.
"""
from __future__ import annotations

import io
import os
import pickle
import stat
import struct
import zipfile
import zlib
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
    """A ZipFile whose members have all been checked; use it as a context manager. Only a regular file
    is opened (a FIFO would block, a device never end)."""
    if isinstance(path, (str, os.PathLike)) and not os.path.isfile(path):
        raise DataError(f"{path}: not a regular file, so not a zip archive")
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


_LOCAL_HEADER = struct.Struct("<4s22xHH")      # signature, ..., file name length, extra field length
_ENCRYPTED = 0x1


def _member_end(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Where the member's bytes must end: the next member's header, or the central directory."""
    ends = getattr(archive, "_mousescore_member_ends", None)
    if ends is None:       # once per archive, not once per member (thousands of images)
        starts = sorted({other.header_offset for other in archive.infolist()} | {archive.start_dir})
        ends = dict(zip(starts, starts[1:]))
        setattr(archive, "_mousescore_member_ends", ends)
    return ends.get(info.header_offset, archive.start_dir)


def _raw_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> bytes:
    """The member's compressed bytes, after checking its local header against the central directory."""
    handle = archive.fp
    if handle is None:
        raise DataError(f"{where}: the archive was closed before its members were read")
    handle.seek(info.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise DataError(f"{where}: no local header where the directory puts it (a damaged or forged archive)")
    name_length, extra_length = _LOCAL_HEADER.unpack(header)[1:]
    name = handle.read(name_length)
    if name.decode("utf-8" if info.flag_bits & 0x800 else "cp437", "replace") != info.orig_filename:
        raise DataError(f"{where}: the local header names another file than the directory (a forged archive)")
    start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    if start + info.compress_size > _member_end(archive, info):
        raise DataError(f"{where}: declares {info.compress_size} compressed bytes but the archive holds only "
                        f"{max(_member_end(archive, info) - start, 0)} for it (a truncated or forged archive)")
    handle.seek(start)
    return handle.read(info.compress_size)


def _inflated_by_zipfile(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> bytes:
    """bzip2 and LZMA members, through zipfile (which stops at the declared size and checks the CRC)."""
    try:
        with archive.open(info) as member:
            return member.read(info.file_size + 1)
    except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, ValueError) as error:
        raise DataError(f"{where}: cannot be read ({error})") from error


def _inflated(archive: zipfile.ZipFile, raw: bytes, info: zipfile.ZipInfo, where: str) -> bytes:
    """The member's bytes, inflating at most one byte past its declared size."""
    if info.compress_type == zipfile.ZIP_STORED:
        return raw
    if info.compress_type != zipfile.ZIP_DEFLATED:
        return _inflated_by_zipfile(archive, info, where)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        data = inflater.decompress(raw, info.file_size + 1)
    except zlib.error as error:
        raise DataError(f"{where}: corrupt compressed data ({error})") from error
    if len(data) <= info.file_size and not inflater.eof:
        raise DataError(f"{where}: its compressed data ends early (declares {info.file_size} bytes, holds "
                        f"{len(data)} before the cut)")
    return data


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path="archive") -> bytes:
    """A member's bytes, refused unless it holds exactly what it declares (see the module docstring)."""
    where = f"{path}: member {info.filename}"
    if info.flag_bits & _ENCRYPTED:
        raise DataError(f"{where}: encrypted; give the images unencrypted")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise DataError(f"{where}: a symbolic link, not a file; put the image itself in the archive")
    data = _inflated(archive, _raw_member(archive, info, where), info, where)
    if len(data) > info.file_size:
        raise DataError(f"{where}: holds more than the {info.file_size} bytes it declares (a damaged or "
                        f"forged archive)")
    if len(data) < info.file_size:
        raise DataError(f"{where}: holds only {len(data)} of the {info.file_size} bytes it declares (a damaged "
                        f"or forged archive)")
    if zlib.crc32(data) != info.CRC:
        raise DataError(f"{where}: CRC mismatch, the archive is damaged; download it again")
    return data
