"""Bring your own data: score a model on a lab's recordings without writing a plugin.

Targets: a NeuroidAssembly netCDF (dims presentation × neuroid [× repetition], coords stimulus_id and
neuroid_id) or a BrainIO assembly (one presentation per trial, read by :mod:`mousescore.data.brainio`),
as a file or an in-memory xarray array; a responses array (.npy, stimuli × neuroids [× repeats]) with
an optional neuroid table; or an RDM (.npy/.csv, square or condensed). Stimuli: a folder or zip of
images whose file names (without extension) are the stimulus ids, or a BrainIO stimulus set's CSV
(its ZIP beside it, same name). Everything is validated before any model runs.

What is refused, with the reason (a DataError): a missing file; a file whose header declares values
that are not real numbers or more than the load budget (:mod:`mousescore.data.headers`, before
anything is allocated); duplicate stimulus or neuroid ids; infinite responses; fewer stimuli than the
metric needs; a repetition dim with one repeat. An RDM must be a dissimilarity matrix: real, finite,
symmetric, non-negative, with a zero diagonal and off-diagonal entries that vary (a correlation or
similarity matrix, diagonal 1, is named as such). An RDM computed from responses (``--metric rsa``)
needs 3 neuroids (between 2, every correlation is ±1) with a response to every stimulus. Its
split-half ceiling is taken over the neuroids with 2 usable repeats of every stimulus, and says so when
that leaves some out.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import List, Optional, Sequence, Union

import numpy as np
import pandas as pd
import xarray as xr

from ..data.assemblies import NeuroidAssembly, StimulusSet, load_netcdf
from ..data.brainio import from_brainio, read_assembly, read_stimulus_set
from ..data.files import sha256_of
from ..data.headers import load_npy, require_real
from ..data.identity import stimuli_digest
from ..data.images import read_images
from ..errors import DataError, MousescoreError
from ..numerics.rsa import rdm as to_rdm
from ..numerics.rsa import split_half_rdm_reliability
from ..numerics.stats import fewest_repeats
from ..registry.plugins import Registry
from .benchmark import Benchmark, check_repeats, check_scale, check_stimulus_count, neural_benchmark, rdm_benchmark

NEURON_DIMS = ("presentation", "neuroid")
MIN_RDM_NEUROIDS = 3      # a correlation between two stimuli across 2 neuroids is ±1
RDM_TOLERANCE = 1e-8      # of the largest entry: rounding in 1 - r, never a real negative distance


def load_images(path, identifier: Optional[str] = None) -> StimulusSet:
    """Images named by stimulus id -> StimulusSet, each decoded on its own scale or refused (see
    :mod:`mousescore.data.images`); a BrainIO stimulus set's CSV names them itself."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"stimuli not found: {path}")
    if path.suffix.lower() == ".csv":
        return read_stimulus_set(path, path.with_suffix(".zip"), identifier=identifier or f"custom:{path.stem}")
    return read_images(path, identifier or f"custom:{path.name}")


