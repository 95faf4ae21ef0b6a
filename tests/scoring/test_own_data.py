"""Bring your own data: files in, the same scores as the registered benchmarks out; bad files, exit 2."""
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from PIL import Image

from mousescore.data.assemblies import save_netcdf
from mousescore.data.datasets import load_dataset

MODEL = "alexnet-random"


def cli(*args, home):
    env = {**os.environ, "MOUSESCORE_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "mousescore.cli", *args], capture_output=True, text=True,
                          env=env, timeout=900)


def write_images(stimuli, folder, suffix=".png"):
    folder.mkdir(parents=True, exist_ok=True)
    for stimulus_id, image in zip(stimuli.stimulus_ids(), stimuli.values):
        pixels = np.round(image * 255).astype(np.uint8)
        Image.fromarray(pixels.squeeze(-1) if pixels.shape[-1] == 1 else pixels).save(folder / f"{stimulus_id}{suffix}")
    return folder


def score_value(result):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)[0]


def test_assembly_and_image_folder_score_like_the_registered_cowley_benchmark(real_data, tmp_path):
    products = load_dataset("cowley2023")
    save_netcdf(products["responses"], tmp_path / "v4.nc")
    images = write_images(products["stimuli"], tmp_path / "images")   # PNG: lossless
    custom = score_value(cli("score", MODEL, "--assembly", str(tmp_path / "v4.nc"), "--stimuli", str(images),
                             "--json", home=tmp_path / "h1"))
    registered = score_value(cli("score", MODEL, "cowley2023.V4-srp_ridge", "--json", home=tmp_path / "h2"))
    assert custom["benchmark"] == "custom.v4-srp_ridge"
    assert custom["value"] == registered["value"]
    assert custom["ceiling"] == registered["ceiling"] and custom["best_layer"] == registered["best_layer"]
    assert custom["provenance"]["dataset_files"]["inputs_sha256_prefix"]


def test_rdm_and_zipped_images_score_like_the_registered_kriegeskorte_benchmark(real_data, tmp_path):
    products = load_dataset("kriegeskorte2008")
    rdm = products["rdms"].sel(site="macaque_IT").values
    condensed = rdm[np.triu_indices(92, 1)]
    np.savetxt(tmp_path / "it.csv", condensed[None], delimiter=",")
    folder = write_images(products["stimuli"], tmp_path / "images")
    with zipfile.ZipFile(tmp_path / "images.zip", "w") as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, f"objects/{file.name}")
    (tmp_path / "order.txt").write_text("\n".join(products["stimuli"].stimulus_ids()))
    custom = score_value(cli("score", MODEL, "--rdm", str(tmp_path / "it.csv"), "--stimuli",
                             str(tmp_path / "images.zip"), "--stimulus-ids", str(tmp_path / "order.txt"),
                             "--json", home=tmp_path / "h1"))
    registered = score_value(cli("score", MODEL, "kriegeskorte2008.IT-rsa", "--json", home=tmp_path / "h2"))
    assert custom["value"] == pytest.approx(registered["value"], abs=1e-12)


def test_responses_array_with_neuroid_table_and_python_api(tmp_path):
    from mousescore.scoring.own_data import custom_benchmark
    small = small_inputs(tmp_path)
    np.save(small["root"] / "r.npy", small["values"])
    (small["root"] / "neuroids.csv").write_text("neuroid_id,area\nu1,VISp\nu2,VISp\nu3,VISl\nu4,VISl\n")
    benchmark = custom_benchmark(small["folder"], responses=small["root"] / "r.npy",
                                 neuroids=small["root"] / "neuroids.csv", name="lab")
    assert benchmark.identifier == "custom.lab-srp_ridge"
    assert benchmark.unit_ids == ["u1", "u2", "u3", "u4"]
    np.testing.assert_allclose(benchmark.target, small["values"].mean(axis=2))
    assert benchmark.unit_ceilings.shape == (4,)          # split-half over the 3 repeats


def small_inputs(root):
    """Six small images and a matching (stimulus × neuroid × repeat) array."""
    rng = np.random.default_rng(0)
    folder = root / "images"
    folder.mkdir()
    ids = [f"img{i}" for i in range(6)]
    for i in ids:
        Image.fromarray(rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return {"folder": folder, "ids": ids, "values": rng.normal(size=(6, 4, 3)), "root": root}
