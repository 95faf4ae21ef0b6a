"""Distributed scoring on a 2-worker Dask LocalCluster: one task per (model, stimulus set), results
stored as each task finishes, and a killed sweep resumes without redoing finished work."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from mousescore.code_identity import code_identity
from mousescore.registry.plugins import get_registry
from mousescore.results.store import ResultStore
from mousescore.scoring.sweep import plan

# The cheapest models: what is tested is the resumption (the first sweep is killed once a score is
# stored), not throughput; random CNNs on the Allen scenes took ~10 min each on a loaded machine.
MODELS = ["pixels", "random_fourier", "gabor", "gist", "alexnet-random"]
BENCHMARKS = ["allen.VISp*-rsa", "allen_surrogate.VISp-srp_ridge", "kriegeskorte2008.IT-rsa"]


def _sweep(home, *extra):
    command = [sys.executable, "-m", "mousescore.cli", "sweep", "--models", *MODELS,
               "--benchmarks", *BENCHMARKS, "--workers", "2", *extra]
    # A new session: killing its process group kills the client, the scheduler and both workers.
    return subprocess.Popen(command, env=dict(os.environ, MOUSESCORE_HOME=str(home)), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _rows(home):
    path = home / "results.sqlite"
    if not path.exists():
        return {}
    try:
        with sqlite3.connect(path, timeout=60) as db:
            return {(m, b): record for m, b, record in db.execute("SELECT model, benchmark, record FROM scores")}
    except sqlite3.OperationalError:   # polled between the file's creation and its table's
        return {}


def test_plan_groups_by_stimulus_set_and_skips_stored(real_data, fresh_home):
    registry = get_registry()
    benchmarks = registry.match("benchmark", ["allen.VISp-rsa", "allen_surrogate.VISp-rsa",
                                              "kriegeskorte2008.IT-rsa"])
    store = ResultStore()
    tasks, reused = plan(["pixels", "gabor"], benchmarks, store, registry)
    assert reused == 0
    assert sorted((t.model, t.stimulus_set, tuple(t.benchmarks)) for t in tasks) == [
        ("gabor", "allen.natural_scenes", ("allen.VISp-rsa", "allen_surrogate.VISp-rsa")),
        ("gabor", "kriegeskorte2008.92_objects", ("kriegeskorte2008.IT-rsa",)),
        ("pixels", "allen.natural_scenes", ("allen.VISp-rsa", "allen_surrogate.VISp-rsa")),
        ("pixels", "kriegeskorte2008.92_objects", ("kriegeskorte2008.IT-rsa",))]
    from mousescore.scoring.score_model import score_model
    score_model("pixels", ["allen.VISp-rsa"], store=store, progress=False, log=lambda m: None)
    tasks, reused = plan(["pixels", "gabor"], benchmarks, store, registry)
    assert reused == 1
    assert ("pixels", "allen.natural_scenes", ["allen_surrogate.VISp-rsa"]) in [
        (t.model, t.stimulus_set, t.benchmarks) for t in tasks]
    assert len(plan(["pixels"], benchmarks, store, registry, force=True)[0][0].benchmarks) == 2


def test_killed_sweep_resumes_only_the_missing_work(real_data, tmp_path):
    home = tmp_path / "home"
    n_benchmarks = len(get_registry().match("benchmark", BENCHMARKS))
    total = len(MODELS) * n_benchmarks
    first = _sweep(home)
    deadline = time.monotonic() + 600
    try:
        while not _rows(home) and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    before = _rows(home)
    assert 0 < len(before) < total, f"kill the sweep midway: {len(before)} of {total} stored"

    second = _sweep(home)
    out, err = second.communicate(timeout=1800)     # a guard against a hang, not a speed claim (~3 min loaded)
    assert second.returncode == 0, err[-2000:]
    assert f"{len(before)} pair(s) already stored, {total - len(before)} to score" in err
    after = _rows(home)
    assert len(after) == total
    assert all(after[key] == record for key, record in before.items())   # finished work kept as it was
    assert f"sweep: {total - len(before)} score(s) stored, {len(before)} reused, 0 task(s) failed" in out

    again = _sweep(home)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0 and f"{total} pair(s) already stored, 0 to score" in err
    assert _rows(home) == after


@pytest.mark.parametrize("arguments, message", [
    (["--models", "alexnet-randon"], "unknown model 'alexnet-randon'"),
    (["--models", "pixels", "--benchmarks", "allen.NOPE*"], "no benchmark matches"),
])
def test_bad_sweep_arguments_exit_2(arguments, message, fresh_home):
    if "--benchmarks" not in arguments:
        arguments = arguments + ["--benchmarks", "allen.VISp-rsa"]
    result = subprocess.run([sys.executable, "-m", "mousescore.cli", "sweep", *arguments],
                            capture_output=True, text=True, env=dict(os.environ, MOUSESCORE_HOME=str(fresh_home)))
    assert result.returncode == 2 and message in result.stderr


def test_score_on_a_scheduler_prints_the_scores_and_with_quiet_no_sweep_lines(real_data, tmp_path):
    """``mousescore score --scheduler``: the scores of this code, as a local run prints them; ``--quiet``
    keeps the sweep's progress lines off stderr as it does the extraction's."""
    from dask.distributed import LocalCluster
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        def score(*extra):
            result = subprocess.run([sys.executable, "-m", "mousescore.cli", "score", "pixels", "allen.VISp-rsa",
                                     "--scheduler", cluster.scheduler_address, "--json", *extra],
                                    env=dict(os.environ, MOUSESCORE_HOME=str(tmp_path)), capture_output=True,
                                    text=True, timeout=600)
            assert result.returncode == 0, result.stderr
            return result
        told = score()
        quiet = score("--quiet", "--force")
    assert "sweep: stored pixels on allen.natural_scenes" in told.stderr
    assert "sweep:" not in quiet.stderr
    assert [s["value"] for s in json.loads(quiet.stdout)] == [s["value"] for s in json.loads(told.stdout)]
    # stored under the code identity the worker reported (a remote worker may run other code)
    assert ResultStore(tmp_path / "results.sqlite").get_with_code("pixels", "allen.VISp-rsa")[1] == code_identity()
