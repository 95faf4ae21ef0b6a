"""Bring your own data: score a model on a lab's recordings without writing a plugin.

Targets: a NeuroidAssembly netCDF (dims presentation × neuroid [× repetition], coords stimulus_id and
neuroid_id) or a BrainIO assembly (one presentation per trial, read by :mod:`mousescore.data.brainio`),
as a file or an in-memory xarray array; a responses array (.npy, stimuli × neuroids [× repeats]) with
an optional neuroid table; or an RDM (.npy/.csv, square or condensed). Stimuli: a folder or zip of
images whose file names (without extension) are the stimulus ids, or a BrainIO stimulus set's CSV
(its ZIP beside it, same name). Everything is validated before any model runs.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from ..data.assemblies import NeuroidAssembly, StimulusSet, load_netcdf
from ..data.brainio import from_brainio, read_assembly, read_stimulus_set
from ..data.images import IMAGE_SUFFIXES, decode, stimulus_set
from ..data.safe_loading import open_zip
from ..errors import DataError, MousescoreError
from ..numerics.rsa import rdm as to_rdm
from ..numerics.rsa import split_half_rdm_reliability
from ..registry.plugins import Registry
from .benchmark import Benchmark, neural_benchmark, rdm_benchmark


def _image_sources(path: Path):
    """(stimulus id, name, bytes) for every image in a folder or zip, without extracting anything."""
    if path.is_dir():
        for file in sorted(path.iterdir()):
            if file.suffix.lower() in IMAGE_SUFFIXES:
                yield file.stem, file.name, file.read_bytes()
    elif path.suffix.lower() == ".zip":
        with open_zip(path) as archive:
            for name in sorted(archive.namelist()):
                if Path(name).suffix.lower() in IMAGE_SUFFIXES and not name.endswith("/"):
                    yield Path(name).stem, name, archive.read(name)
    else:
        raise DataError(f"stimuli must be a folder or a zip of images, not {path}")


def load_images(path, identifier: Optional[str] = None) -> StimulusSet:
    """Images named by stimulus id -> StimulusSet (see :func:`mousescore.data.images.stimulus_set`);
    a BrainIO stimulus set's CSV names them itself."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"stimuli not found: {path}")
    if path.suffix.lower() == ".csv":
        return read_stimulus_set(path, path.with_suffix(".zip"), identifier=identifier or f"custom:{path.stem}")
    ids: List[str] = []
    images = []
    for stimulus_id, name, data in _image_sources(path):
        if stimulus_id in ids:
            raise DataError(f"duplicate stimulus id '{stimulus_id}' in {path} (two files with that name)")
        ids.append(stimulus_id)
        images.append(decode(data, name))
    if not images:
        raise DataError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {path}")
    return stimulus_set(ids, images, identifier or f"custom:{path.name}")


def read_stimulus_ids(path) -> List[str]:
    ids = [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]
    if len(set(ids)) != len(ids):
        raise DataError(f"{path}: duplicate stimulus ids")
    return ids


def responses_assembly(responses_path, stimulus_ids: Sequence[str], neuroid_table=None) -> NeuroidAssembly:
    values = np.load(responses_path, allow_pickle=False)
    if values.ndim not in (2, 3) or values.shape[0] != len(stimulus_ids):
        raise DataError(f"{responses_path}: responses must be (stimuli × neuroids [× repeats]) with "
                        f"{len(stimulus_ids)} stimuli, got shape {values.shape}")
    coords = {}
    neuroid_ids = [f"neuroid_{i}" for i in range(values.shape[1])]
    if neuroid_table is not None:
        table = pd.read_csv(neuroid_table)
        if len(table) != values.shape[1]:
            raise DataError(f"{neuroid_table}: {len(table)} rows for {values.shape[1]} neuroids")
        if "neuroid_id" in table:
            neuroid_ids = table.pop("neuroid_id").astype(str).tolist()
        coords = {column: table[column].to_numpy() for column in table.columns}
    return NeuroidAssembly.create(values, stimulus_ids, neuroid_ids, neuroid_coords=coords,
                                  repetition=values.ndim == 3)


def load_rdm(path, n_stimuli: int) -> np.ndarray:
    path = Path(path)
    if path.suffix == ".npy":
        values = np.load(path, allow_pickle=False)
    else:
        try:
            values = np.loadtxt(path, delimiter=",", ndmin=1)
        except ValueError as error:
            raise DataError(f"{path}: not a numeric CSV ({error})") from error
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1 or values.shape[0] == 1:            # condensed (pdist order)
        values = values.ravel()
        if len(values) != n_stimuli * (n_stimuli - 1) // 2:
            raise DataError(f"{path}: a condensed RDM for {n_stimuli} stimuli has "
                            f"{n_stimuli * (n_stimuli - 1) // 2} values, not {len(values)}")
        from scipy.spatial.distance import squareform
        values = squareform(values, checks=False)
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise DataError(f"{path}: the RDM is not square (shape {values.shape})")
    if values.shape[0] != n_stimuli:
        raise DataError(f"{path}: the RDM has {values.shape[0]} rows for {n_stimuli} stimuli")
    if not np.isfinite(values).all():
        raise DataError(f"{path}: the RDM has NaN or infinite entries")
    if not np.allclose(values, values.T, atol=1e-8):
        raise DataError(f"{path}: the RDM is not symmetric")
    return values


