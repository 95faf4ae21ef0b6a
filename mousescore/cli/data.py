"""``mousescore data``: list datasets, fetch their files, build one from its sources, export one as BrainIO."""
from __future__ import annotations

from ..errors import MousescoreError
from ..registry.plugins import get_registry
from .arguments import count, cpus
from .listing import list_entries
from .paths import check_output_folder


def register(commands) -> None:
    data = commands.add_parser("data", help="datasets: list or fetch their files")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    data_list = data_commands.add_parser("list")
    data_list.add_argument("--json", action="store_true")
    data_list.set_defaults(handler=lambda args: list_entries("dataset", args.json))
    fetch = data_commands.add_parser("fetch", help="fetch, verify and package datasets")
    fetch.add_argument("names", nargs="+")
    fetch.set_defaults(handler=_fetch)
    _register_build(data_commands)
    data_export = data_commands.add_parser("export", help="write a dataset's responses and stimuli as BrainIO "
                                                          "files (assy_*.nc, stimulus_*.csv + .zip) for "
                                                          "brainio and Brain-Score")
    data_export.add_argument("name")
    data_export.add_argument("--format", choices=["brainio"], default="brainio")
    data_export.add_argument("--out", required=True, help="output folder")
    data_export.set_defaults(handler=_export)


def _register_build(data_commands) -> None:
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
    build.add_argument("--workers", type=count("this machine's CPUs", cpus), default=2,
                       help="with --download: LocalCluster worker processes (default: %(default)s)")
    build.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="builder option, e.g. min_reliability=0.8 or max_p_run_mod=none")
    build.set_defaults(handler=_build)


def _fetch(args) -> None:
    from ..data.datasets import fetch_files, load_dataset
    registry = get_registry()
    for name in args.names:
        spec = registry.get("dataset", name)
        for file_name, path in fetch_files(spec).items():
            print(f"{name}: {file_name} verified at {path}")
        products = load_dataset(name)
        print(f"{name}: packaged {', '.join(sorted(products))}")


def _build(args) -> None:
    spec = get_registry().get("dataset", args.name)
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
    for step, neurons in counts.items():
        print(f"  {step}: {neurons} neurons")


def _export(args) -> None:
    check_output_folder("--out", args.out)
    from ..data.brainio import export_products
    from ..data.datasets import load_dataset
    for path in export_products(load_dataset(args.name), args.name, args.out):
        print(f"{args.name}: wrote {path}")


def _parse_option(text: str):
    """A --set KEY=VALUE builder option: none/off -> None, a number, true/false, else the text."""
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
