"""Resolve upstream files: the cache first, then local mirrors, then the URL; always by checksum.
:func:`locate` looks in the same places without reading or downloading anything (cheap listings).

A file whose bytes do not hash to the registered digest (sha256; sha1 where upstream publishes only
that) is never used: a corrupt cache entry is
removed and fetched again, a corrupt mirror copy or download is an error naming the file.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterable, List, Optional

from ..errors import ChecksumMismatch, DataError
from ..registry.specs import RemoteFile

logger = logging.getLogger("mousescore")


def sha256_of(path: Path, chunk: int = 1 << 20, algorithm: str = "sha256") -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, digest: str, algorithm: str = "sha256") -> None:
    """Raise unless the file hashes to ``digest`` (or starts with it: torchvision publishes prefixes)."""
    if len(digest) < 8:
        raise ValueError(f"a {algorithm} (or a prefix of at least 8 hex digits) is required, got '{digest}'")
    actual = sha256_of(path, algorithm=algorithm)
    if not actual.startswith(digest.lower()):
        raise ChecksumMismatch(f"{path}: {algorithm} is {actual}, expected {digest}; the file is corrupt "
                               f"or not the registered version and was not used")


def download(url: str, target: Path, digest: str, algorithm: str = "sha256") -> Path:
    """Download to a temporary file beside ``target``, verify, then rename into place atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            shutil.copyfileobj(response, out)
        verify(Path(tmp), digest, algorithm)
        os.replace(tmp, target)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise DataError(f"could not download {url}: {error}") from error
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _local_candidates(remote: RemoteFile, mirrors: Iterable[Path], library_dirs: Iterable[Path]) -> List[Path]:
    """Where a mirror may hold the file (at ``mirror_path``, or flat), then the library caches."""
    name = Path(remote.mirror_path).name
    candidates = [c for m in mirrors for c in (Path(m) / remote.mirror_path, Path(m) / name)]
    return candidates + [Path(d) / name for d in library_dirs]


def locate(remote: RemoteFile, cache_dir: Path, mirrors: Iterable[Path] = (),
           library_dirs: Iterable[Path] = ()) -> Optional[Path]:
    """The local file :func:`resolve` would use, without reading it: the cache, the mirrors, the library
    caches, in that order; None when none holds it. Nothing is verified or downloaded (a file found may
    still fail :func:`resolve`'s checksum): an existence check, cheap enough for every file of a listing."""
    for candidate in [Path(cache_dir) / remote.name, *_local_candidates(remote, mirrors, library_dirs)]:
        if candidate.is_file():
            return candidate
    return None


def resolve(remote: RemoteFile, cache_dir: Path, mirrors: Iterable[Path], mirror_variable: str,
            library_dirs: Iterable[Path] = ()) -> Path:
    """A local path whose bytes hash to ``remote.digest``: cache, mirrors, library caches, then URL."""
    cache_dir, mirrors, library_dirs = Path(cache_dir), list(mirrors), list(library_dirs)
    cached = cache_dir / remote.name
    found = locate(remote, cache_dir, mirrors, library_dirs)
    if found == cached:
        try:
            verify(cached, remote.digest, remote.algorithm)
            return cached
        except ChecksumMismatch as error:
            logger.warning("%s; removed it from the cache and fetching it again", error)
            cached.unlink()
        found = locate(remote, cache_dir, mirrors, library_dirs)   # the mirrors, now the cache is empty
    if found is not None:
        verify(found, remote.digest, remote.algorithm)  # a wrong mirror copy is an error
        return found
    try:
        return download(remote.url, cached, remote.digest, remote.algorithm)
    except ChecksumMismatch:
        raise
    except DataError as error:
        candidates = _local_candidates(remote, mirrors, library_dirs)
        searched = ", ".join(dict.fromkeys(str(c.parent) for c in candidates)) or f"none (set {mirror_variable})"
        raise DataError(
            f"{remote.name} is not available offline and could not be downloaded ({error}). "
            f"Fetch it on a machine with network from {remote.url} "
            f"({remote.algorithm} {'' if len(remote.digest) >= 40 else 'starting '}{remote.digest}) and put it "
            f"at <mirror>/{remote.mirror_path} in a directory listed in {mirror_variable}; "
            f"mirrors searched: {searched}") from None
