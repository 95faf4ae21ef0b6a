"""What a rescore changed on the board: the committed records now against those at a git revision.

Prints, for each side: the records per ``record_version``, the top 10 of the ranking (the overview's
headline, with each model's rank interval), how many pairs of rank intervals overlap and how many pairs
differ (Holm), and per metric the share of per-layer scores below −0.5 (issue 32, item 4).

    python tools/rescore_report.py --before 2fb2b10
"""
from __future__ import annotations

import argparse
import io
import json
import subprocess
import tarfile
import tempfile
from collections import Counter
from pathlib import Path
from typing import Dict, List

import numpy as np

from mousescore.leaderboard.analyses import benchmark_parts, board_records, overview
from mousescore.results.records import read_records
from mousescore.results.table import committed_results_dir

RESULTS = "leaderboard/results"


def records_at(revision: str, folder: Path) -> Path:
    """The board's record files as committed at ``revision``, unpacked under ``folder``."""
    archive = subprocess.run(["git", "archive", revision, RESULTS], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / RESULTS


def below_half_shares(records: List[Dict]) -> Dict[str, str]:
    """Per metric: the share of finite per-layer scores below −0.5, and how many there are."""
    below: Counter = Counter()
    total: Counter = Counter()
    for record in records:
        metric = benchmark_parts(record["benchmark"])[2]
        values = np.array([v for v in (record.get("layer_profile") or {}).values() if v is not None], dtype=float)
        values = values[np.isfinite(values)]
        below[metric] += int((values < -0.5).sum())
        total[metric] += len(values)
    return {metric: f"{100 * below[metric] / total[metric]:.2f}% of {total[metric]}" for metric in sorted(total)}


def report(label: str, folder: Path) -> None:
    versions = Counter(json.loads(path.read_text()).get("record_version")
                       for path in folder.glob("*.json") if path.stem != "unscorable")
    records = board_records(read_records(folder))
    board = overview(records)
    print(f"== {label}: {sum(versions.values())} models, record versions {dict(sorted(versions.items()))}")
    print(f"headline: {board['headline_label']}")
    for row in board["rows"][:10]:
        interval = row["rank_interval"] or ["?", "?"]
        print(f"  {row['rank']:>3}  {row['model']:<40} {row['headline']:+.4f}  rank interval "
              f"[{interval[0]}, {interval[1]}]")
    summary = board["comparisons"] or {}
    print(f"pairs: {summary.get('pairs')}, rank intervals overlapping: {summary.get('overlapping_rank_intervals')},"
          f" differ (Holm): {summary.get('differ')}")
    print("per-layer scores below -0.5:", below_half_shares(records))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="git revision of the board before the rescore")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        report(f"before ({args.before})", records_at(args.before, Path(folder)))
    report("now", committed_results_dir())


if __name__ == "__main__":
    main()
