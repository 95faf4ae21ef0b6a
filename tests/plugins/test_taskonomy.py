"""Taskonomy task encoders (visualpriors): 24 tasks, clusters, weights offline-first by sha256."""
import csv
import hashlib
import subprocess
import sys
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from mousescore.errors import ChecksumMismatch, DataError
from mousescore.registry.plugins import Registry
from mousescore.testing import check_model, probe_stimuli

torch = pytest.importorskip("torch")
pytest.importorskip("visualpriors")

import mousescore_taskonomy as plugin  # noqa: E402
from mousescore_taskonomy import build, tasks  # noqa: E402

CLUSTERS = {"2D": 6, "3D": 8, "Semantic": 3, "Geometric": 7}


@pytest.fixture(scope="module")
def registry():
    return Registry()


@pytest.fixture(scope="module")
def taskonomy(registry):
    return {m: registry.get("model", m) for m in registry.identifiers("model")
            if registry.get("model", m).metadata["family"] == "taskonomy"}


def test_24_tasks_with_their_clusters_and_random_variants(taskonomy):
    trained = {m: s for m, s in taskonomy.items() if s.metadata["trained"] is True}
    assert len(trained) == 24 and len(taskonomy) == 48
    assert Counter(s.metadata["task_cluster"] for s in trained.values()) == CLUSTERS
    assert Counter(s.metadata["task_category"] for s in trained.values()) == {**CLUSTERS, "2D": 5, "Other": 1}
    denoising = trained["taskonomy_denoising"].metadata
    assert denoising["task_category"] == "Other" and denoising["task_cluster"] == "2D"
    assert trained["taskonomy_normal"].metadata["task_cluster"] == "3D"
    assert trained["taskonomy_segment_unsup2d"].metadata["training"] == "Taskonomy: segment_unsup2d"
    for model, spec in trained.items():
        assert model == f"taskonomy_{spec.metadata['task']}"
        assert spec.metadata["architecture_class"] == "convolutional" and spec.metadata["input_size"] == 256
        random = taskonomy[f"{model}-random"].metadata
        assert random["trained"] is False and random["seed"] == 0 and random["task"] == spec.metadata["task"]


def test_task_table_matches_deepmousetrap_typology(real_data):
    with open(real_data / "deepmousetrap" / "task_typology.csv", newline="") as handle:
        typology = {row["model"]: row for row in csv.DictReader(handle)}
    with open(real_data / "deepmousetrap" / "model_typology.csv", newline="") as handle:
        models = {row["model"]: row for row in csv.DictReader(handle)
                  if row["model_source"] == "taskonomy" and row["model"] != "random_weights"}
    assert set(typology) == set(models) == set(tasks.BY_KEY)
    for key, task in tasks.BY_KEY.items():
        assert task.name == typology[key]["taskname"]
        assert task.category == models[key]["task_cluster"]   # the paper's five categories
        assert tasks.TASK_TYPOLOGY_CATEGORY.get(key, task.category) == typology[key]["category"]


def test_weight_files_are_visualpriors_own():
    from visualpriors.taskonomy_network import TASKONOMY_PRETRAINED_URLS, TaskonomyEncoder
    for task in tasks.TASKS:
        assert TASKONOMY_PRETRAINED_URLS[f"{task.key}_encoder"] == task.url
        assert len(task.sha256) == 64 and int(task.sha256, 16) >= 0
    module = TaskonomyEncoder()
    assert sum(p.numel() for p in module.parameters()) == plugin.PARAMETERS == build.PARAMETERS


def _checkpoint(path: Path, seed: int = 1, **extra) -> dict:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = build.create_module()
    state_dict = {k: v.clone() for k, v in module.state_dict().items()}
    for key, value in state_dict.items():   # make running statistics distinguishable from the defaults
        if value.is_floating_point():
            value.add_(0.01 * torch.randn(value.shape, generator=torch.Generator().manual_seed(seed)))
    torch.save({"state_dict": state_dict, "epoch": 7, **extra}, path)
    return state_dict


