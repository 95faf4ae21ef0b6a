"""VISSL model-zoo plugin: registration, checkpoint layouts and key conversion, the checksum policy.

No network: every checkpoint is generated here from a random network in the real VISSL layout and put
in a MOUSESCORE_WEIGHTS_PATH mirror under its real URL path, with the ``.sha256`` the policy requires.
"""
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from mousescore.errors import ChecksumMismatch, DataError
from mousescore.testing import check_model

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
pytest.importorskip("timm")

import mousescore_vissl as plugin  # noqa: E402
from mousescore_vissl import build, convert, zoo  # noqa: E402


def _spec(identifier):
    return next(spec for spec in plugin.mousescore_models() if spec.identifier == identifier)


def _place(mirror: Path, relative: str, checkpoint, sidecar: bool = True) -> Path:
    """Save ``checkpoint`` (or write it, if bytes: for files refused before they are read)."""
    path = mirror / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(checkpoint, bytes):
        path.write_bytes(checkpoint)
    else:
        torch.save(checkpoint, path)
    if sidecar:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        path.with_name(path.name + ".sha256").write_text(f"{digest}  {path.name}\n")
    return path


def _vissl_checkpoint(trunk: dict, heads: dict = None) -> dict:
    """The nesting of a VISSL training checkpoint (``model_final_checkpoint_phaseN.torch``)."""
    return {"type": "consolidated", "phase_idx": 199, "iteration": 1000,
            "classy_state_dict": {"train": True, "train_phase_idx": 199,
                                  "base_model": {"model": {"trunk": trunk, "heads": heads or {}}},
                                  "loss": {}}}


@pytest.fixture(scope="module")
def resnet_trunk():
    """A random torchvision ResNet-50 trunk with VISSL's names (``_feature_blocks.`` + torchvision's)."""
    torch.manual_seed(1)
    module = build.create_module(build.entry("resnet50_moco_v2"))
    state = {k: v.clone() for k, v in module.state_dict().items()}
    for name, value in state.items():   # BN statistics too, so an unloaded buffer would show
        if value.is_floating_point():
            value.copy_(torch.randn_like(value))
    return state


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    directory = tmp_path / "weights"
    directory.mkdir()
    monkeypatch.setenv("MOUSESCORE_WEIGHTS_PATH", str(directory))
    monkeypatch.setenv("MOUSESCORE_HOME", str(tmp_path / "home"))
    return directory


def _assert_equal(module, expected):
    state = module.state_dict()
    assert set(expected) <= set(state)
    for name, value in expected.items():
        assert torch.equal(state[name], value), name


def test_registration_is_cheap_and_complete():
    specs = plugin.mousescore_models()
    ids = [spec.identifier for spec in specs]
    assert len(ids) == len(set(ids)) == 2 * len(zoo.ZOO) == 32
    assert sum(entry.architecture == "resnet50" for entry in zoo.ZOO) == 14
    for spec in specs:
        assert spec.metadata["family"] == "vissl" and spec.metadata["task_cluster"] == "Self-Supervised"
        assert spec.metadata["trained"] == (not spec.identifier.endswith("-random"))
        if spec.metadata["trained"]:
            assert spec.metadata["training"].startswith("self-supervised: ")
            assert spec.metadata["weights_url"].startswith("https://dl.fbaipublicfiles.com/")
    for architecture, count in zoo.PARAMETERS.items():
        entry = next(e for e in zoo.ZOO if e.architecture == architecture)
        with torch.device("meta"):
            module = build.create_module(entry)
        assert sum(p.numel() for p in module.parameters()) == count, architecture


