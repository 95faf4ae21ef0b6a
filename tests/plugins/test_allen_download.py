"""`mousescore data build allen --download` end to end, offline, against a local mirror of the Allen bucket
(served on 127.0.0.1 with range requests, see mirror_server.py): manifests in the real layout of
``ophys_experiments.json`` and ``cell_specimens.json``, NWB 1.x files in the layout the builder reads."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from mousescore_allen.builder import build_allen_assembly
from mousescore_allen.download import download_and_build, select_experiments
from test_allen_builder import make_session, make_traces, write_nwb

from mousescore import DataError, load_netcdf
from tests.mirror_server import MirrorServer

OPTIONS = {"n_repetitions": 6, "n_splits": 8, "seed": 3}
SET = [argument for key, value in OPTIONS.items() for argument in ("--set", f"{key}={value}")]

# id: (container, area, depth, cre line, failed container, cells)
EXPERIMENTS = {
    601: (9601, "VISp", 175, "Cux2-CreERT2", False, 3),
    602: (9602, "VISl", 275, "Rorb-IRES2-Cre", False, 3),
    603: (9603, "VISp", 375, "Rbp4-Cre_KL100", False, 2),
    604: (9604, "VISal", 175, "Sst-IRES-Cre", False, 2),     # inhibitory: never fetched
    605: (9605, "VISp", 175, "Cux2-CreERT2", True, 2),       # failed container: never fetched
}
FETCHED = [601, 602, 603]


def experiment_record(experiment_id, container, area, depth, cre, failed, session="three_session_B"):
    """A record as the bucket's ophys_experiments.json holds it (the AllenSDK API's fields)."""
    return {"id": experiment_id, "stimulus_name": session, "experiment_container_id": container,
            "imaging_depth": depth, "targeted_structure": {"acronym": area},
            "experiment_container": {"id": container, "failed": failed},
            "specimen": {"name": f"{cre.split('-')[0]};Camk2a-tTA;Ai93-{container}",
                         "donor": {"external_donor_name": str(container + 100000),
                                   "transgenic_lines": [
                                       {"name": cre, "transgenic_line_type_name": "driver"},
                                       {"name": "Ai93(TITL-GCaMP6f)", "transgenic_line_type_name": "reporter"}]}}}


@pytest.fixture
def mirror_files(tmp_path):
    """<root>/visual-coding-2p/{ophys_experiments.json, cell_specimens.json, ophys_experiment_data/*.nwb}."""
    bucket = tmp_path / "mirror" / "visual-coding-2p"
    (bucket / "ophys_experiment_data").mkdir(parents=True)
    rng = np.random.default_rng(11)
    records, cells = [], []
    for experiment_id, (container, area, depth, cre, failed, n_cells) in EXPERIMENTS.items():
        records.append(experiment_record(experiment_id, container, area, depth, cre, failed))
        records.append(experiment_record(experiment_id + 1000, container, area, depth, cre, failed,
                                         session="three_session_A"))     # same container, other session
        frame, start, end, n_frames = make_session(rng, 6, blanks=4)
        ids = [experiment_id * 10 + c for c in range(n_cells)]
        dff = make_traces(rng, frame, start, n_frames, ["signal"] * n_cells)
        write_nwb(bucket / "ophys_experiment_data" / f"{experiment_id}.nwb", experiment_id, container, ids, dff,
                  frame, start, end)
        for cell in ids:
            cells.append({"cell_specimen_id": cell, "area": area, "imaging_depth": depth, "tld1_name": cre,
                          "specimen_id": container + 7, "p_run_mod_ns": 0.5, "experiment_container_id": container,
                          "failed_experiment_container": "t" if failed else "f"})
    (bucket / "ophys_experiments.json").write_text(json.dumps(records))
    (bucket / "cell_specimens.json").write_text(json.dumps(cells))
    return bucket


@pytest.fixture
def mirror(mirror_files):
    with MirrorServer(mirror_files.parent) as server:
        server.bucket = mirror_files
        server.root_url = f"{server.url}/visual-coding-2p"
        yield server


def source_build(bucket, experiment_ids=FETCHED):
    paths = [bucket / "ophys_experiment_data" / f"{i}.nwb" for i in experiment_ids]
    return build_allen_assembly(paths, bucket / "cell_specimens.json", **OPTIONS).assembly


def assert_same_assembly(built, expected):
    np.testing.assert_array_equal(built.values, expected.values)      # NaN where NaN, bit for bit
    assert list(built.coords) == list(expected.coords)
    for name in expected.coords:
        np.testing.assert_array_equal(built[name].values, expected[name].values)


def cli(home, *args, popen=None):
    env = {**os.environ, "MOUSESCORE_HOME": str(home)}
    command = [sys.executable, "-m", "mousescore.cli", *args]
    if popen is not None:
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def test_selection_follows_the_manifest(mirror_files):
    records = json.loads((mirror_files / "ophys_experiments.json").read_text())
    assert [r["id"] for r in select_experiments(records)] == FETCHED
    assert [r["id"] for r in select_experiments(records, areas=["VISp"], cre_lines=["Cux2"])] == [601]
    assert [r["id"] for r in select_experiments(records, include_failed=True, excitatory_only=False)] == \
        [601, 602, 603, 604, 605]
    with pytest.raises(DataError, match="unknown area 'VISx'. Did you mean: VISp"):
        select_experiments(records, areas=["VISx"])
    with pytest.raises(DataError, match="unknown Cre line 'Cux3'. Did you mean: Cux2"):
        select_experiments(records, cre_lines=["Cux3"])


def test_one_command_builds_the_assembly_the_source_build_makes_and_registers_benchmarks(mirror, tmp_path):
    """Check 1: the downloaded build equals `--source` on the same files, bit for bit."""
    home = tmp_path / "home"
    built = cli(home, "data", "build", "allen", "--download", "--mirror", mirror.root_url, "--keep-nwb", *SET)
    assert built.returncode == 0, built.stderr
    assert "3 three_session_B experiment(s) chosen, 0 already reduced, 3 to fetch" in built.stderr
    assert "reliable: 8 neurons" in built.stdout
    assembly = load_netcdf(home / "built" / "allen_neurons.nc")
    assert_same_assembly(assembly, source_build(mirror.bucket))
    fetched = sorted(path for _, path, _ in mirror.requests("GET", "ophys_experiment_data"))
    assert fetched == [f"/visual-coding-2p/ophys_experiment_data/{i}.nwb" for i in FETCHED]

    work = home / "allen_download"       # --keep-nwb: the folder is itself a `--source` folder
    by_source = cli(tmp_path / "home2", "data", "build", "allen", "--source", str(work), *SET)
    assert by_source.returncode == 0, by_source.stderr
    assert_same_assembly(load_netcdf(tmp_path / "home2" / "built" / "allen_neurons.nc"), assembly)
    fresh = tmp_path / "home3"
    bad = cli(fresh, "data", "build", "allen", "--download", "--mirror", mirror.root_url, "--set", "no_such=1")
    assert bad.returncode == 2 and "bad builder option" in bad.stderr and "no_such" in bad.stderr
    assert not (fresh / "allen_download").exists()             # refused before any download
    stray = cli(home, "data", "build", "allen", "--source", str(work), "--areas", "VISp")
    assert stray.returncode == 2 and "--areas only apply with --download" in stray.stderr
    listing = cli(home, "list", "benchmarks").stdout
    assert "allen.VISp-srp_ridge" in listing and "allen.VISl_layer4-srp_ridge" in listing
    assert "allen.Sst-rsa" not in listing                    # the inhibitory experiment was never fetched


def test_a_killed_build_resumes_only_what_is_missing(mirror, tmp_path):
    """Check 2: kill the command mid-download; the rerun fetches and reduces only experiment 603."""
    home, work = tmp_path / "home", tmp_path / "home" / "allen_download"
    stalled = "/visual-coding-2p/ophys_experiment_data/603.nwb"
    mirror.stall[stalled] = threading.Event()
    process = cli(home, "data", "build", "allen", "--download", "--mirror", mirror.root_url, *SET,
                  popen={"start_new_session": True})
    deadline = time.monotonic() + 300
    part = work / "603.nwb.part"
    while not (mirror.stalled.is_set() and part.exists() and part.stat().st_size > 0
               and all((work / "reduced" / f"{i}.npz").exists() for i in (601, 602))):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the build never reached experiment 603"
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)              # the command and its Dask workers
    process.wait()
    mirror.stall.pop(stalled).set()
    size = (mirror.bucket / "ophys_experiment_data" / "603.nwb").stat().st_size
    assert part.exists() and 0 < part.stat().st_size < size
    assert not (home / "built" / "allen_neurons.nc").exists()
    kept = {i: (work / "reduced" / f"{i}.npz").stat().st_mtime_ns for i in (601, 602)}
    held = part.stat().st_size

    del mirror.log[:]
    rerun = cli(home, "data", "build", "allen", "--download", "--mirror", mirror.root_url, *SET)
    assert rerun.returncode == 0, rerun.stderr
    assert "2 already reduced, 1 to fetch" in rerun.stderr
    assert mirror.requests("GET") == [("GET", stalled, f"bytes={held}-")]     # the rest of 603 only
    assert {i: (work / "reduced" / f"{i}.npz").stat().st_mtime_ns for i in (601, 602)} == kept
    assert not list(work.glob("*.nwb*"))                                      # deleted once reduced
    assert_same_assembly(load_netcdf(home / "built" / "allen_neurons.nc"), source_build(mirror.bucket))


def test_truncated_and_corrupt_files_are_refetched_and_a_missing_experiment_is_named(mirror, tmp_path, monkeypatch):
    """Check 3, in-process: a dropped connection, a truncated file left on disk, corrupt bytes, a 404."""
    home, work = tmp_path / "home", tmp_path / "work"
    monkeypatch.setenv("MOUSESCORE_HOME", str(home))
    nwb = "/visual-coding-2p/ophys_experiment_data/{}.nwb"
    mirror.drop_once.add(nwb.format(601))                  # connection drops halfway
    work.mkdir()
    original = (mirror.bucket / "ophys_experiment_data" / "602.nwb").read_bytes()
    (work / "602.nwb").write_bytes(original[:len(original) // 3])   # a truncated copy from a crash
    mirror.corrupt_once.add(nwb.format(603))               # flipped bytes: the MD5 ETag catches them
    moved = mirror.bucket / "ophys_experiment_data" / "603.nwb"
    lines = []
    download_and_build(mirror=mirror.root_url, directory=work, workers=1, log=lines.append, **OPTIONS)
    size_601 = (mirror.bucket / "ophys_experiment_data" / "601.nwb").stat().st_size
    assert [r[2] for r in mirror.requests("GET", "601.nwb")] == [None, f"bytes={size_601 // 2}-"]  # resumed
    assert [r[2] for r in mirror.requests("GET", "602.nwb")] == [None]     # refetched whole
    assert len(mirror.requests("GET", "603.nwb")) == 2                     # corrupt once, then good
    assert_same_assembly(load_netcdf(home / "built" / "allen_neurons.nc"), source_build(mirror.bucket))

    # a mirror that lacks 603: named, the others done, no assembly unless --allow-missing
    for reduced in (work / "reduced").glob("*.npz"):
        reduced.unlink()
    moved.rename(tmp_path / "603.nwb")
    (home / "built" / "allen_neurons.nc").unlink()
    with pytest.raises(DataError, match=r"1 experiment\(s\) could not be fetched \(603: could not reach"):
        download_and_build(mirror=mirror.root_url, directory=work, workers=1, log=lines.append, **OPTIONS)
    assert sorted(p.name for p in (work / "reduced").glob("*.npz")) == ["601.npz", "602.npz"]
    assert any("2 to fetch: 0.5 MB to download; 1 not on the server" in line for line in lines)
    assert not (home / "built" / "allen_neurons.nc").exists()
    download_and_build(mirror=mirror.root_url, directory=work, workers=1, log=lines.append,
                       allow_missing=True, **OPTIONS)
    partial = load_netcdf(home / "built" / "allen_neurons.nc")
    assert partial.attrs["missing_experiments"] == "603"
    assert_same_assembly(partial, source_build(mirror.bucket, [601, 602]))


def test_peak_disk_is_about_one_nwb_file_per_worker(mirror, tmp_path, monkeypatch):
    """Check 4: with the NWB files deleted once reduced, the folder never holds more than one NWB file per
    worker beside the manifests and the reduced files (sampled every 2 ms on a slow link)."""
    work, workers = tmp_path / "work", 2
    mirror.seconds_per_chunk = 0.01                     # ~0.2 s per file: the sampler sees every peak
    samples, done = [], threading.Event()

    def sample():
        while not done.is_set():
            total = 0
            for path in list(work.rglob("*")) if work.exists() else []:
                try:
                    total += path.stat().st_size if path.is_file() else 0
                except FileNotFoundError:             # renamed or deleted under us
                    pass
            samples.append(total)
            time.sleep(0.002)
    sampler = threading.Thread(target=sample)
    monkeypatch.setenv("MOUSESCORE_HOME", str(tmp_path / "home"))
    sampler.start()
    try:
        download_and_build(mirror=mirror.root_url, directory=work, workers=workers, log=lambda m: None, **OPTIONS)
    finally:
        done.set()
        sampler.join()
    sizes = [(mirror.bucket / "ophys_experiment_data" / f"{i}.nwb").stat().st_size for i in FETCHED]
    manifests = sum((work / name).stat().st_size for name in ("ophys_experiments.json", "cell_specimens.json"))
    reduced = sum(path.stat().st_size for path in (work / "reduced").glob("*.npz"))
    peak = max(samples)
    bound = manifests + reduced + workers * max(sizes)
    print(f"peak {peak} B; bound {bound} B (manifests {manifests}, reduced {reduced}, NWB {sizes}); "
          f"all NWB files {sum(sizes)} B")
    assert peak <= bound
    assert peak > manifests + max(sizes) // 2            # the sampler did see a download in flight
    assert peak < manifests + reduced + sum(sizes)       # never all NWB files at once


def test_an_existing_dask_scheduler_runs_the_experiments(mirror, tmp_path, monkeypatch):
    """`--scheduler tcp://…`: the tasks run on that cluster's workers, not on a LocalCluster of its own."""
    from dask.distributed import Client, LocalCluster
    monkeypatch.setenv("MOUSESCORE_HOME", str(tmp_path / "home"))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            download_and_build(mirror=mirror.root_url, directory=tmp_path / "work", scheduler=cluster.scheduler_address,
                               log=lambda m: None, **OPTIONS)
            ran = {str(key).split("-")[0] for key in client.run_on_scheduler(
                lambda dask_scheduler: [entry[0] for entry in dask_scheduler.transition_log])}
    assert "fetch_and_reduce" in ran
    assert_same_assembly(load_netcdf(tmp_path / "home" / "built" / "allen_neurons.nc"), source_build(mirror.bucket))
