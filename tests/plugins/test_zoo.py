"""The model zoo: the paper's torchvision and timm networks, each trained and random-init."""
import json
import os
import re
import subprocess
import sys
from collections import Counter

import pytest

from mousescore.registry.plugins import Registry
from mousescore.testing import check_model


@pytest.fixture(scope="module")
def registry():
    return Registry()


def test_the_papers_networks_are_all_there_with_random_variants(registry):
    trained = [m for m in registry.identifiers("model") if registry.get("model", m).metadata["trained"] is True]
    assert len(trained) >= 110 + 14 + 24
    families = Counter(registry.get("model", m).metadata["family"] for m in trained)
    assert families["torchvision"] == 31 and families["timm"] >= 78
    assert families["vissl"] >= 14 and families["taskonomy"] == 24
    for model in trained:
        # a network registered without its own random variant names its random twin (the Coral TFLite
        # networks: mobilenet_v2-random; vgg16_bn_craft: vgg16_bn-random; None where no twin is registered,
        # as for MobileNetV1-0.25 and open_nsfw's ResNet-50-thin)
        twin = registry.get("model", model).metadata.get("twin", f"{model}-random")
        if twin is None:
            continue
        random = registry.get("model", twin).metadata
        assert random["trained"] is False and random["seed"] == 0
    classes = Counter(registry.get("model", m).metadata["architecture_class"] for m in trained)
    assert {"convolutional", "transformer", "mlp-mixer"} <= set(classes)


@pytest.mark.parametrize("identifier", ["densenet121-random", "googlenet-random", "inception_v3-random",
                                        "mnasnet0_5-random", "pit_ti_224-random", "nf_resnet50-random",
                                        "mixer_b16_224-random"])
def test_random_variants_build_and_match_their_table_row(registry, identifier):
    spec = registry.get("model", identifier)
    loaded = check_model(spec)
    assert sum(p.numel() for p in loaded.module.parameters()) == spec.metadata["parameters"]
    assert loaded.input_size == spec.metadata["input_size"]


def test_old_densenet_checkpoints_are_upgraded():
    import torchvision
    from mousescore_torchvision.build import upgrade_state_dict
    current = {k: v for k, v in torchvision.models.get_model("densenet121", weights=None).state_dict().items()
               if not k.endswith("num_batches_tracked")}      # not in the published checkpoint
    published = {re.sub(r"(denselayer\d+\.(?:norm|relu|conv))([12])\.", r"\1.\2.", k): v for k, v in current.items()}
    assert published.keys() != current.keys()
    upgraded = upgrade_state_dict("densenet121", published)
    assert list(upgraded) == list(current)
    torchvision.models.get_model("densenet121", weights=None).load_state_dict(upgraded)


def mousescore(*args):
    return subprocess.run([sys.executable, "-m", "mousescore.cli", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=300)


def test_list_models_filters_and_counts():
    result = mousescore("list", "models", "--family", "torchvision", "--random")
    assert "(31 models)" in result.stdout and "per family: torchvision 31" in result.stdout
    rows = json.loads(mousescore("list", "models", "--json", "--trained").stdout)
    assert all(row["trained"] is True for row in rows) and len(rows) >= 110
    mixers = json.loads(mousescore("list", "models", "--json", "--task-cluster", "semantic").stdout)
    assert mixers and all(row["task_cluster"] == "Semantic" for row in mixers)


def test_models_fetch(tmp_path):
    env_home = {"MOUSESCORE_HOME": str(tmp_path)}
    ok = subprocess.run([sys.executable, "-m", "mousescore.cli", "models", "fetch", "efficientnet_lite0",
                         "alexnet-random"], capture_output=True, text=True, env={**os.environ, **env_home})
    assert ok.returncode == 0
    assert "efficientnet_lite0: weights verified" in ok.stdout and "alexnet-random: no weights to fetch" in ok.stdout
    missing = subprocess.run([sys.executable, "-m", "mousescore.cli", "models", "fetch", "vgg16"],
                             capture_output=True, text=True,
                             env={**os.environ, **env_home, "TORCH_HOME": str(tmp_path / "torch")})
    assert missing.returncode == 2 and "vgg16-397923af.pth" in missing.stderr


def test_every_random_init_model_and_baseline_builds_and_extracts():
    """The full smoke sweep (about 3 minutes on 2 cores): every random-init network and every baseline
    is built and run on 2 images; the per-family pass counts are printed."""
    result = subprocess.run([sys.executable, "-m", "mousescore.cli", "models", "check", "*-random", "gabor",
                             "gist", "random_fourier", "pixels"], capture_output=True, text=True,
                            env=dict(os.environ), timeout=1800)
    summary = [line for line in result.stdout.splitlines() if line.startswith("per family:")]
    print(summary)
    assert result.returncode == 0, result.stderr[-2000:]
    counts = dict(item.rsplit(" ", 1) for item in summary[0][len("per family: "):].split(", "))
    assert counts["torchvision"] == "31/31" and counts["timm"].split("/")[0] == counts["timm"].split("/")[1]
    assert counts["baseline"] == "4/4" and counts["taskonomy"] == "24/24" and counts["vissl"] == "16/16"


def _scores(model, *benchmarks, home):
    result = subprocess.run([sys.executable, "-m", "mousescore.cli", "score", model, *benchmarks, "--json"],
                            capture_output=True, text=True, env={**os.environ, "MOUSESCORE_HOME": str(home)},
                            timeout=900)
    assert result.returncode == 0, result.stderr
    return {s["benchmark"]: s for s in json.loads(result.stdout)}


def test_efficientnet_lite0_scores_next_to_its_random_variant(real_data, tmp_path):
    trained = _scores("efficientnet_lite0", "allen.VISp-rsa", home=tmp_path)["allen.VISp-rsa"]
    random = _scores("efficientnet_lite0-random", "allen.VISp-rsa", home=tmp_path)["allen.VISp-rsa"]
    print(f"allen.VISp-rsa: efficientnet_lite0 {trained['value']:.4f}, random {random['value']:.4f}")
    assert trained["provenance"]["model_provenance"]["weights_sha256"].startswith("57934424")
    assert trained["value"] > random["value"] + 0.1           # 0.346 vs 0.108 when measured


@pytest.mark.parametrize("baseline", ["gabor", "gist", "random_fourier", "pixels"])
def test_baselines_score_on_allen_and_macaque_benchmarks(real_data, tmp_path, baseline):
    scores = _scores(baseline, "allen.VISp-rsa", "kriegeskorte2008.IT-rsa", home=tmp_path)
    for score in scores.values():
        assert -1 < score["value"] < 1 and score["layer_profile"] and score["ceiling"] > 0
