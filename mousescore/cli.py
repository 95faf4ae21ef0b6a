"""The ``mousescore`` command line. Errors the user can fix print one line and exit with status 2.

Every argument is checked before anything is computed: a count outside its range (``--threads``,
``--batch-size``, ``--workers``...: at least 1, at most the machine's CPUs or ``MAX_BATCH_SIZE``), a
``--tolerance`` that is not a finite number >= 0, a missing input file, an option that does not apply
to what is asked (``--metric`` against a named benchmark scored with another metric, ``--stimuli``
beside named benchmarks), an output path of the wrong kind, and the ``MOUSESCORE_*`` settings
(:mod:`mousescore.config`) are refused with one line, as argparse's own errors are. Plugin code that
ends the process (``sys.exit()`` in a factory) is reported as that code's failure, with where it was.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import traceback
from pathlib import Path
from typing import List, Optional

from . import config
from .errors import DataError, MousescoreError
from .registry.plugins import KINDS, get_registry
from .results.records import DEFAULT_RESULTS_DIR, VERIFY_TOLERANCE


MAX_BATCH_SIZE = 4096   # images per forward pass; more is a typo, not a batch any accelerator holds


class _Parser(argparse.ArgumentParser):
    """argparse with the project's error format: one line ``error: ...``, exit status 2."""

    def error(self, message):
        self.exit(2, f"error: {self.prog}: {message} (`{self.prog} --help` shows the options)\n")


def _cpus() -> int:
    return os.cpu_count() or 1


