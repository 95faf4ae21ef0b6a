"""Trained weights, offline-first: project cache, MOUSESCORE_WEIGHTS_PATH mirrors, the library's own
cache (torch hub), then the real URL; every file checked by sha256 and loaded with weights_only=True."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from .. import config
from ..config import WEIGHTS_PATH_VARIABLE
from ..data.files import resolve, sha256_of
from ..errors import DataError
from ..registry.specs import RemoteFile


def resolve_weights(url: str, sha256: str, library_dirs: Iterable[Path] = ()) -> Path:
    filename = url.rsplit("/", 1)[-1]
    remote = RemoteFile(name=filename, url=url, digest=sha256, mirror_path=filename)
    return resolve(remote, config.home() / "weights", config.settings().weights_path,
                   WEIGHTS_PATH_VARIABLE, library_dirs)


def load_state_dict(path: Path):
    """Load a checkpoint as tensors only: a malicious pickle cannot run code here."""
    import pickle

    import torch
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as error:
        raise DataError(f"{path}: refusing to load this checkpoint: it is corrupt or holds more than "
                        f"tensors ({str(error).splitlines()[0]})") from error


def weights_provenance(path: Path) -> dict:
    return {"weights_file": path.name, "weights_sha256": sha256_of(path)}
