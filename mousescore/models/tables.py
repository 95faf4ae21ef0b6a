"""Model tables shipped with the model plugins: one CSV row per architecture (see tools/zoo_tables.py)."""
import csv
from pathlib import Path
from typing import Dict, List

NUMERIC = ("input_size", "parameters")


def read_table(path: Path) -> List[Dict]:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for key in NUMERIC:
            row[key] = int(row[key])
    return rows
