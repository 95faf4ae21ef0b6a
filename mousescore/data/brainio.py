"""Read Brain-Score's BrainIO format: a netCDF-4 data assembly plus a stimulus set (CSV + ZIP).

BrainIO specification: the assembly file holds one data variable (dims ``presentation × neuroid``, often
``× time_bin``) with metadata coords, and global attributes ``identifier`` and
``stimulus_set_identifier``; presentations repeat a stimulus once per trial (coord ``image_id`` in older
files, ``stimulus_id`` in newer ones). The stimulus CSV has ``image_id``/``stimulus_id`` and
``filename`` (``image_file_name`` in older sets) columns naming files inside the ZIP. Files are parsed,
never executed; ZIP members are read in memory, never extracted.

Writing follows the same conventions, so that brainio and Brain-Score read what mousescore writes:
one presentation per trial with ``stimulus_id`` and ``repetition`` coords (never a ``repetition`` dim,
which BrainIO's ``NeuroidAssembly.validate`` rejects), at least two coords on each dim (brainio turns
a dim's coords into a MultiIndex, and a lone coord would become the dim's index and lose its name),
one data variable, and the two global attributes.
"""
from __future__ import annotations

import io
import logging
import re
import zipfile
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence

import numpy as np
import pandas as pd
import xarray as xr
from PIL import Image

from ..errors import DataError
from .assemblies import NeuroidAssembly, StimulusSet
from .headers import check_netcdf, require_budget, require_real
from .images import check_image_bytes, decode, stimulus_set
from .safe_loading import open_zip, read_member

logger = logging.getLogger(__name__)

ID_COLUMNS = ("stimulus_id", "image_id")
FILE_COLUMNS = ("filename", "image_file_name")


def _first(candidates, available, what, source):
    for name in candidates:
        if name in available:
            return name
    raise DataError(f"{source}: no {what} (looked for {', '.join(candidates)})")


def read_assembly(path, region: Optional[str] = None) -> NeuroidAssembly:
    """The assembly as presentation (one per stimulus) × neuroid × repetition, NaN-padded; time bins
    averaged; neuroids of ``region`` only when given. The file's header is checked against the load
    budget first (:mod:`.headers`)."""
    check_netcdf(path, f"BrainIO assembly {path}")
    try:
        dataset = xr.load_dataset(path, engine="netcdf4")
    except (OSError, ValueError) as error:
        raise DataError(f"cannot read BrainIO assembly {path}: {error}") from error
    data_vars = [name for name, v in dataset.data_vars.items() if "neuroid" in v.dims]
    if len(data_vars) != 1:
        raise DataError(f"{path}: a BrainIO assembly has exactly one data variable over neuroids, "
                        f"found {data_vars}")
    array = dataset[data_vars[0]]
    array.attrs = {**dataset.attrs, **array.attrs}
    array.attrs.setdefault("identifier", Path(path).stem)
    return from_brainio(array, region=region, source=str(path))