def _count(what: str, maximum=None):
    """An argparse type: a whole number from 1 to ``maximum()`` (``what`` names the upper bound)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{value} is not a positive count (at least 1)")
        if maximum is not None and value > maximum():
            raise argparse.ArgumentTypeError(f"{value} is more than {what} ({maximum()})")
        return value
    return parse


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(value) or value < 0:   # nan would pass every comparison: nothing could fail
        raise argparse.ArgumentTypeError(f"{text} is not a finite number >= 0")
    return value


def _parser(help_wanted: bool = False) -> argparse.ArgumentParser:
    """``help_wanted``: list the registered metrics in the help (loading every plugin takes seconds,
    which no other command's parsing should pay)."""
    parser = _Parser(prog="mousescore", description=(
        "Score image-computable networks against mouse visual cortex (Conwell et al., NeurIPS 2021)."))
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(dest="command", required=True)

    listing = commands.add_parser("list", help="list models, benchmarks, metrics or datasets")
    listing.add_argument("kind", choices=[f"{k}s" for k in KINDS])
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--family", help="models: only this family (torchvision, timm, baseline...)")
    listing.add_argument("--task-cluster", help="models: only this task cluster (Semantic, 2D, 3D...)")
    variant = listing.add_mutually_exclusive_group()
    variant.add_argument("--trained", action="store_true", help="models: only trained networks")
    variant.add_argument("--random", action="store_true", help="models: only random-init variants")
    listing.add_argument("--available", action="store_true",
                         help="models: only those that can be built offline now: trained weights found "
                              "locally (cache, MOUSESCORE_WEIGHTS_PATH, the library's cache) or none needed "
                              "(-random variants, baselines). Nothing is downloaded and only existence is "
                              "checked: the sha256 is verified when the model is built")

    models = commands.add_parser("models", help="models: fetch trained weights ahead of time")
    model_commands = models.add_subparsers(dest="models_command", required=True)
    model_fetch = model_commands.add_parser("fetch", help="resolve (download) the weights of models, "
                                                          "e.g. before going offline")
    model_fetch.add_argument("names", nargs="+")
    model_check = model_commands.add_parser("check", help="build models and extract features from 2 "
                                                          "images; per-family pass counts")
    model_check.add_argument("patterns", nargs="+", help="identifiers or globs, e.g. '*-random'")

    score = commands.add_parser("score", help="score a model on benchmarks (globs allowed) or on your "
                                              "own data (--assembly/--responses/--rdm with --stimuli)")
    score.add_argument("model", help="a registered identifier, or a network file: path/to/model.onnx or .tflite")
    network_file = score.add_argument_group("a network file (.onnx, .tflite): its input, where the file does "
                                            "not say it or says it otherwise")
    network_file.add_argument("--input-size", type=_count("the largest image side", lambda: 4096), default=None,
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
                                      + (": " + _metric_choices() if help_wanted else ""))
    own.add_argument("--name", help="name for the custom benchmark")
    score.add_argument("--force", action="store_true", help="recompute stored results and extract features again")
    score.add_argument("--json", action="store_true", help="print the scores as JSON")
    score.add_argument("--batch-size", type=_count("the largest batch", lambda: MAX_BATCH_SIZE), default=None,
                       help="images per forward pass (default: a whole set of up to 128, else 64; halved "
                            "until the extraction fits in memory, or in MOUSESCORE_MEMORY_LIMIT_GB)")
    score.add_argument("--no-progress", action="store_true")
    score.add_argument("--threads", type=_count("this machine's CPUs", _cpus), default=None,
                       help="torch CPU threads, at most the machine's CPUs (default: torch's)")
    score.add_argument("--scheduler", help="score on this Dask scheduler (tcp://host:8786) instead of here")
    score.add_argument("--device", default="auto", help="torch device for extraction and reductions: auto "
                                                        "(CUDA when present, else cpu), cpu, cuda, cuda:1...")

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

    board = commands.add_parser("leaderboard", help="build the static leaderboard site, or verify records")
    board_commands = board.add_subparsers(dest="leaderboard_command", required=True)
    site = board_commands.add_parser("build", help="write the static site from the result records")
    site.add_argument("--results", default=str(DEFAULT_RESULTS_DIR), help="records folder (default: %(default)s)")
    site.add_argument("--out", default="site", help="output folder (default: %(default)s)")
    verify = board_commands.add_parser("verify", help="re-score a model and report every record that no "
                                                      "longer reproduces (exit status 1)")
    verify.add_argument("model")
    verify.add_argument("benchmarks", nargs="*", help="only these benchmarks (default: all its records)")
    verify.add_argument("--results", default=str(DEFAULT_RESULTS_DIR), help="records folder (default: %(default)s)")
    verify.add_argument("--tolerance", type=_tolerance, default=VERIFY_TOLERANCE,
                        help="largest allowed absolute difference of a score, ceiling or layer value "
                             "(default: %(default)s)")

    scaffold = commands.add_parser("new-plugin", help="create a pip-installable model plugin package")
    scaffold.add_argument("name", help="plugin name, e.g. 'mynet' (creates mousescore-plugin-mynet)")
    scaffold.add_argument("--dir", default=".", help="parent folder (default: the current one)")

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

    sweep = commands.add_parser("sweep", help="score many models on many benchmarks on Dask distributed "
                                              "(resumes: pairs already stored are not redone)")
    sweep.add_argument("--models", nargs="+", required=True, help="identifiers or globs")
    sweep.add_argument("--benchmarks", nargs="+", required=True, help="identifiers or globs")
    _add_cluster_options(sweep)
    sweep.add_argument("--force", action="store_true", help="recompute stored results")

    data = commands.add_parser("data", help="datasets: list or fetch their files")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    data_list = data_commands.add_parser("list")
    data_list.add_argument("--json", action="store_true")
    fetch = data_commands.add_parser("fetch", help="fetch, verify and package datasets")
    fetch.add_argument("names", nargs="+")
    build = data_commands.add_parser("build", help="build a dataset from its source files, at hand (--source) "
                                                   "or fetched (--download; allen: the Brain Observatory "
                                                   "NWB files)")
    build.add_argument("name")
    origin = build.add_mutually_exclusive_group(required=True)
    origin.add_argument("--source", help="folder with the source files")
    origin.add_argument("--download", action="store_true",
                        help="fetch the source files (resumable; a rerun continues where it stopped)")
    build.add_argument("--areas", nargs="+", help="with --download: only these areas (default: all)")
    build.add_argument("--cre-lines", nargs="+", help="with --download: only these Cre lines (Cux2 or "
                                                       "Cux2-CreERT2; default: all)")
    build.add_argument("--keep-nwb", action="store_true", help="with --download: keep the NWB files (default: "
                                                               "each is deleted once reduced)")
    build.add_argument("--mirror", help="with --download: URL of a copy of the upstream folder (https://, "
                                        "http:// or file://) to fetch from instead")
    build.add_argument("--allow-missing", action="store_true",
                       help="with --download: build without the experiments that could not be fetched")
    build.add_argument("--scheduler", help="with --download: Dask scheduler address (tcp://host:8786); default: "
                                           "a LocalCluster on this machine")
    build.add_argument("--workers", type=_count("this machine's CPUs", _cpus), default=2,
                       help="with --download: LocalCluster worker "
                                                              "processes (default: %(default)s)")
    build.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="builder option, e.g. min_reliability=0.8 or max_p_run_mod=none")
    data_export = data_commands.add_parser("export", help="write a dataset's responses and stimuli as BrainIO "
                                                          "files (assy_*.nc, stimulus_*.csv + .zip) for "
                                                          "brainio and Brain-Score")
    data_export.add_argument("name")
    data_export.add_argument("--format", choices=["brainio"], default="brainio")
    data_export.add_argument("--out", required=True, help="output folder")
    return parser


