"""Real processes on one MOUSESCORE_HOME: concurrent runs, and runs killed with SIGKILL at the worst
moments, leave exactly the expected, valid records and no half-written cache entries."""
import json
import os
import signal
import sqlite3
import subprocess
import sys

import pytest

from mousescore.results.score import Score

PY = [sys.executable, "-m", "mousescore.cli"]


def start(home, *args, fault=None):
    env = {**os.environ, "MOUSESCORE_HOME": str(home)}
    if fault:
        env["MOUSESCORE_INJECT_FAULT"] = fault
    return subprocess.Popen([*PY, "score", *args, "--no-progress"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def records(home):
    with sqlite3.connect(home / "results.sqlite") as db:
        rows = db.execute("SELECT model, benchmark, record FROM scores").fetchall()
    for model, benchmark, record in rows:      # every record is whole and consistent with its key
        score = Score.from_json(record)
        assert (score.model, score.benchmark) == (model, benchmark)
        assert score.layer_profile and score.provenance["mousescore_version"]
    return sorted((model, benchmark) for model, benchmark, _ in rows)


def test_two_concurrent_runs_and_one_killed_mid_write(real_data, tmp_path, fault):
    home = tmp_path / "home"
    fault("two concurrent scoring processes, overlapping benchmarks")
    fault("third process SIGKILLed inside its results transaction")
    first = start(home, "alexnet-random", "allen.VISp_*-rsa")
    second = start(home, "alexnet-random", "allen.VISl_*-rsa", "allen.VISp_layer23-rsa")
    killed = start(home, "squeezenet1_1-random", "allen.VISal_*-rsa", fault="store-write")
    assert killed.wait(timeout=600) == -signal.SIGKILL
    for process in (first, second):
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
    expected = sorted([("alexnet-random", f"allen.VIS{area}_{layer}-rsa")
                       for area in ("p", "l") for layer in ("layer23", "layer4", "layer5", "layer6")])
    assert records(home) == expected          # no duplicates, no torn or partial record
    rerun = start(home, "squeezenet1_1-random", "allen.VISal_*-rsa")
    assert rerun.wait(timeout=600) == 0
    assert records(home) == sorted(expected + [("squeezenet1_1-random", f"allen.VISal_{layer}-rsa")
                                               for layer in ("layer23", "layer4", "layer5")])


@pytest.mark.parametrize("point", ["extraction", "package-write"])
def test_killed_run_leaves_nothing_partial_and_the_rerun_completes(real_data, tmp_path, point, fault):
    fault(f"SIGKILL during {point}")
    home = tmp_path / "home"
    killed = start(home, "alexnet-random", "kriegeskorte2008.IT-rsa", fault=point)
    assert killed.wait(timeout=600) == -signal.SIGKILL
    if (home / "results.sqlite").exists():
        assert records(home) == []
    packaged = list((home / "packaged").glob("kriegeskorte2008-*")) if (home / "packaged").exists() else []
    assert all((p / "products.json").exists() for p in packaged)   # complete packages only
    rerun = start(home, "alexnet-random", "kriegeskorte2008.IT-rsa", "--json")
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    assert json.loads(out)[0]["benchmark"] == "kriegeskorte2008.IT-rsa"
    assert records(home) == [("alexnet-random", "kriegeskorte2008.IT-rsa")]


def test_corrupt_package_is_reported_removed_and_rebuilt(real_data, tmp_path, fault):
    fault("packaged netCDF file corrupted on disk")
    home = tmp_path / "home"
    assert start(home, "alexnet-random", "kriegeskorte2008.IT-rsa").wait(timeout=600) == 0
    package = next((home / "packaged").glob("kriegeskorte2008-*"))
    (package / "rdms.nc").write_bytes(b"bit rot")
    rerun = start(home, "alexnet-random", "kriegeskorte2008.IT-rsa", "--force")
    _, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0
    assert "sha256 is" in err and "packaging kriegeskorte2008 again" in err