@pytest.fixture
def mirror(tmp_path, monkeypatch, fresh_home):
    directory = tmp_path / "weights"
    directory.mkdir()
    monkeypatch.setenv("MOUSESCORE_WEIGHTS_PATH", str(directory))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(urllib.request, "urlopen", _offline)
    return directory


def _offline(*args, **kwargs):
    raise urllib.error.URLError("no network in tests")


def _accept_test_file(monkeypatch, sha256: str):
    """The real checkpoints are pinned by the sha256 in their names; a generated file cannot hash to
    that, so the test checks the real URL and digest are asked for, then resolves with the file's own."""
    requested = []
    real = build.resolve_weights

    def resolve(url, digest, library_dirs=()):
        requested.append((url, digest))
        return real(url, sha256, library_dirs)
    monkeypatch.setattr(build, "resolve_weights", resolve)
    return requested


def test_trained_encoder_loads_exactly_the_mirrored_weights(registry, mirror, monkeypatch):
    task = tasks.BY_KEY["autoencoding"]
    path = mirror / task.filename
    assert path.name == "autoencoding_encoder-e35146c09253720e97c0a7f8ee4e896ac931f5faa1449df003d81e6089ac6307.pth"
    state_dict = _checkpoint(path)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    requested = _accept_test_file(monkeypatch, sha256)
    loaded = registry.get("model", "taskonomy_autoencoding").factory()
    assert requested == [(task.url, task.sha256)]
    assert loaded.provenance["weights_sha256"] == sha256 and loaded.provenance["weights_file"] == task.filename
    assert loaded.input_size == 256 and tuple(loaded.mean) == (0.5,) * 3 and tuple(loaded.std) == (0.5,) * 3
    assert not loaded.module.training
    built = loaded.module.state_dict()
    assert set(built) == set(state_dict)
    assert all(torch.equal(built[k], state_dict[k]) for k in state_dict)
    with torch.no_grad():
        assert loaded.module(torch.zeros(1, 3, 256, 256)).shape == (1, 8, 16, 16)


def test_checkpoint_missing_keys_is_refused(mirror, monkeypatch):
    task = tasks.BY_KEY["jigsaw"]
    path = mirror / task.filename
    _checkpoint(path)
    checkpoint = torch.load(path, weights_only=True)
    del checkpoint["state_dict"]["compress1.weight"]
    torch.save(checkpoint, path)
    _accept_test_file(monkeypatch, hashlib.sha256(path.read_bytes()).hexdigest())
    with pytest.raises(DataError, match="compress1.weight"):
        build.build("jigsaw", trained=True)


def test_corrupt_weights_file_is_refused(registry, mirror):
    task = tasks.BY_KEY["normal"]
    (mirror / task.filename).write_bytes(b"not the Taskonomy normal encoder")
    with pytest.raises(ChecksumMismatch, match=task.sha256):
        registry.get("model", "taskonomy_normal").factory()


def test_missing_weights_offline_names_url_and_mirror_variable(registry, mirror):
    task = tasks.BY_KEY["segment_unsup2d"]
    with pytest.raises(DataError) as error:
        registry.get("model", "taskonomy_segment_unsup2d").factory()
    assert task.url in str(error.value) and "MOUSESCORE_WEIGHTS_PATH" in str(error.value)


def test_random_variant_conforms_and_is_one_network_for_all_tasks(registry):
    loaded = check_model(registry.get("model", "taskonomy_segment_unsup2d-random"), probe_stimuli(n=3))
    assert loaded.input_size == 256 and loaded.provenance["seed"] == 0
    other = registry.get("model", "taskonomy_class_object-random").factory().module.state_dict()
    assert all(torch.equal(v, other[k]) for k, v in loaded.module.state_dict().items())


def test_listing_does_not_import_torch_or_visualpriors():
    code = ("import sys; from mousescore.registry.plugins import Registry; ids = Registry().identifiers('model'); "
            "assert 'taskonomy_autoencoding-random' in ids; "
            "assert 'torch' not in sys.modules and 'visualpriors' not in sys.modules, sorted(sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