def _metric_choices() -> str:
    """Every registered metric, so that `score --help` names what `--metric` accepts."""
    try:
        entries = get_registry().entries("metric")
    except MousescoreError as error:
        return f"(the metric plugins could not be listed: {error})"
    return "; ".join(f"{identifier}: {spec.metadata.get('description', '')}".rstrip(": ")
                     for identifier, spec, _ in entries).replace("%", "%%")


def _add_cluster_options(parser) -> None:
    parser.add_argument("--scheduler", help="Dask scheduler address (tcp://host:8786); default: a "
                                            "LocalCluster on this machine")
    parser.add_argument("--workers", type=_count("this machine's CPUs", _cpus), default=2,
                        help="LocalCluster worker processes "
                                                               "(default: %(default)s)")
    parser.add_argument("--threads-per-worker", type=_count("this machine's CPUs", _cpus), default=1,
                        help="torch threads in each worker (default: %(default)s)")


def _parse_option(text: str):
    if "=" not in text:
        raise MousescoreError(f"--set needs KEY=VALUE, got '{text}'")
    key, value = text.split("=", 1)
    if value.lower() in ("none", "off"):
        return key, None
    for convert in (int, float):
        try:
            return key, convert(value)
        except ValueError:
            pass
    return key, {"true": True, "false": False}.get(value.lower(), value)


def _warn_about_broken_plugins(registry) -> None:
    for name, problem in sorted(registry.problems.items()):
        print(f"warning: plugin '{name}' {problem}; the other plugins still work", file=sys.stderr)


def _wanted(metadata, args) -> bool:
    """The model filters of `mousescore list models`."""
    if args is None:
        return True
    if args.family and metadata.get("family") != args.family:
        return False
    if args.task_cluster and str(metadata.get("task_cluster", "")).lower() != args.task_cluster.lower():
        return False
    if args.trained and metadata.get("trained") is not True:
        return False
    return not (args.random and not (metadata.get("trained") is False
                                     and metadata.get("architecture_class") != "non-network"))


def _check_model_filters(registry, args) -> None:
    """A --family or --task-cluster that no model has is a typo, not an empty answer."""
    for flag, key, wanted in (("--family", "family", getattr(args, "family", None)),
                              ("--task-cluster", "task_cluster", getattr(args, "task_cluster", None))):
        if not wanted:
            continue
        known = sorted({str(spec.metadata.get(key)) for _, spec, _ in registry.entries("model")
                        if spec.metadata.get(key) is not None})
        if wanted.lower() not in {k.lower() for k in known}:
            raise MousescoreError(f"no model has {flag} '{wanted}'.{_did_you_mean(wanted, known)} "
                                  f"Known: {', '.join(known)}")


def _did_you_mean(value: str, known) -> str:
    import difflib
    close = difflib.get_close_matches(value, list(known), n=3, cutoff=0.5)
    return f" Did you mean: {', '.join(close)}?" if close else ""


