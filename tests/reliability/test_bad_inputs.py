"""Bad input: one readable error line and exit status 2 from the CLI; NaN or constant neurons are
excluded and counted; nothing is lost or half-written."""
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from mousescore.data.assemblies import NeuroidAssembly, save_netcdf
from mousescore.errors import DataError, MousescoreError

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scoring"))
from test_own_data import small_inputs  # noqa: E402

from mousescore.numerics import reductions

MODEL = "alexnet-random"


def cli(*args, home, env=None, debug=False):
    environment = {**os.environ, "MOUSESCORE_HOME": str(home), **(env or {})}
    command = [sys.executable, "-m", "mousescore.cli", *(["--debug"] if debug else []), *args]
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=600)


def assert_one_error_line(result, expected):
    assert result.returncode == 2, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if not line.startswith("[mousescore]")]
    assert len(errors) == 1 and errors[0].startswith("error: "), result.stderr
    assert expected in errors[0] and "Traceback" not in result.stderr


@pytest.fixture
def small(tmp_path):
    return small_inputs(tmp_path)


def _assembly(small, values=None, ids=None):
    path = small["root"] / "a.nc"
    save_netcdf(NeuroidAssembly.create(small["values"] if values is None else values, ids or small["ids"],
                                       [f"n{i}" for i in range(4)], repetition=True), path)
    return str(path)


BYOD_CASES = ["missing image", "duplicate ids", "nan row", "asymmetric rdm", "rdm size", "condensed length",
              "no stimuli", "not images", "both targets", "unknown metric", "rdm with nan", "duplicate rdm order"]


@pytest.mark.parametrize("case", BYOD_CASES)
def test_malformed_own_data(small, case, tmp_path, bad_input):
    bad_input(case)
    folder, root = str(small["folder"]), small["root"]
    if case == "missing image":
        args = ["--assembly", _assembly(small, ids=small["ids"][:5] + ["ghost"]), "--stimuli", folder]
        expected = "no image for stimuli ['ghost']"
    elif case == "duplicate ids":
        from PIL import Image
        Image.new("RGB", (20, 20)).save(small["folder"] / "img0.jpg")
        args = ["--assembly", _assembly(small), "--stimuli", folder]
        expected = "duplicate stimulus id 'img0'"
    elif case == "nan row":
        values = small["values"].copy()
        values[2] = np.nan
        args = ["--assembly", _assembly(small, values=values), "--stimuli", folder]
        expected = "all NaN for stimuli ['img2']"
    elif case in ("asymmetric rdm", "rdm size", "condensed length", "rdm with nan"):
        nan_rdm = np.ones((6, 6)) - np.eye(6)
        nan_rdm[1, 2] = nan_rdm[2, 1] = np.nan
        matrix = {"asymmetric rdm": np.triu(np.ones((6, 6)), 1), "rdm size": np.ones((5, 5)) - np.eye(5),
                  "condensed length": np.ones(14), "rdm with nan": nan_rdm}[case]
        np.save(root / "rdm.npy", matrix)
        args = ["--rdm", str(root / "rdm.npy"), "--stimuli", folder]
        expected = {"asymmetric rdm": "not symmetric", "rdm size": "5 rows for 6 stimuli",
                    "condensed length": "has 15 values, not 14", "rdm with nan": "NaN or infinite"}[case]
    elif case == "duplicate rdm order":
        np.save(root / "rdm.npy", np.ones((6, 6)) - np.eye(6))
        (root / "order.txt").write_text("\n".join(small["ids"][:5] + ["img0"]))
        args = ["--rdm", str(root / "rdm.npy"), "--stimuli", folder, "--stimulus-ids", str(root / "order.txt")]
        expected = "duplicate stimulus ids"
    elif case == "no stimuli":
        args = ["--assembly", _assembly(small)]
        expected = "together with --stimuli"
    elif case == "not images":
        (root / "notes").mkdir()
        (root / "notes" / "a.png").write_text("not a png")
        args = ["--assembly", _assembly(small), "--stimuli", str(root / "notes")]
        expected = "a.png is corrupt"
    elif case == "both targets":
        np.save(root / "r.npy", np.zeros((6, 2)))
        args = ["--assembly", _assembly(small), "--responses", str(root / "r.npy"), "--stimuli", folder]
        expected = "exactly one of"
    else:
        args = ["--assembly", _assembly(small), "--stimuli", folder, "--metric", "pearsonish"]
        expected = "unknown metric 'pearsonish'"
    assert_one_error_line(cli("score", MODEL, *args, home=tmp_path / "home"), expected)


def _corrupt_mirror(tmp_path, real_data):
    mirror = tmp_path / "mirror"
    shutil.copytree(real_data / "kriegeskorte92", mirror / "kriegeskorte92")
    path = mirror / "kriegeskorte92" / "Kriegeskorte_Neuron2008_supplementalData.mat"
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[1000] ^= 0xFF
    path.write_bytes(bytes(data))
    return {"MOUSESCORE_DATA_PATH": str(mirror)}


