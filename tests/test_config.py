"""Settings: read from the environment in one module, overridden for a block without touching it."""
import ast
import os
from pathlib import Path

import numpy as np
import pytest

from mousescore import MousescoreError, config
from mousescore.numerics.disk_memo import disk_memo

REPO = Path(__file__).resolve().parents[1]


def test_settings_follow_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MOUSESCORE_HOME", str(tmp_path))
    monkeypatch.setenv("MOUSESCORE_DATA_PATH", os.pathsep.join(["/a", "", "/b"]))
    monkeypatch.setenv("MOUSESCORE_FEATURE_CACHE", "off")
    monkeypatch.setenv("MOUSESCORE_MEMORY_LIMIT_GB", "1.5")
    settings = config.settings()
    assert settings.home == tmp_path == config.home()
    assert settings.data_path == (Path("/a"), Path("/b"))
    assert settings.caches is False and settings.memory_limit_gb == 1.5 and settings.feature_cache_gb == 10.0


def test_override_changes_a_block_and_restores_it(monkeypatch):
    monkeypatch.delenv("MOUSESCORE_FEATURE_CACHE", raising=False)
    before = dict(os.environ)
    assert config.settings().caches
    with config.override(caches=False) as inside:
        assert inside.caches is False and config.settings().caches is False
        with config.override(caches=True, memory_limit_gb=2):
            assert config.settings().caches and config.settings().memory_limit_gb == 2
        assert config.settings().caches is False and config.settings().memory_limit_gb is None
    assert config.settings().caches and dict(os.environ) == before
    with pytest.raises(TypeError, match="unknown settings"):
        with config.override(cache=False):
            pass


def test_a_malformed_number_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("MOUSESCORE_FEATURE_CACHE_GB", "ten")
    with pytest.raises(MousescoreError, match="MOUSESCORE_FEATURE_CACHE_GB must be a number of GiB, not 'ten'"):
        config.settings()


def test_caches_off_means_no_disk_memo(fresh_home):
    calls = []

    @disk_memo
    def doubled(values):
        calls.append(1)
        return values * 2

    values = np.arange(3.0)
    with config.override(caches=False):
        doubled(values), doubled(values)
    assert len(calls) == 2 and not (fresh_home / "derived").exists()
    doubled(values), doubled(values)
    assert len(calls) == 3 and len(list((fresh_home / "derived").iterdir())) == 1


def test_every_mousescore_variable_is_read_in_the_config_module_only():
    readers = []
    for path in sorted((REPO / "mousescore").rglob("*.py")) + sorted((REPO / "plugins").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") and \
                    isinstance(node.value, ast.Name) and node.value.id == "os":
                readers.append(path.relative_to(REPO).as_posix())
    assert sorted(set(readers)) == ["mousescore/config.py"]


def test_a_relative_path_setting_means_one_folder_in_every_process(monkeypatch, tmp_path):
    import subprocess
    import sys
    (tmp_path / "work" / "mirror").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("MOUSESCORE_DATA_PATH", os.pathsep.join(["mirror", "/abs/other"]))
    monkeypatch.setenv("MOUSESCORE_WEIGHTS_PATH", "~/weights")
    monkeypatch.setenv("MOUSESCORE_HOME", "home")
    first = config.settings()
    assert first.data_path == (tmp_path / "work" / "mirror", Path("/abs/other"))
    assert first.home == tmp_path / "work" / "home" and first.weights_path == (Path.home() / "weights",)
    # resolved once: written back, so a later chdir and a child process started elsewhere agree
    assert os.environ["MOUSESCORE_DATA_PATH"] == os.pathsep.join([str(tmp_path / "work" / "mirror"), "/abs/other"])
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert config.settings() == first
    child = subprocess.run([sys.executable, "-c", "from mousescore import config; s = config.settings(); "
                            "print(s.data_path[0], s.home)"], capture_output=True, text=True, check=True)
    assert child.stdout.split() == [str(tmp_path / "work" / "mirror"), str(tmp_path / "work" / "home")]


def test_a_relative_path_is_resolved_at_import(tmp_path):
    import subprocess
    import sys
    (tmp_path / "mirror").mkdir()
    code = ("import os; import mousescore.config; os.chdir('/'); "
            "print(os.environ['MOUSESCORE_DATA_PATH'], mousescore.config.settings().data_path[0])")
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path,
                           env={**os.environ, "MOUSESCORE_DATA_PATH": "mirror"})
    assert child.stdout.split() == [str(tmp_path / "mirror")] * 2


def test_an_override_path_is_absolute(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with config.override(home="h", data_path=["d"]) as inside:
        assert inside.home == tmp_path / "h" and inside.data_path == (tmp_path / "d",)
