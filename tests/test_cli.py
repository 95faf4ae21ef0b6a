"""The command line end to end on real data, as a user runs it."""
import json
import os
import subprocess
import sys

import pytest

MODEL = "alexnet-random"


def run(*args, home=None):
    env = dict(os.environ)
    if home is not None:
        env["MOUSESCORE_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "mousescore.cli", *args], capture_output=True, text=True,
                          env=env, timeout=900)


def test_unknown_model_prints_suggestions_and_exits_2():
    result = run("score", "alexnet-randm", "allen.VISp-rsa")
    assert result.returncode == 2
    assert "unknown model 'alexnet-randm'" in result.stderr and "alexnet-random" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_score_help_names_every_registered_metric():
    from mousescore import get_registry
    text = " ".join(run("score", "--help").stdout.split())      # argparse wraps the help text
    metrics = [identifier for identifier, _, _ in get_registry().entries("metric")]
    assert {"rsa", "srp_ridge", "ridge", "pls"} <= set(metrics)
    for identifier in metrics:
        assert f"{identifier}: " in text


def test_unknown_benchmark_and_empty_glob_exit_2():
    assert "allen.VISp-rsa" in run("score", MODEL, "allen.VISP-rsa").stderr
    result = run("score", MODEL, "nothing.*")
    assert result.returncode == 2 and "no benchmark matches" in result.stderr


def test_score_prints_everything_and_is_reproducible(real_data, tmp_path):
    first = run("score", MODEL, "allen.VISp-rsa", "--json", home=tmp_path / "a")
    assert first.returncode == 0, first.stderr
    score = json.loads(first.stdout)[0]
    assert score["best_layer"] in score["layer_profile"] and 0 <= score["best_layer_depth"] <= 1
    assert 0.05 < score["value"] < 0.5 and score["ceiling"] == pytest.approx(0.8138, abs=1e-3)
    assert score["provenance"]["model_provenance"] == {"weights": "random init (torchvision default)",
                                                        "seed": 0}
    assert score["provenance"]["dataset_files"]["rdms"].startswith("sha256:4008746e")
    again = run("score", MODEL, "allen.VISp-rsa", "--json", "--force", home=tmp_path / "b")
    assert json.loads(again.stdout)[0]["value"] == score["value"]        # identical, fresh run
    text = run("score", MODEL, "allen.VISp-rsa", home=tmp_path / "a")
    assert "reused" in text.stderr                                      # from the local store
    assert f"score {score['value']:.4f}" in text.stdout and "ceiling" in text.stdout
    assert f"best layer {score['best_layer']}" in text.stdout and "relative depth" in text.stdout
    table = run("results", "export", "--format", "csv", home=tmp_path / "a")
    header, row = table.stdout.splitlines()[:2]
    assert header.startswith("model,benchmark,value,error,interval_low,interval_high,cv_value,ceiling")
    assert row.startswith(f"{MODEL},allen.VISp-rsa,{score['value']}")


def test_all_allen_rsa_benchmarks_share_one_extraction(real_data, tmp_path):
    result = run("score", MODEL, "allen.*-rsa", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert len(scores) == 27
    extractions = [line for line in result.stderr.splitlines() if "extraction" in line]
    assert len(extractions) == 1 and "shared by 27 benchmark(s)" in extractions[0]
    by_id = {s["benchmark"]: s for s in scores}
    sites = [by_id[f"allen.VISp_{layer}-rsa"] for layer in ("layer23", "layer4", "layer5", "layer6")]
    area = by_id["allen.VISp-rsa"]
    # The area score is the mean over its sites at the one layer it commits, never above the best
    # per-site choice.
    committed = [s["layer_profile"][area["best_layer"]] for s in sites]
    assert area["value"] == pytest.approx(sum(committed) / 4, abs=1e-12)
    assert area["value"] <= sum(s["value"] for s in sites) / 4 + 1e-12


def test_cowley_v4_srp_ridge(real_data, tmp_path):
    result = run("score", MODEL, "cowley2023.V4-srp_ridge", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    score = json.loads(result.stdout)[0]
    assert 0.2 < score["value"] < score["ceiling"] < 1
    assert score["n_units"] == 50 and score["error_kind"].startswith("SEM over 50 neurons (projection seed 0 fixed")
    assert len(score["draws"]) == 200 and score["cv_value"] < score["value"] + 0.05
    assert score["provenance"]["metric_options"]["n_components"] == 4096


def test_list_and_data_commands(real_data):
    listing = json.loads(run("list", "benchmarks", "--json").stdout)
    assert {"allen.VISp-rsa", "allen.VISrl_layer5-rsa", "cowley2023.V4-srp_ridge"} <= {b["identifier"] for b in listing}
    data = run("data", "list", "--json")
    urls = [f["url"] for d in json.loads(data.stdout) for f in d["files"]]
    assert any("ColinConwell/DeepMouseTrap/706ab15a" in u for u in urls)
    fetched = run("data", "fetch", "allen")
    assert fetched.returncode == 0 and "verified" in fetched.stdout and "packaged rdms, stimuli" in fetched.stdout
    assert run("data", "fetch", "allen_typo").returncode == 2


def test_kriegeskorte_it_rsa_prints_score_ceiling_and_reference(real_data, tmp_path):
    result = run("score", MODEL, "kriegeskorte2008.IT-rsa", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ceiling 1.0000" in result.stdout
    assert "reference: human IT fMRI RDM vs macaque IT RDM (r) = 0.4912" in result.stdout


def test_majajhong2015_offline_names_the_brainio_files_and_exits_2(tmp_path):
    result = run("score", MODEL, "majajhong2015.V4-pls", home=tmp_path)
    assert result.returncode == 2
    assert "assy_dicarlo_MajajHong2015_public.nc" in result.stderr and "sha1 13d28ca0" in result.stderr
    assert "MOUSESCORE_DATA_PATH" in result.stderr and len(result.stderr.strip().splitlines()) == 1
