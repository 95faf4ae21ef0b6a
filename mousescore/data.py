"""Datasets: verified upstream files -> packager -> assemblies cached as netCDF under MOUSESCORE_HOME."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Dict, Mapping

from . import paths
from .assemblies import load_netcdf, save_netcdf
from .files import resolve
from .registry import get_registry
from .specs import DatasetSpec

DATA_PATH_VARIABLE = "MOUSESCORE_DATA_PATH"
_loaded: Dict[str, Mapping[str, object]] = {}


def fetch_files(spec: DatasetSpec) -> Dict[str, Path]:
    """Local, sha256-verified paths of every upstream file of the dataset."""
    cache_dir = paths.home() / "data" / spec.identifier
    mirrors = paths.mirror_dirs(DATA_PATH_VARIABLE)
    return {f.name: resolve(f, cache_dir, mirrors, DATA_PATH_VARIABLE) for f in spec.files}


def package_key(spec: DatasetSpec) -> str:
    """Changes whenever an upstream file or the packager changes, so stale packages are never reused."""
    text = json.dumps([spec.identifier, spec.packager_version, sorted((f.name, f.algorithm, f.digest) for f in spec.files)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_dataset(identifier: str) -> Mapping[str, object]:
    """The dataset's products (stimuli, assemblies) by name, packaging them on first use."""
    if identifier in _loaded:
        return _loaded[identifier]
    spec = get_registry().get("dataset", identifier)
    folder = paths.home() / "packaged" / f"{identifier}-{package_key(spec)}"
    if not (folder / "products.json").exists():
        products = spec.packager(fetch_files(spec))
        _write_products(folder, products)
    names = json.loads((folder / "products.json").read_text())
    products = {name: load_netcdf(folder / f"{name}.nc") for name in names}
    _loaded[identifier] = products
    return products


def _write_products(folder: Path, products: Mapping[str, object]) -> None:
    # Write into a temporary sibling and rename: a crash never leaves a half-written package.
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        for name, product in products.items():
            save_netcdf(product, tmp / f"{name}.nc")
        (tmp / "products.json").write_text(json.dumps(sorted(products)))
        try:
            os.rename(tmp, folder)
        except OSError:  # another process packaged it first; theirs is identical
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def file_provenance(identifier: str) -> Dict[str, str]:
    spec = get_registry().get("dataset", identifier)
    return {f.name: f"{f.algorithm}:{f.digest}" for f in spec.files}
