"""Output paths checked before anything is computed: a file where a file is written, a folder where
files are written into."""
from __future__ import annotations

from pathlib import Path

from ..errors import MousescoreError


def check_output_file(flag: str, path: str) -> None:
    """A file to write: not a folder, in a folder that exists."""
    if Path(path).is_dir():
        raise MousescoreError(f"{flag} {path} is a folder: give the file to write")
    if not Path(path).absolute().parent.is_dir():
        raise MousescoreError(f"{flag} {path}: folder {Path(path).absolute().parent} does not exist")


def check_output_folder(flag: str, path: str) -> None:
    """A folder to write into (created when missing): not an existing file."""
    existing = next((p for p in (Path(path).absolute(), *Path(path).absolute().parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise MousescoreError(f"{flag} {path}: {existing} is a file, not a folder")
