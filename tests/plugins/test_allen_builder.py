"""The Allen per-neuron builder, on small files written here in the real Brain Observatory layouts.

Each NWB 1.x file carries a synthetic dF/F trace at 30 Hz and a natural_scenes stimulus table (118 scenes
and the blank, a few trials each); the cell-specimens table is written as the S3 ``cell_specimens.json``.
Every number the builder returns is checked against a direct numpy computation from those arrays.
"""
import json

import h5py
import numpy as np
import pandas as pd
import pytest
from mousescore_allen.builder import (
    COUNT_STEPS,
    build_allen_assembly,
    cortical_layer,
    is_excitatory,
    load_cell_table,
    read_experiment,
)

from mousescore.data.assemblies import load_netcdf, save_netcdf
from mousescore.errors import DataError

N_SCENES = 118
LENGTH = 7          # frames per presentation (0.25 s at 30 Hz)
WINDOW = 2 * LENGTH  # the builder's default response window
SPACING = 14        # frames between onsets: windows never overlap, so the blank cannot leak in
BLANK_DFF = 50.0    # dF/F added during blank presentations: any leak would be obvious


def make_session(rng, trials, blanks, fewer=None):
    """A shuffled natural_scenes table: ``trials`` per scene (``fewer``: {scene: n}), ``blanks`` blanks."""
    counts = np.full(N_SCENES, trials)
    for scene, n in (fewer or {}).items():
        counts[scene] = n
    frame = np.concatenate([np.repeat(np.arange(N_SCENES), counts), np.full(blanks, -1)])
    rng.shuffle(frame)
    start = 30 + SPACING * np.arange(len(frame))
    return frame, start, start + LENGTH, int(start[-1] + SPACING + 30)


def make_traces(rng, frame, start, n_frames, kinds):
    """dF/F per cell: 'signal' (scene tuning + noise), 'clean' (tuning only) or 'noise' (noise only)."""
    dff = np.zeros((len(kinds), n_frames), dtype=np.float32)
    for c, kind in enumerate(kinds):
        tuning = rng.standard_normal(N_SCENES)
        if kind != "clean":
            dff[c] = 0.3 * rng.standard_normal(n_frames)
        for f, s in zip(frame, start):
            if f < 0:
                dff[c, s:s + LENGTH] += BLANK_DFF
            elif kind != "noise":
                dff[c, s:s + LENGTH] += tuning[f]
    return dff


def write_nwb(path, experiment_id, container_id, cell_ids, dff, frame, start, end,
              group="natural_scenes_stimulus"):
    """The HDF5 layout AllenSDK's BrainObservatoryNwbDataSet reads."""
    with h5py.File(path, "w") as f:
        f.attrs["nwb_version"] = "NWB-1.0.5"
        f["general/session_id"] = str(experiment_id).encode()          # a string in the real files
        f["general/experiment_container_id"] = container_id
        f["general/session_type"] = b"three_session_B"
        pipeline = f.create_group("processing/brain_observatory_pipeline")
        pipeline["ImageSegmentation/cell_specimen_ids"] = np.asarray(cell_ids, dtype=np.int64)
        pipeline["DfOverF/imaging_plane_1/data"] = dff
        pipeline["DfOverF/imaging_plane_1/timestamps"] = np.arange(dff.shape[1]) / 30.0
        stim = f.create_group(f"stimulus/presentation/{group}")
        stim["data"] = frame.astype(np.float64)
        stim["frame_duration"] = np.stack([start, end], axis=1).astype(np.float64)
    return path


