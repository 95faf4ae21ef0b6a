"""The command line end to end on real data, as a user runs it."""
import json
import os
import subprocess
import sys

import pytest

MODEL = "alexnet-random"
# the table's columns, as whitespace splits a row whose interval is "[low, high]" and has no note
HEADER = ("model", "benchmark", "metric", "score", "±", "interval_low", "interval_high", "cv", "ceiling", "ceiled",
          "best_layer", "depth", "units")


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
    row = dict(zip(HEADER, text.stdout.splitlines()[1].split()))
    assert row["score"] == f"{score['value']:.4f}" and row["ceiling"] == f"{score['ceiling']:.4f}"
    assert row["best_layer"] == score["best_layer"] and row["depth"] == f"{score['best_layer_depth']:.2f}"
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
    assert dict(zip(HEADER, result.stdout.splitlines()[1].split()))["ceiling"] == "1.0000"
    assert "reference: human IT fMRI RDM vs macaque IT RDM (r) = 0.4912" in result.stdout


def test_majajhong2015_offline_names_the_brainio_files_and_exits_2(tmp_path):
    result = run("score", MODEL, "majajhong2015.V4-pls", home=tmp_path)
    assert result.returncode == 2
    assert "assy_dicarlo_MajajHong2015_public.nc" in result.stderr and "sha1 13d28ca0" in result.stderr
    assert "MOUSESCORE_DATA_PATH" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_score_tells_its_progress_on_stderr_and_prints_one_aligned_table(real_data, tmp_path):
    benchmarks = ["allen.VISp-rsa", "allen.VISl_layer4-rsa", "kriegeskorte2008.IT-rsa"]
    result = run("score", "pixels", *benchmarks, home=tmp_path)
    assert result.returncode == 0, result.stderr
    told = result.stderr.splitlines()       # not a terminal: lines, not bars
    # the 118 Allen scenes are one batch: the extraction is told before it starts and when it is done
    started = told.index("[mousescore] extracting pixels on allen.natural_scenes: 118 images in 1 batch")
    done = next(i for i, line in enumerate(told) if line.startswith("[mousescore] extraction 1: pixels on allen."))
    scored = [i for i, line in enumerate(told) if line.startswith("[mousescore] scored ")]
    assert started < done < scored[0] and len(scored) == 3
    assert told[scored[0]].startswith("[mousescore] scored allen.VISp-rsa: 0.") and told[scored[0]].endswith("(1/3)")
    # each benchmark is told as it is scored, before the next extraction starts
    assert scored[1] < told.index("[mousescore] extracting pixels on kriegeskorte2008.92_objects: 92 images "
                                  "in 1 batch") < scored[2]
    lines = result.stdout.splitlines()
    header, rows = lines[0], lines[1:4]
    assert header.split()[:4] == ["model", "benchmark", "metric", "score"] and "ceiling" in header
    assert [row.split()[1] for row in rows] == benchmarks
    for column in ("benchmark", "metric", "best layer"):      # text: aligned on its first letter
        assert {row[header.index(column)] for row in rows} != {" "}
        assert all(row[header.index(column) - 1] == " " for row in rows)
    for column in ("score", "ceiling", "depth"):               # numbers: aligned on their last digit
        end = header.index(column) + len(column)
        assert all(row[end - 1].isdigit() and row[end] == " " for row in rows), column
    assert lines[4] == "kriegeskorte2008.IT-rsa reference: human IT fMRI RDM vs macaque IT RDM (r) = 0.4912"
    assert len(lines) == 5 and "mean" not in result.stdout     # no mean over unlike scores

    quiet = run("score", "pixels", *benchmarks, "--quiet", "--force", home=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == result.stdout   # the same numbers


def test_json_prints_the_stored_scores_and_nothing_else(real_data, tmp_path):
    from dataclasses import asdict

    from mousescore import ResultStore
    result = run("score", "pixels", "allen.VISp-rsa", "antolik2016.V1-rsa", "--json", "-q", home=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    store = ResultStore(tmp_path / "results.sqlite")
    stored = [store.get("pixels", b) for b in ("allen.VISp-rsa", "antolik2016.V1-rsa")]
    assert result.stdout == json.dumps([asdict(s) for s in stored], indent=2) + "\n"


@pytest.mark.parametrize("args", [["--version"], ["list", "metrics"], ["--help"], ["score", "--help"],
                                  ["score", "alexnet-randm", "allen.VISp-rsa"]])
def test_quick_answers_import_no_torch(args):
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "mousescore.cli", *args], capture_output=True,
                            text=True, timeout=300)
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert "mousescore.cli" in imported and "torch" not in imported
    if args == ["--version"]:
        import mousescore
        assert result.returncode == 0 and result.stdout == f"mousescore {mousescore.__version__}\n"
