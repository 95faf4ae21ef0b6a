"""Read Brain-Score's BrainIO format: a netCDF-4 data assembly plus a stimulus set (CSV + ZIP).

BrainIO specification: the assembly file holds one data variable (dims ``presentation × neuroid``, often
``× time_bin``) with metadata coords, and global attributes ``identifier`` and
``stimulus_set_identifier``; presentations repeat a stimulus once per trial (coord ``image_id`` in older
files, ``stimulus_id`` in newer ones). The stimulus CSV has ``image_id``/``stimulus_id`` and
``filename`` (``image_file_name`` in older sets) columns naming files inside the ZIP. Files are parsed,
never executed; ZIP members are read in memory, never extracted.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import DataError
from .assemblies import NeuroidAssembly, StimulusSet
from .images import decode, stimulus_set
from .safe_loading import open_zip

ID_COLUMNS = ("stimulus_id", "image_id")
FILE_COLUMNS = ("filename", "image_file_name")


def _first(candidates, available, what, source):
    for name in candidates:
        if name in available:
            return name
    raise DataError(f"{source}: no {what} (looked for {', '.join(candidates)})")


def read_assembly(path, region: Optional[str] = None) -> NeuroidAssembly:
    """The assembly as presentation (one per stimulus) × neuroid × repetition, NaN-padded; time bins
    averaged; neuroids of ``region`` only when given."""
    try:
        dataset = xr.load_dataset(path, engine="netcdf4")
    except (OSError, ValueError) as error:
        raise DataError(f"cannot read BrainIO assembly {path}: {error}") from error
    data_vars = [name for name, v in dataset.data_vars.items() if "neuroid" in v.dims]
    if len(data_vars) != 1:
        raise DataError(f"{path}: a BrainIO assembly has exactly one data variable over neuroids, "
                        f"found {data_vars}")
    array = dataset[data_vars[0]]
    if "presentation" not in array.dims:
        raise DataError(f"{path}: the data has no presentation dim ({array.dims})")
    if "time_bin" in array.dims:
        array = array.mean("time_bin", keep_attrs=True)
    if region is not None:
        if "region" not in array.coords:
            raise DataError(f"{path}: no 'region' coord to select {region} from")
        array = array.isel(neuroid=np.flatnonzero(array["region"].values == region))
        if array.sizes["neuroid"] == 0:
            raise DataError(f"{path}: no neuroids in region {region}")
    array = array.transpose("presentation", "neuroid")
    id_coord = _first(ID_COLUMNS, array.coords, "stimulus id coord", path)
    ids = pd.Series(np.asarray(array[id_coord].values).astype(str))
    order = list(dict.fromkeys(ids))                       # stimuli in order of first presentation
    row = ids.map({s: i for i, s in enumerate(order)}).to_numpy()
    trial = ids.groupby(ids).cumcount().to_numpy()         # repetition index within each stimulus
    values = np.full((len(order), array.sizes["neuroid"], trial.max() + 1), np.nan)
    values[row, :, trial] = array.values
    neuroid_coords = {name: c.values for name, c in array.coords.items()
                      if c.dims == ("neuroid",) and name != "neuroid_id"}
    neuroid_ids = (array["neuroid_id"].values if "neuroid_id" in array.coords
                   else np.arange(array.sizes["neuroid"]))
    attrs = {"identifier": str(dataset.attrs.get("identifier", Path(path).stem)),
             "stimulus_set_identifier": str(dataset.attrs.get("stimulus_set_identifier", ""))}
    return NeuroidAssembly.create(values, order, np.asarray(neuroid_ids).astype(str),
                                  neuroid_coords=neuroid_coords, repetition=True, attrs=attrs)


def read_stimulus_set(csv_path, zip_path, stimulus_ids: Optional[Sequence[str]] = None,
                      identifier: Optional[str] = None) -> StimulusSet:
    """The images of ``stimulus_ids`` (default: every row of the CSV), in that order."""
    table = pd.read_csv(csv_path)
    id_column = _first(ID_COLUMNS, table.columns, "stimulus id column", csv_path)
    file_column = _first(FILE_COLUMNS, table.columns, "file name column", csv_path)
    table[id_column] = table[id_column].astype(str)
    if table[id_column].duplicated().any():
        raise DataError(f"{csv_path}: duplicate stimulus ids {table[id_column][table[id_column].duplicated()].head().tolist()}")
    rows = table.set_index(id_column)
    wanted = list(stimulus_ids) if stimulus_ids is not None else list(rows.index)
    missing = [s for s in wanted if s not in rows.index]
    if missing:
        raise DataError(f"{csv_path}: no row for stimuli {missing[:5]} ({len(missing)} in all)")
    with open_zip(zip_path) as archive:
        members = {Path(name).name: name for name in archive.namelist() if not name.endswith("/")}
        images = []
        for stimulus in wanted:
            filename = Path(str(rows.at[stimulus, file_column])).name
            if filename not in members:
                raise DataError(f"{zip_path}: no file {filename} for stimulus {stimulus}")
            images.append(decode(archive.read(members[filename]), filename))
    return stimulus_set(wanted, images, identifier or Path(csv_path).stem)
