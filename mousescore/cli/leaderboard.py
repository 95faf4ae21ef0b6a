"""``mousescore leaderboard``: build the static site from the result records, or verify that a model's
records still reproduce."""
from __future__ import annotations

from pathlib import Path

from ..errors import MousescoreError
from ..results.records import DEFAULT_RESULTS_DIR, VERIFY_TOLERANCE, committed_results_dir
from .arguments import tolerance
from .paths import check_output_folder


def register(commands) -> None:
    board = commands.add_parser("leaderboard", help="build the static leaderboard site, or verify records")
    board_commands = board.add_subparsers(dest="leaderboard_command", required=True)
    site = board_commands.add_parser("build", help="write the static site from the result records")
    site.add_argument("--results", help="records folder (default: the committed board, leaderboard/results of "
                                        "the repository mousescore runs from, whatever the current folder)")
    site.add_argument("--out", default="site", help="output folder (default: %(default)s)")
    site.set_defaults(handler=_build)
    verify = board_commands.add_parser("verify", help="re-score a model and report every record that no "
                                                      "longer reproduces (exit status 1)")
    verify.add_argument("model")
    verify.add_argument("benchmarks", nargs="*", help="only these benchmarks (default: all its records)")
    verify.add_argument("--results", default=str(DEFAULT_RESULTS_DIR), help="records folder (default: %(default)s)")
    verify.add_argument("--tolerance", type=tolerance, default=VERIFY_TOLERANCE,
                        help="largest allowed absolute difference of a score, ceiling or layer value "
                             "(default: %(default)s)")
    verify.set_defaults(handler=_verify)


def _check_results_folder(path: str) -> None:
    if not Path(path).is_dir():
        raise MousescoreError(f"--results {path}: no such folder of result records "
                              f"(`mousescore results export` writes them)")


def _build(args) -> int:
    results = args.results or str(committed_results_dir())
    _check_results_folder(results)
    check_output_folder("--out", args.out)
    from ..leaderboard.site import build_site
    from ..results.records import read_records, read_unscorable
    records = read_records(results)
    index = build_site(records, args.out, read_unscorable(results))
    print(f"built the leaderboard from {len(records)} record(s): {index}")
    return 0


def _verify(args) -> int:
    """Exit status 1 when a record no longer reproduces."""
    _check_results_folder(args.results)
    from ..scoring.verify import verify_model
    report = verify_model(args.model, args.results, args.benchmarks, tolerance=args.tolerance)
    for line in report.lines:
        print(line)
    return 0 if report.ok else 1
