"""Large downloads that survive interruptions: HTTP range requests resume a partial file, and the
result is checked against the size and MD5 the server publishes (S3 gives both: ``Content-Length``
and, for objects uploaded in one part, an ``ETag`` that is the MD5 of the bytes).

``file://`` URLs resume too (a local or mounted mirror). A partial download lives beside its target
as ``<name>.part`` until it is complete and checked, then is renamed into place: a target that exists
is whole, unless it was put there by hand, which :func:`download_resumable` checks by size as well.
"""
from __future__ import annotations

import hashlib
import http.client
import logging
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from ..errors import ChecksumMismatch, DataError

logger = logging.getLogger("mousescore")

CHUNK = 1 << 20
ATTEMPTS = 4           # connections per call: a dropped one resumes from the bytes already on disk
_MD5 = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class RemoteInfo:
    size: Optional[int]          # bytes, when the server says (Content-Length)
    md5: Optional[str]           # hex, when the ETag is a plain MD5 (S3 single-part uploads)


def _local_path(url: str) -> Optional[Path]:
    parsed = urllib.parse.urlparse(url)
    return Path(urllib.request.url2pathname(parsed.path)) if parsed.scheme == "file" else None


def remote_info(url: str, timeout: float = 60) -> RemoteInfo:
    """Size and MD5 of a remote file from a HEAD request (``file://``: its size), without its bytes."""
    local = _local_path(url)
    try:
        if local is not None:
            return RemoteInfo(local.stat().st_size, None)
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            etag = (response.headers.get("ETag") or "").strip().strip('"').lower()
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise DataError(f"could not reach {url}: {error}") from error
    return RemoteInfo(int(length) if length and length.isdigit() else None, etag if _MD5.match(etag) else None)


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _open_from(url: str, offset: int, timeout: float):
    """(stream, whether it starts at ``offset``): a 200 to a range request restarts from byte 0."""
    local = _local_path(url)
    if local is not None:
        handle = open(local, "rb")
        handle.seek(offset)
        return handle, True
    request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
    response = urllib.request.urlopen(request, timeout=timeout)
    return response, offset == 0 or response.status == 206


def _fetch_into(url: str, part: Path, size: Optional[int], timeout: float,
                on_bytes: Optional[Callable[[int], None]]) -> int:
    """Append the missing bytes to ``part``, reconnecting after a dropped connection; bytes read."""
    transferred = 0
    last_error: Optional[Exception] = None
    for _ in range(ATTEMPTS):
        offset = part.stat().st_size if part.exists() else 0
        if size is not None and offset >= size:
            return transferred
        try:
            stream, resumed = _open_from(url, offset, timeout)
        except urllib.error.HTTPError as error:
            if error.code == 416 and size is None:     # nothing past what we hold: complete
                return transferred
            raise DataError(f"could not download {url}: {error}") from error
        except (urllib.error.URLError, OSError, ValueError) as error:
            last_error = error
            continue
        try:
            # Unbuffered, and whatever has arrived (read1): a killed run keeps every byte it received.
            read = getattr(stream, "read1", stream.read)
            with stream, open(part, "ab" if resumed else "wb", buffering=0) as out:
                for block in iter(lambda: read(CHUNK), b""):
                    out.write(block)
                    transferred += len(block)
                    if on_bytes:
                        on_bytes(len(block))
            if size is None:
                return transferred
        except (http.client.IncompleteRead, OSError) as error:   # dropped mid-file: resume
            last_error = error
    held = part.stat().st_size if part.exists() else 0
    raise DataError(f"could not download {url}: {held} of {size if size is not None else '?'} bytes after "
                    f"{ATTEMPTS} connections ({last_error}); run again to resume")


def download_resumable(url: str, target: Path, size: Optional[int] = None, md5: Optional[str] = None,
                       timeout: float = 60, on_bytes: Optional[Callable[[int], None]] = None) -> int:
    """Make ``target`` a complete, checked copy of ``url``; returns the bytes transferred (0: had it).

    A partial ``<target>.part`` from an earlier run is resumed with a range request. ``size`` and
    ``md5`` (from :func:`remote_info`) are checked when given: an existing target of the wrong size is
    fetched again, and a finished download that fails either check is discarded and fetched once more
    from scratch, then refused (:class:`ChecksumMismatch`).
    """
    target = Path(target)
    part = target.with_name(target.name + ".part")
    if target.exists():
        if size is None or target.stat().st_size == size:
            return 0
        logger.warning("%s has %d bytes, expected %d: fetching it again", target, target.stat().st_size, size)
        target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    transferred = 0
    for attempt in range(2):
        if part.exists() and size is not None and part.stat().st_size > size:
            part.unlink()
        transferred += _fetch_into(url, part, size, timeout, on_bytes)
        held = part.stat().st_size
        problem = (f"{held} bytes, expected {size}" if size is not None and held != size else
                   f"md5 {md5_of(part)}, expected {md5}" if md5 and md5_of(part) != md5 else None)
        if problem is None:
            os.replace(part, target)
            return transferred
        part.unlink()
        if attempt == 0:
            logger.warning("%s: the download has %s; fetching it again from the start", url, problem)
    raise ChecksumMismatch(f"{url}: the download has {problem} twice; the copy was discarded")