# cell id, cre line, kind, p_run_mod_ns
EXPERIMENTS = {
    # VISp L2/3 Cux2 container: two reliable cells (one untested for running), a noise cell, a runner
    501: dict(container=9001, specimen=1111, area="VISp", depth=175, cre="Cux2-CreERT2", failed="f",
              trials=6, fewer={5: 4, 17: 4},
              cells=[(1001, "signal", 0.40), (1002, "signal", np.nan), (1003, "noise", 0.70),
                     (1004, "signal", 0.001)]),
    # an inhibitory line
    502: dict(container=9002, specimen=2222, area="VISal", depth=275, cre="Sst-IRES-Cre", failed="f",
              trials=6, fewer={}, cells=[(2001, "signal", 0.50)]),
    # a failed container (AllenSDK drops these by default); 5 trials, so padded differently from 501
    503: dict(container=9003, specimen=3333, area="VISl", depth=375, cre="Rbp4-Cre_KL100", failed="t",
              trials=5, fewer={}, cells=[(3001, "signal", 0.20), (3002, "clean", 0.90)]),
}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("allen")
    rng = np.random.default_rng(7)
    sessions, rows, paths = {}, [], []
    for experiment_id, e in EXPERIMENTS.items():
        frame, start, end, n_frames = make_session(rng, e["trials"], blanks=4, fewer=e["fewer"])
        ids = [c[0] for c in e["cells"]]
        dff = make_traces(rng, frame, start, n_frames, [c[1] for c in e["cells"]])
        paths.append(write_nwb(root / f"{experiment_id}.nwb", experiment_id, e["container"], ids, dff,
                               frame, start, end))
        sessions[experiment_id] = (frame, start, dff, ids)
        for cell_id, _, p_run in e["cells"]:
            rows.append({"cell_specimen_id": cell_id, "area": e["area"], "imaging_depth": e["depth"],
                         "tld1_name": e["cre"], "tld2_name": "Camk2a-tTA", "specimen_id": e["specimen"],
                         "donor_full_genotype": f"{e['cre']}/wt;Ai93(TITL-GCaMP6f)/wt",
                         "p_run_mod_ns": None if np.isnan(p_run) else p_run,
                         "experiment_container_id": e["container"],
                         "failed_experiment_container": e["failed"]})
    rows.append({**rows[0], "cell_specimen_id": 9999})   # a cell of an experiment not given: ignored
    table = root / "cell_specimens.json"
    table.write_text(json.dumps(rows))
    return {"paths": paths, "table": table, "sessions": sessions, "rows": rows, "root": root}


def direct_responses(frame, start, dff, n_repetitions):
    """(scene, cell, repetition): a scene's presentations in time order, mean dF/F over 14 frames."""
    out = np.full((N_SCENES, dff.shape[0], n_repetitions), np.nan)
    seen = np.zeros(N_SCENES, dtype=int)
    for i in np.argsort(start):
        if frame[i] >= 0:
            out[frame[i], :, seen[frame[i]]] = dff[:, start[i]:start[i] + WINDOW].astype(np.float64).mean(1)
            seen[frame[i]] += 1
    return out


