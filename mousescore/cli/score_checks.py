"""The checks of ``mousescore score``'s arguments, all made before anything is read or computed: benchmarks
or own data (not both), input files that exist, a ``--metric`` that applies, network-file options
only for a network file."""
from __future__ import annotations

from pathlib import Path

from ..errors import DataError, MousescoreError

OWN_DATA_FILES = (("--assembly", "assembly"), ("--responses", "responses"), ("--neuroids", "neuroids"),
                  ("--rdm", "rdm"), ("--stimulus-ids", "stimulus_ids"))
OWN_DATA_ONLY = (("--stimuli", "stimuli"), ("--neuroids", "neuroids"), ("--stimulus-ids", "stimulus_ids"),
                 ("--name", "name"))


def has_own_data(args) -> bool:
    return any((args.assembly, args.responses, args.rdm))


def check_score_arguments(args, registry) -> None:
    own_data = has_own_data(args)
    if own_data == bool(args.benchmarks) or (own_data and not args.stimuli):
        raise MousescoreError("give benchmarks, or your own data: one of --assembly/--responses/--rdm "
                              "together with --stimuli")
    if not own_data:
        given = [flag for flag, attribute in OWN_DATA_ONLY if getattr(args, attribute)]
        if given:
            raise MousescoreError(f"{', '.join(given)} only appl{'ies' if len(given) == 1 else 'y'} to your own "
                                  f"data (--assembly/--responses/--rdm), not to named benchmarks")
    elif args.scheduler:
        raise MousescoreError("--scheduler scores named benchmarks; your own data are scored here: leave it out")
    _check_own_data_files(args)
    if own_data and args.metric:
        registry.get("metric", args.metric)
    elif args.metric:
        _check_metric(args, registry)


def check_network_file_options(args, network_file: bool) -> None:
    """--input-size, --mean, --std and --channel-order describe a network file's input, nothing else's."""
    given = [flag for flag, value in (("--input-size", args.input_size), ("--mean", args.mean), ("--std", args.std),
                                      ("--channel-order", args.channel_order)) if value is not None]
    if given and not network_file:
        raise MousescoreError(f"{', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} to a network file "
                              f"(.onnx, .tflite); a registered model brings its own input format")


def _check_own_data_files(args) -> None:
    """Every input file named on the command line exists (and is a file) before anything is read."""
    for flag, attribute in OWN_DATA_FILES:
        value = getattr(args, attribute)
        if value and not Path(value).exists():
            raise DataError(f"{flag} {value}: no such file")
        if value and Path(value).is_dir():
            raise DataError(f"{flag} {value} is a folder: give the file itself")
    if args.stimuli and not Path(args.stimuli).exists():
        raise DataError(f"--stimuli {args.stimuli}: no such folder, zip or CSV file")


def _check_metric(args, registry) -> None:
    """--metric names a registered metric; against named benchmarks it must be the one they are scored
    with (each benchmark fixes its metric: another one would be silently ignored)."""
    if not args.metric:
        return
    registry.get("metric", args.metric)   # unknown: UnknownIdentifier, with did-you-mean
    for identifier in registry.match("benchmark", args.benchmarks):
        metric = registry.get("benchmark", identifier).metadata.get("metric")
        if metric != args.metric:
            raise MousescoreError(f"--metric {args.metric} contradicts benchmark {identifier}, which is scored "
                                  f"with {metric}: --metric applies to your own data (--assembly/--responses/"
                                  f"--rdm); leave it out, or pick a benchmark scored with {args.metric}")
