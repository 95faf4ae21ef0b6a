"""Check with the real brainio and Brain-Score packages that mousescore's BrainIO files work.

Run with the side environment (brainscore-vision pins numpy<2, so it lives apart):

    /work/bs-side/bin/python tools/brainscore_side/side_brainio.py ASSEMBLY.nc STIMULI.csv OUT.json

ASSEMBLY.nc and STIMULI.csv are what ``mousescore data export DATASET --out DIR`` writes; the ZIP of
images lies beside the CSV with the same stem. The files are used as a Brain-Score user would use them:

1. the stimulus set is loaded as ``brainio.s3.load_stimulus_set_from_s3`` does once it has the files
   (the ZIP unzipped with brainio's ``fetch.unzip``, in a temporary copy, then ``StimulusSetLoader``
   and the same check that the unzipped files are exactly those the CSV names); the assembly is loaded
   with ``NeuroidAssembly.from_files`` (brainio's ``StimulusMergeAssemblyLoader``, which merges the
   stimulus set's columns into the presentation coords, as ``load_assembly_from_s3`` does) and with the
   plain ``AssemblyLoader``; both are ``.validate()``d, the coords benchmarks read are looked up, the
   dims are checked to be MultiIndexes, and brainio's upload validator is run on them; the file's
   netCDF layout is compared with what brainio's own ``packaging.write_netcdf`` writes for the same
   assembly (variables, dtypes, attributes, compression);
2. Brain-Score's ceiling ``load_ceiling('internal_consistency')`` is run on the assembly with its
   repetitions, as the MajajHong2015 benchmark passes it (split halves over ``repetition``): on all
   neuroids (region2's trials beyond its 8 repeats are NaN), on each region alone, and on region2 with
   its all-NaN trials dropped;
3. ``load_metric('pls', crossvalidation_kwargs=dict(stratification_coord=None))`` is run with the
   trial-averaged region1 assembly (Brain-Score's ``average_repetition``) as target and, as sources,
   the images' pixels (read through ``stimulus_set.get_stimulus``, gray, scaled to [0, 1]) and the
   target plus Gaussian noise of the target's standard deviation -- only to show that the metric runs
   on the file.

OUT.json gets the results, the run time and the package versions; they are printed too.
"""
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from importlib.metadata import version
from pathlib import Path

# load_metric() otherwise shells out to whatever `pip` is on PATH to install the plugin's requirements
os.environ["BS_INSTALL_DEPENDENCIES"] = "no"
os.environ.setdefault("TQDM_DISABLE", "1")  # the metrics' per-split progress bars
warnings.filterwarnings("ignore", category=FutureWarning)  # "Score should explicitly define __slots__"

import netCDF4
import numpy as np
import pandas as pd
import xarray as xr
from brainscore_core.supported_data_standards.brainio import fetch, upload_validator
from brainscore_core.supported_data_standards.brainio.assemblies import AssemblyLoader, NeuroidAssembly, get_metadata
from brainscore_core.supported_data_standards.brainio.packaging import write_netcdf
from brainscore_core.supported_data_standards.brainio.stimuli import StimulusSet, StimulusSetLoader
from brainscore_vision import load_ceiling, load_metric
from brainscore_vision.benchmark_helpers.neural_common import average_repetition
from PIL import Image


def load_stimulus_set(csv_path, identifier, workdir):
    """As ``load_stimulus_set_from_s3`` does after fetching the two files."""
    csv_path = Path(csv_path)
    assert csv_path.stem == "stimulus_" + identifier.replace(".", "_"), \
        f"{csv_path.name} is not named as brainio names the stimulus set {identifier}"
    zip_path = Path(workdir) / csv_path.with_suffix(".zip").name
    shutil.copy(csv_path.with_suffix(".zip"), zip_path)
    stimuli_directory = fetch.unzip(str(zip_path))
    stimulus_set = StimulusSetLoader(csv_path=csv_path, stimuli_directory=stimuli_directory,
                                     cls=StimulusSet).load()
    stimulus_set.identifier = identifier
    stimuli_paths = [Path(stimuli_directory) / p for p in os.listdir(stimuli_directory)
                     if not p.endswith(".zip") and not p.endswith(".csv")]
    assert set(stimulus_set.stimulus_paths.values()) == set(stimuli_paths), \
        "Inconsistency: unzipped stimuli paths do not match csv paths"
    return stimulus_set


