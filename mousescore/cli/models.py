"""``mousescore models``: fetch trained weights ahead of time, or check that models build and run."""
from __future__ import annotations

from ..errors import MousescoreError
from ..registry.plugins import get_registry


def register(commands) -> None:
    models = commands.add_parser("models", help="models: fetch trained weights ahead of time")
    model_commands = models.add_subparsers(dest="models_command", required=True)
    model_fetch = model_commands.add_parser("fetch", help="resolve (download) the weights of models, "
                                                          "e.g. before going offline")
    model_fetch.add_argument("names", nargs="+")
    model_fetch.set_defaults(handler=lambda args: fetch_models(args.names))
    model_check = model_commands.add_parser("check", help="build models and extract features from 2 "
                                                          "images; per-family pass counts")
    model_check.add_argument("patterns", nargs="+", help="identifiers or globs, e.g. '*-random'")
    model_check.set_defaults(handler=lambda args: check_models(args.patterns))


def fetch_models(names) -> None:
    registry = get_registry()
    specs = [registry.get("model", name) for name in names]   # all names checked before any download
    for spec in specs:
        if not spec.metadata.get("trained"):
            print(f"{spec.identifier}: no weights to fetch ({spec.metadata.get('training', 'not trained')})")
            continue
        provenance = spec.factory().provenance
        print(f"{spec.identifier}: weights verified ({provenance.get('weights_file', '')} "
              f"sha256 {provenance.get('weights_sha256', '?')[:16]}...)")


def check_models(patterns) -> None:
    import time

    import numpy as np

    from ..extraction.extract import extract
    from ..extraction.functions import FeatureFunction, extract_function
    from ..numerics import reductions
    from ..testing import probe_stimuli
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
            scored = [layer for layer in features.layers if layer not in features.nonfinite]
            if not scored or not all(np.isfinite(features.reduced[layer][reductions.srp(64, 0)]).all()
                                     for layer in scored):
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
