"""Labelled neural data and stimuli over xarray, in Brain-Score's conventions.

- ``NeuroidAssembly``: dims ``presentation × neuroid`` (optionally ``× repetition``), coord
  ``stimulus_id`` on presentation and ``neuroid_id`` on neuroid, plus any metadata coords (area,
  cortical layer, cre line, mouse, reliability...).
- ``StimulusSet``: the images themselves, dims ``presentation × height × width × channel``, float32 in
  [0, 1], coord ``stimulus_id`` on presentation.

Both are stored as netCDF4 with the class name in an attribute, so a round trip gives back the class.
A NeuroidAssembly holds real numbers (ints or floats; NaN where a response is missing) under unique
stimulus and neuroid ids: two neuroids of one id would share one score and one ceiling, and one of
them would vanish from every table keyed by id. A netCDF file's header is checked against the load
budget (:mod:`.headers`) before it is read.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np
import xarray as xr

from ..errors import DataError
from .headers import check_netcdf, require_real

_CLASS_ATTR = "mousescore_class"


class DataAssembly(xr.DataArray):
    __slots__ = ()

    def stimulus_ids(self) -> np.ndarray:
        return np.asarray(self["stimulus_id"].values).astype(str)

    def _require(self, dims: Sequence[str], coords: Mapping[str, str]) -> None:
        missing = [d for d in dims if d not in self.dims]
        if missing:
            raise DataError(f"{type(self).__name__} needs dims {tuple(dims)}, has {self.dims}")
        for coord, dim in coords.items():
            if coord not in self.coords or self[coord].dims != (dim,):
                raise DataError(f"{type(self).__name__} needs coord '{coord}' on dim '{dim}'")
        _require_unique(self.stimulus_ids(), f"stimulus ids in {type(self).__name__}")


def _require_unique(ids: np.ndarray, what: str) -> None:
    values, counts = np.unique(np.asarray(ids), return_counts=True)
    if (counts > 1).any():
        repeated = values[counts > 1]
        raise DataError(f"duplicate {what}: {repeated[:5].tolist()} ({len(repeated)} ids, "
                        f"{int(counts[counts > 1].sum())} entries): every id must name one row")


class NeuroidAssembly(DataAssembly):
    __slots__ = ()

    @classmethod
    def create(cls, values, stimulus_id, neuroid_id, presentation_coords: Optional[Mapping] = None,
               neuroid_coords: Optional[Mapping] = None, repetition: bool = False,
               name: str = "responses", attrs: Optional[Mapping] = None) -> "NeuroidAssembly":
        dims = ("presentation", "neuroid", "repetition") if repetition else ("presentation", "neuroid")
        coords = {"stimulus_id": ("presentation", np.asarray(stimulus_id).astype(str)),
                  "neuroid_id": ("neuroid", np.asarray(neuroid_id).astype(str))}
        coords.update({k: ("presentation", np.asarray(v)) for k, v in (presentation_coords or {}).items()})
        coords.update({k: ("neuroid", np.asarray(v)) for k, v in (neuroid_coords or {}).items()})
        assembly = cls(np.asarray(values), dims=dims, coords=coords, name=name, attrs=dict(attrs or {}))
        assembly.validate()
        return assembly

    def validate(self) -> "NeuroidAssembly":
        self._require(("presentation", "neuroid"), {"stimulus_id": "presentation", "neuroid_id": "neuroid"})
        require_real(self.dtype, f"{type(self).__name__} '{self.name}'")
        _require_unique(np.asarray(self["neuroid_id"].values).astype(str), "neuroid ids")
        return self

    def trial_mean(self) -> "NeuroidAssembly":
        """Average over the repetition dim, ignoring NaN padding (unequal repeat counts)."""
        if "repetition" not in self.dims:
            return self
        with np.errstate(invalid="ignore"):
            return NeuroidAssembly(self.mean("repetition", skipna=True, keep_attrs=True))


class StimulusSet(DataAssembly):
    __slots__ = ()

    @classmethod
    def create(cls, images, stimulus_id, presentation_coords: Optional[Mapping] = None,
               name: str = "stimuli", attrs: Optional[Mapping] = None) -> "StimulusSet":
        """``images``: (n, height, width, channels) with values in [0, 1]; channels 1 or 3."""
        images = np.asarray(images, dtype=np.float32)
        if images.ndim == 3:
            images = images[..., None]
        coords = {"stimulus_id": ("presentation", np.asarray(stimulus_id).astype(str))}
        coords.update({k: ("presentation", np.asarray(v)) for k, v in (presentation_coords or {}).items()})
        stimuli = cls(images, dims=("presentation", "height", "width", "channel"), coords=coords,
                      name=name, attrs=dict(attrs or {}))
        stimuli.validate()
        return stimuli

    def validate(self) -> "StimulusSet":
        self._require(("presentation", "height", "width", "channel"), {"stimulus_id": "presentation"})
        values = self.values
        if not np.isfinite(values).all() or values.min() < 0 or values.max() > 1:
            raise DataError("stimulus images must be finite with values in [0, 1]")
        if values.shape[-1] not in (1, 3):
            raise DataError(f"stimulus images need 1 or 3 channels, not {values.shape[-1]}")
        return self

    @property
    def identifier(self) -> str:
        return str(self.attrs.get("identifier", self.name))


_CLASSES = {c.__name__: c for c in (DataAssembly, NeuroidAssembly, StimulusSet)}


def save_netcdf(array: xr.DataArray, path: Path) -> None:
    array = array.copy()
    array.attrs[_CLASS_ATTR] = type(array).__name__ if type(array).__name__ in _CLASSES else "DataArray"
    array.to_netcdf(path, engine="netcdf4")


def load_netcdf(path: Path) -> xr.DataArray:
    check_netcdf(path)
    try:
        array = xr.load_dataarray(path, engine="netcdf4")
    except (OSError, ValueError) as error:
        raise DataError(f"cannot read netCDF file {path}: {error}") from error
    cls = _CLASSES.get(array.attrs.pop(_CLASS_ATTR, ""), None)
    return cls(array) if cls is not None else array
