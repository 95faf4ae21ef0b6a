"""Peak resident memory of `mousescore score` runs, each in its own process with empty caches.

    python performance/peak_memory.py                       # the issue's two cases, each without and
                                                           # with MOUSESCORE_MEMORY_LIMIT_GB at the target
    python performance/peak_memory.py resnet50-random 'allen.*'
    python performance/peak_memory.py --limit 1.5 resnet18-random 'allen.*'

Each case runs the CLI in a fresh subprocess (fresh MOUSESCORE_HOME with the packaged datasets copied
in, so data packaging is not measured) and reports the child's peak RSS (getrusage, RUSAGE_CHILDREN)
and wall time, against the issue's targets.
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = [  # (model, benchmarks, target GiB under MOUSESCORE_MEMORY_LIMIT_GB at it, target GiB without a limit)
    ("resnet18-random", ["allen.*", "allen_surrogate.*", "antolik2016.*"], 1.5, 2.0),
    ("vgg16-random", ["cowley2023.V4-srp_ridge"], 4.0, None),
]


def packaged_home() -> Path:
    """A fresh MOUSESCORE_HOME holding only the already packaged datasets."""
    from mousescore import config
    home = Path(tempfile.mkdtemp(prefix="mousescore-peak-"))
    if (config.home() / "packaged").is_dir():
        shutil.copytree(config.home() / "packaged", home / "packaged")
    return home


def measure(model: str, benchmarks, target_gib=None, limit_gib=None) -> float:
    home = packaged_home()
    started = time.perf_counter()
    env = dict(os.environ, MOUSESCORE_HOME=str(home))
    env.pop("MOUSESCORE_MEMORY_LIMIT_GB", None)
    if limit_gib:
        env["MOUSESCORE_MEMORY_LIMIT_GB"] = str(limit_gib)
    result = subprocess.run([sys.executable, "-m", "mousescore.cli", "score", model, *benchmarks,
                             "--no-progress"], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2 ** 20   # KiB on Linux
    shutil.rmtree(home, ignore_errors=True)
    if result.returncode != 0:
        raise SystemExit(f"{model} failed: {result.stderr[-1000:]}")
    verdict = "" if target_gib is None else (f" (target <= {target_gib} GiB: "
                                             f"{'met' if peak_gib <= target_gib else 'NOT met'})")
    batches = [line.split(" in batches of ")[1].split()[0] for line in result.stderr.splitlines()
               if " in batches of " in line]
    how = (f"MOUSESCORE_MEMORY_LIMIT_GB={limit_gib}" + (f", batches of {batches[0]}" if batches else "")
           if limit_gib else "no memory limit")
    print(f"{model} on {' '.join(benchmarks)} ({how}): peak RSS {peak_gib:.2f} GiB, {seconds:.1f} s{verdict}",
          flush=True)
    return peak_gib


def main() -> None:
    arguments = sys.argv[1:]
    options = {"--target": None, "--limit": None}
    while arguments[:1] and arguments[0] in options:
        options[arguments[0]], arguments = float(arguments[1]), arguments[2:]
    if arguments:
        measure(arguments[0], arguments[1:], options["--target"], options["--limit"])
        return
    for model, benchmarks, limited_target, unlimited_target in CASES:
        # One process per case: RUSAGE_CHILDREN would otherwise keep the largest earlier peak.
        for target, limit in ((unlimited_target, []), (limited_target, ["--limit", str(limited_target)])):
            subprocess.run([sys.executable, __file__, *(["--target", str(target)] if target else []), *limit,
                            model, *benchmarks], check=True)


if __name__ == "__main__":
    main()