def _warn_about_conflicts(registry, kind: str) -> None:
    for identifier, owners in registry.conflicts(kind).items():
        print(f"warning: {kind} '{identifier}' is registered by several plugins ({', '.join(sorted(owners))}): "
              f"it cannot be scored until all but one are uninstalled", file=sys.stderr)


def _list(kind: str, as_json: bool, args=None) -> None:
    registry = get_registry()
    if kind == "model":
        _check_model_filters(registry, args)
    conflicts = registry.conflicts(kind)
    rows = []
    for identifier, spec, plugin in registry.entries(kind):
        if kind == "model" and not _wanted(spec.metadata, args):
            continue
        metadata = {k: v for k, v in dict(spec.metadata).items() if not callable(v)}
        if kind == "dataset":
            metadata["files"] = [{"name": f.name, "url": f.url, f.algorithm: f.digest} for f in spec.files]
        if kind == "model":
            try:
                metadata["available"] = spec.available()   # existence checks only: no download, no hashing
            except Exception as error:  # a plugin's lookup may fail in any way: then it cannot be built
                print(f"warning: {identifier}: could not tell whether its weights are here "
                      f"({type(error).__name__}: {error})", file=sys.stderr)
                metadata["available"] = False
            if getattr(args, "available", False) and not metadata["available"]:
                continue
        row = {"identifier": identifier, "plugin": plugin, **metadata}
        if identifier in conflicts:   # not the first claimant's spec passed off as the only one
            row["plugin"] = "CONFLICT: " + ", ".join(sorted(conflicts[identifier]))
            row["conflict"] = sorted(conflicts[identifier])
        rows.append(row)
    _warn_about_broken_plugins(registry)
    _warn_about_conflicts(registry, kind)
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    columns = {"model": ["identifier", "family", "architecture_class", "trained", "available", "plugin"],
               "benchmark": ["identifier", "dataset", "site", "metric", "plugin"],
               "metric": ["identifier", "plugin", "description"],
               "dataset": ["identifier", "plugin", "description"]}[kind]
    table = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in table]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip())
    for r in table:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
    print(f"({len(rows)} {kind}s)")
    if kind == "model":
        families = {}
        for row in rows:
            families[row.get("family", "?")] = families.get(row.get("family", "?"), 0) + 1
        print("per family: " + ", ".join(f"{family} {count}" for family, count in sorted(families.items())))
        print(f"available offline now: {sum(row['available'] for row in rows)} of {len(rows)} "
              f"(weights found locally, or none needed)")


OWN_DATA_FILES = (("--assembly", "assembly"), ("--responses", "responses"), ("--neuroids", "neuroids"),
                  ("--rdm", "rdm"), ("--stimulus-ids", "stimulus_ids"))
OWN_DATA_ONLY = (("--stimuli", "stimuli"), ("--neuroids", "neuroids"), ("--stimulus-ids", "stimulus_ids"),
                 ("--name", "name"))


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


def _check_score_arguments(args, registry) -> None:
    own_data = any((args.assembly, args.responses, args.rdm))
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


def _score_model_file(args, registry, own_data):
    """A network file scored like an unregistered model (its scores are not put in the result store)."""
    from .scoring.any_model import score
    if args.scheduler:
        raise MousescoreError("--scheduler scores registered models; a network file is scored here: leave it out")
    benchmarks = args.benchmarks
    if own_data:
        from .scoring.own_data import custom_benchmark
        benchmarks = [custom_benchmark(args.stimuli, assembly=args.assembly, responses=args.responses,
                                       neuroids=args.neuroids, rdm=args.rdm, stimulus_ids=args.stimulus_ids,
                                       metric=args.metric, name=args.name, registry=registry)]
    return list(score(args.model, benchmarks, input_size=args.input_size, mean=args.mean, std=args.std,
                      channel_order=args.channel_order, force=args.force, registry=registry,
                      batch_size=args.batch_size, progress=not args.no_progress, device=args.device))


