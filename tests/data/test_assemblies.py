import numpy as np
import pytest

from mousescore.data.assemblies import NeuroidAssembly, StimulusSet, load_netcdf, save_netcdf
from mousescore.errors import DataError


def _assembly():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(6, 4, 3))
    values[0, 0, 2] = np.nan
    return NeuroidAssembly.create(
        values, [f"s{i}" for i in range(6)], [f"n{i}" for i in range(4)],
        presentation_coords={"scene_index": np.arange(6)},
        neuroid_coords={"area": ["VISp", "VISp", "VISl", "VISl"], "depth": [175.0, 275.0, 175.0, 375.0],
                        "excitatory": [True, True, False, True]},
        repetition=True, attrs={"units": "dF/F"})


def test_netcdf_round_trip_is_lossless(tmp_path):
    assembly = _assembly()
    save_netcdf(assembly, tmp_path / "a.nc")
    loaded = load_netcdf(tmp_path / "a.nc")
    assert type(loaded) is NeuroidAssembly
    assert loaded.identical(assembly)
    assert loaded["excitatory"].dtype == bool
    np.testing.assert_array_equal(loaded.values, assembly.values)  # NaN padding kept bit for bit


def test_stimulus_set_round_trip(tmp_path):
    images = np.random.default_rng(1).random((3, 8, 8, 1))
    stimuli = StimulusSet.create(images, ["a", "b", "c"], attrs={"identifier": "test.set"})
    save_netcdf(stimuli, tmp_path / "s.nc")
    loaded = load_netcdf(tmp_path / "s.nc")
    assert type(loaded) is StimulusSet and loaded.identifier == "test.set"
    assert loaded.identical(stimuli)


def test_brainscore_conventions_and_trial_mean():
    assembly = _assembly()
    assert assembly.dims == ("presentation", "neuroid", "repetition")
    mean = assembly.trial_mean()
    assert mean.dims == ("presentation", "neuroid")
    assert mean.values[0, 0] == pytest.approx(np.nanmean(assembly.values[0, 0]))
    assert list(mean.sel(neuroid=mean["area"] == "VISl")["neuroid_id"].values) == ["n2", "n3"]


def test_duplicate_stimulus_ids_and_bad_images_are_rejected():
    with pytest.raises(DataError, match="duplicate stimulus ids"):
        NeuroidAssembly.create(np.zeros((2, 1)), ["a", "a"], ["n"])
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        StimulusSet.create(np.full((1, 4, 4, 3), 2.0), ["a"])
    with pytest.raises(DataError, match="1 or 3 channels"):
        StimulusSet.create(np.zeros((1, 4, 4, 2)), ["a"])


def test_corrupt_netcdf_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.nc"
    path.write_bytes(b"not a netcdf file")
    with pytest.raises(DataError, match="cannot read netCDF"):
        load_netcdf(path)
