#!/usr/bin/env python
"""GPU against CPU, once, on a borrowed GPU machine: are the reductions equal, and how fast is it?

1. Per model (random init, the 118 Allen scenes, the reductions of the ``srp_ridge`` and ``rsa``
   metrics): max|test - ref| / max|ref| of every reduction of every layer, TF32 off. ``kernels``: torch
   kernels against numpy kernels on the same GPU activations (the project's 1e-6 tolerance); ``total``:
   GPU extraction against CPU extraction (adds cuDNN's forward pass against the CPU's); ``forward``: the
   final output, TF32 off and with torch's TF32 defaults. Timings (torch's defaults, median of
   --repeats after a warm-up): bare forward and extract, on GPU and CPU.
2. End to end: ``score_model`` on the allen benchmarks that build from the packaged data alone, feature
   cache off, on GPU (TF32 default and off) and on CPU: max |delta score| against the CPU, wall times.

Since its first run (results/2026-11-26-h200-gpu-check.json), extraction itself turns TF32 off on a
GPU, so the two GPU cases of part 2 now score alike.

``--quick`` (no GPU): one small model, the forced torch path on the CPU against the numpy one.
Prints a short table last; everything is in $OUT/gpu_check.json (default ./gpu_check_out).
"""
import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))   # this working tree's mousescore, installed or not
os.environ["MOUSESCORE_FEATURE_CACHE"] = "0"
socket.setdefaulttimeout(20)    # no network there: never hang on a download

import numpy as np  # noqa: E402
import torch  # noqa: E402

MODELS = ["alexnet-random", "resnet18-random", "resnet50-random", "vgg16-random"]
E2E_MODELS = ["alexnet-random", "resnet18-random"]
TOLERANCE = 1e-6
T0 = time.perf_counter()
TF32_DEFAULT = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)


def elapsed():
    return time.perf_counter() - T0


def ensure_plugins():
    """The built-in plugins, imported from the source tree where they are not installed (and
    registered by hand where no entry points exist): a failed install must not waste the run."""
    import configparser
    import importlib
    import importlib.util
    from importlib.metadata import entry_points
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    folders = dict(line.split(" = ") for line in config["options"]["package_dir"].strip().splitlines()
                   if not line.startswith("mousescore ="))
    modules = []
    for name, folder in folders.items():
        try:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError:
                spec = importlib.util.spec_from_file_location(name, REPO / folder / "__init__.py",
                                                              submodule_search_locations=[str(REPO / folder)])
                module = sys.modules[name] = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
            modules.append(module)
        except Exception as error:
            sys.modules.pop(name, None)
            print(f"plugin {name} failed to import: {error}")
    from mousescore.registry import plugins as registry
    if not entry_points(group=registry.ENTRY_POINT_GROUP):
        registry._default = registry.Registry(extra_plugins=modules, load_entry_points=False)
    return registry.get_registry()


def sync():
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


def timed(function, repeats, warmup):
    """Median wall time of ``repeats`` calls after ``warmup`` calls, the GPU synchronised around each."""
    times = []
    for i in range(warmup + repeats):
        sync()
        start = time.perf_counter()
        function()
        sync()
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times[warmup:]), "times_s": times[warmup:]}


def set_tf32(convolutions, matmul):
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = convolutions, matmul