def from_brainio(array: xr.DataArray, region: Optional[str] = None, source: str = "assembly") -> NeuroidAssembly:
    """A BrainIO-style array (one presentation per trial; MultiIndex dims as brainio builds them in
    memory, or plain coords as in its files) as presentation (one per stimulus) × neuroid × repetition.

    Trials go to the position their ``repetition`` coord names when it numbers each stimulus's trials
    uniquely (so a round trip keeps every trial in place), else in order of presentation; missing
    trials are NaN. Values must be real numbers, and the padded array must fit in the load budget (one
    stimulus shown 10,000 times pads every other to 10,000 repeats)."""
    require_real(array.dtype, f"{source}: the data")
    array = array.reset_index([d for d in array.dims if d in array.indexes])
    if {"presentation", "neuroid"} - set(array.dims) or set(array.dims) - {"presentation", "neuroid", "time_bin"}:
        raise DataError(f"{source}: BrainIO data has dims presentation × neuroid [× time_bin], not {array.dims}")
    if array.sizes["presentation"] == 0 or array.sizes["neuroid"] == 0:
        raise DataError(f"{source}: no presentations or no neuroids ({dict(array.sizes)})")
    if "time_bin" in array.dims:
        array = array.mean("time_bin", keep_attrs=True)
    if region is not None:
        if "region" not in array.coords:
            raise DataError(f"{source}: no 'region' coord to select {region} from")
        array = array.isel(neuroid=np.flatnonzero(array["region"].values == region))
        if array.sizes["neuroid"] == 0:
            raise DataError(f"{source}: no neuroids in region {region}")
    array = array.transpose("presentation", "neuroid")
    id_coord = _first(ID_COLUMNS + ("presentation",), array.coords, "stimulus id coord", source)
    ids = pd.Series(np.asarray(array[id_coord].values).astype(str))
    order = list(dict.fromkeys(ids))                       # stimuli in order of first presentation
    row = ids.map({s: i for i, s in enumerate(order)}).to_numpy()
    trial = _trial_positions(array, ids)
    require_budget(len(order) * array.sizes["neuroid"] * (int(trial.max()) + 1),
                   f"{source}: padded to stimuli × neuroids × repeats, the data")
    values = np.full((len(order), array.sizes["neuroid"], trial.max() + 1), np.nan)
    values[row, :, trial] = array.values
    repeated = values.shape[-1] > 1             # one presentation per stimulus: trial-averaged data
    neuroid_coords = {name: c.values for name, c in array.coords.items()
                      if c.dims == ("neuroid",) and name not in ("neuroid_id", "neuroid_index")}
    neuroid_ids = (array["neuroid_id"].values if "neuroid_id" in array.coords
                   else np.arange(array.sizes["neuroid"]))
    attrs = {"identifier": str(array.attrs.get("identifier", array.name or "")),
             "stimulus_set_identifier": str(array.attrs.get("stimulus_set_identifier", ""))}
    return NeuroidAssembly.create(values if repeated else values[..., 0], order,
                                  np.asarray(neuroid_ids).astype(str), neuroid_coords=neuroid_coords,
                                  repetition=repeated, attrs=attrs)


def _trial_positions(array: xr.DataArray, ids: pd.Series) -> np.ndarray:
    """Each presentation's repetition index within its stimulus: the ``repetition`` coord itself when it
    numbers each stimulus's trials uniquely from 0 with few gaps (a dropped trial keeps its slot),
    else the trials' rank by it within their stimulus, else their order of presentation."""
    fallback = ids.groupby(ids).cumcount().to_numpy()
    if "repetition" not in array.coords or array["repetition"].dims != ("presentation",):
        return fallback
    repetition = pd.to_numeric(pd.Series(array["repetition"].values), errors="coerce")
    if (repetition.isna().any() or (repetition % 1 != 0).any()
            or pd.DataFrame({"id": ids, "r": repetition}).duplicated().any()):
        return fallback
    most_trials = int(fallback.max()) + 1
    if repetition.min() == 0 and repetition.max() < 2 * most_trials:
        return repetition.to_numpy(dtype=int)
    return (repetition.groupby(ids).rank(method="dense") - 1).to_numpy(dtype=int)   # 1-based, or global numbers


