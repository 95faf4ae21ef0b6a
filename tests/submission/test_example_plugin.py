"""A third-party plugin, pip-installed, is found through its entry point; uninstalled, it is gone."""
import json
import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mousescore-plugin-example"
MODEL = "example_convnet-random"


def pip(*args):
    result = subprocess.run([sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "-q"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return result


def mousescore(*args):
    return subprocess.run([sys.executable, "-m", "mousescore.cli", *args], capture_output=True,
                          text=True, env=dict(os.environ), timeout=600)


def test_install_list_score_uninstall(real_data, tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "uninstall", "-y", "-q", "mousescore-plugin-example"],
                   capture_output=True)
    assert MODEL not in mousescore("list", "models").stdout
    pip("install", "--no-build-isolation", "--no-deps", str(EXAMPLE))
    try:
        listed = json.loads(mousescore("list", "models", "--json").stdout)
        entry = next(m for m in listed if m["identifier"] == MODEL)
        assert entry["plugin"] == "example" and entry["trained"] is False
        result = mousescore("score", MODEL, "allen.VISp_layer23-rsa", "--json")
        assert result.returncode == 0, result.stderr
        score = json.loads(result.stdout)[0]
        assert score["model"] == MODEL and -1 < score["value"] < 1
        assert score["layer_profile"] and score["best_layer"] in {"0", "1", "2", "3", "4", "5", "6"}
        checked = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                  str(EXAMPLE / "tests")], capture_output=True, text=True, timeout=600)
        assert checked.returncode == 0, checked.stdout + checked.stderr   # its own conformance test
    finally:
        pip("uninstall", "-y", "mousescore-plugin-example")
    assert MODEL not in mousescore("list", "models").stdout
    gone = mousescore("score", MODEL, "allen.VISp_layer23-rsa")
    assert gone.returncode == 2 and "unknown model" in gone.stderr