def relative_diff(test, ref):
    """(max|test - ref| / max|ref| over entries finite in both, count of entries finite in one only)."""
    test, ref = np.asarray(test, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    if test.shape != ref.shape:
        return float("inf"), 0
    both = np.isfinite(test) & np.isfinite(ref)
    mismatches = int((np.isfinite(test) != np.isfinite(ref)).sum())
    if not both.any():
        return 0.0, mismatches
    scale, diff = float(np.abs(ref[both]).max()), float(np.abs(test[both] - ref[both]).max())
    return (diff / scale if scale > 0 else diff), mismatches


def compare(test, ref):
    """Per layer and reduction relative differences, and the worst (value, layer) per reduction."""
    out = {"layers": len(ref.layers), "same_layers": test.layers == ref.layers,
           "same_nonfinite": test.nonfinite == ref.nonfinite, "nan_mismatches": 0, "over_tolerance": 0,
           "worst": {}, "per_layer": {}}
    for layer in ref.layers:
        for key, value in ref.reduced.get(layer, {}).items():
            other = test.reduced.get(layer, {}).get(key)
            rel, mismatches = relative_diff(other, value) if other is not None else (float("inf"), 0)
            name = "/".join(map(str, key))
            out["per_layer"].setdefault(layer, {})[name] = rel
            out["nan_mismatches"] += mismatches
            out["over_tolerance"] += rel > TOLERANCE
            if rel >= out["worst"].get(name, (-1.0, ""))[0]:
                out["worst"][name] = (rel, layer)
    return out


def bare_forward(loaded, stimuli, device):
    from mousescore.extraction.layers import preprocess
    with torch.inference_mode():
        output = loaded.module(preprocess(stimuli.values, loaded).to(device))
    return output[0] if isinstance(output, (tuple, list)) else output


def check_model(registry, model_id, stimuli, reductions, device):
    from mousescore.extraction.extract import extract
    spec = registry.get("model", model_id)
    test_model, ref_model = spec.factory(), spec.factory()      # seeded: the same weights
    a, b = test_model.module.state_dict(), ref_model.module.state_dict()
    same = a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    if not same:
        ref_model.module.load_state_dict(a)
    on_device = None if device.type == "cuda" else True         # --quick: force the torch path
    run = {"same_weights_from_seed": same, "parameters": sum(p.numel() for p in a.values())}
    set_tf32(False, False)   # equality: plain float32 everywhere
    torch.backends.cudnn.deterministic = True
    try:
        test = extract(test_model, stimuli, reductions, device=device, torch_reductions=on_device, progress=False)
        numpy_on_device = extract(test_model, stimuli, reductions, device=device, torch_reductions=False,
                                  progress=False)
        ref = extract(ref_model, stimuli, reductions, device="cpu", progress=False)
        ref_out = bare_forward(ref_model, stimuli, "cpu").float().numpy()
        run["kernels"], run["total"] = compare(test, numpy_on_device), compare(test, ref)
        out = bare_forward(test_model, stimuli, device).float().cpu().numpy()
        run["forward_rel_diff"] = relative_diff(out, ref_out)[0]
    finally:
        torch.backends.cudnn.deterministic = False
        set_tf32(*TF32_DEFAULT)   # torch's defaults (TF32 convolutions): what users get, and what is timed
    out = bare_forward(test_model, stimuli, device).float().cpu().numpy()
    run["forward_rel_diff_tf32"] = relative_diff(out, ref_out)[0]
    repeats, cpu_repeats = ARGS.repeats, ARGS.repeats if elapsed() < ARGS.budget else 1
    run["timing"] = {
        "forward_device": timed(lambda: bare_forward(test_model, stimuli, device), repeats, 1),
        "extract_device": timed(lambda: extract(test_model, stimuli, reductions, device=device,
                                                torch_reductions=on_device, progress=False), repeats, 1),
        "forward_cpu": timed(lambda: bare_forward(ref_model, stimuli, "cpu"), cpu_repeats, 0),
        "extract_cpu": timed(lambda: extract(ref_model, stimuli, reductions, device="cpu", progress=False),
                             cpu_repeats, 0)}   # the CPU ones warmed up by the equality run
    return run


def score(model_id, benchmark_ids, device, tf32):
    from mousescore.results.store import ResultStore
    from mousescore.scoring.score_model import score_model
    set_tf32(*tf32)
    try:
        with tempfile.TemporaryDirectory(prefix="gpu-check-") as folder:
            messages, start = [], time.perf_counter()
            scores = score_model(model_id, benchmark_ids, force=True, store=ResultStore(Path(folder) / "r.sqlite"),
                                 device=str(device), log=messages.append, progress=False)
            sync()
            seconds = time.perf_counter() - start
    finally:
        set_tf32(*TF32_DEFAULT)
    return {"seconds": seconds, "log": messages, "tf32": tf32,
            "scores": {s.benchmark: {"value": s.value, "ceiled": s.ceiled_value, "best_layer": s.best_layer}
                       for s in scores}}


def end_to_end(registry, device, models, report):
    """score_model on every allen benchmark that builds offline (no raw data, no network)."""
    report["benchmarks"], report["not_buildable_offline"] = [], {}
    for identifier in registry.match("benchmark", ARGS.patterns):
        try:
            registry.get("benchmark", identifier).factory()
            report["benchmarks"].append(identifier)
        except Exception as error:
            report["not_buildable_offline"][identifier] = f"{type(error).__name__}: {error}"[:200]
    for model_id in models:
        runs = report[model_id] = {}
        for name, where, tf32 in (("device", device, TF32_DEFAULT), ("device_no_tf32", device, (False, False)),
                                  ("cpu", "cpu", TF32_DEFAULT)):
            guarded(runs, name, score, model_id, report["benchmarks"], where, tf32)
        for name in ("device", "device_no_tf32"):
            if "scores" in runs[name] and "scores" in runs["cpu"]:
                pairs = [(runs[name]["scores"][b], c) for b, c in runs["cpu"]["scores"].items()]
                runs[name]["vs_cpu"] = {
                    "max_abs_diff_value": max(abs(d["value"] - c["value"]) for d, c in pairs),
                    "max_abs_diff_ceiled": max(abs(d["ceiled"] - c["ceiled"]) for d, c in pairs),
                    "best_layer_differs": sum(d["best_layer"] != c["best_layer"] for d, c in pairs)}
    return report


def guarded(results, name, function, *args):
    """results[name] = function(*args), or the error: one failure must not end the run."""
    started = time.perf_counter()
    print(f"[{elapsed():6.1f} s] {name} ...", flush=True)
    try:
        results[name] = function(*args)
    except Exception as error:
        traceback.print_exc()
        results[name] = {**results.get(name, {}), "error": f"{type(error).__name__}: {error}"}
    print(f"[{elapsed():6.1f} s] {name}: {time.perf_counter() - started:.1f} s", flush=True)


def save(report):
    report["seconds"] = elapsed()
    out = Path(os.environ.get("OUT") or "gpu_check_out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_check.json").write_text(json.dumps(report, indent=1, default=str))
    return out / "gpu_check.json"


def main():
    from mousescore import config
    from mousescore.data.datasets import load_dataset, package_key
    device = torch.device("cpu" if ARGS.quick else ARGS.device)
    report = {"torch": torch.__version__, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
              "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
              "device": str(device), "cpu_threads": torch.get_num_threads(), "quick": ARGS.quick,
              "tf32_default": TF32_DEFAULT, "models": {}, "end_to_end": {}}
    print(f"torch {report['torch']} (CUDA {report['cuda']}, cuDNN {report['cudnn']}), GPU {report['gpu']}, "
          f"{report['cpu_threads']} CPU threads, device {device}", flush=True)
    registry = ensure_plugins()
    report["plugin_problems"] = dict(registry.problems)
    package = config.home() / "packaged" / f"allen-{package_key(registry.get('dataset', 'allen'))}"
    if not package.is_dir():
        raise SystemExit(f"{package} is missing: the allen packaging changed; copy the new package here")
    stimuli = load_dataset("allen")["stimuli"]
    reductions = set().union(*(registry.get("metric", m).factory().reductions() for m in ("srp_ridge", "rsa")))
    report["reductions"] = sorted(map(repr, reductions))
    known = set(registry.identifiers("model"))
    report["missing_models"] = [m for m in MODELS if m not in known]
    models = [m for m in (MODELS[:1] if ARGS.quick else MODELS) if m in known]
    e2e_models = [m for m in (E2E_MODELS[:1] if ARGS.quick else E2E_MODELS) if m in known]
    # the small models first (they warm the GPU up), then end to end, then the big models
    for model_id in models[:2] + [None] + models[2:]:
        if model_id is None:
            guarded(report, "end_to_end", end_to_end, registry, device, e2e_models, report["end_to_end"])
        elif elapsed() > 1.6 * ARGS.budget:
            report["models"][model_id] = {"error": "skipped: out of time"}
        else:
            guarded(report["models"], model_id, check_model, registry, model_id, stimuli, reductions, device)
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        save(report)   # after every step: a run cut short still leaves its JSON under $OUT
    summarize(report)
    print(f"full report: {save(report)}; {elapsed():.0f} s in all")


def summarize(report):
    dev = report["device"]
    print(f"\n=== mousescore GPU check: torch {report['torch']}, {report['gpu'] or 'no GPU'}, device {dev}; "
          f"rel diff = max|test-ref|/max|ref|, tolerance {TOLERANCE:g} ===")
    if report["missing_models"] or report["plugin_problems"]:
        print(f"not registered: {report['missing_models']}; plugin problems: {report['plugin_problems']}")
    for model_id, run in report["models"].items():
        if "error" in run:
            print(f"{model_id}: ERROR {run['error'][:300]}")
            continue
        print(f"{model_id}: {run['total']['layers']} layers, weights equal {run['same_weights_from_seed']}, "
              f"final output rel diff {run['forward_rel_diff']:.1e} (TF32 default: {run['forward_rel_diff_tf32']:.1e})")
        for label in ("kernels", "total"):
            c = run[label]
            worst = ", ".join(f"{k} {v[0]:.1e} @{v[1]}" for k, v in c["worst"].items())
            print(f"  {label:<8} {worst}; layers >tol {c['over_tolerance']}, NaN mismatches "
                  f"{c['nan_mismatches']}, same layers {c['same_layers'] and c['same_nonfinite']}")
        t = {k: v["median_s"] for k, v in run["timing"].items()}
        print(f"  seconds: forward {dev} {t['forward_device']:.3f}, extract {dev} {t['extract_device']:.3f} | "
              f"forward cpu {t['forward_cpu']:.3f}, extract cpu {t['extract_cpu']:.3f}")
    e2e = report["end_to_end"]
    print(f"end to end (score_model, feature cache off): {len(e2e.get('benchmarks', []))} benchmarks, "
          f"{len(e2e.get('not_buildable_offline', {}))} not buildable offline {e2e.get('error', '')[:300]}")
    for model_id in E2E_MODELS:
        for name, run in e2e.get(model_id, {}).items():
            d = run.get("vs_cpu")
            print(f"  {model_id} {name:<15}{run.get('seconds', float('nan')):6.1f} s  " + (
                f"vs cpu: max|d score| {d['max_abs_diff_value']:.1e}, max|d ceiled| {d['max_abs_diff_ceiled']:.1e}, "
                f"best layer differs {d['best_layer_differs']}" if d else run.get("error", "")[:300]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--quick", action="store_true", help="no GPU: one small model, torch path on the CPU")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--budget", type=float, default=150.0,
                        help="seconds after which CPU timings run once (later models are skipped after 1.6x)")
    parser.add_argument("--patterns", nargs="+", default=["allen.*"])
    ARGS = parser.parse_args()
    main()
