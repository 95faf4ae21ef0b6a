"""Issue 31, classes 7 and 8: the command line checks what it is given before computing anything (one
line `error: ...`, exit status 2), and one plugin cannot take the others down, not even with
``sys.exit()``. Most cases run ``main()`` in this process (no interpreter start-up, no model built);
the plugin cases that need a fresh process install a throw-away dist-info plugin on PYTHONPATH."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from mousescore import config
from mousescore.cli import main
from mousescore.errors import DuplicateIdentifier, MousescoreError
from mousescore.registry.plugins import Registry

MODEL = "alexnet-random"


def run_main(capsys, *args):
    """(exit status, stdout, stderr) of ``mousescore ARGS`` run in this process."""
    try:
        status = main(list(args))
    except SystemExit as exit_:   # argparse's own errors exit from parse_args
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_refused(result, expected):
    status, _, err = result
    lines = [line for line in err.splitlines() if not line.startswith(("[mousescore]", "warning: "))]
    assert status == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    assert expected in lines[0], lines[0]


# --- class 7: counts and numbers on the command line --------------------------------------------------

CPUS = os.cpu_count() or 1
OUT_OF_RANGE = {
    "--threads -1": (["score", MODEL, "allen.VISp-rsa", "--threads", "-1"], "--threads: -1 is not a positive count"),
    "--threads 0": (["score", MODEL, "allen.VISp-rsa", "--threads", "0"], "--threads: 0 is not a positive count"),
    "--threads 100000": (["score", MODEL, "allen.VISp-rsa", "--threads", "100000"],
                         f"100000 is more than this machine's CPUs ({CPUS})"),
    "--threads nan": (["score", MODEL, "allen.VISp-rsa", "--threads", "nan"], "'nan' is not a whole number"),
    "--threads inf": (["score", MODEL, "allen.VISp-rsa", "--threads", "inf"], "'inf' is not a whole number"),
    "--threads abc": (["score", MODEL, "allen.VISp-rsa", "--threads", "abc"], "'abc' is not a whole number"),
    "--threads 1.5": (["score", MODEL, "allen.VISp-rsa", "--threads", "1.5"], "'1.5' is not a whole number"),
    "--batch-size -1": (["score", MODEL, "allen.VISp-rsa", "--batch-size", "-1"],
                        "--batch-size: -1 is not a positive count"),
    "--batch-size 0": (["score", MODEL, "allen.VISp-rsa", "--batch-size", "0"],
                       "--batch-size: 0 is not a positive count"),
    "--batch-size 100000": (["score", MODEL, "allen.VISp-rsa", "--batch-size", "100000"],
                            "100000 is more than the largest batch (4096)"),
    "--batch-size nan": (["score", MODEL, "allen.VISp-rsa", "--batch-size", "nan"], "'nan' is not a whole number"),
    "--batch-size inf": (["score", MODEL, "allen.VISp-rsa", "--batch-size", "inf"], "'inf' is not a whole number"),
    "--batch-size abc": (["score", MODEL, "allen.VISp-rsa", "--batch-size", "abc"], "'abc' is not a whole number"),
    "sweep --workers 0 (hung)": (["sweep", "--models", MODEL, "--benchmarks", "allen.VISp-rsa", "--workers", "0"],
                                 "--workers: 0 is not a positive count"),
    "sweep --workers -1": (["sweep", "--models", MODEL, "--benchmarks", "allen.VISp-rsa", "--workers", "-1"],
                           "--workers: -1 is not a positive count"),
    "sweep --workers 100000": (["sweep", "--models", MODEL, "--benchmarks", "x", "--workers", "100000"],
                               "more than this machine's CPUs"),
    "sweep --threads-per-worker 0": (["sweep", "--models", MODEL, "--benchmarks", "x", "--threads-per-worker", "0"],
                                     "--threads-per-worker: 0 is not a positive count"),
    "sweep --threads-per-worker abc": (["sweep", "--models", MODEL, "--benchmarks", "x", "--threads-per-worker",
                                        "abc"], "'abc' is not a whole number"),
    "data build --workers 0": (["data", "build", "allen", "--download", "--workers", "0"],
                               "--workers: 0 is not a positive count"),
    "verify --tolerance nan": (["leaderboard", "verify", MODEL, "--tolerance", "nan"],
                               "--tolerance: nan is not a finite number >= 0"),
    "verify --tolerance inf": (["leaderboard", "verify", MODEL, "--tolerance", "inf"],
                               "--tolerance: inf is not a finite number >= 0"),
    "verify --tolerance -1": (["leaderboard", "verify", MODEL, "--tolerance", "-1"],
                              "--tolerance: -1 is not a finite number >= 0"),
    "verify --tolerance abc": (["leaderboard", "verify", MODEL, "--tolerance", "abc"], "'abc' is not a number"),
    "unknown command": (["scroe", MODEL], "invalid choice: 'scroe'"),
    "unknown option": (["list", "models", "--famly", "timm"], "unrecognized arguments: --famly timm"),
}


@pytest.mark.parametrize("case", sorted(OUT_OF_RANGE))
def test_counts_and_numbers_out_of_range_are_refused_in_one_line(case, capsys, bad_input):
    bad_input(case)
    args, expected = OUT_OF_RANGE[case]
    assert_refused(run_main(capsys, *args), expected)


def test_a_count_in_range_is_taken_as_given():
    from mousescore.cli import _parser
    args = _parser().parse_args(["score", MODEL, "allen.VISp-rsa", "--threads", "1", "--batch-size", "4096"])
    assert (args.threads, args.batch_size) == (1, 4096)
    assert _parser().parse_args(["leaderboard", "verify", MODEL, "--tolerance", "0"]).tolerance == 0.0


# --- class 7: numeric and switch settings ------------------------------------------------------------

SETTINGS = {
    "memory limit -1": ("MOUSESCORE_MEMORY_LIMIT_GB", "-1", "must be a positive, finite number of GiB, not '-1'"),
    "memory limit 0": ("MOUSESCORE_MEMORY_LIMIT_GB", "0", "must be a positive, finite number of GiB, not '0'"),
    "memory limit nan": ("MOUSESCORE_MEMORY_LIMIT_GB", "nan", "must be a positive, finite number of GiB, not 'nan'"),
    "memory limit inf": ("MOUSESCORE_MEMORY_LIMIT_GB", "inf", "must be a positive, finite number of GiB, not 'inf'"),
    "memory limit 1e400": ("MOUSESCORE_MEMORY_LIMIT_GB", "1e400", "finite number of GiB, not '1e400'"),
    "memory limit abc": ("MOUSESCORE_MEMORY_LIMIT_GB", "abc", "must be a number of GiB, not 'abc'"),
    "memory limit 100000": ("MOUSESCORE_MEMORY_LIMIT_GB", "100000",
                            "MOUSESCORE_MEMORY_LIMIT_GB=100000 is more than this machine's memory"),
    "feature cache -1": ("MOUSESCORE_FEATURE_CACHE_GB", "-1", "must be a positive, finite number of GiB, not '-1'"),
    "feature cache 0": ("MOUSESCORE_FEATURE_CACHE_GB", "0", "must be a positive, finite number of GiB, not '0'"),
    "feature cache nan": ("MOUSESCORE_FEATURE_CACHE_GB", "nan", "finite number of GiB, not 'nan'"),
    "feature cache inf": ("MOUSESCORE_FEATURE_CACHE_GB", "inf", "finite number of GiB, not 'inf'"),
    "feature cache abc": ("MOUSESCORE_FEATURE_CACHE_GB", "abc", "must be a number of GiB, not 'abc'"),
    "feature cache larger than the disk": ("MOUSESCORE_FEATURE_CACHE_GB", "1e9",
                                           "MOUSESCORE_FEATURE_CACHE_GB=1e9 is more than the whole disk that holds"),
    "caches switch typo": ("MOUSESCORE_FEATURE_CACHE", "offf",
                           "MOUSESCORE_FEATURE_CACHE must be one of 1/on/true/yes or 0/off/false/no, not 'offf'"),
    "caches switch 2": ("MOUSESCORE_FEATURE_CACHE", "2", "not '2'"),
}


@pytest.mark.parametrize("case", sorted(SETTINGS))
def test_a_setting_out_of_range_fails_every_command_in_one_line(case, capsys, monkeypatch, bad_input):
    bad_input(case)
    variable, value, expected = SETTINGS[case]
    monkeypatch.setenv(variable, value)
    with pytest.raises(MousescoreError, match=expected.replace("(", r"\(")):
        config.settings()
    assert_refused(run_main(capsys, "list", "models"), expected)   # before: a warning per model, exit 0


def test_settings_in_range_are_read_as_given(monkeypatch):
    monkeypatch.setenv("MOUSESCORE_MEMORY_LIMIT_GB", "0.5")
    monkeypatch.setenv("MOUSESCORE_FEATURE_CACHE_GB", "2")
    monkeypatch.setenv("MOUSESCORE_FEATURE_CACHE", "Yes")
    current = config.settings()
    assert (current.memory_limit_gb, current.feature_cache_gb, current.caches) == (0.5, 2.0, True)


# --- class 7: own-data files, contradicting options, outputs ------------------------------------------

@pytest.fixture
def own_data(tmp_path):
    from PIL import Image
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(6):
        Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(folder / f"img{i}.png")
    np.save(tmp_path / "responses.npy", np.random.default_rng(0).normal(size=(6, 4)))
    (tmp_path / "a_file").write_text("not a folder")
    return tmp_path


def _own(root, *extra):
    return ["score", MODEL, "--responses", str(root / "responses.npy"), "--stimuli", str(root / "images"), *extra]


MISSING_FILES = {
    "missing --assembly": (lambda r: ["score", MODEL, "--assembly", str(r / "nope.nc"), "--stimuli",
                                      str(r / "images")], "--assembly {r}/nope.nc: no such file"),
    "missing --responses": (lambda r: ["score", MODEL, "--responses", str(r / "nope.npy"), "--stimuli",
                                       str(r / "images")], "--responses {r}/nope.npy: no such file"),
    "missing --rdm": (lambda r: ["score", MODEL, "--rdm", str(r / "nope.npy"), "--stimuli", str(r / "images")],
                      "--rdm {r}/nope.npy: no such file"),
    "missing --neuroids": (lambda r: _own(r, "--neuroids", str(r / "nope.csv")), "--neuroids {r}/nope.csv: no such"),
    "missing --stimulus-ids": (lambda r: _own(r, "--stimulus-ids", str(r / "nope.txt")),
                               "--stimulus-ids {r}/nope.txt: no such file"),
    "missing --stimuli": (lambda r: ["score", MODEL, "--responses", str(r / "responses.npy"), "--stimuli",
                                     str(r / "nope")], "--stimuli {r}/nope: no such folder, zip or CSV file"),
    "folder as --assembly": (lambda r: ["score", MODEL, "--assembly", str(r / "images"), "--stimuli",
                                        str(r / "images")], "--assembly {r}/images is a folder"),
    "folder as --stimulus-ids": (lambda r: _own(r, "--stimulus-ids", str(r / "images")),
                                 "--stimulus-ids {r}/images is a folder"),
}


@pytest.mark.parametrize("case", sorted(MISSING_FILES))
def test_a_missing_input_file_is_named(case, own_data, capsys, bad_input):
    bad_input(case)
    args, expected = MISSING_FILES[case]
    assert_refused(run_main(capsys, *args(own_data)), expected.format(r=own_data))   # before: exit 1


CONTRADICTIONS = {
    "--metric against a benchmark's metric": (lambda r: ["score", MODEL, "allen.VISp-rsa", "--metric", "srp_ridge"],
                                              "--metric srp_ridge contradicts benchmark allen.VISp-rsa, which is "
                                              "scored with rsa"),
    "--metric against one benchmark of a glob": (lambda r: ["score", MODEL, "antolik2016.V1-*", "--metric", "rsa"],
                                                 "--metric rsa contradicts benchmark antolik2016.V1-ridge, which is "
                                                 "scored with ridge"),
    "unknown --metric with a benchmark": (lambda r: ["score", MODEL, "allen.VISp-rsa", "--metric", "rsaa"],
                                          "unknown metric 'rsaa'. Did you mean: rsa"),
    "unknown --metric with own data": (lambda r: _own(r, "--metric", "srp_rdge"),
                                       "unknown metric 'srp_rdge'. Did you mean: srp_ridge"),
    "--stimuli beside benchmarks": (lambda r: ["score", MODEL, "allen.VISp-rsa", "--stimuli", str(r / "images")],
                                    "--stimuli only applies to your own data"),
    "--name beside benchmarks": (lambda r: ["score", MODEL, "allen.VISp-rsa", "--name", "mine"],
                                 "--name only applies to your own data"),
    "--neuroids and --stimulus-ids beside benchmarks": (
        lambda r: ["score", MODEL, "allen.VISp-rsa", "--neuroids", "n.csv", "--stimulus-ids", "i.txt"],
        "--neuroids, --stimulus-ids only apply to your own data"),
    "--scheduler with own data": (lambda r: _own(r, "--scheduler", "tcp://localhost:1"),
                                  "--scheduler scores named benchmarks"),
    "unknown --family": (lambda r: ["list", "models", "--family", "torchvison"],
                         "no model has --family 'torchvison'. Did you mean: torchvision?"),
    "unknown --task-cluster": (lambda r: ["list", "models", "--task-cluster", "semantik"],
                               "no model has --task-cluster 'semantik'. Did you mean: Semantic?"),
}


@pytest.mark.parametrize("case", sorted(CONTRADICTIONS))
def test_an_option_that_does_not_apply_is_refused_before_scoring(case, own_data, capsys, bad_input):
    bad_input(case)
    args, expected = CONTRADICTIONS[case]
    assert_refused(run_main(capsys, *args(own_data)), expected)


def test_a_metric_that_agrees_with_the_benchmark_is_accepted():
    from mousescore.cli import _parser
    from mousescore.cli.score_checks import check_score_arguments
    from mousescore.registry.plugins import get_registry
    args = _parser().parse_args(["score", MODEL, "allen.VISp*-rsa", "--metric", "rsa"])
    check_score_arguments(args, get_registry())   # no error: the metric it would have used anyway


OUTPUTS = {
    "csv export into a folder": (lambda r: ["results", "export", "--format", "csv", "--out", str(r)],
                                 "--out {r} is a folder: give the file to write"),
    "csv export into a missing folder": (lambda r: ["results", "export", "--format", "json", "--out",
                                                    str(r / "nowhere" / "x.json")],
                                         "folder {r}/nowhere does not exist"),
    "records export onto a file": (lambda r: ["results", "export", "--out", str(r / "a_file")],
                                   "{r}/a_file is a file, not a folder"),
    "site built onto a file": (lambda r: ["leaderboard", "build", "--results", str(r), "--out",
                                          str(r / "a_file" / "site")], "{r}/a_file is a file, not a folder"),
    "site from a missing records folder": (lambda r: ["leaderboard", "build", "--results", str(r / "nope")],
                                           "--results {r}/nope: no such folder of result records"),
    "verify against a missing records folder": (lambda r: ["leaderboard", "verify", MODEL, "--results",
                                                           str(r / "nope")], "--results {r}/nope: no such folder"),
    "new plugin inside a file": (lambda r: ["new-plugin", "mynet", "--dir", str(r / "a_file")],
                                 "--dir {r}/a_file: {r}/a_file is a file, not a folder"),
    "dataset exported onto a file": (lambda r: ["data", "export", "antolik2016", "--out", str(r / "a_file")],
                                     "--out {r}/a_file: {r}/a_file is a file, not a folder"),
    "submission of a missing folder": (lambda r: ["submission", "check", str(r / "nope")],
                                       "{r}/nope: no such folder"),
}


@pytest.mark.parametrize("case", sorted(OUTPUTS))
def test_an_output_or_input_path_of_the_wrong_kind_is_refused(case, own_data, capsys, bad_input):
    bad_input(case)
    args, expected = OUTPUTS[case]
    assert_refused(run_main(capsys, *args(own_data)), expected.format(r=own_data))


# --- class 8: one plugin cannot take the others down --------------------------------------------------

def _installed_plugin(folder, name, source):
    """A plugin installed as a distribution with an entry point in the group ``mousescore``."""
    dist = folder / f"mousescore_plugin_{name}-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: mousescore-plugin-{name}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[mousescore]\n{name} = mousescore_plugin_{name}\n")
    (folder / f"mousescore_plugin_{name}.py").write_text(textwrap.dedent(source))


HOOK = """
    from mousescore import hookimpl

    @hookimpl
    def mousescore_models():
        {body}
