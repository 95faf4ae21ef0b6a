"""The architecture as contracts: layers, no cycles, a leaderboard without numerics, plugins on the
public API only (import-linter, configured in setup.cfg) — and proof that the contracts can fail."""
import configparser
import pkgutil
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import mousescore
from mousescore import PUBLIC_MODULES

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "setup.cfg"


def lint(config: Path, pythonpath: Path = None) -> subprocess.CompletedProcess:
    """import-linter in a fresh interpreter (``pythonpath`` first on the path), without its cache."""
    env = None
    if pythonpath is not None:
        import os
        env = dict(os.environ, PYTHONPATH=str(pythonpath))
    command = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
                                     "sys.exit(lint_imports_command())", str(config), "--no-cache"]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=config.parent, timeout=300)


def test_the_import_contracts_are_kept():
    result = lint(CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


@pytest.fixture
def scratch_core(tmp_path):
    """A copy of the core package, first on the path, and a config holding the core's contracts."""
    shutil.copytree(REPO / "mousescore", tmp_path / "mousescore", ignore=shutil.ignore_patterns("__pycache__"))
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    config = tmp_path / "scratch.cfg"
    sections = {"importlinter": {"root_packages": "\nmousescore", "include_external_packages": "True"}}
    for name in ("importlinter:contract:layers", "importlinter:contract:acyclic",
                 "importlinter:contract:leaderboard"):
        sections[name] = dict(parser[name])
    sections["importlinter:contract:acyclic"]["ancestors"] = "\nmousescore"
    writer = configparser.ConfigParser()
    writer.read_dict(sections)
    with open(config, "w") as handle:
        writer.write(handle)
    return tmp_path, config


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}\n")


def test_an_upward_import_breaks_the_layers_contract(scratch_core):
    root, config = scratch_core
    assert lint(config, root).returncode == 0          # the untouched copy keeps them
    _append(root / "mousescore/numerics/stats.py", "from ..scoring import benchmark  # noqa")
    result = lint(config, root)
    assert result.returncode == 1
    assert "The core's layers: data flows down only BROKEN" in result.stdout
    assert "mousescore.numerics.stats -> mousescore.scoring.benchmark" in result.stdout


def test_a_cycle_inside_a_layer_breaks_the_acyclic_contract(scratch_core):
    root, config = scratch_core
    _append(root / "mousescore/results/score.py", "from . import store  # noqa")   # store imports score
    result = lint(config, root)
    assert result.returncode == 1
    assert "No import cycles, in the core or in a plugin BROKEN" in result.stdout


def test_torch_in_the_leaderboard_breaks_its_contract(scratch_core):
    root, config = scratch_core
    _append(root / "mousescore/leaderboard/figures.py", "import torch  # noqa")
    result = lint(config, root)
    assert result.returncode == 1
    assert "The leaderboard reads results only" in result.stdout and "BROKEN" in result.stdout


def test_a_plugin_reaching_into_a_private_module_breaks_the_public_api_contract(tmp_path):
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    plugin = tmp_path / "scratch_plugin"
    plugin.mkdir()
    (plugin / "__init__.py").write_text("from mousescore import ModelSpec  # public: fine\n")
    (plugin / "build.py").write_text("from mousescore.registry.specs import LoadedModel  # private\n")
    contract = dict(parser["importlinter:contract:public-api"], source_modules="\nscratch_plugin")
    writer = configparser.ConfigParser()
    writer.read_dict({"importlinter": {"root_packages": "scratch_plugin\nmousescore"},
                      "importlinter:contract:public-api": contract})
    config = tmp_path / "scratch.cfg"
    with open(config, "w") as handle:
        writer.write(handle)
    result = lint(config, tmp_path)
    assert result.returncode == 1
    assert "scratch_plugin.build -> mousescore.registry.specs" in result.stdout


def _core_modules():
    return ["mousescore"] + [m.name for m in pkgutil.walk_packages(mousescore.__path__, "mousescore.")]


def test_the_public_api_contract_forbids_exactly_the_modules_that_are_not_public():
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    forbidden = parser["importlinter:contract:public-api"]["forbidden_modules"].split()
    for module in _core_modules():
        blocked = any(module == f or module.startswith(f + ".") for f in forbidden)
        assert blocked == (module not in PUBLIC_MODULES), module


def test_every_public_name_resolves_and_import_mousescore_stays_light():
    for name in mousescore.__all__:
        assert getattr(mousescore, name) is not None, name
    probe = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import sys, mousescore
        heavy = [m for m in ("torch", "xarray", "scipy", "sklearn", "pandas") if m in sys.modules]
        print(heavy, len([m for m in sys.modules if m.startswith("mousescore")]))
        """)], capture_output=True, text=True, check=True)
    assert probe.stdout.split() == ["[]", "1"]   # mousescore alone
    cli = subprocess.run([sys.executable, "-c", "import sys, mousescore.cli; print('numpy' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    assert cli.stdout.strip() == "False"   # `mousescore list` and `--help` start in a tenth of a second


def test_every_subpackage_says_its_job_in_one_docstring():
    for module in _core_modules():
        imported = __import__(module, fromlist=["_"])
        if hasattr(imported, "__path__"):
            assert imported.__doc__ and len(imported.__doc__.split()) >= 8, module


def test_setup_cfg_packages_every_core_subpackage():
    """A non-editable install ships only the packages listed: a new layer must be listed too."""
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    listed = set(parser["options"]["packages"].split())
    core = {m for m in _core_modules() if hasattr(__import__(m, fromlist=["_"]), "__path__")}
    assert core <= listed
    assert "assets/*" in parser["options.package_data"]["mousescore.leaderboard"]