def assembly_target(assembly) -> NeuroidAssembly:
    """A NeuroidAssembly from mousescore's netCDF (stimuli × neuroids [× repetition]) or from BrainIO's
    layout (one presentation per trial), given as a file or as an xarray array."""
    in_memory = isinstance(assembly, xr.DataArray)
    array = assembly if in_memory else load_netcdf(assembly)
    if isinstance(array, NeuroidAssembly) or "repetition" in array.dims:
        return NeuroidAssembly(array).validate()
    if not in_memory:      # BrainIO's reader keeps the file's global attributes (its identifiers)
        return read_assembly(assembly)
    return from_brainio(array, source=f"assembly {array.name}")


def _check_rows(assembly: NeuroidAssembly) -> None:
    values = assembly.transpose("presentation", ...).values
    empty = np.isnan(values.reshape(values.shape[0], -1)).all(axis=1)
    if empty.any():
        raise DataError(f"responses are all NaN for stimuli {assembly.stimulus_ids()[empty][:5].tolist()} "
                        f"({int(empty.sum())} in all): drop them or fill them")


def _digest(*paths) -> str:
    digest = hashlib.sha256()
    for path in paths:
        if path is None:
            continue
        path = Path(path)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(file.name.encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def custom_benchmark(stimuli, assembly=None, responses=None, neuroids=None, rdm=None, stimulus_ids=None,
                     metric: Optional[str] = None, name: Optional[str] = None,
                     registry: Optional[Registry] = None) -> Benchmark:
    """A benchmark over the lab's own files; see the module docstring for the accepted inputs."""
    targets = [t for t in (assembly, responses, rdm) if t is not None]
    if len(targets) != 1:
        raise MousescoreError("give exactly one of an assembly, a responses array or an RDM")
    images = load_images(stimuli)
    order = read_stimulus_ids(stimulus_ids) if stimulus_ids else sorted(images.stimulus_ids())
    in_memory = isinstance(targets[0], xr.DataArray)
    source = Path(str(targets[0].name or "assembly") if in_memory else targets[0])
    metric = metric or ("rsa" if rdm is not None else "srp_ridge")
    identifier = f"custom.{name or source.stem}-{metric}"
    dataset = f"custom:{_digest(None if in_memory else source, neuroids, stimuli, stimulus_ids)}"
    if in_memory:   # the array's bytes and its coords stand in for a file's
        digest = hashlib.sha256(np.ascontiguousarray(targets[0].values).tobytes())
        for name, coord in sorted(targets[0].coords.items()):
            digest.update(name.encode() + np.asarray(coord.values).astype(str).tobytes())
        dataset += "-" + digest.hexdigest()[:12]
    if rdm is not None:
        if metric != "rsa":
            raise MousescoreError(f"an RDM can only be scored with the rsa metric, not {metric}")
        matrix = load_rdm(rdm, len(order))
        images = _subset(images, order)
        return rdm_benchmark(identifier, dataset, images, matrix, order, [source.stem], [np.nan],
                             "none: an RDM alone has no repeats", registry=registry)
    if assembly is not None:
        target = assembly_target(assembly)
    else:
        target = responses_assembly(responses, order, neuroids)
    _check_rows(target)
    images = _subset(images, target.stimulus_ids())
    if metric == "rsa":
        trials = target.transpose("presentation", "neuroid", ...)
        ceiling = split_half_rdm_reliability(trials.values) if "repetition" in target.dims else np.nan
        return rdm_benchmark(identifier, dataset, images, to_rdm(trials.trial_mean().values.astype(np.float64)),
                             target.stimulus_ids(), [source.stem], [ceiling],
                             "split-half RDM reliability over repeats" if np.isfinite(ceiling) else "none: no repeats",
                             registry=registry)
    return neural_benchmark(identifier, dataset, images, target, metric, registry=registry)


def _subset(images: StimulusSet, stimulus_ids: Sequence[str]) -> StimulusSet:
    """The images of these stimuli, in this order; missing images are an error."""
    known = {s: i for i, s in enumerate(images.stimulus_ids())}
    missing = [str(s) for s in stimulus_ids if s not in known]
    if missing:
        raise DataError(f"no image for stimuli {missing[:5]} ({len(missing)} in all); images are "
                        f"matched by file name without extension")
    return StimulusSet(images.isel(presentation=[known[s] for s in stimulus_ids]))