def direct_reliability(responses, n_splits, seed):
    """Split-half reliability with explicit loops: per scene, half the valid trials by the same draws."""
    rng = np.random.default_rng(seed)
    valid = ~np.isnan(responses).all(axis=1)
    estimates, sizes = [], set()
    counts = valid.sum(axis=1)
    n1, n2 = np.mean(counts // 2), np.mean(counts - counts // 2)
    for _ in range(n_splits):
        keys = rng.random(valid.shape)
        first = np.zeros(responses.shape[:2])
        second = np.zeros(responses.shape[:2])
        for scene in range(N_SCENES):
            trials = np.flatnonzero(valid[scene])
            ordered = trials[np.argsort(keys[scene, trials])]
            a, b = ordered[:len(trials) // 2], ordered[len(trials) // 2:]
            sizes.add((len(a), len(b)))
            first[scene] = responses[scene][:, a].mean(axis=1)
            second[scene] = responses[scene][:, b].mean(axis=1)
        r = np.array([np.corrcoef(first[:, c], second[:, c])[0, 1] for c in range(first.shape[1])])
        estimates.append([unequal_halves_reliability(value, n1, n2) for value in r])
    return np.mean(estimates, axis=0), sizes


def unequal_halves_reliability(r, n1, n2):
    """Spearman–Brown for halves of n1 and n2 repeats, by root finding: the single-repeat reliability
    whose half means correlate at r (classical model), extrapolated to n1 + n2 repeats."""
    from scipy.optimize import brentq
    if r <= 0 or n1 == n2:
        return 2 * r / (1 + r)
    of = lambda n, single: n * single / (1 + (n - 1) * single)      # noqa: E731
    single = brentq(lambda x: np.sqrt(of(n1, x) * of(n2, x)) - r, 1e-15, 1.0, xtol=1e-15)
    return of(n1 + n2, single)


def pick(assembly, ids):
    """The neuroids with these cell ids, in this order (neuroid_id is a coord, not an index)."""
    position = {n: i for i, n in enumerate(assembly["neuroid_id"].values)}
    return assembly.isel(neuroid=[position[str(i)] for i in ids])


def build(data, **kwargs):
    kwargs = {"n_repetitions": 6, "n_splits": 8, "seed": 3, **kwargs}
    return build_allen_assembly(data["paths"], data["table"], **kwargs)


def test_counts_after_each_filter(data):
    result = build(data)
    assert list(result.counts) == list(COUNT_STEPS)
    # 7 cells; the failed container's 2 go; the Sst cell goes; the runner goes; the noise cell goes.
    assert list(result.counts.values()) == [7, 5, 4, 3, 2]
    assert {k: result.assembly.attrs[f"count_{k}"] for k in COUNT_STEPS} == result.counts
    assert list(result.assembly["neuroid_id"].values) == ["1001", "1002"]   # NaN p_run_mod_ns is kept

    everything = build(data, include_failed=True, excitatory_only=False, max_p_run_mod=None,
                       min_reliability=None)
    assert list(everything.counts.values()) == [7, 7, 7, 7, 7]
    with_failed = build(data, include_failed=True)
    assert list(with_failed.counts.values()) == [7, 7, 6, 5, 4]
    assert list(with_failed.assembly["neuroid_id"].values) == ["1001", "1002", "3001", "3002"]


def test_trial_responses_equal_direct_computation(data):
    assembly = build(data, include_failed=True, excitatory_only=False, max_p_run_mod=None,
                     min_reliability=None).assembly
    assert assembly.dims == ("presentation", "neuroid", "repetition")
    assert assembly.shape == (N_SCENES, 7, 6)
    for experiment_id, (frame, start, dff, ids) in data["sessions"].items():
        expected = direct_responses(frame, start, dff, 6)
        got = pick(assembly, ids).values
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_stimulus_ids_order_blank_dropped_and_nan_padding(data):
    assembly = build(data, include_failed=True, min_reliability=None).assembly
    assert list(assembly["stimulus_id"].values) == [f"allen_scene_{i:03d}" for i in range(N_SCENES)]
    assert list(assembly["scene_index"].values) == list(range(N_SCENES))
    assert np.nanmax(np.abs(assembly.values)) < BLANK_DFF / 10          # no blank presentation in
    a = pick(assembly, [1001, 1002, 1003]).values          # 6 trials, scenes 5, 17: 4
    assert np.isnan(a[[5, 17]][:, :, 4:]).all() and not np.isnan(a[[5, 17]][:, :, :4]).any()
    others = np.setdiff1d(np.arange(N_SCENES), [5, 17])
    assert not np.isnan(a[others]).any()
    c = pick(assembly, [3001, 3002]).values                  # 5 trials in experiment 503
    assert np.isnan(c[:, :, 5]).all() and not np.isnan(c[:, :, :5]).any()


def test_metadata_coords(data):
    assembly = build(data, include_failed=True, excitatory_only=False, max_p_run_mod=None,
                     min_reliability=None).assembly
    one = pick(assembly, [1002]).squeeze("neuroid")
    assert int(one["cell_specimen_id"]) == 1002 and str(one["mouse"].values) == "1111"
    assert str(one["area"].values) == "VISp" and int(one["imaging_depth"]) == 175
    assert str(one["cortical_layer"].values) == "layer23" and str(one["cre_line"].values) == "Cux2-CreERT2"
    assert bool(one["excitatory"]) and np.isnan(float(one["p_run_mod_ns"]))
    assert int(one["experiment_id"]) == 501 and int(one["experiment_container_id"]) == 9001
    assert list(assembly["cell_specimen_id"].values) == [1001, 1002, 1003, 1004, 2001, 3001, 3002]
    assert list(assembly["excitatory"].values) == [True] * 4 + [False] + [True] * 2
    assert list(assembly["cortical_layer"].values) == ["layer23"] * 4 + ["layer4"] + ["layer5"] * 2
    assert list(assembly["area"].values) == ["VISp"] * 4 + ["VISal"] + ["VISl"] * 2
    assert list(assembly["mouse"].values) == ["1111"] * 4 + ["2222"] + ["3333"] * 2
    np.testing.assert_allclose(assembly["p_run_mod_ns"].values,
                               [0.4, np.nan, 0.7, 0.001, 0.5, 0.2, 0.9], equal_nan=True)
    assert list(assembly["experiment_id"].values) == [501] * 4 + [502] + [503] * 2


def test_reliability_equals_direct_computation(data):
    assembly = build(data, include_failed=True, excitatory_only=False, max_p_run_mod=None,
                     min_reliability=None).assembly
    for experiment_id, (frame, start, dff, ids) in data["sessions"].items():
        expected, sizes = direct_reliability(direct_responses(frame, start, dff, 6), 8, 3)
        got = pick(assembly, ids)["reliability"].values
        np.testing.assert_allclose(got, expected, rtol=1e-10)
    reliability = dict(zip(assembly["neuroid_id"].values, assembly["reliability"].values))
    assert reliability["3002"] == pytest.approx(1.0)                   # noise-free cell
    assert reliability["1001"] > 0.95 and abs(reliability["1003"]) < 0.5   # tuned vs noise only


def test_fifty_trials_split_25_25(tmp_path):
    """The paper's case: 50 trials per scene split 25/25 (a scene with 49 splits 24/25)."""
    rng = np.random.default_rng(11)
    frame, start, end, n_frames = make_session(rng, 50, blanks=50, fewer={3: 49})
    dff = make_traces(rng, frame, start, n_frames, ["signal", "noise"])
    path = write_nwb(tmp_path / "600.nwb", 600, 9600, [6001, 6002], dff, frame, start, end)
    table = pd.DataFrame({"cell_specimen_id": [6001, 6002], "area": "VISpm", "imaging_depth": 550,
                          "tld1_name": "Ntsr1-Cre_GN220", "specimen_id": 6666, "p_run_mod_ns": 0.5,
                          "experiment_container_id": 9600})
    result = build_allen_assembly([path], table, min_reliability=None, n_splits=4, seed=5)
    assert result.assembly.shape == (N_SCENES, 2, 50)                 # default: 50 repetitions
    responses = direct_responses(frame, start, dff, 50)
    np.testing.assert_allclose(result.assembly.values, responses, rtol=1e-12, equal_nan=True)
    expected, sizes = direct_reliability(responses, 4, 5)
    assert sizes == {(25, 25), (24, 25)}
    np.testing.assert_allclose(result.assembly["reliability"].values, expected, rtol=1e-10)
    assert list(result.assembly["cortical_layer"].values) == ["layer6", "layer6"]
    # the default threshold keeps the tuned cell only
    kept = build_allen_assembly([path], table, n_splits=4, seed=5)
    assert list(kept.assembly["neuroid_id"].values) == ["6001"]
    assert list(kept.counts.values()) == [2, 2, 2, 2, 1]


def test_table_formats_and_stimulus_group_name(data, tmp_path):
    """The API answer ({"msg": [...]}), CSV and the NWB group spelt 'natural_scenes' read the same."""
    reference = build(data, include_failed=True)
    api = tmp_path / "api.json"
    api.write_text(json.dumps({"success": True, "msg": data["rows"]}))
    csv = tmp_path / "cells.csv"
    pd.DataFrame(data["rows"]).to_csv(csv, index=False)
    frame, start, dff, ids = data["sessions"][501]
    renamed = write_nwb(tmp_path / "501.nwb", 501, 9001, ids, dff, frame, start, start + LENGTH,
                        group="natural_scenes")
    paths = [renamed] + data["paths"][1:]
    for table in (api, csv, load_cell_table(data["table"]).reset_index()):
        other = build_allen_assembly(paths, table, include_failed=True, n_repetitions=6, n_splits=8,
                                     seed=3)
        assert other.counts == reference.counts
        np.testing.assert_array_equal(other.assembly.values, reference.assembly.values)
        np.testing.assert_array_equal(other.assembly["reliability"].values,
                                      reference.assembly["reliability"].values)


def test_netcdf_round_trip(data, tmp_path):
    assembly = build(data, include_failed=True).assembly
    save_netcdf(assembly, tmp_path / "allen.nc")
    loaded = load_netcdf(tmp_path / "allen.nc")
    np.testing.assert_array_equal(loaded.values, assembly.values)
    assert list(loaded["cortical_layer"].values) == list(assembly["cortical_layer"].values)
    assert loaded.attrs["count_reliable"] == 4 and loaded.attrs["max_p_run_mod_ns"] == 0.05


def test_layers_and_cre_lines():
    assert [cortical_layer(d, "Emx1-IRES-Cre") for d in (175, 199, 200, 275, 300, 375, 499, 500, 550)] == \
        ["layer23", "layer23", "layer4", "layer4", "layer5", "layer5", "layer5", "layer6", "layer6"]
    assert cortical_layer(350, "Scnn1a-Tg3-Cre") == "layer4" == cortical_layer(350, "Nr5a1-Cre")
    assert cortical_layer(275, "Fezf2-CreER") == "layer5"
    assert is_excitatory("Ntsr1-Cre_GN220") and not is_excitatory("Vip-IRES-Cre")
    with pytest.raises(DataError, match="unknown Cre line 'Foo-Cre'"):
        is_excitatory("Foo-Cre")


# ------------------------------------------------------------------------------------------- errors
def test_corrupt_or_incomplete_nwb_files(data, tmp_path):
    garbage = tmp_path / "corrupt.nwb"
    garbage.write_bytes(b"\x89HDF\r\n not really an HDF5 file" * 10)
    with pytest.raises(DataError, match="cannot read NWB file"):
        read_experiment(garbage)

    frame, start, dff, ids = data["sessions"][501]
    def broken(name, edit):
        path = write_nwb(tmp_path / name, 501, 9001, ids, dff, frame, start, start + LENGTH)
        with h5py.File(path, "a") as f:
            edit(f)
        return path

    no_dff = broken("no_dff.nwb", lambda f: f.__delitem__("processing/brain_observatory_pipeline/DfOverF"))
    with pytest.raises(DataError, match="no dataset 'processing/brain_observatory_pipeline/DfOverF"):
        read_experiment(no_dff)
    session_a = broken("a.nwb", lambda f: f.__delitem__("stimulus/presentation/natural_scenes_stimulus"))
    with pytest.raises(DataError, match="no natural scenes stimulus"):
        read_experiment(session_a)

    def bad_bounds(f):
        del f["stimulus/presentation/natural_scenes_stimulus/frame_duration"]
        f["stimulus/presentation/natural_scenes_stimulus/frame_duration"] = np.zeros((3, 2))
    with pytest.raises(DataError, match="frame_duration has shape"):
        read_experiment(broken("bounds.nwb", bad_bounds))

    def bad_frames(f):
        f["stimulus/presentation/natural_scenes_stimulus/data"][0] = 118
    with pytest.raises(DataError, match="natural scene indices"):
        read_experiment(broken("frames.nwb", bad_frames))

    def wrong_cells(f):
        del f["processing/brain_observatory_pipeline/ImageSegmentation/cell_specimen_ids"]
        f["processing/brain_observatory_pipeline/ImageSegmentation/cell_specimen_ids"] = [1, 2]
    with pytest.raises(DataError, match="dF/F has shape"):
        read_experiment(broken("cells.nwb", wrong_cells))

    def short_trace(f):
        del f["processing/brain_observatory_pipeline/DfOverF/imaging_plane_1/data"]
        f["processing/brain_observatory_pipeline/DfOverF/imaging_plane_1/data"] = dff[:, :start.max()]
    with pytest.raises(DataError, match="runs outside"):
        build_allen_assembly([broken("short.nwb", short_trace)], data["table"], n_repetitions=6)


def test_table_errors(data, tmp_path):
    rows = pd.DataFrame(data["rows"])
    with pytest.raises(DataError, match=r"lacks column\(s\) \['p_run_mod_ns'\]"):
        build_allen_assembly(data["paths"], rows.drop(columns="p_run_mod_ns"), n_repetitions=6)
    with pytest.raises(DataError, match="not in the cell-specimens table"):
        build_allen_assembly(data["paths"], rows[rows.cell_specimen_id != 1003], n_repetitions=6)
    moved = rows.assign(experiment_container_id=rows.experiment_container_id + 1)
    with pytest.raises(DataError, match="another experiment container"):
        build_allen_assembly(data["paths"], moved, n_repetitions=6)
    with pytest.raises(DataError, match="duplicate cell_specimen_id"):
        load_cell_table(pd.concat([rows, rows.iloc[:1]]))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(DataError, match="cannot read the cell-specimens table"):
        load_cell_table(bad)


def test_other_errors(data):
    with pytest.raises(DataError, match="more than n_repetitions=5"):
        build(data, n_repetitions=5)
    with pytest.raises(DataError, match="no neuron passed"):
        build(data, min_reliability=1.01)


def test_data_build_command_registers_and_scores_per_neuron_benchmarks(data, real_data, tmp_path):
    """`mousescore data build allen` writes the assembly; its benchmarks appear and score."""
    import os
    import subprocess
    import sys
    env = {**os.environ, "MOUSESCORE_HOME": str(tmp_path / "home")}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "mousescore.cli", *args], capture_output=True,
                              text=True, env=env, timeout=600)

    assert "allen.VISp-srp_ridge" not in cli("list", "benchmarks").stdout
    built = cli("data", "build", "allen", "--source", str(data["root"]), "--set", "n_repetitions=6",
                "--set", "n_splits=8", "--set", "seed=3")
    assert built.returncode == 0, built.stderr
    for step, count in build(data).counts.items():      # the same options as the command's
        assert f"{step}: {count} neurons" in built.stdout
    listing = cli("list", "benchmarks").stdout
    assert "allen.VISp-srp_ridge" in listing and "allen.VISp_Cux2-rsa" in listing
    assert "allen.Cux2-srp_ridge" in listing and "allen.Rbp4-rsa" not in listing   # Rbp4: failed container
    scored = cli("score", "alexnet-random", "allen.VISp-srp_ridge", "--json")
    assert scored.returncode == 0, scored.stderr
    assert '"n_units": 2' in scored.stdout
    bad = cli("data", "build", "allen", "--source", str(data["root"]), "--set", "no_such_option=1")
    assert bad.returncode == 2 and "bad builder option" in bad.stderr
    empty = cli("data", "build", "allen", "--source", str(tmp_path))
    assert empty.returncode == 2 and "cell_specimens.json" in empty.stderr
