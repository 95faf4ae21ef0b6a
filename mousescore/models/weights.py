"""Trained weights, offline-first: project cache, MOUSESCORE_WEIGHTS_PATH mirrors, the library's own
cache (torch hub), then the real URL; every file checked by sha256 and loaded with weights_only=True.
:func:`locate_weights` answers where (whether) a file lies in those places now, reading nothing."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterable, Optional

from .. import config
from ..config import WEIGHTS_PATH_VARIABLE
from ..data.files import locate, resolve, sha256_of
from ..errors import DataError
from ..registry.specs import RemoteFile


def torch_hub_checkpoints() -> Path:
    """torch hub's ``checkpoints`` folder, where torchvision and visualpriors download to:
    ``torch.hub.get_dir()``, or, while torch is not imported (listing models), the same rule
    without importing it."""
    if "torch" in sys.modules:
        import torch.hub
        return Path(torch.hub.get_dir()) / "checkpoints"
    return config.torch_home() / "hub" / "checkpoints"


def _remote(url: str, sha256: str, mirror_path: Optional[str]) -> RemoteFile:
    mirror_path = mirror_path or url.rsplit("/", 1)[-1]
    return RemoteFile(name=mirror_path, url=url, digest=sha256, mirror_path=mirror_path)


def resolve_weights(url: str, sha256: str, library_dirs: Iterable[Path] = (),
                    mirror_path: Optional[str] = None) -> Path:
    """The verified local weights file of ``url``, downloaded into the cache if no local copy is found.
    A mirror holds it at ``<dir>/<mirror_path>`` (default: the URL's file name) or flat at its file name;
    ``library_dirs`` are a library's own download folders (torch hub's ``checkpoints``)."""
    return resolve(_remote(url, sha256, mirror_path), config.home() / "weights", config.settings().weights_path,
                   WEIGHTS_PATH_VARIABLE, library_dirs)


def locate_weights(url: str, library_dirs: Iterable[Path] = (), mirror_path: Optional[str] = None) -> Optional[Path]:
    """Where :func:`resolve_weights` (same arguments) would find the file offline now, or None: an
    existence check only, for :attr:`mousescore.ModelSpec.weights`; no download, no hashing (the sha256
    is checked when the model is built)."""
    return locate(_remote(url, "", mirror_path), config.home() / "weights", config.settings().weights_path,
                  library_dirs)


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