"""
ENDING_PLUGINS = {   # name -> (module source, the problem recorded for it)
    "exit_at_import": ("import sys\nsys.exit(3)\n", "failed to load (called sys.exit(3))"),
    "exit_message_at_import": ("import sys\nsys.exit('no GPU here')\n",
                               "failed to load (called sys.exit('no GPU here'))"),
    "systemexit_at_import": ("raise SystemExit\n", "failed to load (called sys.exit(None))"),
    "generatorexit_at_import": ("raise GeneratorExit('gone')\n", "failed to load (GeneratorExit: gone)"),
    "baseexception_at_import": ("class Odd(BaseException):\n    pass\nraise Odd('odd')\n", "failed to load (Odd: odd)"),
    "exit_in_hook": (HOOK.format(body="import sys; sys.exit(5)"), "mousescore_models hook failed (called sys.exit(5))"),
    "generatorexit_in_hook": (HOOK.format(body="raise GeneratorExit"), "mousescore_models hook failed (GeneratorExit)"),
}


@pytest.mark.parametrize("name", sorted(ENDING_PLUGINS))
def test_a_plugin_that_ends_the_process_fails_alone(name, tmp_path, monkeypatch, fault):
    fault(f"plugin ends the process: {name}")
    source, problem = ENDING_PLUGINS[name]
    _installed_plugin(tmp_path, name, source)
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry()   # before: SystemExit / GeneratorExit went through and ended the process
    assert "alexnet-random" in registry.identifiers("model") and "rsa" in registry.identifiers("metric")
    assert registry.problems == {name: problem}


def test_ctrl_c_while_plugins_load_still_interrupts(tmp_path, monkeypatch, fault):
    fault("KeyboardInterrupt while a plugin imports")
    _installed_plugin(tmp_path, "ctrl_c", "raise KeyboardInterrupt\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(KeyboardInterrupt):
        Registry()


def _cli(*args, plugins, home):
    path = os.pathsep.join(p for p in (str(plugins), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path, "MOUSESCORE_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "mousescore.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_sys_exit_at_import_leaves_every_command_working(tmp_path, fault, bad_input):
    fault("plugin calls sys.exit(3) at import, CLI")
    _installed_plugin(tmp_path / "plugins", "quitter", "import sys\nsys.exit(3)\n")
    warning = "warning: plugin 'quitter' failed to load (called sys.exit(3)); the other plugins still work"
    listing = _cli("list", "models", plugins=tmp_path / "plugins", home=tmp_path / "home")
    assert listing.returncode == 0 and "alexnet-random" in listing.stdout and warning in listing.stderr
    bad_input("mistyped model beside a plugin that exits")
    typo = _cli("score", "alexnet-randm", "allen.VISp-rsa", plugins=tmp_path / "plugins", home=tmp_path / "home")
    assert typo.returncode == 2 and warning in typo.stderr   # before: exit 3, nothing printed
    assert "error: unknown model 'alexnet-randm'. Did you mean: alexnet-random" in typo.stderr


CONFLICT = """
    from mousescore import ModelSpec, hookimpl

    def build():
        raise RuntimeError("the impostor was built")

    @hookimpl
    def mousescore_models():
        return [ModelSpec("alexnet-random", build, {"family": "impostor", "trained": False})]
