"""The leaderboard's costs on the committed board: the time `mousescore leaderboard build` takes, the
size of the site it writes, and the time `mousescore.load_board()` takes; against the targets.

    python performance/leaderboard_site.py                       # this checkout
    python performance/leaderboard_site.py --source ../main      # another checkout (e.g. before a change)
    python performance/leaderboard_site.py --json performance/results/<date>-2cpu-site.json

Each measurement runs in a fresh process started from an empty temporary folder (not the repository:
both must work from anywhere), with its own empty MOUSESCORE_HOME; the build runs twice, with the
datasets' packaged files cold and then warm (the site's thumbnails come from them). The exit status is
1 when a target is missed.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"build_seconds": 30.0, "site_megabytes": 15.0, "load_board_seconds": 5.0}
LOAD_BOARD = ("import time, mousescore\n"
              "started = time.perf_counter()\n"
              "board = mousescore.load_board({results!r})\n"
              "print(time.perf_counter() - started, len(board))\n")


def environment(source: Path, home: Path) -> dict:
    env = dict(os.environ, MOUSESCORE_HOME=str(home), PYTHONPATH=str(source))
    env.setdefault("MOUSESCORE_DATA_PATH", str(source.parent / "shared" / "data"))
    return env


def build(source: Path, home: Path, out: Path) -> float:
    """Seconds of one `mousescore leaderboard build` (the whole process, imports included)."""
    command = [sys.executable, "-m", "mousescore.cli", "leaderboard", "build", "--out", str(out),
               "--results", str(source / "leaderboard" / "results")]
    started = time.perf_counter()
    subprocess.run(command, cwd=out.parent, env=environment(source, home), check=True, capture_output=True)
    return time.perf_counter() - started


def load_board(source: Path, home: Path, folder: Path):
    """Seconds of the load_board() call itself, and the scores it read."""
    script = LOAD_BOARD.format(results=str(source / "leaderboard" / "results"))
    done = subprocess.run([sys.executable, "-c", script], cwd=folder, env=environment(source, home), check=True,
                          capture_output=True, text=True)
    seconds, scores = done.stdout.split()
    return float(seconds), int(scores)


def site_size(site: Path):
    files = [path for path in site.rglob("*") if path.is_file()]
    sizes = sorted(((path.stat().st_size, str(path.relative_to(site))) for path in files), reverse=True)
    return sum(size for size, _ in sizes), len(files), sizes[:5]


def measure(source: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="mousescore-site-") as scratch:
        scratch = Path(scratch)
        home = scratch / "home"
        cold = build(source, home, scratch / "site")
        warm = build(source, home, scratch / "site")
        size, count, largest = site_size(scratch / "site")
        seconds, scores = load_board(source, home, scratch)
    return {"build_seconds": warm, "build_seconds_cold_data": cold, "site_megabytes": size / 1e6, "site_files": count,
            "largest_files": [{"bytes": b, "path": p} for b, p in largest], "load_board_seconds": seconds,
            "load_board_scores": scores}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=REPO, help="the mousescore checkout to measure")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    source = args.source.resolve()
    results = measure(source)
    missed = [name for name, target in TARGETS.items() if results[name] > target]
    for name, target in TARGETS.items():
        print(f"{name:20s} {results[name]:8.2f}   target <= {target:g}{'   MISSED' if name in missed else ''}")
    print(f"{'build, cold data':20s} {results['build_seconds_cold_data']:8.2f}   (the datasets packaged first)")
    print(f"site: {results['site_files']} files; largest: "
          + ", ".join(f"{item['path']} {item['bytes'] / 1e3:.0f} kB" for item in results["largest_files"]))
    if args.json:
        commit = subprocess.run(["git", "-C", str(source), "rev-parse", "HEAD"], capture_output=True, text=True)
        args.json.write_text(json.dumps({"source": source.name, "commit": commit.stdout.strip(),
                                         "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                                     "platform": platform.platform()},
                                         "targets": TARGETS, "results": results}, indent=1) + "\n")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