def _score(args) -> None:
    from .results.store import ResultStore
    from .scoring.model_files import is_model_file
    from .scoring.score_model import score_benchmarks, score_model
    registry = get_registry()
    _warn_about_broken_plugins(registry)
    _check_score_arguments(args, registry)
    given = [flag for flag, value in (("--input-size", args.input_size), ("--mean", args.mean), ("--std", args.std),
                                      ("--channel-order", args.channel_order)) if value is not None]
    if given and not is_model_file(args.model):
        raise MousescoreError(f"{', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} to a network file "
                              f"(.onnx, .tflite); a registered model brings its own input format")
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    if args.device != "auto":   # a device that is not there fails before any model is built
        from .extraction.extract import resolve_device
        resolve_device(args.device)
    own_data = any((args.assembly, args.responses, args.rdm))
    if is_model_file(args.model):
        scores = _score_model_file(args, registry, own_data)
    elif own_data:
        from .scoring.own_data import custom_benchmark
        registry.get("model", args.model)    # an unknown model fails before any file is read
        benchmark = custom_benchmark(args.stimuli, assembly=args.assembly, responses=args.responses,
                                     neuroids=args.neuroids, rdm=args.rdm, stimulus_ids=args.stimulus_ids,
                                     metric=args.metric, name=args.name, registry=registry)
        scores = score_benchmarks(args.model, [benchmark], registry, batch_size=args.batch_size,
                                  progress=not args.no_progress, device=args.device, force=args.force)
    elif args.scheduler:
        summary = _run_sweep([args.model], args.benchmarks, args.scheduler, 1, args.threads, args.force)
        store = ResultStore()
        scores = [store.get(args.model, b) for b in registry.match("benchmark", args.benchmarks)]
        scores = [s for s in scores if s is not None]
        if not summary.ok:
            raise MousescoreError("; ".join(f"{task}: {error}" for task, error in summary.failed.items()))
    else:
        scores = score_model(args.model, args.benchmarks, force=args.force, registry=registry,
                             batch_size=args.batch_size, progress=not args.no_progress, device=args.device)
    if args.json:
        from dataclasses import asdict
        print(json.dumps([asdict(s) for s in scores], indent=2))
        return
    for s in scores:
        interval = s.interval()
        print(f"{s.benchmark}  score {s.value:.4f} ± {s.error:.4f}"
              + (f" [95% {interval[0]:.4f}, {interval[1]:.4f}]" if interval else "")
              + (f"  cross-validated {s.cv_value:.4f}" if math.isfinite(s.cv_value) else "")
              + f"  ceiling {s.ceiling:.4f}  "
              f"ceiled {s.ceiled_value:.4f}  best layer {s.best_layer} "
              f"(relative depth {s.best_layer_depth:.2f})  units {s.n_units}"
              + (f" ({s.n_excluded} excluded)" if s.n_excluded else "")
              + ("  [SURROGATE data, not recordings]" if s.provenance.get("surrogate_data") else ""))
        for name, value in s.references.items():
            print(f"    reference: {name} = {value:.4f}")
    if len(scores) > 1:
        values = [s.value for s in scores if math.isfinite(s.value)]
        print(f"{len(scores)} benchmarks, mean score {sum(values) / len(values):.4f}")


def _run_sweep(models, benchmarks, scheduler, workers, threads_per_worker, force):
    try:
        from .scoring.sweep import run_sweep
    except ImportError as error:   # dask is an install requirement; a broken environment says so
        raise MousescoreError(f"distributed scoring needs dask[distributed] ({error})") from error
    return run_sweep(models, benchmarks, scheduler=scheduler, workers=workers,
                     threads_per_worker=threads_per_worker or 1, force=force)


def _sweep(args) -> int:
    summary = _run_sweep(args.models, args.benchmarks, args.scheduler, args.workers,
                         args.threads_per_worker, args.force)
    print(f"sweep: {summary.stored} score(s) stored, {summary.reused} reused, {len(summary.failed)} task(s) failed")
    for task, error in summary.failed.items():
        print(f"  FAILED {task}: {error}")
    return 0 if summary.ok else 1