def to_brainio(assembly: NeuroidAssembly, identifier: Optional[str] = None,
               stimulus_set_identifier: Optional[str] = None) -> xr.DataArray:
    """The assembly in BrainIO's layout: one presentation per recorded trial (trials that are NaN for
    every neuroid, the padding of unequal repeat counts, are left out), coords ``stimulus_id`` and
    ``repetition`` on presentation, ``neuroid_id`` and the metadata coords on neuroid (plus
    ``neuroid_index`` when there is no other, see the module docstring)."""
    assembly = NeuroidAssembly(assembly).validate()
    if "repetition" not in assembly.dims:
        assembly = NeuroidAssembly(assembly.expand_dims("repetition", axis=-1))
    trials = assembly.transpose("presentation", "repetition", "neuroid")
    values = trials.values.reshape(-1, trials.sizes["neuroid"])
    n_repeats = trials.sizes["repetition"]
    kept = np.flatnonzero(~np.isnan(values).all(axis=1))
    if len(kept) == 0:
        raise DataError("every trial is NaN for every neuroid: nothing to write")
    stimulus_rows = kept // n_repeats
    presentation: Dict[Any, tuple] = {"stimulus_id": ("presentation", assembly.stimulus_ids()[stimulus_rows]),
                    "repetition": ("presentation", (kept % n_repeats).astype(np.int64))}
    presentation.update({name: ("presentation", c.values[stimulus_rows]) for name, c in assembly.coords.items()
                         if c.dims == ("presentation",) and name not in presentation})
    neuroid = {name: ("neuroid", c.values) for name, c in assembly.coords.items() if c.dims == ("neuroid",)}
    if len(neuroid) < 2:
        neuroid["neuroid_index"] = ("neuroid", np.arange(assembly.sizes["neuroid"]))
    identifier = identifier or str(assembly.attrs.get("identifier") or assembly.name or "mousescore.Assembly")
    attrs = {"identifier": identifier,
             "stimulus_set_identifier": stimulus_set_identifier or str(assembly.attrs.get(
                 "stimulus_set_identifier") or identifier)}
    return xr.DataArray(values[kept], dims=("presentation", "neuroid"), coords={**presentation, **neuroid},
                        name="data", attrs=attrs)


def write_assembly(assembly: NeuroidAssembly, path, identifier: Optional[str] = None,
                   stimulus_set_identifier: Optional[str] = None) -> Path:
    """Write :func:`to_brainio`'s array as a BrainIO netCDF-4 file as brainio's own ``write_netcdf``
    does: one compressed data variable ``data``, the identifiers as global attributes and on it."""
    array = to_brainio(assembly, identifier, stimulus_set_identifier)
    dataset = array.to_dataset(promote_attrs=True)     # the identifiers on the file and on ``data``
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dataset.to_netcdf(path, engine="netcdf4", encoding={"data": {"zlib": True, "complevel": 1}})
    return path


def write_stimulus_set(stimuli: StimulusSet, csv_path, zip_path=None) -> tuple:
    """The stimuli as a BrainIO stimulus set: a CSV (``stimulus_id``, ``filename`` and the stimuli's
    presentation coords) and a ZIP of one 8-bit PNG per stimulus named ``<stimulus_id>.png``. Images
    that are not exactly 8-bit are rounded, with a warning saying by how much."""
    StimulusSet(stimuli).validate()      # finite, in [0, 1]: nothing wraps around in uint8
    csv_path = Path(csv_path)
    zip_path = Path(zip_path) if zip_path is not None else csv_path.with_suffix(".zip")
    ids = stimuli.stimulus_ids()
    images = np.asarray(stimuli.transpose("presentation", "height", "width", "channel").values)
    pixels = np.rint(images * 255.0)
    rounding = float(np.abs(pixels / 255.0 - images).max())
    if rounding > 1e-6:
        logger.warning("%s: images rounded to 8 bits for PNG (largest change %.2g)", csv_path.name, rounding)
    filenames = [f"{stimulus_id}.png" for stimulus_id in ids]
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w") as archive:
        for filename, image in zip(filenames, pixels.astype(np.uint8)):
            buffer = io.BytesIO()
            Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(buffer, format="PNG")
            archive.writestr(filename, buffer.getvalue())
    table = pd.DataFrame({"stimulus_id": ids, "filename": filenames})
    for name, coord in stimuli.coords.items():
        if coord.dims == ("presentation",) and name not in table:
            table[name] = coord.values
    table.to_csv(csv_path, index=False)
    return csv_path, zip_path