def describe(assembly):
    """Dims, sizes, coords (dims and dtype) and whether each dim is a MultiIndex."""
    indexes = {dim: assembly.indexes[dim] for dim in assembly.dims if dim in assembly.indexes}
    return {
        "class": type(assembly).__name__,
        "dims": list(assembly.dims), "sizes": {d: int(s) for d, s in assembly.sizes.items()},
        "dtype": str(assembly.dtype),
        "multiindex": {d: isinstance(indexes.get(d), pd.MultiIndex) for d in assembly.dims},
        "levels": {d: list(indexes[d].names) for d in indexes},
        "coords": {name: {"dims": list(assembly[name].dims), "dtype": str(assembly[name].dtype)}
                   for name in get_metadata(assembly, names_only=True)},
        "attrs": {k: (v if isinstance(v, (str, int, float)) else type(v).__name__)
                  for k, v in assembly.attrs.items()},
        "nan_values": int(np.isnan(assembly.values).sum()),
    }


def coord_checks(assembly):
    out = {}
    for name, dim in (("stimulus_id", "presentation"), ("repetition", "presentation"),
                      ("neuroid_id", "neuroid"), ("region", "neuroid")):
        coord = assembly[name]
        assert coord.dims == (dim,), f"{name} has dims {coord.dims}, expected ({dim},)"
        values = coord.values
        out[name] = {"dtype": str(coord.dtype), "n_unique": int(len(np.unique(values))),
                     "first": values[0].item() if hasattr(values[0], "item") else values[0]}
    out["repetition"]["values"] = sorted(int(v) for v in np.unique(assembly["repetition"].values))
    out["region"]["values"] = {str(r): int((assembly["region"].values == r).sum())
                               for r in np.unique(assembly["region"].values)}
    return out


def validators(stimulus_set, assembly):
    """brainio's upload validator, part by part (its validate_packaging_data raises a NameError on the
    undefined ``missing_in_stimulus_ids`` in this version, whatever the data)."""
    out = {"stimulus_set": upload_validator.validate_stimulus_set(stimulus_set),
           "assembly": upload_validator.validate_assembly(assembly)}
    common = upload_validator.get_common_columns(stimulus_set, assembly)
    out["common_columns"] = {c: [str(stimulus_set[c].dtype), str(assembly[c].dtype)] for c in sorted(common)}
    out["dtype_compatible"] = upload_validator.validate_data_type_compatibility(stimulus_set, assembly, common)
    missing = set(assembly["stimulus_id"].values) - set(stimulus_set["stimulus_id"].values)
    out["stimulus_ids_missing_from_stimulus_set"] = sorted(missing)
    assert not missing
    try:
        upload_validator.validate_packaging_data(stimulus_set, assembly)
        out["validate_packaging_data"] = "passed"
    except upload_validator.ValidationError as error:
        out["validate_packaging_data"] = f"raised ValidationError: {error}"
    return out


def _netcdf_layout(path):
    with netCDF4.Dataset(path) as nc:
        return {"format": nc.file_format, "global_attrs": {k: str(nc.getncattr(k)) for k in nc.ncattrs()},
                "groups": list(nc.groups),
                "variables": {name: {"dtype": str(v.dtype), "dims": list(v.dimensions),
                                     "attrs": {k: str(v.getncattr(k)) for k in v.ncattrs()
                                               if k not in ("coordinates", "_FillValue")},
                                     "zlib": bool(v.filters()["zlib"])} for name, v in nc.variables.items()}}