def _fetch_models(names) -> None:
    registry = get_registry()
    specs = [registry.get("model", name) for name in names]   # all names checked before any download
    for spec in specs:
        if not spec.metadata.get("trained"):
            print(f"{spec.identifier}: no weights to fetch ({spec.metadata.get('training', 'not trained')})")
            continue
        provenance = spec.factory().provenance
        print(f"{spec.identifier}: weights verified ({provenance.get('weights_file', '')} "
              f"sha256 {provenance.get('weights_sha256', '?')[:16]}...)")


def _check_models(patterns) -> None:
    import time

    import numpy as np

    from .extraction.extract import extract
    from .extraction.functions import FeatureFunction, extract_function
    from .numerics import reductions
    from .testing import probe_stimuli
    registry = get_registry()
    stimuli = probe_stimuli(n=2, side=64)
    passed, failed = {}, []
    for identifier in registry.match("model", patterns):
        spec = registry.get("model", identifier)
        family = spec.metadata.get("family", "?")
        passed.setdefault(family, [0, 0])[1] += 1
        started = time.perf_counter()
        try:
            built = spec.factory()
            features = extract_function(built, stimuli, {reductions.srp(64, 0)}) if isinstance(built, FeatureFunction) \
                else extract(built, stimuli, {reductions.srp(64, 0)}, progress=False)
            scored = [l for l in features.layers if l not in features.nonfinite]
            if not scored or not all(np.isfinite(features.reduced[l][reductions.srp(64, 0)]).all() for l in scored):
                raise MousescoreError("no layer with finite features")
        except Exception as error:
            failed.append(f"{identifier}: {type(error).__name__}: {str(error).splitlines()[0][:200]}")
            print(f"FAIL {identifier}", flush=True)
            continue
        passed[family][0] += 1
        print(f"ok   {identifier} ({len(features.layers)} layers, {time.perf_counter() - started:.1f} s)",
              flush=True)
    print("per family: " + ", ".join(f"{f} {ok}/{total}" for f, (ok, total) in sorted(passed.items())))
    if failed:
        raise MousescoreError(f"{len(failed)} model(s) failed: " + "; ".join(failed))


def _data(args) -> None:
    from .data.datasets import fetch_files, load_dataset
    registry = get_registry()
    if args.data_command == "list":
        _list("dataset", args.json)
        return
    if args.data_command == "build":
        spec = registry.get("dataset", args.name)
        if spec.builder is None:
            raise MousescoreError(f"dataset '{args.name}' is fetched, not built: `mousescore data fetch {args.name}`")
        options = dict(_parse_option(o) for o in args.set)
        given = [flag for flag, value in (("--areas", args.areas), ("--cre-lines", args.cre_lines),
                                          ("--keep-nwb", args.keep_nwb), ("--mirror", args.mirror),
                                          ("--allow-missing", args.allow_missing),
                                          ("--scheduler", args.scheduler)) if value]
        if given and not args.download:
            raise MousescoreError(f"{', '.join(given)} only apply with --download")
        if args.download and spec.downloader is None:
            raise MousescoreError(f"dataset '{args.name}' cannot fetch its own sources: use --source DIR")
        try:
            if args.download:
                output, counts = spec.downloader(
                    areas=args.areas, cre_lines=args.cre_lines, workers=args.workers, scheduler=args.scheduler,
                    keep_nwb=args.keep_nwb, mirror=args.mirror, allow_missing=args.allow_missing, **options)
            else:
                output, counts = spec.builder(args.source, **options)
        except TypeError as error:  # an unknown builder option
            raise MousescoreError(f"bad builder option: {error}") from error
        print(f"{args.name}: built {output}")
        for step, count in counts.items():
            print(f"  {step}: {count} neurons")
        return
    if args.data_command == "export":
        _check_output_folder("--out", args.out)
        from .data.brainio import export_products
        for path in export_products(load_dataset(args.name), args.name, args.out):
            print(f"{args.name}: wrote {path}")
        return
    for name in args.names:
        spec = registry.get("dataset", name)
        for file_name, path in fetch_files(spec).items():
            print(f"{name}: {file_name} verified at {path}")
        products = load_dataset(name)
        print(f"{name}: packaged {', '.join(sorted(products))}")


