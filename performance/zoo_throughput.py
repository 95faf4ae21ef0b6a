"""Zoo throughput: the scoring time the board's models took, from `leaderboard/seed_log.json`.

    python performance/zoo_throughput.py            # against the issue's target of 4 hours
    python performance/zoo_throughput.py --forward resnet18-random vgg16-random   # and the floor

Per model on the board, the time of its last run on every benchmark its record holds; a model seeded
in parts (the Allen, surrogate, Cowley and Kriegeskorte benchmarks first, antolik's later) counts the
last run of each part. Runs with two seeders side by side on the two cores (one torch thread each)
are upper bounds of one seeder alone. Also prints every logged run's time (reruns included) and the
slowest models. With ``--forward``, the bare forward pass of those models (one torch thread, as the
seeders ran, batches as extraction makes them) over every offline benchmark's images, against their
logged scoring time: no scoring can take less than its forward pass. A model whose last run reused
scores that an interrupted, unlogged run stored counts the last run's time only (said in the output).
"""
from __future__ import annotations

import argparse
import json
import time
from itertools import combinations
from pathlib import Path

from mousescore import UnknownIdentifier

ROOT = Path(__file__).resolve().parents[1]


def model_seconds(log: dict, benchmarks_per_model: dict) -> dict:
    """Seconds per board model: its last complete run, else the last runs of parts that together cover
    its record. A run that took no time (every score already stored) is not a time."""
    last_by_count: dict = {}
    for run in log["runs"]:
        for model, entry in run["models"].items():
            if entry["seconds"] > 0:
                last_by_count.setdefault(model, {})[entry["benchmarks"]] = entry["seconds"]
    seconds = {}
    for model, wanted in benchmarks_per_model.items():
        runs = last_by_count.get(model, {})
        parts = [counts for size in range(1, len(runs) + 1) for counts in combinations(sorted(runs), size)
                 if sum(counts) == wanted]
        if parts:   # the fewest parts: one complete run where there is one
            seconds[model] = sum(runs[count] for count in parts[0])
    return seconds


OFFLINE_BENCHMARKS = ["allen.*", "allen_surrogate.*", "antolik2016.*", "cowley2023.*", "kriegeskorte2008.*"]


def offline_stimulus_sets() -> list:
    """Every stimulus set the offline benchmarks show, once."""
    from mousescore import get_registry
    from mousescore.scoring.benchmark_cache import built_benchmark
    registry = get_registry()
    sets = {}
    for identifier in registry.match("benchmark", OFFLINE_BENCHMARKS):
        stimuli = built_benchmark(registry, identifier).stimuli
        sets.setdefault(stimuli.identifier, stimuli)
    return list(sets.values())


def forward_seconds(model_id: str, stimulus_sets: list) -> float:
    """The bare forward pass (preprocess + module, no hooks) over the stimulus sets, batched as
    extraction batches them."""
    import torch

    from mousescore import get_registry
    from mousescore.extraction.extract import default_batch_size
    from mousescore.extraction.layers import preprocess
    loaded = get_registry().get("model", model_id).factory()
    started = time.perf_counter()
    with torch.inference_mode():
        for stimuli in stimulus_sets:
            n = stimuli.sizes["presentation"]
            batch = default_batch_size(n)
            for begin in range(0, n, batch):
                loaded.module(preprocess(stimuli.values[begin:begin + batch], loaded))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", default=ROOT / "leaderboard" / "seed_log.json", type=Path)
    parser.add_argument("--results", default=ROOT / "leaderboard" / "results", type=Path)
    parser.add_argument("--target-hours", type=float, default=4.0)
    parser.add_argument("--forward", nargs="+", default=[], metavar="MODEL",
                        help="measure these board models' bare forward pass against their scoring time")
    args = parser.parse_args()
    log = json.loads(args.log.read_text())
    records = {path.stem: len(json.loads(path.read_text())["benchmarks"])
               for path in sorted(args.results.glob("*.json")) if path.name != "unscorable.json"}
    seconds = model_seconds(log, records)
    missing = sorted(set(records) - set(seconds))
    total_hours = sum(seconds.values()) / 3600
    logged_hours = sum(entry["seconds"] for run in log["runs"] for entry in run["models"].values()) / 3600
    verdict = "met" if total_hours <= args.target_hours and not missing else "NOT met"
    print(f"{len(records)} models on the board, {len(seconds)} with logged times, "
          f"{sum(records.values())} model-benchmark scores")
    print(f"scoring time of the board: {total_hours:.2f} h (target <= {args.target_hours:g} h: {verdict}); "
          f"every logged run, reruns included: {logged_hours:.2f} h")
    if missing:
        print(f"no logged time: {', '.join(missing)}")
    partial = sorted(model for run in log["runs"] for model, entry in run["models"].items() if entry.get("reused"))
    if partial:   # an interrupted run stored some scores and its time was not logged
        print(f"time of its last run only (it reused scores an unlogged run stored): {', '.join(partial)}")
    slowest = sorted(seconds.items(), key=lambda item: -item[1])[:10]
    print("slowest: " + ", ".join(f"{model} {value:.0f} s" for model, value in slowest))
    median = sorted(seconds.values())[len(seconds) // 2]
    print(f"median {median:.0f} s per model; the 10 slowest take {sum(v for _, v in slowest) / 3600:.2f} h")

    if args.forward:
        unknown = [model for model in args.forward if model not in seconds]
        if unknown:   # before minutes of forward passes, not after
            hints = {model: UnknownIdentifier("model", model, seconds).suggestions for model in unknown}
            parser.error("not on the board with a logged time: " + "; ".join(
                f"{model} (did you mean {', '.join(close)}?)" if close else model for model, close in hints.items()))
        import torch
        torch.set_num_threads(1)
        stimulus_sets = offline_stimulus_sets()
        images = sum(stimuli.sizes["presentation"] for stimuli in stimulus_sets)
        ratios = []
        for model in args.forward:
            forward = forward_seconds(model, stimulus_sets)
            ratios.append(seconds[model] / forward)
            print(f"{model}: bare forward over {images} images {forward:.1f} s, scored in {seconds[model]:.1f} s "
                  f"({ratios[-1]:.2f}x)", flush=True)
        floor_hours = total_hours / max(ratios)
        print(f"at these ratios the board's bare forward passes alone take {total_hours / max(ratios):.2f}-"
              f"{total_hours / min(ratios):.2f} h on one thread, {floor_hours / 2:.2f}-"
              f"{total_hours / min(ratios) / 2:.2f} h on both cores")


if __name__ == "__main__":
    main()
