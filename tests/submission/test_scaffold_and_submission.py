"""`mousescore new-plugin` makes a plugin that passes `mousescore submission check` as generated; a
plugin broken in a known way fails the check with a reason naming the model and the problem.

The check installs each plugin into a throw-away virtual environment only: afterwards it is not
installed in the test's environment (the fixture still uninstalls it, should an older check have left it)."""
import json
import os
import subprocess
import sys

import pytest

from mousescore.cli import main
from mousescore.submission.check import (
    RUNS_PLUGIN_CODE,
    check_submission,
    identifier_checks,
    last_error_line,
    private_imports,
)
from mousescore.submission.scaffold import new_plugin

PARAMETERS = 3 * 16 * 25 + 16 + 16 * 32 * 9 + 32 + 32 * 16 * 64 + 64   # the generated CNN


def pip_uninstall(distribution):
    result = subprocess.run([sys.executable, "-m", "pip", "uninstall", "-y", "-q", distribution,
                             "--disable-pip-version-check"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr


def mousescore(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "mousescore.cli", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=600, cwd=cwd)


def listed_models():
    listing = mousescore("list", "models", "--json")
    assert listing.returncode == 0, listing.stderr
    return {row["identifier"]: row for row in json.loads(listing.stdout)}


@pytest.fixture
def uninstalled_afterwards():
    """Call with a plugin name: its distribution is uninstalled now (a killed run may have left it)
    and after the test, whatever the outcome."""
    distributions = []

    def register(name):
        distribution = f"mousescore-plugin-{name}"
        pip_uninstall(distribution)
        distributions.append(distribution)

    try:
        yield register
    finally:
        for distribution in distributions:
            pip_uninstall(distribution)


def test_new_plugin_passes_the_check_lists_its_model_and_its_own_test(tmp_path, capsys, uninstalled_afterwards):
    uninstalled_afterwards("demo")
    assert main(["new-plugin", "demo", "--dir", str(tmp_path)]) == 0
    folder = tmp_path / "mousescore-plugin-demo"
    assert str(folder) in capsys.readouterr().out
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "README.md", "mousescore_plugin_demo/__init__.py", "pyproject.toml", "tests/test_demo.py"]

    assert main(["submission", "check", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 9 and all(line.startswith("[ok] ") for line in lines[1:-1]), lines
    assert lines[0].startswith("note: this check RUNS THE PLUGIN'S CODE")
    assert "demo-random" in lines[3] and "1 model(s)" in lines[3]
    assert lines[-3].startswith("[ok] imports mousescore only through its public API")
    assert lines[-2] == "[ok] your Python environment is unchanged (site folders and the check's own modules)"
    assert lines[-1].startswith("note: the throw-away environment is removed; mousescore-plugin-demo is not "
                                "installed in yours")
    assert "demo-random" not in listed_models()   # checked, never installed here

    pip_install_here = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                                       "--no-build-isolation", str(folder)], capture_output=True, text=True)
    assert pip_install_here.returncode == 0, pip_install_here.stderr
    entry = listed_models()["demo-random"]
    assert entry["plugin"] == "demo" and entry["family"] == "demo"
    assert entry["trained"] is False and entry["training"] == "random init"
    assert entry["input_size"] == 64 and entry["parameters"] == PARAMETERS == 38_688

    own_test = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                              capture_output=True, text=True, timeout=600, cwd=folder)
    # one test per conformance check, and the parameter count
    assert own_test.returncode == 0 and "7 passed" in own_test.stdout, own_test.stdout + own_test.stderr


# Appended to a generated plugin: each breaks it in one way the check must catch.
SABOTAGE = {
    "nan": '''
_build_working_model = build_random_model

def build_random_model():
    loaded = _build_working_model()
    loaded.module[3].register_forward_hook(lambda module, inputs, output: output * float("nan"))
    return loaded
''',
    "noise": '''
_build_working_model = build_random_model

def add_noise(module, inputs, output):
    import torch
    return output + torch.rand_like(output)

def build_random_model():
    loaded = _build_working_model()
    loaded.module[3].register_forward_hook(add_noise)
    return loaded
''',
    "family": '''
del METADATA["family"]
''',
    "import": '''
import mousescore_dependency_nobody_installed
''',
}
EXPECTED_REASON = {
    "nan": "demo_broken_nan-random: layer 3 gives non-finite features",
    "noise": "demo_broken_noise-random: layer 3 is not deterministic",
    "family": "demo_broken_family-random: metadata lacks ['family']",
    "import": "plugin 'demo_broken_import' failed to load (ModuleNotFoundError: No module named "
              "'mousescore_dependency_nobody_installed')",
}


