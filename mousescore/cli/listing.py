"""``mousescore list``: the registered models, benchmarks, metrics or datasets, as a table or JSON.
(Named ``listing`` so that the builtin ``list`` stays what it is.)"""
from __future__ import annotations

import json
import sys

from ..errors import MousescoreError
from ..registry.plugins import KINDS, get_registry
from .output import warn_about_broken_plugins

COLUMNS = {"model": ["identifier", "family", "architecture_class", "trained", "available", "plugin"],
           "benchmark": ["identifier", "dataset", "site", "metric", "plugin"],
           "metric": ["identifier", "plugin", "description"],
           "dataset": ["identifier", "plugin", "description"]}


def register(commands) -> None:
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
    listing.set_defaults(handler=lambda args: list_entries(args.kind[:-1], args.json, args))


def list_entries(kind: str, as_json: bool, args=None) -> None:
    """``args``: the model filters of `mousescore list models` (None: every entry)."""
    registry = get_registry()
    if kind == "model":
        _check_model_filters(registry, args)
    rows = _rows(registry, kind, args)
    warn_about_broken_plugins(registry)
    _warn_about_conflicts(registry, kind)
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    _print_table(kind, rows)


def _rows(registry, kind: str, args) -> list:
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
    return rows


def _print_table(kind: str, rows) -> None:
    columns = COLUMNS[kind]
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