"""


def test_a_plugin_claiming_a_builtin_identifier_is_shown_as_a_conflict(tmp_path, monkeypatch, bad_input):
    bad_input("plugin registers a built-in's identifier")
    _installed_plugin(tmp_path, "impostor", CONFLICT)
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry()
    assert registry.conflicts("model") == {"alexnet-random": ["impostor", "torchvision"]}
    with pytest.raises(DuplicateIdentifier, match=r"'alexnet-random' is registered by several plugins "
                                                  r"\(impostor, torchvision\)"):
        registry.get("model", "alexnet-random")
    assert registry.get("model", "alexnet").metadata["family"] == "torchvision"   # the rest is untouched


def test_list_and_score_name_the_conflicting_plugins(tmp_path, bad_input):
    bad_input("plugin registers a built-in's identifier, CLI")
    _installed_plugin(tmp_path / "plugins", "impostor", CONFLICT)
    listing = _cli("list", "models", "--json", plugins=tmp_path / "plugins", home=tmp_path / "home")
    import json
    row = next(r for r in json.loads(listing.stdout) if r["identifier"] == "alexnet-random")
    assert row["conflict"] == ["impostor", "torchvision"] and row["plugin"] == "CONFLICT: impostor, torchvision"
    assert ("warning: model 'alexnet-random' is registered by several plugins (impostor, torchvision)"
            in listing.stderr)
    score = _cli("score", "alexnet-random", "allen.VISp-rsa", plugins=tmp_path / "plugins", home=tmp_path / "home")
    assert_refused((score.returncode, score.stdout, score.stderr),
                   "model 'alexnet-random' is registered by several plugins (impostor, torchvision)")


FACTORY_EXIT = """
    import sys
    from mousescore import ModelSpec, hookimpl

    def build():
        sys.exit(4)

    @hookimpl
    def mousescore_models():
        return [ModelSpec("quitting-net", build, {"family": "test", "trained": False})]
"""


def test_a_factory_that_exits_is_named_with_its_file_and_line(tmp_path, real_data, fault):
    fault("model factory calls sys.exit(4)")
    _installed_plugin(tmp_path / "plugins", "quitnet", FACTORY_EXIT)
    result = _cli("score", "quitting-net", "allen.VISp-rsa", "--no-progress", plugins=tmp_path / "plugins",
                  home=tmp_path / "home")
    where = f"{tmp_path / 'plugins' / 'mousescore_plugin_quitnet.py'}:6 (module mousescore_plugin_quitnet)"
    assert_refused((result.returncode, result.stdout, result.stderr),   # before: exit 4, nothing said
                   f"sys.exit(4) called at {where} while running `mousescore score`")
