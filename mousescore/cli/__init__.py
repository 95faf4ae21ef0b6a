"""The ``mousescore`` command line. Errors the user can fix print one line and exit with status 2.

Every argument is checked before anything is computed: a count outside its range (``--threads``,
``--batch-size``, ``--workers``...: at least 1, at most the machine's CPUs or ``MAX_BATCH_SIZE``), a
``--tolerance`` that is not a finite number >= 0, a missing input file, an option that does not apply
to what is asked (``--metric`` against a named benchmark scored with another metric, ``--stimuli``
beside named benchmarks), an output path of the wrong kind, and the ``MOUSESCORE_*`` settings
(:mod:`mousescore.config`) are refused with one line, as argparse's own errors are. Plugin code that
ends the process (``sys.exit()`` in a factory) is reported as that code's failure, with where it was.

Each command group is a module that adds its parser and sets its handler (``register``); this one
builds the parser from them, runs the handler and turns errors into exit codes.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import List, Optional

from .. import __version__, config
from ..errors import MousescoreError
from . import data, leaderboard, listing, models, results, score, submission, sweep


class _Parser(argparse.ArgumentParser):
    """argparse with the project's error format: one line ``error: ...``, exit status 2."""

    def error(self, message):
        self.exit(2, f"error: {self.prog}: {message} (`{self.prog} --help` shows the options)\n")


def _parser(help_wanted: bool = False) -> argparse.ArgumentParser:
    """``help_wanted``: list the registered metrics in the help (loading every plugin takes seconds,
    which no other command's parsing should pay)."""
    parser = _Parser(prog="mousescore", description=(
        "Score image-computable networks against mouse visual cortex (Conwell et al., NeurIPS 2021)."))
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--version", action="version", version=f"mousescore {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    # in the order `mousescore --help` lists them
    listing.register(commands)
    models.register(commands)
    score.register(commands, list_metrics=help_wanted)
    results.register(commands)
    leaderboard.register(commands)
    submission.register(commands)   # new-plugin, submission
    sweep.register(commands)
    data.register(commands)
    return parser


def _exited_where(error: BaseException) -> str:
    """'sys.exit(3) called at plugin.py:12 (module mynet)': the innermost frame outside mousescore."""
    what = f"sys.exit({error.code!r}) called" if isinstance(error, SystemExit) else f"{type(error).__name__} raised"
    frames = []
    tb = error.__traceback__
    while tb is not None:
        frames.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    # by file: a plugin's module may be 'mousescore_...'; parents[1]: the whole mousescore package
    ours = str(Path(__file__).resolve().parents[1]) + os.sep
    outside = [(f, line) for f, line in frames if not str(Path(f.f_code.co_filename).resolve()).startswith(ours)]
    if not outside:
        return what
    frame, line = outside[-1]
    return f"{what} at {frame.f_code.co_filename}:{line} (module {frame.f_globals.get('__name__')})"


def main(argv: Optional[List[str]] = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    score_help = "score" in arguments and bool({"-h", "--help"} & set(arguments))
    args = _parser(help_wanted=score_help).parse_args(argv)
    logging.basicConfig(format="warning: %(message)s", level=logging.WARNING, stream=sys.stderr)
    try:
        config.settings()   # a malformed MOUSESCORE_* setting fails every command the same way, first
        return args.handler(args) or 0   # handlers that judge (verify, sweep, submission) return 1 or 0
    except MousescoreError as error:
        if args.debug:
            traceback.print_exc()
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (SystemExit, GeneratorExit) as error:   # nothing of ours exits here: a plugin's code did
        if args.debug:
            traceback.print_exc()
        print(f"error: {_exited_where(error)} while running `mousescore {args.command}`: that code must raise "
              f"an exception instead of ending the process; fix or uninstall its plugin", file=sys.stderr)
        return 2
    except Exception as error:  # a bug: say so in one line, the traceback only with --debug
        if args.debug:
            traceback.print_exc()
        print(f"internal error: {type(error).__name__}: {error} (rerun with --debug for the traceback "
              f"and report it)", file=sys.stderr)
        return 1
