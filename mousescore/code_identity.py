"""Which code computed a number: this mousescore's version and a digest of its source files.

The result store, the feature cache and the disk memo hand back what an earlier run computed. Keyed by
the version number alone, they would serve a development checkout numbers of code it no longer holds
(a commit, or an edit, between two runs of one version). Their keys hold :func:`code_identity`
instead: the version and a digest of the sources, by content (not date), of every package the
``mousescore`` distribution installs (the core and its built-in plugins, whose metrics and benchmarks
compute the numbers too). An installed release has one identity per wheel; a third-party plugin is
told apart by its own name and version, as before.
"""
from __future__ import annotations

import hashlib
from importlib import metadata, util
from pathlib import Path
from typing import Iterable, List

from . import __version__
from .registry.caches import cached


@cached(maxsize=None)
def code_identity() -> str:
    """``<version>+<12 hex digits of the sources' digest>``, computed once per process (the code a
    process runs is the code it imported)."""
    return f"{__version__}+{sources_digest(_package_folders())[:12]}"


def sources_digest(folders: Iterable[Path]) -> str:
    """sha256 over the ``.py`` files under ``folders``: each file's path within its folder and the
    digest of its bytes, in sorted order (the same wherever the folders lie and whenever written)."""
    digest = hashlib.sha256()
    for folder in folders:
        folder = Path(folder)
        digest.update(f"folder {folder.name}\n".encode())
        for path in sorted(folder.rglob("*.py")):
            relative = path.relative_to(folder).as_posix()
            digest.update(f"{relative} {hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    return digest.hexdigest()


def _package_folders() -> List[Path]:
    """The folders of the distribution's top-level packages (mousescore alone where it is not
    installed as a distribution, e.g. run from a source tree on ``PYTHONPATH``)."""
    names = ["mousescore"]
    try:
        listed = metadata.distribution("mousescore").read_text("top_level.txt") or ""
        names += sorted({name.strip() for name in listed.split()} - {"mousescore"})
    except metadata.PackageNotFoundError:
        pass
    folders = []
    for name in names:
        spec = util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            folders.append(Path(next(iter(spec.submodule_search_locations))))
    return folders
