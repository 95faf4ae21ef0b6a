import hashlib

import pytest

from mousescore.errors import ChecksumMismatch, DataError
from mousescore.models.weights import load_state_dict, resolve_weights
from mousescore.numerics import reductions
from mousescore.registry.plugins import Registry
from mousescore.testing import check_model


@pytest.fixture(scope="module")
def registry():
    return Registry()


@pytest.fixture
def offline_caches(tmp_path, monkeypatch):
    """Empty torch hub and Hugging Face caches, no weights mirror."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("MOUSESCORE_WEIGHTS_PATH", raising=False)
    return tmp_path


@pytest.mark.parametrize("identifier", ["alexnet-random", "squeezenet1_1-random", "resnet18-random",
                                        "vit_small_patch16_224-random"])
def test_random_init_models_pass_the_conformance_kit(registry, identifier):
    loaded = check_model(registry.get("model", identifier))
    assert loaded.provenance["seed"] == 0


def test_shared_relu_calls_are_separate_layers(registry):
    from mousescore.extraction.extract import extract
    from mousescore.testing import probe_stimuli
    loaded = registry.get("model", "resnet18-random").factory()
    layers = extract(loaded, probe_stimuli(n=2), {reductions.srp(8, 0)}, progress=False).layers
    assert layers.index("layer1.0.relu") < layers.index("layer1.0.conv2") < layers.index("layer1.0.relu#2")
    assert layers[-1] == "fc"


def test_missing_trained_weights_name_the_file_url_and_where_to_put_it(registry, offline_caches):
    with pytest.raises(DataError) as error:
        registry.get("model", "alexnet").factory()
    message = str(error.value)
    assert "alexnet-owt-7be5be79.pth" in message
    assert "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth" in message
    assert "MOUSESCORE_WEIGHTS_PATH" in message


def test_corrupt_mirrored_weights_are_rejected(registry, offline_caches, monkeypatch):
    mirror = offline_caches / "mirror"
    mirror.mkdir()
    (mirror / "alexnet-owt-7be5be79.pth").write_bytes(b"truncated download")
    monkeypatch.setenv("MOUSESCORE_WEIGHTS_PATH", str(mirror))
    with pytest.raises(ChecksumMismatch, match="7be5be79"):
        registry.get("model", "alexnet").factory()


def test_missing_timm_weights_say_how_to_fetch_them(registry, offline_caches):
    with pytest.raises(DataError, match="huggingface-cli download timm/convnext_tiny"):
        registry.get("model", "convnext_tiny").factory()


def test_weights_download_from_a_file_url_then_load_as_tensors_only(tmp_path, fresh_home):
    import torch
    source = tmp_path / "net-abc.pth"
    torch.save({"weight": torch.arange(4.0)}, source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    path = resolve_weights(source.as_uri(), digest)
    assert path.parent == fresh_home / "weights"
    assert torch.equal(load_state_dict(path)["weight"], torch.arange(4.0))