def compare_with_write_netcdf(path, workdir):
    """The file's layout beside that of brainio's own ``write_netcdf`` of the same assembly (loaded with
    the plain loader, the file's global attributes put on it as a packager would have them)."""
    assembly = AssemblyLoader(cls=NeuroidAssembly, file_path=path).load().load()
    assembly.attrs.update(xr.open_dataset(path).attrs)
    rewritten = Path(workdir) / "rewritten_by_brainio.nc"
    write_netcdf(assembly, rewritten)
    ours, theirs = _netcdf_layout(path), _netcdf_layout(rewritten)
    differences = [f"{key}: file {ours[key]!r}, brainio {theirs[key]!r}"
                   for key in ("format", "global_attrs", "groups") if ours[key] != theirs[key]]
    for name in sorted(set(ours["variables"]) | set(theirs["variables"])):
        a, b = ours["variables"].get(name), theirs["variables"].get(name)
        if a is None or b is None:
            differences.append(f"variable {name}: only in {'brainio' if a is None else 'file'}")
            continue
        differences += [f"variable {name} {key}: file {a[key]!r}, brainio {b[key]!r}"
                        for key in a if a[key] != b[key]]
    reread = AssemblyLoader(cls=NeuroidAssembly, file_path=rewritten).load().load()
    same_values = bool(np.array_equal(reread.values, assembly.values, equal_nan=True)
                       and all(np.array_equal(reread[c].values, assembly[c].values)
                               for c in get_metadata(assembly, names_only=True)))
    return {"differences": differences, "same_values_and_coords_after_rewrite": same_values,
            "dataarray_attrs_via_open_dataarray": {
                "file": dict(xr.open_dataarray(path).attrs), "brainio": dict(xr.open_dataarray(rewritten).attrs)}}


def region(assembly, name):
    return assembly.isel(neuroid=np.flatnonzero(assembly["region"].values == name))


def ceiling(ceiler, assembly):
    start = time.time()
    try:
        score = ceiler(assembly)
    except Exception as error:  # reported, not hidden: a NaN-breaking ceiling is a finding
        return {"error": f"{type(error).__name__}: {error}"}
    out = {"center": float(score.values), "error": float(score.attrs.get("error", np.nan)),
           "sizes": {d: int(s) for d, s in assembly.sizes.items()},
           "nan_values": int(np.isnan(assembly.values).sum()), "seconds": round(time.time() - start, 2)}
    raw = score.attrs.get("raw")
    if raw is not None:
        out["raw_dims"] = list(raw.dims)
        per_neuroid = raw.mean("split") if "split" in raw.dims else raw
        out["raw_per_neuroid_mean_over_splits"] = {
            str(n): float(v) for n, v in zip(per_neuroid["neuroid_id"].values, per_neuroid.values)}
        out["raw_nan"] = int(np.isnan(raw.values).sum())
    return out


def features_assembly(values, stimulus_ids, prefix):
    return NeuroidAssembly(values, dims=["presentation", "neuroid"], coords={
        "stimulus_id": ("presentation", stimulus_ids),
        "stimulus_index": ("presentation", np.arange(len(stimulus_ids))),
        "neuroid_id": ("neuroid", [f"{prefix}{i}" for i in range(values.shape[1])]),
        "layer": ("neuroid", [prefix] * values.shape[1])})


def pls(target, source):
    metric = load_metric("pls", crossvalidation_kwargs=dict(stratification_coord=None))
    start = time.time()
    score = metric(source, target)
    raw = score.attrs["raw"]
    return {"center": float(score.values), "error": float(score.attrs["error"]),
            "source_sizes": {d: int(s) for d, s in source.sizes.items()},
            "per_split": [float(v) for v in raw.median("neuroid").values],
            "seconds": round(time.time() - start, 2)}