def _existing_file(path, what: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{what} {path}: " + ("a folder, not a file" if path.is_dir() else "file not found"))
    return path


def _require_files(target, neuroid_table) -> None:
    """Refuse a target or neuroid table that is not a file, before anything reads it."""
    if target is not None:
        _existing_file(target, "target")
    if neuroid_table is not None:
        _existing_file(neuroid_table, "neuroid table")


def read_stimulus_ids(path) -> List[str]:
    path = _existing_file(path, "stimulus ids")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not a UTF-8 text file of stimulus ids, one a line ({error})") from error
    ids = [line.strip() for line in text.splitlines() if line.strip()]
    if not ids:
        raise DataError(f"{path}: no stimulus ids (one a line)")
    if len(set(ids)) != len(ids):
        raise DataError(f"{path}: duplicate stimulus ids")
    return ids


def responses_assembly(responses_path, stimulus_ids: Sequence[str], neuroid_table=None) -> NeuroidAssembly:
    path = _existing_file(responses_path, "responses")
    values = load_npy(path, f"responses {path}")
    if values.ndim not in (2, 3) or values.shape[0] != len(stimulus_ids):
        raise DataError(f"{responses_path}: responses must be (stimuli × neuroids [× repeats]) with "
                        f"{len(stimulus_ids)} stimuli, got shape {values.shape}")
    coords = {}
    neuroid_ids = [f"neuroid_{i}" for i in range(values.shape[1])]
    if neuroid_table is not None:
        table = _neuroid_table(neuroid_table, values.shape[1])
        if "neuroid_id" in table:
            neuroid_ids = table.pop("neuroid_id").astype(str).tolist()
        coords = {column: table[column].to_numpy() for column in table.columns}
    return NeuroidAssembly.create(values, stimulus_ids, neuroid_ids, neuroid_coords=coords,
                                  repetition=values.ndim == 3)


def _neuroid_table(path, n_neuroids: int) -> pd.DataFrame:
    """The neuroid table's rows (one per neuroid); its columns become coords, so they may not take
    the name of a dim or of the stimulus id."""
    path = _existing_file(path, "neuroid table")
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as error:
        raise DataError(f"{path}: not a readable CSV neuroid table ({error})") from error
    if len(table) != n_neuroids:
        raise DataError(f"{path}: {len(table)} rows for {n_neuroids} neuroids")
    reserved = sorted(set(map(str, table.columns)) & {"presentation", "neuroid", "repetition", "stimulus_id"})
    if reserved:
        raise DataError(f"{path}: columns {reserved} name a dim or the stimulus id; rename them")
    return table


def load_rdm(path, n_stimuli: int) -> np.ndarray:
    path = _existing_file(path, "RDM")
    if path.suffix == ".npy":
        values = load_npy(path, f"RDM {path}")
    else:
        try:
            values = np.loadtxt(path, delimiter=",", ndmin=1)
        except (ValueError, UnicodeDecodeError) as error:
            raise DataError(f"{path}: not a numeric CSV ({error})") from error
    require_real(values.dtype, f"RDM {path}")
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 0:
        raise DataError(f"{path}: the RDM is a single number, not a matrix")
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
    check_rdm(values, str(path))
    return values


def check_rdm(values: np.ndarray, source: str) -> None:
    """Refuse a square matrix that is not a dissimilarity matrix (see the module docstring)."""
    if not np.isfinite(values).all():
        raise DataError(f"{source}: the RDM has NaN or infinite entries")
    check_scale(source, values, "RDM's entries")
    if not np.allclose(values, values.T, atol=1e-8):
        raise DataError(f"{source}: the RDM is not symmetric")
    tolerance = RDM_TOLERANCE * max(1.0, float(np.abs(values).max(initial=0.0)))
    diagonal = np.diag(values)
    off = values[~np.eye(len(values), dtype=bool)]
    if len(off) and np.allclose(diagonal, 1.0) and off.min() >= -1 - tolerance and off.max() <= 1 + tolerance:
        raise DataError(f"{source}: this looks like a similarity (correlation) matrix, not an RDM: its diagonal "
                        f"is 1 and its entries lie in [-1, 1]; give the dissimilarities, 1 - r")
    if np.abs(diagonal).max(initial=0.0) > tolerance:
        worst = int(np.abs(diagonal).argmax())
        raise DataError(f"{source}: the RDM's diagonal (each stimulus's dissimilarity to itself) must be 0, "
                        f"not {diagonal[worst]:.6g} (row {worst}): is it a similarity matrix? give 1 - similarity")
    if len(off) and off.min() < -tolerance:
        raise DataError(f"{source}: the RDM has negative entries (smallest {off.min():.6g}): dissimilarities "
                        f"are >= 0; a similarity matrix must be turned into 1 - similarity first")
    if len(off) > 2 and off.max() - off.min() <= tolerance:    # 2 stimuli: the metric's own floor refuses
        raise DataError(f"{source}: every off-diagonal entry of the RDM is {off[0]:.6g}: nothing to correlate "
                        f"a model's RDM with")


def assembly_target(assembly) -> NeuroidAssembly:
    """A NeuroidAssembly from mousescore's netCDF (stimuli × neuroids [× repetition]) or from BrainIO's
    layout (one presentation per trial), given as a file or as an xarray array."""
    in_memory = isinstance(assembly, xr.DataArray)
    array = assembly if in_memory else load_netcdf(_existing_file(assembly, "assembly"))
    if isinstance(array, NeuroidAssembly) or "repetition" in array.dims:
        extra = sorted(set(array.dims) - {*NEURON_DIMS, "repetition"})
        if extra:
            raise DataError(f"assembly {array.name}: dims presentation × neuroid [× repetition], not "
                            f"{array.dims} (average or select over {extra} first)")
        return NeuroidAssembly(array).validate()
    if not in_memory:      # BrainIO's reader keeps the file's global attributes (its identifiers)
        return read_assembly(assembly)
    return from_brainio(array, source=f"assembly {array.name}")


def _check_rows(assembly: NeuroidAssembly) -> None:
    empty_dims = [dim for dim, size in assembly.sizes.items() if size == 0]
    if empty_dims:
        raise DataError(f"the responses have no entries along {empty_dims} (sizes {dict(assembly.sizes)})")
    values = assembly.transpose("presentation", ...).values
    if np.isinf(values).any():
        raise DataError(f"the responses hold {int(np.isinf(values).sum())} infinite values: mark a missing "
                        f"response with NaN, never inf")
    empty = np.isnan(values.reshape(values.shape[0], -1)).all(axis=1)
    if empty.any():
        raise DataError(f"responses are all NaN for stimuli {assembly.stimulus_ids()[empty][:5].tolist()} "
                        f"({int(empty.sum())} in all): drop them or fill them")


def _inputs_digest(images: StimulusSet, *paths) -> str:
    """The inputs' content only: the images' ids and pixels and the bytes of the other files, never
    their names, so that the same data have the same identity under any name."""
    digest = hashlib.sha256(stimuli_digest(images).encode())
    for path in paths:
        if path is not None:
            digest.update(sha256_of(Path(path)).encode())
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
    _require_files(None if in_memory else source, neuroids)
    metric = metric or ("rsa" if rdm is not None else "srp_ridge")
    identifier = f"custom.{name or source.stem}-{metric}"
    dataset = f"custom:{_inputs_digest(images, None if in_memory else source, neuroids, stimulus_ids)}"
    if in_memory:   # the array's bytes and its coords stand in for a file's
        digest = hashlib.sha256(np.ascontiguousarray(targets[0].values).tobytes())
        for coord_name, coord in sorted(targets[0].coords.items()):
            digest.update(coord_name.encode() + np.asarray(coord.values).astype(str).tobytes())
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
    if metric == "rsa":      # refused before the RDM's ceiling is computed from too few stimuli
        check_stimulus_count(identifier, len(target.stimulus_ids()), metric, registry)
        matrix, ceiling, ceiling_kind = population_rdm(identifier, target)
        return rdm_benchmark(identifier, dataset, images, matrix, target.stimulus_ids(), [source.stem], [ceiling],
                             ceiling_kind, registry=registry)
    return neural_benchmark(identifier, dataset, images, target, metric, registry=registry)


def population_rdm(identifier: str, target: NeuroidAssembly):
    """(the population's RDM over stimuli, its split-half ceiling, the ceiling's kind) for RSA on
    responses; refused where the RDM would be undefined or degenerate (see the module docstring)."""
    trials = target.transpose(*NEURON_DIMS, ...)
    means = trials.trial_mean().values.astype(np.float64)
    check_scale(identifier, means, "responses")
    if means.shape[1] < MIN_RDM_NEUROIDS:
        raise DataError(f"{identifier}: an RDM over {means.shape[1]} neuroid(s) is degenerate (between 2 "
                        f"neuroids every correlation is ±1): RSA on responses needs at least {MIN_RDM_NEUROIDS}")
    gaps = np.isnan(means).any(axis=0)
    if gaps.any():
        raise DataError(f"{identifier}: neuroids {target['neuroid_id'].values[gaps][:5].tolist()} "
                        f"({int(gaps.sum())} in all) have no response to some stimuli, and an RDM needs every "
                        f"neuroid's response to every stimulus: drop them")
    matrix = to_rdm(means)
    if not np.isfinite(matrix).all():
        flat = target.stimulus_ids()[np.ptp(means, axis=1) <= 1e-12 * np.abs(means).max(axis=1)]
        raise DataError(f"{identifier}: stimuli {flat[:5].tolist()} have the same response in every neuroid, "
                        f"so their correlation with other stimuli (the RDM) is undefined: drop them")
    check_rdm(matrix, f"{identifier}: the responses' RDM")
    if "repetition" not in target.dims:
        return matrix, np.nan, "none: no repeats"
    check_repeats(identifier, trials.values)
    usable = fewest_repeats(trials.values) >= 2
    ceiling = split_half_rdm_reliability(trials.values[:, usable])
    kind = "split-half RDM reliability over repeats"
    if not usable.all():
        kind += (f", over the {int(usable.sum())} of {len(usable)} neuroids with 2 usable repeats of every "
                 f"stimulus (the others are left out of the ceiling)")
    return matrix, ceiling, kind


def _subset(images: StimulusSet, stimulus_ids: Union[Sequence[str], np.ndarray]) -> StimulusSet:
    """The images of these stimuli, in this order; missing images are an error."""
    known = {s: i for i, s in enumerate(images.stimulus_ids())}
    missing = [str(s) for s in stimulus_ids if s not in known]
    if missing:
        raise DataError(f"no image for stimuli {missing[:5]} ({len(missing)} in all); images are "
                        f"matched by file name without extension")
    return StimulusSet(images.isel(presentation=[known[s] for s in stimulus_ids]))
