"""``mousescore new-plugin`` and ``mousescore submission check``: write a model plugin package, and judge
one before it is submitted."""
from __future__ import annotations

from pathlib import Path

from ..errors import MousescoreError
from .paths import check_output_folder


def register(commands) -> None:
    scaffold = commands.add_parser("new-plugin", help="create a pip-installable model plugin package")
    scaffold.add_argument("name", help="plugin name, e.g. 'mynet' (creates mousescore-plugin-mynet)")
    scaffold.add_argument("--dir", default=".", help="parent folder (default: the current one)")
    scaffold.set_defaults(handler=_new_plugin)

    submission = commands.add_parser("submission", help="check a model plugin before submitting it")
    submission_commands = submission.add_subparsers(dest="submission_command", required=True)
    submission_check = submission_commands.add_parser("check", help="RUNS THE PLUGIN'S CODE: install it in a "
                                                                    "throw-away virtual environment and judge "
                                                                    "every model from what it does there")
    submission_check.add_argument("--with-dependencies", action="store_true",
                                  help="let pip install the plugin's declared dependencies from the package "
                                       "index into the throw-away environment (default: offline, no "
                                       "dependencies beyond what is installed)")
    submission_check.add_argument("path", help="the plugin's folder (with pyproject.toml)")
    submission_check.set_defaults(handler=_check)


def _new_plugin(args) -> None:
    check_output_folder("--dir", args.dir)
    from ..submission.scaffold import new_plugin
    folder = new_plugin(args.name, args.dir)
    print(f"created {folder}\n  next: pip install -e {folder} && mousescore submission check {folder}")


def _check(args) -> int:
    if not Path(args.path).is_dir():
        raise MousescoreError(f"{args.path}: no such folder (give the plugin's folder, with its pyproject.toml)")
    from ..submission.check import check_submission
    # each line as soon as it is known: the first says that the plugin's code is about to run
    report = check_submission(args.path, with_dependencies=args.with_dependencies,
                              echo=lambda line: print(line, flush=True))
    if not report.ok:
        raise MousescoreError(f"submission check failed: {report.reason}")
    return 0