def test_listing_imports_no_torch():
    code = ("import sys; from mousescore.registry.plugins import Registry; ids = Registry().identifiers('model'); "
            "assert 'resnet50_moco_v2' in ids and 'vit_small_dino-random' in ids; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)


def test_key_conversion():
    assert convert.convert_key("_feature_blocks.layer1.0.conv1.weight") == "layer1.0.conv1.weight"
    assert convert.convert_key("module.trunk._feature_blocks.bn1.running_var") == "bn1.running_var"
    assert convert.convert_key("module.base_encoder.blocks.3.attn.qkv.weight") == "blocks.3.attn.qkv.weight"
    assert convert.convert_key("class_token") == "cls_token"
    assert convert.convert_key("pos_embedding") == "pos_embed"
    for head in ("module.projection_head.0.weight", "module.prototypes.weight", "fc.bias",
                 "module.momentum_encoder.blocks.0.norm1.weight", "head.weight", "module.predictor.0.weight"):
        assert convert.convert_key(head) == ""


def test_mocov3_release_layout_keeps_the_base_encoder_only():
    one = torch.ones(2)
    checkpoint = {"epoch": 300, "arch": "vit_base", "state_dict": {
        "module.base_encoder.cls_token": one, "module.base_encoder.norm.weight": one,
        "module.base_encoder.head.0.weight": one, "module.momentum_encoder.cls_token": 2 * one,
        "module.predictor.0.weight": one}}
    converted = convert.convert_state_dict(convert.trunk_of(checkpoint, "mocov3"),
                                           {"cls_token": (2,), "norm.weight": (2,)})
    assert list(converted) == ["cls_token", "norm.weight"] and torch.equal(converted["cls_token"], one)
    with pytest.raises(convert.ConversionError, match="no trunk"):
        convert.trunk_of({"classy_state_dict": {"base_model": {"model": {"trunk": {}}}}}, "vissl")
    with pytest.raises(convert.ConversionError, match="non-tensors"):
        convert.trunk_of({"state_dict": {"module.conv1.weight": "text"}}, "swav")


def test_trained_resnet_from_a_vissl_checkpoint(mirror, resnet_trunk):
    entry = build.entry("resnet50_moco_v2")
    trunk = {f"_feature_blocks.{k}": v for k, v in resnet_trunk.items()}
    heads = {"0.clf.0.weight": torch.zeros(128, 2048)}
    path = _place(mirror, zoo.mirror_path(entry.url), _vissl_checkpoint(trunk, heads))
    loaded = _spec("resnet50_moco_v2").factory()
    _assert_equal(loaded.module, resnet_trunk)
    assert isinstance(loaded.module.fc, torch.nn.Identity) and not loaded.module.training
    assert loaded.provenance["weights_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "user-pinned" in loaded.provenance["weights_digest_source"]
    assert entry.url in loaded.provenance["weights"]


def test_swav_release_layout_and_flat_mirror(mirror, resnet_trunk):
    entry = build.entry("resnet50_sela_v2")    # unique base name: may lie flat in the mirror
    state = {f"module.{k}": v for k, v in resnet_trunk.items() if not k.endswith("num_batches_tracked")}
    state["module.projection_head.0.weight"] = torch.zeros(2048, 2048)
    state["module.prototypes.weight"] = torch.zeros(3000, 128)
    _place(mirror, zoo.file_name(entry.url), state)
    loaded = _spec("resnet50_sela_v2").factory()
    _assert_equal(loaded.module, {k: v for k, v in resnet_trunk.items() if not k.endswith("num_batches_tracked")})


def test_trained_vit_dino_from_a_vissl_checkpoint(mirror):
    entry = build.entry("vit_small_dino")
    torch.manual_seed(2)
    source = build.create_module(entry).state_dict()
    trunk = {{"cls_token": "class_token", "pos_embed": "pos_embedding"}.get(k, k): torch.randn_like(v)
             for k, v in source.items()}
    _place(mirror, zoo.mirror_path(entry.url), _vissl_checkpoint(trunk, {"mlp.0.weight": torch.zeros(8, 384)}))
    loaded = _spec("vit_small_dino").factory()
    expected = {{"class_token": "cls_token", "pos_embedding": "pos_embed"}.get(k, k): v for k, v in trunk.items()}
    _assert_equal(loaded.module, expected)
    assert loaded.module.norm.eps == 1e-5   # VISSL's ViT trunk: nn.LayerNorm's default


@pytest.mark.parametrize("damage", ["missing", "extra", "shape"])
def test_a_checkpoint_that_does_not_fit_is_refused(mirror, resnet_trunk, damage):
    entry = build.entry("resnet50_simclr")
    trunk = {f"_feature_blocks.{k}": v for k, v in resnet_trunk.items()}
    if damage == "missing":
        del trunk["_feature_blocks.layer3.2.conv2.weight"]
    elif damage == "extra":
        trunk["_feature_blocks.layer5.0.conv1.weight"] = torch.zeros(3, 3)
    else:
        trunk["_feature_blocks.conv1.weight"] = torch.zeros(64, 1, 7, 7)   # a Lab colorization trunk
    _place(mirror, zoo.mirror_path(entry.url), _vissl_checkpoint(trunk))
    with pytest.raises(DataError, match={"missing": "layer3.2.conv2.weight", "extra": "layer5.0.conv1.weight",
                                         "shape": r"conv1.weight.*\(64, 1, 7, 7\)"}[damage]) as info:
        _spec("resnet50_simclr").factory()
    assert entry.url in str(info.value)


def test_offline_without_the_file_names_the_url_and_the_mirror_variable(mirror):
    entry = build.entry("resnet50_swav")
    with pytest.raises(DataError) as info:
        _spec("resnet50_swav").factory()
    message = str(info.value)
    assert entry.url in message and "MOUSESCORE_WEIGHTS_PATH" in message and ".sha256" in message


def test_a_file_without_its_sha256_is_never_loaded(mirror):
    entry = build.entry("resnet50_barlowtwins")
    _place(mirror, zoo.mirror_path(entry.url), b"not read", sidecar=False)
    with pytest.raises(DataError, match="publishes no checksum"):
        _spec("resnet50_barlowtwins").factory()


def test_a_file_that_does_not_match_its_sha256_is_refused(mirror):
    entry = build.entry("resnet50_rotnet")
    path = _place(mirror, zoo.mirror_path(entry.url), b"not the registered bytes")
    path.with_name(path.name + ".sha256").write_text("0" * 64 + "\n")
    with pytest.raises(ChecksumMismatch):
        _spec("resnet50_rotnet").factory()


def test_a_shared_base_name_must_lie_at_its_url_path(mirror):
    # model_final_checkpoint_phase199.torch is MoCo-v2's and NPID's: flat, it could be either
    entry = build.entry("resnet50_npid")
    assert not zoo.unique_file_name(entry.url)
    _place(mirror, zoo.file_name(entry.url), b"maybe MoCo-v2's")
    with pytest.raises(DataError, match="publishes no checksum"):
        _spec("resnet50_npid").factory()


def test_random_variant_conforms():
    loaded = check_model(_spec("resnet50_moco_v2-random"))
    assert loaded.provenance["seed"] == 0
    assert isinstance(loaded.module.fc, torch.nn.Identity)
