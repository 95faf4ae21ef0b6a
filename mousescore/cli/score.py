"""``mousescore score``: a registered model or a network file, on named benchmarks or on your own data."""
from __future__ import annotations

import json

from ..errors import MousescoreError
from ..registry.plugins import get_registry
from .arguments import MAX_BATCH_SIZE, count, cpus
from .output import print_scores, warn_about_broken_plugins
from .score_checks import check_network_file_options, check_score_arguments, has_own_data
from .sweep import run_sweep


def register(commands, list_metrics: bool = False) -> None:
    """``list_metrics``: name every registered metric in the help of --metric (loading every plugin
    takes seconds, which only `score --help` should pay)."""
    score = commands.add_parser("score", help="score a model on benchmarks (globs allowed) or on your "
                                              "own data (--assembly/--responses/--rdm with --stimuli)")
    score.add_argument("model", help="a registered identifier, or a network file: path/to/model.onnx or .tflite")
    network_file = score.add_argument_group("a network file (.onnx, .tflite): its input, where the file does "
                                            "not say it or says it otherwise")
    network_file.add_argument("--input-size", type=count("the largest image side", lambda: 4096), default=None,
                              help="side in pixels the images are resized to (default: the file's)")
    network_file.add_argument("--mean", type=float, nargs="+", default=None,
                              help="per-channel mean of a float input (default: ImageNet's for ONNX, 0.5 for TFLite)")
    network_file.add_argument("--std", type=float, nargs="+", default=None, help="per-channel std of a float input")
    network_file.add_argument("--channel-order", choices=("RGB", "BGR"), default=None, help="default RGB")
    score.add_argument("benchmarks", nargs="*", help="identifiers or globs, e.g. 'allen.*-rsa'")
    own = score.add_argument_group("your own data (instead of benchmarks)")
    own.add_argument("--assembly", help="NeuroidAssembly netCDF (presentation x neuroid [x repetition]), or a "
                                        "BrainIO assembly (one presentation per trial)")
    own.add_argument("--responses", help="responses .npy (stimuli x neuroids [x repeats])")
    own.add_argument("--neuroids", help="CSV table, one row per neuroid (optional neuroid_id column)")
    own.add_argument("--rdm", help="RDM .npy/.csv, square or condensed (scored with rsa)")
    own.add_argument("--stimuli", help="folder or zip of images named <stimulus_id>.<ext>, or a BrainIO "
                                       "stimulus set's CSV (its ZIP beside it)")
    own.add_argument("--stimulus-ids", help="text file: stimulus ids in the order of the responses/RDM "
                                            "rows (default: sorted image names)")
    own.add_argument("--metric", help="metric for your own data (default: srp_ridge; rsa for --rdm)"
                                      + (": " + _metric_choices() if list_metrics else ""))
    own.add_argument("--name", help="name for the custom benchmark")
    score.add_argument("--force", action="store_true", help="recompute stored results and extract features again")
    score.add_argument("--json", action="store_true", help="print the scores as JSON")
    score.add_argument("--batch-size", type=count("the largest batch", lambda: MAX_BATCH_SIZE), default=None,
                       help="images per forward pass (default: a whole set of up to 128, else 64; halved "
                            "until the extraction fits in memory, or in MOUSESCORE_MEMORY_LIMIT_GB)")
    score.add_argument("--no-progress", action="store_true", help="no progress bars on a terminal (the progress "
                                                                  "is still told in lines on stderr)")
    score.add_argument("-q", "--quiet", action="store_true", help="tell no progress on stderr (warnings and "
                                                                  "errors still)")
    score.add_argument("--threads", type=count("this machine's CPUs", cpus), default=None,
                       help="torch CPU threads, at most the machine's CPUs (default: torch's)")
    score.add_argument("--scheduler", help="score on this Dask scheduler (tcp://host:8786) instead of here")
    score.add_argument("--device", default="auto", help="torch device for extraction and reductions: auto "
                                                        "(CUDA when present, else cpu), cpu, cuda, cuda:1...")
    score.set_defaults(handler=_score)


def _metric_choices() -> str:
    """Every registered metric, so that `score --help` names what `--metric` accepts."""
    try:
        entries = get_registry().entries("metric")
    except MousescoreError as error:
        return f"(the metric plugins could not be listed: {error})"
    return "; ".join(f"{identifier}: {spec.metadata.get('description', '')}".rstrip(": ")
                     for identifier, spec, _ in entries).replace("%", "%%")


def _score(args) -> None:
    from ..scoring.model_files import is_model_file
    registry = get_registry()
    warn_about_broken_plugins(registry)
    check_score_arguments(args, registry)
    check_network_file_options(args, is_model_file(args.model))
    _check_device(args)
    if is_model_file(args.model):
        scores = _score_model_file(args, registry)
    else:
        scores = _score_registered_model(args, registry)
    if args.json:
        from dataclasses import asdict
        print(json.dumps([asdict(s) for s in scores], indent=2))
        return
    print_scores(scores)


def _check_device(args) -> None:
    if args.device != "auto":   # a device that is not there fails before any model is built
        from ..extraction.extract import resolve_device
        resolve_device(args.device)


def _own_benchmark(args, registry):
    """The benchmark made of your own data (--assembly/--responses/--rdm with --stimuli)."""
    from ..scoring.own_data import custom_benchmark
    return custom_benchmark(args.stimuli, assembly=args.assembly, responses=args.responses,
                            neuroids=args.neuroids, rdm=args.rdm, stimulus_ids=args.stimulus_ids,
                            metric=args.metric, name=args.name, registry=registry)


def _score_model_file(args, registry):
    """A network file scored like an unregistered model (its scores are not put in the result store)."""
    from ..scoring.any_model import score
    if args.scheduler:
        raise MousescoreError("--scheduler scores registered models; a network file is scored here: leave it out")
    benchmarks = [_own_benchmark(args, registry)] if has_own_data(args) else args.benchmarks
    return list(score(args.model, benchmarks, input_size=args.input_size, mean=args.mean, std=args.std,
                      channel_order=args.channel_order, options=run_options(args, registry)))


def _score_registered_model(args, registry):
    """Here, or on a Dask scheduler (named benchmarks only); stored scores are reused unless --force."""
    from ..results.store import ResultStore
    from ..scoring.score_model import score_benchmarks, score_model
    if has_own_data(args):
        registry.get("model", args.model)    # an unknown model fails before any file is read
        return score_benchmarks(args.model, [_own_benchmark(args, registry)], run_options(args, registry))
    if args.scheduler:
        summary = run_sweep([args.model], args.benchmarks, args.scheduler, 1, args.threads, args.force,
                            log=run_options(args, registry).log)      # --quiet keeps only the warnings
        store = ResultStore()
        scores = [store.current(args.model, b)[0] for b in registry.match("benchmark", args.benchmarks)]
        scores = [s for s in scores if s is not None]
        if not summary.ok:
            raise MousescoreError("; ".join(f"{task}: {error}" for task, error in summary.failed.items()))
        return scores
    return score_model(args.model, args.benchmarks, run_options(args, registry))


def run_options(args, registry):
    """The run options the command line asks for: progress on stderr, as bars on a terminal and lines
    elsewhere, unless --quiet (which keeps the warnings)."""
    from ..scoring.run_options import RunOptions, log_to_stderr

    def warnings_only(message: str) -> None:
        if message.startswith("warning"):
            log_to_stderr(message)
    return RunOptions(batch_size=args.batch_size, device=args.device, threads=args.threads,
                      progress=not (args.no_progress or args.quiet), log=warnings_only if args.quiet else log_to_stderr,
                      registry=registry, force=args.force)
