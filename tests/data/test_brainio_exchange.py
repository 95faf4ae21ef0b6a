"""BrainIO both ways: what mousescore writes follows BrainIO's rules, and BrainIO's per-trial files score
through ``--assembly`` exactly like their trial-averaged form. Real mouse V1 data (antolik2016)."""
import json
import math
import re
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mousescore import load_dataset
from mousescore.data.assemblies import save_netcdf
from mousescore.data.brainio import export_products, from_brainio, read_assembly, read_stimulus_set, to_brainio
from mousescore.scoring.own_data import custom_benchmark


def brainio_violations(netcdf, stimulus_csv, stimulus_zip) -> list:
    """BrainIO's rules, reimplemented plainly from its sources, as a list of broken ones.

    - docs/SPECIFICATION.md: one data variable; global attributes ``identifier`` and
      ``stimulus_set_identifier``; the stimulus CSV has a header of lowercase/digit/underscore names, a
      unique id column and a ``filename`` column naming files in the ZIP.
    - brainio.assemblies.NeuroidAssembly.validate: dims are {presentation, neuroid} [+ time_bin].
    - brainio.packaging.package_data_assembly: presentation has ``stimulus_id`` (and presentation-level
      metadata such as ``repetition``), neuroid has ``neuroid_id``.
    - brainio.assemblies.gather_indexes: every dim's coords become a MultiIndex; a dim with a single
      coord would lose its name to the dim's index, so each dim needs at least two.
    - Brain-Score's repetition handling (InternalConsistency splits on ``repetition``): each
      (stimulus_id, repetition) pair is one trial.
    """
    problems = []
    dataset = xr.load_dataset(netcdf)
    if len(dataset.data_vars) != 1:
        problems.append(f"data variables: {list(dataset.data_vars)}")
    for attribute in ("identifier", "stimulus_set_identifier"):
        if not isinstance(dataset.attrs.get(attribute), str) or not dataset.attrs[attribute]:
            problems.append(f"global attribute {attribute} missing")
    if not re.match(r"[a-z]+\.[A-Z][a-zA-Z0-9]+", str(dataset.attrs.get("identifier", ""))):
        problems.append("identifier does not follow <lab>.<Name>")
    data = dataset[list(dataset.data_vars)[0]]
    if set(data.dims) not in ({"presentation", "neuroid"}, {"presentation", "neuroid", "time_bin"}):
        problems.append(f"dims {data.dims}")
    for dim, required in (("presentation", "stimulus_id"), ("neuroid", "neuroid_id")):
        coords = [name for name, c in dataset.coords.items() if c.dims == (dim,)]
        if required not in coords:
            problems.append(f"no {required} on {dim}")
        if len(coords) < 2:
            problems.append(f"{dim} has {len(coords)} coord(s)")
    if "repetition" not in dataset.coords:
        problems.append("no repetition coord")
    elif "stimulus_id" in dataset.coords and dataset["stimulus_id"].dims == ("presentation",):
        trials = pd.DataFrame({"s": dataset["stimulus_id"].values, "r": dataset["repetition"].values})
        if trials.duplicated().any():
            problems.append("a (stimulus_id, repetition) pair repeats")
    table = pd.read_csv(stimulus_csv)
    if any(not re.fullmatch(r"[a-z0-9_]+", column) for column in table.columns):
        problems.append(f"CSV column names {list(table.columns)}")
    id_column = "stimulus_id" if "stimulus_id" in table else "image_id"
    if id_column not in table or table[id_column].duplicated().any():
        problems.append("no unique stimulus id column")
    else:
        if not table[id_column].astype(str).str.fullmatch(r"[A-Za-z0-9_\-]+").all():
            problems.append("stimulus ids are not alphanumeric")
        if "stimulus_id" in dataset.coords and not set(dataset["stimulus_id"].values) <= set(table[id_column]):
            problems.append("presentations name stimuli the stimulus set lacks")
    with zipfile.ZipFile(stimulus_zip) as archive:
        members = set(archive.namelist())
    if "filename" not in table or not set(table["filename"]) <= members:
        problems.append("filenames missing from the ZIP")
    return problems


@pytest.fixture(scope="module")
def antolik(real_data):
    return load_dataset("antolik2016")


@pytest.fixture(scope="module")
def exported(antolik, tmp_path_factory):
    folder = tmp_path_factory.mktemp("brainio-export")
    csv, archive, netcdf = export_products(antolik, "antolik2016", folder)
    return {"csv": csv, "zip": archive, "nc": netcdf, "folder": folder}


def test_what_mousescore_writes_passes_brainios_rules(antolik, exported, tmp_path):
    assert exported["nc"].name == "assy_mousescore_Antolik2016.nc"
    assert brainio_violations(exported["nc"], exported["csv"], exported["zip"]) == []
    # The rules can fail: mousescore's own cache file (a repetition dim, stimulus_id alone) breaks them.
    save_netcdf(antolik["responses"], tmp_path / "internal.nc")
    problems = brainio_violations(tmp_path / "internal.nc", exported["csv"], exported["zip"])
    assert any(p.startswith("dims") for p in problems) and "presentation has 1 coord(s)" in problems


