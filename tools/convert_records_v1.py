"""Convert record_version 1 folders (``<model>/<benchmark>.json``) into record_version 2 model files.

Values, profiles and provenance carry over unchanged; v1 records have no cross-validated value and no
bootstrap draws, so the converted benchmarks show none until the model is re-scored and exported.

    python tools/convert_records_v1.py leaderboard/results
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from mousescore.results.records import write_records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    args = parser.parse_args()
    for folder in sorted(p for p in args.results.iterdir() if p.is_dir()):
        records = [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]
        for record in records:
            record["record_version"] = 2
        if records:
            write_records(args.results, records)
        shutil.rmtree(folder)
        print(f"{folder.name}: {len(records)} record(s)")


if __name__ == "__main__":
    main()