CLI_CASES = {
    "unknown model": (["score", "alexnet-randon", "allen.VISp-rsa"], "Did you mean: alexnet-random"),
    "unknown benchmark": (["score", MODEL, "allen.VISP-rsa"], "Did you mean: allen.VISp-rsa"),
    "glob matching nothing": (["score", MODEL, "allen.*-pls"], "no benchmark matches 'allen.*-pls'"),
    "no benchmark and no data": (["score", MODEL], "give benchmarks, or your own data"),
    "unknown dataset": (["data", "fetch", "allen2"], "unknown dataset 'allen2'"),
    "build of a fetched dataset": (["data", "build", "cowley2023", "--source", "."], "is fetched, not built"),
    "malformed builder option": (["data", "build", "allen", "--source", ".", "--set", "x"], "KEY=VALUE"),
    "trained weights missing offline": (["score", "resnet18", "allen.VISp-rsa"], "resnet18-f37072fd.pth"),
    "data missing offline": (["score", MODEL, "kriegeskorte2008.IT-rsa"], "is not available offline"),
    "corrupt mirrored data file": (["score", MODEL, "kriegeskorte2008.IT-rsa"], "sha256 is"),
    "not enough memory": (["score", MODEL, "cowley2023.V4-srp_ridge"], "left under MOUSESCORE_MEMORY_LIMIT_GB=0.2"),
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_cli_error_paths(case, tmp_path, real_data, bad_input):
    bad_input(case)
    args, expected = CLI_CASES[case]
    env = {"TORCH_HOME": str(tmp_path / "torch")}
    if case == "data missing offline":
        env["MOUSESCORE_DATA_PATH"] = str(tmp_path / "empty")
    if case == "corrupt mirrored data file":
        env.update(_corrupt_mirror(tmp_path, real_data))
    if case == "not enough memory":
        env["MOUSESCORE_MEMORY_LIMIT_GB"] = "0.2"
    assert_one_error_line(cli(*args, home=tmp_path / "home", env=env), expected)


def test_debug_shows_the_traceback(tmp_path, bad_input):
    bad_input("unknown model with --debug")
    result = cli("score", "nonet", "allen.VISp-rsa", home=tmp_path, debug=True)
    assert result.returncode == 2 and "Traceback" in result.stderr and "unknown model 'nonet'" in result.stderr


def test_a_broken_plugin_is_named_and_the_rest_work(tmp_path, bad_input):
    bad_input("plugin that raises at import")
    dist = tmp_path / "mousescore_plugin_broken-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mousescore-plugin-broken\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[mousescore]\nbroken = mousescore_plugin_broken\n")
    (tmp_path / "mousescore_plugin_broken.py").write_text(textwrap.dedent('raise RuntimeError("boom")'))
    result = cli("list", "models", home=tmp_path / "home", env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0 and "alexnet-random" in result.stdout
    assert "warning: plugin 'broken' failed to load (RuntimeError: boom)" in result.stderr


def test_nan_and_constant_neurons_are_excluded_and_counted(small, bad_input):
    from mousescore.results.store import ResultStore
    from mousescore.scoring.own_data import custom_benchmark
    from mousescore.scoring.score_model import score_benchmarks
    bad_input("all-NaN neuron")
    bad_input("constant neuron")
    values = small["values"].copy()
    values[:, 1, :] = np.nan
    values[:, 3, :] = 2.5
    benchmark = custom_benchmark(small["folder"], assembly=_assembly(small, values=values))
    score = score_benchmarks(MODEL, [benchmark], store=ResultStore(small["root"] / "r.sqlite"),
                             log=lambda message: None, progress=False)[0]
    assert score.n_units == 2 and score.n_excluded == 2
    assert np.isfinite(score.value) and np.isfinite(score.ceiling)
    assert np.isnan(score.unit_scores["n1"]) and np.isnan(score.unit_scores["n3"])


def test_features_of_other_stimuli_are_refused(small, bad_input):
    from mousescore.extraction.extract import LayerFeatures
    from mousescore.scoring.own_data import custom_benchmark
    bad_input("features extracted for other stimuli")
    benchmark = custom_benchmark(small["folder"], assembly=_assembly(small))
    features = LayerFeatures(stimulus_ids=np.array(small["ids"][::-1]), layers=["a"],
                             reduced={"a": {reductions.srp(4096, 0): np.zeros((6, 4096))}})
    with pytest.raises(DataError, match="different stimuli"):
        benchmark.score("toy", features)


def test_a_layer_whose_reduction_fails_is_named(bad_input):
    import torch
    from torch import nn

    from mousescore.extraction.extract import extract
    from mousescore.registry.specs import LoadedModel
    from mousescore.testing import probe_stimuli
    bad_input("reduction failing at one layer")

    class Odd(nn.Module):   # returns a complex tensor, which the projection cannot take
        def forward(self, x):
            return torch.complex(x, x)

    model = nn.Sequential(nn.Conv2d(3, 2, 3), Odd(), nn.Flatten()).eval()
    loaded = LoadedModel(model, input_size=16, provenance={"seed": 0})
    with pytest.raises(MousescoreError, match="layer 1 failed .*complex"):
        extract(loaded, probe_stimuli(), {reductions.srp(8, 0)}, progress=False)


def test_layers_with_non_finite_activations_are_left_out(small, bad_input):
    import torch
    from torch import nn

    from mousescore.extraction.extract import extract
    from mousescore.registry.specs import LoadedModel
    from mousescore.scoring.own_data import custom_benchmark
    bad_input("layer whose activations overflow to inf")

    class Overflow(nn.Module):
        def forward(self, x):
            return x * torch.tensor(float("inf"))

    model = nn.Sequential(nn.Conv2d(3, 4, 3), Overflow(), nn.Flatten()).eval()
    loaded = LoadedModel(model, input_size=16, provenance={"seed": 0})
    benchmark = custom_benchmark(small["folder"], assembly=_assembly(small))
    features = extract(loaded, benchmark.stimuli, benchmark.metric.reductions(), progress=False)
    assert features.layers == ["0", "1", "2"] and features.nonfinite == {"1", "2"}
    score = benchmark.score("toy", features)
    assert score.best_layer == "0" and np.isnan(score.layer_profile["1"])