@pytest.mark.parametrize("kind", [
    "nan", "noise", "family", "import"])
def test_a_broken_plugin_fails_the_check_with_the_model_and_the_problem(kind, tmp_path, capsys,
                                                                      uninstalled_afterwards):
    name = f"demo_broken_{kind}"
    uninstalled_afterwards(name)
    folder = new_plugin(name, tmp_path)
    module = folder / f"mousescore_plugin_{name}" / "__init__.py"
    module.write_text(module.read_text() + SABOTAGE[kind])

    assert main(["submission", "check", str(folder)]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == f"error: submission check failed: {EXPECTED_REASON[kind]}"
    assert f"[FAIL] {EXPECTED_REASON[kind]}" in captured.out.splitlines()
    assert captured.out.splitlines()[-1].startswith(f"note: the throw-away environment is removed; "
                                                    f"mousescore-plugin-{name} is not installed in yours")


@pytest.mark.parametrize("name, message", [
    ("Demo", "invalid plugin name 'Demo': use lowercase letters, digits and underscores"),
    ("2demo", "invalid plugin name '2demo'"),
    ("my-net", "invalid plugin name 'my-net'"),
    ("timm", "plugin name 'timm' is taken by an installed plugin"),
])
def test_new_plugin_refuses_a_bad_or_taken_name(name, message, tmp_path, capsys):
    assert main(["new-plugin", name, "--dir", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_new_plugin_never_overwrites_a_folder(tmp_path, capsys):
    existing = tmp_path / "mousescore-plugin-demo_taken"
    existing.mkdir()
    (existing / "mine.txt").write_text("my work")
    assert main(["new-plugin", "demo_taken", "--dir", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert [p.name for p in existing.iterdir()] == ["mine.txt"] and (existing / "mine.txt").read_text() == "my work"


@pytest.mark.parametrize("pyproject, reason", [
    (None, "no pyproject.toml in"),
    ("[project\n", "pyproject.toml is not valid TOML"),
    ('[project]\nname = "mousescore-plugin-x"\n', "an entry point in group 'mousescore'"),
])
def test_a_folder_that_is_not_a_plugin_fails_before_anything_is_installed(pyproject, reason, tmp_path):
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(pyproject)
    report = check_submission(tmp_path)
    assert not report.ok and reason in report.reason
    assert report.lines == [RUNS_PLUGIN_CODE, f"[FAIL] {report.reason}"]


def test_identifiers_must_be_unique_and_new():
    checks = identifier_checks(["mine-random", "mine-random", "alexnet-random"], {"alexnet-random": "torchvision"})
    assert checks == [(False, "mine-random: registered more than once by this plugin"),
                      (False, "alexnet-random: already registered by plugin 'torchvision'; rename the model")]
    assert identifier_checks(["mine-random"], {"alexnet-random": "torchvision"}) == [
        (True, "identifiers are new: no other plugin registers mine-random")]


def test_a_failed_install_is_explained_by_the_build_backend_line_not_pip_summary():
    output = ("  error: subprocess-exited-with-error\n      error: package directory 'nowhere' does not exist\n"
              "  note: This error originates from a subprocess\nerror: metadata-generation-failed\n")
    assert last_error_line(output) == "error: package directory 'nowhere' does not exist"
    assert last_error_line("ERROR: Could not find a version\n") == "ERROR: Could not find a version"


def test_the_example_and_a_generated_plugin_import_only_the_public_api(tmp_path):
    from pathlib import Path
    example = Path(__file__).resolve().parents[2] / "examples" / "mousescore-plugin-example"
    assert private_imports(example) == []
    folder = new_plugin("publicdemo", tmp_path)
    assert private_imports(folder) == []
    (folder / "reach.py").write_text("from mousescore.registry.specs import ModelSpec\n"
                                     "from mousescore import specs, ModelSpec as M\n"
                                     "import mousescore.extraction.extract\n"
                                     "from mousescore.numerics import reductions\n")
    assert private_imports(folder) == ["reach.py:1 mousescore.registry.specs", "reach.py:2 mousescore.specs",
                                       "reach.py:3 mousescore.extraction.extract"]
