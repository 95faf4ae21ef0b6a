"""tools/seed_leaderboard.py: which models the board is seeded with, and the record of those that fail."""
import fcntl
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from mousescore import config, get_registry
from mousescore.results.records import read_unscorable, unscorable_path

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "seed_leaderboard.py"


@pytest.fixture(scope="module")
def seeding():
    spec = importlib.util.spec_from_file_location("seed_leaderboard", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_identical_random_twins_are_scored_once(seeding):
    registry = get_registry()
    models = seeding.offline_models(registry)
    assert len(models) == len(set(models))
    metadata = {identifier: dict(registry.get("model", identifier).metadata) for identifier in models}
    vissl_resnets = [m for m in models
                     if metadata[m]["family"] == "vissl" and metadata[m]["architecture"] == "resnet50"]
    assert vissl_resnets == ["resnet50_barlowtwins-random"]   # the first of 14 identical networks
    assert [m for m in models if metadata[m]["family"] == "taskonomy"] == ["taskonomy_autoencoding-random"]
    # distinct networks stay: the torchvision ResNet-50 (it has a head), the VISSL ViTs, the trained Lites
    assert {"resnet50-random", "vit_small_dino-random", "vit_base_moco_v3-random", "gabor", "gist",
            "efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"} <= set(models)
    assert all(metadata[m].get("trained") is False or m in seeding.OFFLINE_TRAINED for m in models)
    parameters = [metadata[m].get("parameters", 0) or 0 for m in models]
    assert parameters == sorted(parameters)
    # every random network left out is a twin of one kept: same family, architecture and seed
    kept = {(metadata[m]["family"], metadata[m].get("architecture"), metadata[m].get("seed")) for m in models}
    for identifier, spec, _ in registry.entries("model"):
        other = dict(spec.metadata)
        if other.get("trained") is False and identifier not in models:
            assert (other["family"], other.get("architecture"), other.get("seed")) in kept, identifier


def test_a_model_that_fails_is_listed_with_its_reason_until_it_scores(seeding, tmp_path, monkeypatch):
    results = tmp_path / "leaderboard" / "results"
    broken = {"gabor"}
    monkeypatch.setenv("MOUSESCORE_HOME", str(tmp_path / "home"))
    stores = []

    def score_model(identifier, benchmarks, registry=None, log=print, progress=True, store=None):
        # stored scores of this commit only, and nothing read from the feature cache or the memos
        stores.append(store.path)
        assert not config.settings().caches
        if identifier in broken:
            raise MemoryError("needs 40 GB")
        if identifier == "gist" and not broken:   # the second run finds gist's score stored
            log("allen.VISp-rsa: stored result reused (--force to recompute)")
        return [f"{identifier} on allen.VISp-rsa"]

    exported = []
    monkeypatch.setattr(seeding, "score_model", score_model)
    monkeypatch.setattr(seeding, "export_records", lambda scores, folder, registry: exported.append((scores, folder)))

    def seed():
        monkeypatch.setattr(sys, "argv", ["seed_leaderboard.py", "--models", "gabor", "gist", "--rescore",
                                          "--results", str(results), "--log", str(tmp_path / "log.json")])
        seeding.main()

    seed()
    assert read_unscorable(results) == {"gabor": "MemoryError: needs 40 GB"}
    run = json.loads((tmp_path / "log.json").read_text())["runs"][-1]
    assert run["failed"] == {"gabor": "MemoryError: needs 40 GB"} and set(run["models"]) == {"gist"}
    assert "reused" not in run["models"]["gist"]
    assert exported == [(["gist on allen.VISp-rsa"], results)]     # on the board as soon as it is scored
    broken.clear()
    seed()
    assert read_unscorable(results) == {} and not unscorable_path(results).exists()
    run = json.loads((tmp_path / "log.json").read_text())["runs"][-1]
    assert run["models"]["gist"]["reused"] == 1 and "reused" not in run["models"]["gabor"]
    assert run["commit"] != "unversioned" and run["commit"][:12] == seeding.source_revision()[:12]
    assert stores[-1] == tmp_path / "home" / "seed" / f"{run['commit']}.sqlite"
    assert {path.parent for path in stores} == {tmp_path / "home" / "seed"}


def test_the_seeding_scores_no_synthetic_benchmark(seeding):
    """The surrogate is a self-test of the pipeline, not board material: neither the default patterns nor
    an explicit allen_surrogate pattern put it into the records (issue 32)."""
    registry = get_registry()
    assert not any(pattern.startswith("allen_surrogate") for pattern in seeding.OFFLINE_BENCHMARKS)
    chosen = seeding.board_benchmarks(registry, seeding.OFFLINE_BENCHMARKS + ["allen_surrogate.*"])
    assert chosen and not any(name.startswith("allen_surrogate.") for name in chosen)
    assert "allen.VISp-rsa" in chosen and "antolik2016.V1-srp_ridge" in chosen
    assert set(registry.match("benchmark", ["allen_surrogate.*"]))   # the surrogate stays registered


def test_seeders_side_by_side_split_the_queue_and_share_the_log(seeding, tmp_path, monkeypatch):
    """Two seeders (--shard 0/2 and 1/2) take disjoint halves of the queue that together are all of
    it, and both runs stay in the one log however their writes interleave; a failure either one meets
    is in the shared unscorable list."""
    monkeypatch.setenv("MOUSESCORE_HOME", str(tmp_path / "home"))
    results, log = tmp_path / "results", tmp_path / "log.json"
    models = ["gabor", "gist", "pixels", "random_fourier"]
    scored = {}

    def score_model(identifier, benchmarks, registry=None, log=print, progress=True, store=None):
        scored[identifier] = current
        if identifier == "pixels":
            raise MemoryError("needs 40 GB")
        return [identifier]

    monkeypatch.setattr(seeding, "score_model", score_model)
    monkeypatch.setattr(seeding, "export_records", lambda scores, folder, registry: None)
    for current in ("0/2", "1/2"):
        monkeypatch.setattr(sys, "argv", ["seed_leaderboard.py", "--models", *models, "--rescore", "--shard",
                                          current, "--results", str(results), "--log", str(log)])
        seeding.main()
    assert set(scored) == set(models)
    halves = [{m for m, shard in scored.items() if shard == s} for s in ("0/2", "1/2")]
    assert not halves[0] & halves[1] and all(halves)
    runs = json.loads(log.read_text())["runs"]
    assert [run["shard"] for run in runs] == ["0/2", "1/2"]
    assert [set(run["models"]) | set(run["failed"]) for run in runs] == halves
    assert read_unscorable(results) == {"pixels": "MemoryError: needs 40 GB"}
    with pytest.raises(SystemExit):
        monkeypatch.setattr(sys, "argv", ["seed_leaderboard.py", "--shard", "2/2"])
        seeding.main()


def test_a_run_rewrites_its_own_log_entry_after_another_seeder_added_one(seeding, tmp_path):
    log = tmp_path / "log.json"
    log.write_text(json.dumps({"runs": [{"shard": "old"}]}))
    first = seeding.write_run(log, {"shard": "0/2", "models": {}})
    second = seeding.write_run(log, {"shard": "1/2", "models": {"gist": {}}})
    assert seeding.write_run(log, {"shard": "0/2", "models": {"gabor": {}}}, first) == first
    runs = json.loads(log.read_text())["runs"]
    assert (first, second) == (1, 2)
    assert runs == [{"shard": "old"}, {"shard": "0/2", "models": {"gabor": {}}},
                    {"shard": "1/2", "models": {"gist": {}}}]


def test_a_models_shard_does_not_depend_on_what_is_on_the_board(seeding, tmp_path, monkeypatch):
    """Shards split the whole queue: once the first model of shard 0 is on the board, shard 1 still
    takes exactly its own models (sharding what is left would hand it shard 0's next model, perhaps the
    one the other seeder is scoring)."""
    monkeypatch.setenv("MOUSESCORE_HOME", str(tmp_path / "home"))
    models = ["gabor", "gist", "pixels", "random_fourier"]
    queue = [m for m in seeding.offline_models(get_registry()) if m in models]
    taken = []
    monkeypatch.setattr(seeding, "score_model", lambda identifier, *a, **k: taken.append(identifier) or [identifier])
    monkeypatch.setattr(seeding, "export_records", lambda scores, folder, registry: None)
    monkeypatch.setattr(seeding, "on_board", lambda identifier, benchmarks, results: identifier == queue[0])
    monkeypatch.setattr(sys, "argv", ["seed_leaderboard.py", "--models", *models, "--shard", "1/2",
                                      "--results", str(tmp_path / "results"), "--log", str(tmp_path / "log.json")])
    seeding.main()
    assert taken == queue[1::2]


def test_records_are_written_under_the_seeders_lock(seeding, tmp_path, monkeypatch):
    """Two seeders that split one model's benchmarks read, merge and rewrite its one record file: each
    writes only while it holds the lock the seeders share, so neither can drop the other's half."""
    monkeypatch.setenv("MOUSESCORE_HOME", str(tmp_path / "home"))
    lock = tmp_path / "home" / "seed" / "seeding.lock"
    held = []

    def export_records(scores, folder, registry):
        with open(lock, "w") as other:   # another seeder's attempt, from its own open file
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held.append(True)
            else:
                fcntl.flock(other, fcntl.LOCK_UN)
                held.append(False)

    monkeypatch.setattr(seeding, "score_model", lambda identifier, *a, **k: [identifier])
    monkeypatch.setattr(seeding, "export_records", export_records)
    for patterns in (["cowley2023.*"], ["allen.*", "antolik2016.*", "kriegeskorte2008.*"]):
        monkeypatch.setattr(sys, "argv", ["seed_leaderboard.py", "--models", "gabor", "--rescore", "--benchmarks",
                                          *patterns, "--results", str(tmp_path / "results"),
                                          "--log", str(tmp_path / "log.json")])
        seeding.main()
    assert held == [True, True]
