"""``mousescore results export``: the stored scores as the leaderboard's result records, or as a table."""
from __future__ import annotations

import sys
from pathlib import Path

from ..registry.plugins import get_registry
from ..results.records import DEFAULT_RESULTS_DIR
from .paths import check_output_file, check_output_folder


def register(commands) -> None:
    results = commands.add_parser("results", help="result records for the leaderboard")
    results_commands = results.add_subparsers(dest="results_command", required=True)
    export = results_commands.add_parser("export", help="write the stored scores as result records "
                                                        "(one JSON file per model), or as a table")
    export.add_argument("models", nargs="*", help="only these models (identifiers or globs)")
    export.add_argument("--format", choices=["records", "csv", "json"], default="records",
                        help="records: the leaderboard's files; csv/json: one row per score (model, "
                             "benchmark, value, error, 95%% interval, CV value, ceiling, best layer...)")
    export.add_argument("--out", default=None, help="records folder (default: %s), or the table's file "
                                                    "(default: standard output)" % DEFAULT_RESULTS_DIR)
    export.set_defaults(handler=_export)


def _export(args) -> None:
    from ..results.records import export_records
    if args.out:
        (check_output_folder if args.format == "records" else check_output_file)("--out", args.out)
    from ..results.store import ResultStore
    registry = get_registry()
    scores = ResultStore().all()
    if args.models:
        wanted = set(registry.match("model", args.models))
        scores = [s for s in scores if s.model in wanted]
    if args.format != "records":
        _write_table(scores, args.format, args.out)
        return
    out = args.out or str(DEFAULT_RESULTS_DIR)
    written = export_records(scores, out, registry)
    print(f"wrote {len(written)} result record(s) under {out} "
          f"({len({record['model'] for record in written})} model file(s))")


def _write_table(scores, table_format: str, out) -> None:
    """One row per score, as CSV or JSON, into ``out`` or onto standard output."""
    from ..results.table import Results
    table = Results(scores).to_pandas()
    text = table.to_csv(index=False) if table_format == "csv" else table.to_json(orient="records", indent=1)
    if out:
        Path(out).write_text(text)
        print(f"wrote {len(table)} score(s) to {out}")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