def test_brainio_round_trip_keeps_every_trial_and_image(antolik, exported):
    responses = antolik["responses"]
    per_trial = xr.load_dataset(exported["nc"])["data"]
    recorded = int((~np.isnan(responses.values).all(axis=1)).sum())     # (stimulus, repeat) slots with data
    assert per_trial.sizes["presentation"] == recorded == 50 * 10
    back = read_assembly(exported["nc"])
    assert back.dims == responses.dims and list(back.stimulus_ids()) == list(responses.stimulus_ids())
    np.testing.assert_array_equal(back.values, responses.values)      # NaN padding in the same places
    assert list(back["neuroid_id"].values) == list(responses["neuroid_id"].values)
    stimuli = read_stimulus_set(exported["csv"], exported["zip"], back.stimulus_ids())
    np.testing.assert_array_equal(stimuli.values, antolik["stimuli"].values)


def test_in_memory_brainio_assembly_with_multiindex(antolik):
    """brainio's DataAssembly gathers every dim's coords into a MultiIndex; that form reads the same."""
    array = to_brainio(antolik["responses"])
    gathered = array.set_index(append=True, presentation=["stimulus_id", "repetition"],
                               neuroid=[c for c, v in array.coords.items() if v.dims == ("neuroid",)])
    assert isinstance(gathered.indexes["presentation"], pd.MultiIndex)
    shuffled = gathered.isel(presentation=np.random.default_rng(0).permutation(gathered.sizes["presentation"]))
    back = from_brainio(shuffled)
    order = [list(back.stimulus_ids()).index(s) for s in antolik["responses"].stimulus_ids()]
    np.testing.assert_array_equal(back.values[order], antolik["responses"].values)   # trials by repetition coord


def test_per_trial_file_scores_like_its_trial_average_through_the_cli(antolik, exported, tmp_path):
    averaged = tmp_path / "assy_averaged.nc"
    mean = antolik["responses"].trial_mean()
    to_brainio(mean, "mousescore.Antolik2016Mean").to_dataset().to_netcdf(averaged)
    assert xr.load_dataset(averaged).sizes["presentation"] == 50             # one presentation per stimulus

    def score(assembly):
        result = subprocess.run([sys.executable, "-m", "mousescore.cli", "score", "pixels", "--assembly",
                                 str(assembly), "--stimuli", str(exported["csv"]), "--name", "antolik", "--json",
                                 "--no-progress"], capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)[0]

    per_trial, trial_mean = score(exported["nc"]), score(averaged)
    assert per_trial["value"] == pytest.approx(trial_mean["value"], abs=1e-12)
    assert per_trial["layer_profile"] == pytest.approx(trial_mean["layer_profile"], abs=1e-12)
    assert 0.02 < per_trial["value"] < 0.2 and per_trial["n_units"] == 158
    # The per-trial form keeps what averaging loses: the split-half ceiling over the repeats.
    direct = custom_benchmark(exported["csv"], assembly=antolik["responses"], name="antolik")
    assert per_trial["ceiling"] == pytest.approx(float(np.nanmean(direct.unit_ceilings)), abs=1e-12)
    assert per_trial["ceiling"] == pytest.approx(0.6332, abs=1e-4)          # the registered V1 benchmark's
    assert math.isnan(trial_mean["ceiling"])


def test_bad_brainio_input_gets_clear_errors_and_odd_repetition_numbers_are_ranked(tmp_path):
    from mousescore.data.assemblies import NeuroidAssembly, StimulusSet
    from mousescore.data.brainio import write_stimulus_set
    from mousescore.errors import DataError

    def trials(repetition, values=None):
        values = np.arange(12.0).reshape(6, 2) if values is None else values
        return xr.DataArray(values, dims=("presentation", "neuroid"),
                            coords={"stimulus_id": ("presentation", list("aabbcc")),
                                    "repetition": ("presentation", repetition),
                                    "neuroid_id": ("neuroid", ["n0", "n1"]), "region": ("neuroid", ["V1", "V1"])})
    zero_based = from_brainio(trials([0, 1, 0, 1, 0, 1]))
    for numbers in ([1, 2, 1, 2, 1, 2], [100000, 100001, 200000, 200001, 300000, 300001]):
        shifted = from_brainio(trials(numbers))             # 1-based or global: ranked, no empty slots
        assert shifted.shape == (3, 2, 2)
        np.testing.assert_array_equal(shifted.values, zero_based.values)
    with pytest.raises(DataError, match="presentation × neuroid"):
        from_brainio(trials([0, 1, 0, 1, 0, 1]).expand_dims(session=1))
    with pytest.raises(DataError, match="no presentations"):
        from_brainio(trials([0, 1, 0, 1, 0, 1]).isel(presentation=[]))
    empty = NeuroidAssembly.create(np.full((2, 1), np.nan), ["a", "b"], ["n0"])
    with pytest.raises(DataError, match="every trial is NaN"):
        to_brainio(empty)
    bright = StimulusSet.create(np.full((1, 2, 2, 1), 0.5), ["a"])
    bright.values[:] = 1.5                                   # out of range after creation
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        write_stimulus_set(bright, tmp_path / "s.csv")


def test_data_export_cli_writes_brainio_files_and_refuses_rdm_only_datasets(real_data, tmp_path):
    def export(name):
        return subprocess.run([sys.executable, "-m", "mousescore.cli", "data", "export", name, "--out",
                               str(tmp_path / name)], capture_output=True, text=True, timeout=600)
    result = export("antolik2016")
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in (tmp_path / "antolik2016").iterdir())
    assert files == ["assy_mousescore_Antolik2016.nc", "stimulus_mousescore_Antolik2016.csv",
                     "stimulus_mousescore_Antolik2016.zip"]
    refused = export("kriegeskorte2008")
    assert refused.returncode == 2 and "no stimulus set with per-neuroid responses" in refused.stderr
    assert "Traceback" not in refused.stderr