def read_stimulus_set(csv_path, zip_path, stimulus_ids: Optional[Sequence[str]] = None,
                      identifier: Optional[str] = None) -> StimulusSet:
    """The images of ``stimulus_ids`` (default: every row of the CSV), in that order."""
    table = pd.read_csv(csv_path)
    id_column = _first(ID_COLUMNS, table.columns, "stimulus id column", csv_path)
    file_column = _first(FILE_COLUMNS, table.columns, "file name column", csv_path)
    table[id_column] = table[id_column].astype(str)
    if table[id_column].duplicated().any():
        duplicated = table[id_column][table[id_column].duplicated()].head().tolist()
        raise DataError(f"{csv_path}: duplicate stimulus ids {duplicated}")
    rows = table.set_index(id_column)
    wanted = list(stimulus_ids) if stimulus_ids is not None else list(rows.index)
    missing = [s for s in wanted if s not in rows.index]
    if missing:
        raise DataError(f"{csv_path}: no row for stimuli {missing[:5]} ({len(missing)} in all)")
    filenames = [Path(str(rows.at[stimulus, file_column])).name for stimulus in wanted]
    with open_zip(zip_path) as archive:
        members = _members_named(archive, filenames, zip_path)
        check_image_bytes(sum(members[filename].file_size for filename in filenames), zip_path)
        images = [decode(read_member(archive, members[filename], zip_path), f"{filename} in {zip_path}")
                  for filename in filenames]
    return stimulus_set(wanted, images, identifier or Path(csv_path).stem)


def _members_named(archive: zipfile.ZipFile, filenames: Sequence[str], zip_path) -> dict:
    """The archive's file for each of ``filenames`` (the CSV names files, not folders); a file name that
    two members share is refused, since either could be the stimulus."""
    found: Dict[str, zipfile.ZipInfo] = {}
    wanted = set(filenames)
    for info in archive.infolist():
        name = Path(info.filename).name
        if info.is_dir() or name not in wanted:
            continue
        if name in found:
            raise DataError(f"{zip_path}: two files named {name} ({found[name].filename}, {info.filename}); "
                            f"the CSV cannot say which is the stimulus")
        found[name] = info
    missing = [name for name in filenames if name not in found]
    if missing:
        raise DataError(f"{zip_path}: no file {missing[0]} for its stimulus ({len(missing)} files missing in all)")
    return found


def brainio_identifier(dataset: str, product: str = "responses") -> str:
    """``mousescore.<Dataset>`` (BrainIO's ``<lab>.<Name>`` convention), ``_<product>`` for a second one."""
    name = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", dataset) if part)
    return f"mousescore.{name}" + ("" if product == "responses" else f"_{product}")


def export_products(products: Mapping[str, object], dataset: str, out_dir) -> list:
    """Every NeuroidAssembly of a dataset's products as BrainIO files in ``out_dir`` (``assy_*.nc``),
    beside the stimulus set they were recorded with (``stimulus_*.csv`` + ``.zip``), named as brainio's
    packager names them. Other products (RDMs) have no BrainIO form and are left out."""
    stimuli = products.get("stimuli")
    assemblies = {name: a for name, a in products.items() if isinstance(a, NeuroidAssembly)}
    if not isinstance(stimuli, StimulusSet) or not assemblies:
        raise DataError(f"{dataset} has no stimulus set with per-neuroid responses to export (its products: "
                        f"{sorted(products)}); RDM targets travel as rsatoolbox RDMs instead")
    out_dir = Path(out_dir)
    stimulus_set_id = brainio_identifier(dataset)
    written = list(write_stimulus_set(stimuli, out_dir / f"stimulus_{stimulus_set_id.replace('.', '_')}.csv"))
    for product, assembly in assemblies.items():
        identifier = brainio_identifier(dataset, product)
        written.append(write_assembly(assembly, out_dir / f"assy_{identifier.replace('.', '_')}.nc",
                                      identifier, stimulus_set_id))
    return written
