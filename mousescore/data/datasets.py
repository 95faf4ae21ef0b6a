"""Datasets: verified upstream files -> packager -> assemblies cached as netCDF under MOUSESCORE_HOME."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional

import numpy as np

from .. import config
from ..config import DATA_PATH_VARIABLE
from ..errors import DataError
from ..faults import checkpoint
from ..registry.caches import register_cache
from ..registry.plugins import Registry, get_registry
from ..registry.specs import DatasetSpec
from .assemblies import load_netcdf, save_netcdf
from .files import resolve, sha256_of, verify

_loaded: Dict[str, Mapping[str, object]] = {}
register_cache(_loaded.clear)
logger = logging.getLogger("mousescore")


def fetch_files(spec: DatasetSpec) -> Dict[str, Path]:
    """Local, sha256-verified paths of every upstream file of the dataset."""
    cache_dir = config.home() / "data" / spec.identifier
    mirrors = config.settings().data_path
    return {f.name: resolve(f, cache_dir, mirrors, DATA_PATH_VARIABLE) for f in spec.files}


def package_key(spec: DatasetSpec) -> str:
    """Changes whenever an upstream file or the packager changes, so stale packages are never reused."""
    files = sorted((f.name, f.algorithm, f.digest) for f in spec.files)
    text = json.dumps([spec.identifier, spec.packager_version, files])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_dataset(identifier: str, registry: Optional[Registry] = None) -> Mapping[str, object]:
    """The dataset's products (stimuli, assemblies) by name, packaging them on first use.

    Packaged files are checked against the sha256 recorded when they were written; a corrupt package
    is reported, removed and rebuilt from the (verified) upstream files.
    """
    spec = (registry or get_registry()).get("dataset", identifier)
    folder = config.home() / "packaged" / f"{identifier}-{package_key(spec)}"
    if str(folder) in _loaded:   # keyed by folder: another MOUSESCORE_HOME packages its own copy
        return _loaded[str(folder)]
    try:
        products = _read_products(folder)
    except DataError as error:
        logger.warning("%s; removing it and packaging %s again", error, identifier)
        shutil.rmtree(folder, ignore_errors=True)
        products = None
    if products is None:
        _write_products(folder, spec.packager(fetch_files(spec)))
        products = _read_products(folder)
    _loaded[str(folder)] = products
    return products



def stimulus_sampler(identifier: str) -> Callable[[int], np.ndarray]:
    """A dataset plugin's ``sample_images`` for its data card: ``count`` stimuli of the dataset evenly
    spaced over the set, (n, height, width[, channels]) in [0, 1], read from its packaged products."""
    def sample_images(count: int = 6) -> np.ndarray:
        stimuli: Any = load_dataset(identifier)["stimuli"]
        images = np.asarray(stimuli.values)
        return images[np.linspace(0, len(images) - 1, count).round().astype(int)]
    return sample_images

def _read_products(folder: Path):
    manifest = folder / "products.json"
    if not manifest.exists():
        return None
    try:
        checksums = json.loads(manifest.read_text())
    except ValueError as error:
        raise DataError(f"corrupt package manifest {manifest}") from error
    if not isinstance(checksums, dict):   # written by an older mousescore, without checksums
        raise DataError(f"package manifest {manifest} has no checksums")
    for name, digest in checksums.items():
        if not (folder / f"{name}.nc").exists():
            raise DataError(f"packaged file {folder / name}.nc is missing")
        verify(folder / f"{name}.nc", digest)
    return {name: load_netcdf(folder / f"{name}.nc") for name in checksums}


def _write_products(folder: Path, products: Mapping[str, Any]) -> None:
    # Write into a temporary sibling and rename: a crash never leaves a half-written package.
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        checksums = {}
        for name, product in products.items():
            save_netcdf(product, tmp / f"{name}.nc")
            checksums[name] = sha256_of(tmp / f"{name}.nc")
            checkpoint("package-write")
        (tmp / "products.json").write_text(json.dumps(checksums, sort_keys=True))
        try:
            os.rename(tmp, folder)
        except OSError:  # another process packaged it first; theirs is identical
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def file_provenance(identifier: str, registry: Optional[Registry] = None) -> Dict[str, str]:
    spec = (registry or get_registry()).get("dataset", identifier)
    return {f.name: f"{f.algorithm}:{f.digest}" for f in spec.files}