def main(assembly_path, stimuli_csv, out):
    begin = time.time()
    result = {"files": {"assembly": str(assembly_path), "stimuli_csv": str(stimuli_csv),
                        "stimuli_zip": str(Path(stimuli_csv).with_suffix(".zip"))}}
    file_attrs = xr.open_dataset(assembly_path).attrs
    result["file_attrs"] = dict(file_attrs)
    with tempfile.TemporaryDirectory() as workdir:
        # 1. load
        stimulus_set = load_stimulus_set(stimuli_csv, file_attrs["stimulus_set_identifier"], workdir)
        result["stimulus_set"] = {"identifier": stimulus_set.identifier, "rows": len(stimulus_set),
                                  "columns": {c: str(stimulus_set[c].dtype) for c in stimulus_set.columns}}
        plain = AssemblyLoader(cls=NeuroidAssembly, file_path=assembly_path).load()
        plain.validate()
        assembly = NeuroidAssembly.from_files(assembly_path, stimulus_set_identifier=stimulus_set.identifier,
                                              stimulus_set=stimulus_set)
        assembly.attrs["identifier"] = file_attrs.get("identifier")   # what load_assembly_from_s3 sets
        assembly.validate()
        assembly = assembly.load()
        assembly = assembly.transpose("presentation", "neuroid")
        result["load"] = {"plain_loader": describe(plain), "merged_loader": describe(assembly),
                          "coords": coord_checks(assembly)}
        assert all(result["load"]["merged_loader"]["multiindex"].values()), result["load"]["merged_loader"]
        assert all(result["load"]["plain_loader"]["multiindex"].values()), result["load"]["plain_loader"]
        assert assembly.attrs["stimulus_set"] is stimulus_set
        result["validators"] = validators(stimulus_set, assembly)
        result["layout_vs_brainio_write_netcdf"] = compare_with_write_netcdf(assembly_path, workdir)

        # 2. ceiling (split halves over `repetition`, as for MajajHong2015's assembly_repetition)
        ceiler = load_ceiling("internal_consistency")
        regions = list(np.unique(assembly["region"].values))
        result["ceiling"] = {"all_neuroids": ceiling(ceiler, assembly)}
        for name in regions:
            result["ceiling"][name] = ceiling(ceiler, region(assembly, name))
            part = region(assembly, name)
            kept = np.flatnonzero(~np.isnan(part.values).all(axis=1))
            if len(kept) < part.sizes["presentation"]:
                result["ceiling"][f"{name}_all_nan_trials_dropped"] = ceiling(ceiler, part.isel(presentation=kept))

        # 3. PLS, target: trial-averaged region1 (Brain-Score's average_repetition)
        target = average_repetition(region(assembly, regions[0]))
        target = target.transpose("presentation", "neuroid")
        stimulus_ids = [str(s) for s in target["stimulus_id"].values]
        pixels = np.stack([np.asarray(Image.open(stimulus_set.get_stimulus(s)).convert("L"), float).ravel() / 255
                           for s in stimulus_ids])
        rng = np.random.default_rng(0)
        noisy = target.values + rng.normal(scale=target.values.std(), size=target.shape)
        result["pls"] = {
            "target": {"region": regions[0], "sizes": {d: int(s) for d, s in target.sizes.items()},
                       "presentation_coords": sorted(get_metadata(target, dims=("presentation",), names_only=True)),
                       "nan_values": int(np.isnan(target.values).sum())},
            "pixels": pls(target, features_assembly(pixels, stimulus_ids, "pixel")),
            "target_plus_noise": pls(target, features_assembly(noisy, stimulus_ids, "noisy")),
        }
    result["seconds"] = round(time.time() - begin, 2)
    result["versions"] = {p: version(p) for p in ("brainscore_vision", "brainscore_core", "numpy", "pandas",
                                                  "xarray", "netCDF4", "scikit-learn", "scipy")}
    with open(out, "w") as f:
        json.dump(result, f, indent=1, default=str)
    printed = json.loads(json.dumps(result, default=str))
    for part in printed["ceiling"].values():   # the per-neuroid values stay in OUT.json only
        if "raw_per_neuroid_mean_over_splits" in part:
            values = list(part.pop("raw_per_neuroid_mean_over_splits").values())
            part["raw_per_neuroid_median"] = float(np.median(values))
    print(json.dumps(printed, indent=1))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