def _check_output_file(flag: str, path: str) -> None:
    """A file to write: not a folder, in a folder that exists."""
    if Path(path).is_dir():
        raise MousescoreError(f"{flag} {path} is a folder: give the file to write")
    if not Path(path).absolute().parent.is_dir():
        raise MousescoreError(f"{flag} {path}: folder {Path(path).absolute().parent} does not exist")


def _check_output_folder(flag: str, path: str) -> None:
    """A folder to write into (created when missing): not an existing file."""
    existing = next((p for p in (Path(path).absolute(), *Path(path).absolute().parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise MousescoreError(f"{flag} {path}: {existing} is a file, not a folder")


def _results(args) -> None:
    from .results.records import export_records
    if args.out:
        (_check_output_folder if args.format == "records" else _check_output_file)("--out", args.out)
    from .results.store import ResultStore
    registry = get_registry()
    scores = ResultStore().all()
    if args.models:
        wanted = set(registry.match("model", args.models))
        scores = [s for s in scores if s.model in wanted]
    if args.format != "records":
        from .results.table import Results
        table = Results(scores).to_pandas()
        text = table.to_csv(index=False) if args.format == "csv" else table.to_json(orient="records", indent=1)
        if args.out:
            Path(args.out).write_text(text)
            print(f"wrote {len(table)} score(s) to {args.out}")
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    out = args.out or str(DEFAULT_RESULTS_DIR)
    written = export_records(scores, out, registry)
    print(f"wrote {len(written)} result record(s) under {out} "
          f"({len({record['model'] for record in written})} model file(s))")


def _leaderboard(args) -> int:
    if not Path(args.results).is_dir():
        raise MousescoreError(f"--results {args.results}: no such folder of result records "
                              f"(`mousescore results export` writes them)")
    if args.leaderboard_command == "build":
        _check_output_folder("--out", args.out)
        from .leaderboard.site import build_site
        from .results.records import read_records, read_unscorable
        records = read_records(args.results)
        index = build_site(records, args.out, read_unscorable(args.results))
        print(f"built the leaderboard from {len(records)} record(s): {index}")
        return 0
    from .scoring.verify import verify_model
    report = verify_model(args.model, args.results, args.benchmarks, tolerance=args.tolerance)
    for line in report.lines:
        print(line)
    return 0 if report.ok else 1


def _new_plugin(args) -> None:
    _check_output_folder("--dir", args.dir)
    from .submission.scaffold import new_plugin
    folder = new_plugin(args.name, args.dir)
    print(f"created {folder}\n  next: pip install -e {folder} && mousescore submission check {folder}")


def _submission(args) -> int:
    if not Path(args.path).is_dir():
        raise MousescoreError(f"{args.path}: no such folder (give the plugin's folder, with its pyproject.toml)")
    from .submission.check import check_submission
    # each line as soon as it is known: the first says that the plugin's code is about to run
    report = check_submission(args.path, with_dependencies=args.with_dependencies,
                              echo=lambda line: print(line, flush=True))
    if not report.ok:
        raise MousescoreError(f"submission check failed: {report.reason}")
    return 0


def _exited_where(error: BaseException) -> str:
    """'sys.exit(3) called at plugin.py:12 (module mynet)': the innermost frame outside mousescore."""
    what = f"sys.exit({error.code!r}) called" if isinstance(error, SystemExit) else f"{type(error).__name__} raised"
    frames = []
    tb = error.__traceback__
    while tb is not None:
        frames.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    ours = str(Path(__file__).resolve().parent) + os.sep   # by file: a plugin's module may be 'mousescore_...'
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
        if args.command == "list":
            _list(args.kind[:-1], args.json, args)
        elif args.command == "models" and args.models_command == "fetch":
            _fetch_models(args.names)
        elif args.command == "models":
            _check_models(args.patterns)
        elif args.command == "score":
            _score(args)
        elif args.command == "data":
            _data(args)
        elif args.command == "sweep":
            return _sweep(args)
        elif args.command == "results":
            _results(args)
        elif args.command == "leaderboard":
            return _leaderboard(args)
        elif args.command == "new-plugin":
            _new_plugin(args)
        elif args.command == "submission":
            return _submission(args)
        return 0
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


if __name__ == "__main__":
    sys.exit(main())
