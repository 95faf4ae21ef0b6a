#!/usr/bin/env python
"""Speed and memory of mousescore's mapping and end-to-end scoring against plain reference code.

One process, the same inputs for everyone:

- stimuli: the 118 Allen natural scenes (dataset ``allen``), preprocessed as mousescore does;
- features: every recorded layer of a random-init registry model (``alexnet-random``, ...), taken from
  one forward pass, each layer processed inside its forward hook and then dropped;
- neural targets: 6 areas × 1,100 neurons (6,600; the ``allen_surrogate`` assembly has 3,360, so these
  are random targets of the issue's shape, drawn by the allen_surrogate generator from each area's real
  similarity matrix, or plain Gaussian with ``--targets gaussian``); RSA against the 21 real Allen site
  RDMs plus the 6 target areas' RDMs.

Timed stages, per layer, summed over layers:

- mousescore: ``extraction.reduce`` (the srp projection and the correlation matrix) and the
  registry's ``srp_ridge`` and ``rsa`` metrics' ``layer_scores`` (one call per area, as the benchmarks do);
  beside them, untimed in the totals, the scale-free ``srp_ridge_gcv`` on the same Gram matrices (its
  cost as a ratio to ``srp_ridge``'s);
- reference (a), DeepMouseTrap style (``references.py``): sklearn SparseRandomProjection; RidgeCV
  (GCV) + Pearson per neuron on THE SAME projected features as mousescore (mousescore's matrix is its
  own, so the ridge stages are compared on identical input and must agree to ``--tolerance``);
  ``np.corrcoef`` RDMs + Pearson of upper triangles;
- reference (b), Brain-Score style, on a few layers (slow): PCA fitted on 1,000 extra natural images
  (not ImageNet: the 640 Cowley V4 and 92 Kriegeskorte images plus 268 mirrored ones, grayscale,
  31×31 like the Allen scenes), then 25-component PLS, 10-fold CV, Pearson per neuron;
- end to end: ``score_model(model, ['allen.*', 'allen_surrogate.*'], force=True, store=<fresh>)`` with an
  empty projection-matrix cache, against the bare forward pass (preprocess + module, no hooks).

Run ``python performance/run_benchmarks.py --help``; see performance/README.md for what each number means.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import json
import os
import platform
import resource
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if (REPO.parent / "shared" / "data").is_dir():
    os.environ.setdefault("MOUSESCORE_DATA_PATH", str(REPO.parent / "shared" / "data"))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import references as ref  # noqa: E402

from mousescore.numerics import reductions  # noqa: E402

SRP_KEY = reductions.srp(4096, 0)
AREAS = ["VISp", "VISl", "VISal", "VISrl", "VISam", "VISpm"]
# Issue 15 revised the cold end-to-end target from 1.5x to 2.5x the bare forward pass, from what was measured.
TARGETS = {"mapping_vs_a": 20.0, "mapping_vs_b": 100.0, "end_to_end": 2.5, "warm": 0.25}
FULL_E2E = ["allen.*", "allen_surrogate.*", "antolik2016.*"]
QUICK_E2E = ["allen.VISp-rsa", "allen_surrogate.VISp_layer23-srp_ridge"]


# --------------------------------------------------------------------------------------------------
# measuring
# --------------------------------------------------------------------------------------------------
def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def traced(function, *args, **kwargs):
    """(result, seconds, peak bytes allocated above the start) under tracemalloc (numpy arrays are
    traced; torch tensors are not)."""
    started_here = not tracemalloc.is_tracing()
    if started_here:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    try:
        result, seconds = timed(function, *args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        if started_here:
            tracemalloc.stop()
    return result, seconds, peak


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class RSSPeak:
    """Peak resident memory above the level at entry, sampled every few ms in a thread (sees torch)."""

    def __init__(self, interval: float = 0.003):
        self.interval, self.peak, self.start = interval, 0, 0
        self._stop = threading.Event()

    def __enter__(self):
        self.start = self.peak = rss_bytes()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def above_start(self) -> int:
        return self.peak - self.start


def mib(n_bytes) -> float:
    return round(n_bytes / 2 ** 20, 1)


def ratio(numerator, denominator):
    return float(numerator / denominator) if denominator > 0 else float("nan")


# --------------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------------
def make_targets(rdms, kind: str, per_area: int, seed: int = 0):
    """(118 × 6·per_area) responses and {area: column indices}.

    ``surrogate``: the allen_surrogate generator (shared rank-40 tuning following the area's real
    similarity matrix, the mean over its sites, plus private tuning) with trial-mean noise of a 50-trial
    split-half reliability drawn from U(0.80, 0.95); ``gaussian``: independent N(0, 1)."""
    from mousescore_allen.surrogate import N_TRIALS, RELIABILITY_RANGE, population_with_correlation, trial_noise_sd
    rng = np.random.default_rng(seed)
    n = rdms.sizes["presentation"]
    blocks, columns = [], {}
    for area in AREAS:
        if kind == "gaussian":
            block = rng.standard_normal((n, per_area))
        else:
            similarity = 1.0 - rdms.values[rdms["area"].values == area].mean(axis=0)
            means = population_with_correlation(similarity, per_area, rng)
            reliability = rng.uniform(*RELIABILITY_RANGE, size=per_area)
            noise = trial_noise_sd(means, reliability, N_TRIALS) / np.sqrt(N_TRIALS)
            block = means + rng.standard_normal(means.shape) * noise
        start = sum(b.shape[1] for b in blocks)
        columns[area] = np.arange(start, start + per_area)
        blocks.append(block)
    return np.concatenate(blocks, axis=1), columns


def extra_images(n_images: int, side: int):
    """``n_images`` natural images "of the same kind" as the Allen scenes for Brain-Score's PCA: the
    Kriegeskorte (92) and Cowley V4 (640) images, then their mirror images, grayscale, side × side."""
    import torch
    import torch.nn.functional as F

    from mousescore.data.datasets import load_dataset
    small, count = [], 0
    for name in ("kriegeskorte2008", "cowley2023"):
        if count >= n_images:
            break
        images = load_dataset(name)["stimuli"].values
        batch = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).permute(0, 3, 1, 2)
        gray = batch.mean(dim=1, keepdim=True)
        small.append(F.interpolate(gray, size=(side, side), mode="bilinear", antialias=True,
                                   align_corners=False).permute(0, 2, 3, 1).numpy())
        count += len(images)
    images = np.concatenate(small)
    images = np.concatenate([images, images[:, :, ::-1]])       # mirrored copies
    if len(images) < n_images:
        raise SystemExit(f"only {len(images)} extra images available for (b); ask for fewer")
    return np.clip(images[:n_images], 0.0, 1.0)


def evenly_spaced(items, count):
    if count is None or count >= len(items):
        return list(items)
    if count <= 0:
        return []
    picks = np.unique(np.linspace(0, len(items) - 1, count).round().astype(int))
    return [items[i] for i in picks]


# --------------------------------------------------------------------------------------------------
# layers, named exactly as mousescore.extraction.extract names them
# --------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def layer_hooks(loaded, on_layer):
    """Call ``on_layer(layer, rows)`` for every recorded layer output (rows: n × features, float32
    numpy, as extraction makes them); layers named like extraction (``name#2`` for a second call)."""
    from mousescore.extraction.layers import first_tensor, recorded_modules
    calls = {}

    def hook_for(name):
        def hook(module, inputs, output):
            calls[name] = calls.get(name, 0) + 1
            layer = name if calls[name] == 1 else f"{name}#{calls[name]}"
            tensor = first_tensor(output)
            if tensor is None or tensor.ndim == 0:
                return
            on_layer(layer, tensor.detach().reshape(tensor.shape[0], -1).float().cpu().numpy())
        return hook

    handles = [m.register_forward_hook(hook_for(name))
               for name, m in recorded_modules(loaded.module, loaded.layers).items()]
    try:
        yield calls
    finally:
        for handle in handles:
            handle.remove()


def forward(loaded, images, batch_size=None, calls=None):
    import torch

    from mousescore.extraction.layers import preprocess
    batch_size = batch_size or len(images)
    with torch.inference_mode():
        for begin in range(0, len(images), batch_size):
            if calls is not None:
                calls.clear()
            loaded.module(preprocess(images[begin:begin + batch_size], loaded))


def layer_widths(loaded, images):
    widths = {}
    with layer_hooks(loaded, lambda layer, rows: widths.setdefault(layer, rows.shape[1])) as calls:
        forward(loaded, images[:1], calls=calls)
    return widths


# --------------------------------------------------------------------------------------------------
# mapping: mousescore vs reference (a) (all chosen layers) and (b) (a few layers)
# --------------------------------------------------------------------------------------------------
class Mapping:
    def __init__(self, metrics, targets, columns, neural_rdms, brainscore_extra, tolerance):
        self.srp, self.rsa = metrics[:2]
        self.srp_gcv = metrics[2] if len(metrics) > 2 else None
        self.targets, self.columns, self.neural_rdms = targets, columns, neural_rdms
        self.brainscore_extra = brainscore_extra       # {layer: extra-image rows} for (b)
        self.tolerance = tolerance
        self.times = defaultdict(float)
        self.breakdown = defaultdict(float)
        self.layers, self.nonfinite = [], []
        self.diff = {"ridge": 0.0, "rsa": 0.0}
        self.nan_mismatch = {"ridge": 0, "rsa": 0}
        self.best = {"mousescore": {}, "reference_a": {}}
        self.brainscore, self.per_layer = [], []
        self.keep_widest, self.widest = None, None
        self.widths_seen = set()

    def area_targets(self, area):
        return self.targets[:, self.columns[area]]

    def __call__(self, layer, rows):
        if not np.isfinite(rows).all():
            self.nonfinite.append(layer)
            return
        self.layers.append(layer)
        t = self.times
        before = dict(t)
        # mousescore, the real code path: the reductions each registry metric asks for, made as extraction
        # makes them for a single-batch stimulus set, in one dict per layer shared by every area's call
        # (Benchmark.score shares features.reduced[layer] across benchmarks; metrics may cache there).
        reduced = {}
        for key in sorted(self.srp.reductions(), key=repr):
            reduced[key], seconds = timed(reduce_whole, key, rows)
            t["ms_projection"] += seconds
        for key in sorted(self.rsa.reductions(), key=repr):
            reduced[key], seconds = timed(reduce_whole, key, rows)
            t["ms_rsa_reduction"] += seconds
        projected = reduced.get(SRP_KEY)
        if projected is None:     # the metric keeps only what it derives (the projection's Gram)
            from mousescore.numerics.projection import project
            projected = project(rows, n_components=SRP_KEY[1], seed=SRP_KEY[2])
        self._projection_breakdown(rows)
        ms_ridge = {}
        start = time.perf_counter()
        for area in AREAS:
            ms_ridge[area] = self.srp.layer_scores(reduced, self.area_targets(area))
        t["ms_ridge"] += time.perf_counter() - start
        self._scale_free(reduced)
        ms_rsa, seconds = timed(self.rsa.layer_scores, reduced, self.neural_rdms)
        t["ms_rsa_compare"] += seconds
        self._breakdown(projected)
        # reference (a): its own projection timed; its ridge on mousescore's projection (same input)
        _, seconds = timed(ref.srp_sklearn, rows, SRP_KEY[1], SRP_KEY[2])
        t["a_projection"] += seconds
        ref_ridge = {}
        start = time.perf_counter()
        for area in AREAS:
            ref_ridge[area] = ref.srp_ridge_scores(projected, self.area_targets(area))
        t["a_ridge"] += time.perf_counter() - start
        model_rdm, seconds = timed(ref.numpy_rdm, rows)
        t["a_rsa_reduction"] += seconds
        ref_rsa, seconds = timed(ref.rsa_scores, model_rdm, self.neural_rdms)
        t["a_rsa_compare"] += seconds
        # agreement
        layer_diff = {"ridge": 0.0, "rsa": self._compare(ms_rsa, ref_rsa, "rsa")}
        for area in AREAS:
            layer_diff["ridge"] = max(layer_diff["ridge"], self._compare(ms_ridge[area], ref_ridge[area], "ridge"))
            for name, values in (("mousescore", ms_ridge[area]), ("reference_a", ref_ridge[area])):
                mean = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
                if not np.isnan(mean) and mean > self.best[name].get(area, (None, -np.inf))[1]:
                    self.best[name][area] = (layer, mean)
        self.per_layer.append({"layer": layer, "features": int(rows.shape[1]),
                               **{key: t[key] - before.get(key, 0.0) for key in t},
                               "ridge_max_abs_diff": layer_diff["ridge"], "rsa_max_abs_diff": layer_diff["rsa"]})
        if layer == self.keep_widest:
            self.widest = (layer, rows.copy())
        if layer in self.brainscore_extra:
            self._brainscore(layer, rows, projected)

    def _scale_free(self, reduced):
        """The scale-free ``srp_ridge_gcv`` on the same projection's Gram matrix, cold (its own
        eigendecomposition, as ``srp_ridge``'s timed call made its own), over the same areas."""
        if self.srp_gcv is None:
            return
        own = {key: value for key, value in reduced.items() if key in self.srp_gcv.reductions()}
        start = time.perf_counter()
        for area in AREAS:
            self.srp_gcv.layer_scores(own, self.area_targets(area))
        self.times["ms_ridge_gcv"] += time.perf_counter() - start

    def _compare(self, ours, theirs, kind):
        ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
        both = np.isfinite(ours) & np.isfinite(theirs)
        self.nan_mismatch[kind] += int((np.isfinite(ours) != np.isfinite(theirs)).sum())
        diff = float(np.max(np.abs(ours[both] - theirs[both]))) if both.any() else 0.0
        self.diff[kind] = max(self.diff[kind], diff)
        return diff

    def _projection_breakdown(self, rows):
        """The projection's two parts, timed again apart: generating the sparse matrix (once per new
        layer width; mousescore caches it) and the sparse product with the cached matrix."""
        from mousescore.numerics import projection
        width, b = rows.shape[1], self.breakdown
        if width not in self.widths_seen:
            self.widths_seen.add(width)
            _, seconds = timed(lambda: projection._generate(width, SRP_KEY[1], SRP_KEY[2]).tocsc())
            b["srp_matrix_generation"] += seconds
        _, seconds = timed(projection.project, rows, SRP_KEY[1], SRP_KEY[2])
        b["srp_multiply"] += seconds

    def _breakdown(self, projected):
        """Where mousescore's SRP-Ridge time goes, by calling the functions it is made of (not part of
        the comparison): float64 Gram and eigendecomposition once per layer, LOO rotation and Pearson
        once per area. Per-call costs: divide by the layers (and areas) mapped. The projection is split
        in __call__: its timed call minus a second, cached call (the matrix generation, where the width
        was new) and that second call (the sparse product)."""
        from mousescore.numerics import ridge
        from mousescore.numerics.stats import pearson_columns
        eigh = ridge.complement_eigh
        b = self.breakdown
        gram, seconds = timed(ridge.centered_gram, np.asarray(projected, dtype=np.float64))
        b["gram"] += seconds
        decomposition, eigh_s = timed(eigh, gram)
        b["eigh"] += eigh_s
        alphas = self.srp.options["alphas"]
        for area in AREAS:
            targets = self.area_targets(area)
            (predictions, _), seconds = timed(ridge.loo_predictions, None, targets, alphas,
                                              decomposition=decomposition)
            b["loo_rotation"] += seconds
            _, seconds = timed(pearson_columns, predictions, targets)
            b["pearson"] += seconds

    def _brainscore(self, layer, rows, projected):
        """(b) on this layer; mousescore's SRP-Ridge time for the same layer is the one just measured
        (projection + ridge over the areas), taken from the per-layer record."""
        extra = self.brainscore_extra[layer]
        pca, fit_s, fit_peak = traced(ref.pca_fit, extra)
        regressors, transform_s, transform_peak = traced(ref.pca_transform, pca, rows)
        start = time.perf_counter()          # PLS untraced: tracemalloc would slow its Python loops
        for area in AREAS:
            ref.pls_scores(regressors, self.area_targets(area))
        pls_s = time.perf_counter() - start
        record = self.per_layer[-1]
        ms_s = record["ms_projection"] + record["ms_ridge"]
        total = fit_s + transform_s + pls_s
        self.brainscore.append({
            "layer": layer, "features": int(rows.shape[1]), "fit_images": int(extra.shape[0]),
            "pca_components": int(regressors.shape[1]), "pca_fit_s": fit_s, "pca_transform_s": transform_s,
            "pls_cv_s": pls_s, "total_s": total, "pca_peak_mib": mib(max(fit_peak, transform_peak)),
            "mousescore_srp_ridge_s": ms_s, "ratio": ratio(total, ms_s)})
        print(f"    (b) {layer}: {rows.shape[1]} features, PCA fit {fit_s:.1f} s on {extra.shape[0]} images, "
              f"transform {transform_s:.2f} s, PLS 10-fold x {len(AREAS)} areas {pls_s:.1f} s; mousescore "
              f"SRP-Ridge {ms_s:.3f} s", flush=True)


def reduce_whole(key, rows):
    """A layer's reduction for a stimulus set in one batch, through mousescore.numerics.reductions."""
    from mousescore.numerics import reductions
    return reductions.reduce_all(key, rows)


def memory_of_widest(mapping) -> dict:
    """Peak traced (numpy) memory per stage on the widest layer, each stage run alone, cold cache."""
    from mousescore.numerics.projection import clear_cache, project
    if mapping.widest is None:
        return {}
    layer, rows = mapping.widest
    clear_cache()
    out = {"layer": layer, "features": int(rows.shape[1]), "activations_mib": mib(rows.nbytes)}
    srp_keys, rsa_keys = sorted(mapping.srp.reductions(), key=repr), sorted(mapping.rsa.reductions(), key=repr)
    reduced, out["mousescore_projection_mib"] = {}, 0
    for key in srp_keys:
        reduced[key], _, peak = traced(reduce_whole, key, rows)
        out["mousescore_projection_mib"] = max(out["mousescore_projection_mib"], peak)
    out["mousescore_rsa_reduction_mib"] = 0
    for key in rsa_keys:
        reduced[key], _, peak = traced(reduce_whole, key, rows)
        out["mousescore_rsa_reduction_mib"] = max(out["mousescore_rsa_reduction_mib"], peak)
    projected = reduced[SRP_KEY] if SRP_KEY in reduced else project(rows, SRP_KEY[1], SRP_KEY[2])
    _, _, out["mousescore_ridge_mib"] = traced(
        lambda: [mapping.srp.layer_scores(reduced, mapping.area_targets(a)) for a in AREAS])
    _, _, out["mousescore_rsa_compare_mib"] = traced(mapping.rsa.layer_scores, reduced, mapping.neural_rdms)
    _, _, out["a_projection_mib"] = traced(ref.srp_sklearn, rows, SRP_KEY[1], SRP_KEY[2])
    _, _, out["a_ridge_mib"] = traced(
        lambda: [ref.srp_ridge_scores(projected, mapping.area_targets(a)) for a in AREAS])
    model_rdm, _, out["a_rsa_reduction_mib"] = traced(ref.numpy_rdm, rows)
    _, _, out["a_rsa_compare_mib"] = traced(ref.rsa_scores, model_rdm, mapping.neural_rdms)
    for key in list(out):
        if key.endswith("_mib") and key != "activations_mib":
            out[key] = mib(out[key])
    out["mousescore_peak_mib"] = max(out[k] for k in out if k.startswith("mousescore_"))
    out["a_peak_mib"] = max(out[k] for k in out if k.startswith("a_"))
    clear_cache()
    return out


def run_mapping(model_id, loaded, stimuli, targets, columns, neural_rdms, args):
    from mousescore.numerics.projection import clear_cache
    from mousescore.registry.plugins import get_registry
    registry = get_registry()
    metrics = tuple(registry.get("metric", name).factory() for name in ("srp_ridge", "rsa", "srp_ridge_gcv")
                    if name in registry.identifiers("metric"))
    widths = layer_widths(loaded, stimuli.values)
    eligible = [layer for layer, width in widths.items()
                if args.max_features is None or width <= args.max_features]
    chosen = evenly_spaced(eligible, args.layers)
    brainscore_layers = [] if args.skip_brainscore else evenly_spaced(
        [layer for layer in chosen if widths[layer] <= args.brainscore_max_features], args.brainscore_layers)
    print(f"  {len(widths)} layers ({sum(widths.values()):,} features per image); mapping {len(chosen)}"
          + (f", Brain-Score style on {brainscore_layers}" if brainscore_layers else ""), flush=True)

    brainscore_extra, extra_forward_s = {}, 0.0
    if brainscore_layers:
        images = extra_images(args.extra_images, stimuli.values.shape[1])
        parts = defaultdict(list)

        def keep(layer, rows):
            if layer in brainscore_layers:
                parts[layer].append(rows.copy())
        start = time.perf_counter()
        with layer_hooks(loaded, keep) as calls:
            forward(loaded, images, batch_size=100, calls=calls)
        extra_forward_s = time.perf_counter() - start
        brainscore_extra = {layer: np.concatenate(p) for layer, p in parts.items()}
        print(f"    (b) forward pass over {len(images)} extra images: {extra_forward_s:.1f} s", flush=True)

    mapping = Mapping(metrics, targets, columns, neural_rdms, brainscore_extra, args.tolerance)
    mapping.keep_widest = max(chosen, key=lambda layer: widths[layer]) if chosen else None
    chosen_set = set(chosen)
    clear_cache()                     # mousescore's projection matrices start cold
    with layer_hooks(loaded, lambda layer, rows: mapping(layer, rows) if layer in chosen_set else None) as calls:
        forward(loaded, stimuli.values, calls=calls)
    brainscore_extra.clear()
    memory = memory_of_widest(mapping)
    mapping.widest = None

    t = mapping.times
    ms = {"projection_s": t["ms_projection"], "ridge_s": t["ms_ridge"], "rsa_reduction_s": t["ms_rsa_reduction"],
          "rsa_compare_s": t["ms_rsa_compare"]}
    a = {"projection_s": t["a_projection"], "ridge_s": t["a_ridge"], "rsa_reduction_s": t["a_rsa_reduction"],
         "rsa_compare_s": t["a_rsa_compare"]}
    for side in (ms, a):
        side["srp_ridge_s"] = side["projection_s"] + side["ridge_s"]
        side["rsa_s"] = side["rsa_reduction_s"] + side["rsa_compare_s"]
        side["total_s"] = side["srp_ridge_s"] + side["rsa_s"]
    ratios = {key[:-2]: ratio(a[key], ms[key]) for key in ms}
    agreement = {"ridge_max_abs_diff": mapping.diff["ridge"], "rsa_max_abs_diff": mapping.diff["rsa"],
                 "ridge_nan_mismatches": mapping.nan_mismatch["ridge"],
                 "rsa_nan_mismatches": mapping.nan_mismatch["rsa"], "tolerance": args.tolerance,
                 "best_layers_equal": {area: mapping.best["mousescore"].get(area, ("", 0))[0]
                                       == mapping.best["reference_a"].get(area, ("", 0))[0] for area in AREAS}}
    # The equality check of the issue: the ridge + Pearson stage on identical projected features.
    agreement["srp_ridge_pass"] = bool(mapping.layers and mapping.diff["ridge"] <= args.tolerance
                                       and mapping.nan_mismatch["ridge"] == 0
                                       and all(agreement["best_layers_equal"].values()))
    # RSA has no projection: mousescore's float32 correlation against np.corrcoef's float64.
    agreement["rsa_pass"] = bool(mapping.layers and mapping.diff["rsa"] <= args.tolerance
                                 and mapping.nan_mismatch["rsa"] == 0)
    result = {"layers_total": len(widths), "layers_mapped": len(mapping.layers), "nonfinite_layers": mapping.nonfinite,
              "features_mapped": int(sum(widths[layer] for layer in mapping.layers)),
              "mousescore": ms, "reference_a": a, "ratios_a_over_mousescore": ratios,
              "mousescore_ridge_breakdown_s": dict(mapping.breakdown), "agreement": agreement,
              "memory_widest_layer": memory, "per_layer": mapping.per_layer}
    if "ms_ridge_gcv" in t:
        result["scale_free_ridge"] = {"srp_ridge_gcv_s": t["ms_ridge_gcv"], "srp_ridge_s": t["ms_ridge"],
                                      "ratio": ratio(t["ms_ridge_gcv"], t["ms_ridge"])}
    if brainscore_layers:
        rows = mapping.brainscore
        total_b = sum(r["total_s"] for r in rows)
        total_ms = sum(r["mousescore_srp_ridge_s"] for r in rows)
        result["brainscore"] = {"extra_images": args.extra_images, "extra_forward_s": extra_forward_s,
                                "layers": rows, "total_s": total_b, "mousescore_srp_ridge_s": total_ms,
                                "ratio_b_over_mousescore": ratio(total_b, total_ms)}
    return result


# --------------------------------------------------------------------------------------------------
# end to end
# --------------------------------------------------------------------------------------------------
class StageClock:
    """Wraps mousescore functions for the duration of one score_model call to time its phases
    (build, benchmark construction, memory check, extraction, scoring, store) and, inside them, the
    numerics (projection, correlation, Gram, eigendecomposition, LOO, Pearson, RSA)."""

    PHASES = [("mousescore.scoring.score_model", "check_memory", "check_memory"),
              ("mousescore.scoring.score_model", "extract", "extraction"),
              ("mousescore.scoring.score_model", "summarize", "scoring"),
              ("mousescore.scoring.benchmark.Benchmark", "score", "scoring"),
              ("mousescore.results.store.ResultStore", "put_all", "store")]
    INNER = [("mousescore.extraction.extract", "reduce", None),
             ("mousescore_metrics.ridge_metric", "centered_gram", "gram"),
             ("mousescore.extraction.extract", "centered_gram", "gram"),
             ("mousescore.numerics.ridge", "complement_eigh", "eigh"),
             ("mousescore_metrics.ridge_metric", "complement_eigh", "eigh"),
             ("mousescore_metrics.ridge_metric", "loo_predictions", "loo"),
             ("mousescore_metrics.ridge_metric", "loo_operators", "loo_operators"),
             ("mousescore_metrics.ridge_metric", "restrict_summary", "cv_half_summaries"),
             ("mousescore.scoring.benchmark", "_draws", "bootstrap_draws"),
             ("mousescore_metrics.rsa_metric.RSA", "error", "rsa_bootstrap_error"),
             ("mousescore_metrics.ridge_metric.SRPRidge", "error", "ridge_error"),
             ("mousescore_allen.neurons", "intermouse_scores", "intermouse"),
             ("mousescore_allen.neurons", "split_half_rdm_reliability", "rdm_reliability"),
             ("mousescore.scoring.benchmark", "split_half_reliability", "neuron_reliability")]

    def __init__(self):
        self.seconds = defaultdict(float)
        self.calls = defaultdict(int)
        self.phase = "construction"
        self._undo = []

    def _target(self, path):
        import importlib
        parts = path.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for name in parts[cut:]:
                obj = getattr(obj, name)
            return obj
        raise ImportError(path)

    def _wrap(self, owner_path, name, label, phase):
        try:
            owner = self._target(owner_path)
            original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        except (ImportError, AttributeError, KeyError):
            return       # the core was refactored: that stage is simply not broken out
        clock = self

        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            key = label
            if label is None:                        # extraction.reduce: by reduction kind
                key = f"reduce_{args[0][0]}"
            previous = clock.phase
            if phase:
                clock.phase = label
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                clock.phase = previous
                clock.seconds[label if phase else f"{previous}/{key}"] += elapsed
                clock.calls[label if phase else f"{previous}/{key}"] += 1
        setattr(owner, name, wrapper)
        self._undo.append((owner, name, original))

    def __enter__(self):
        for owner, name, label in self.PHASES:
            self._wrap(owner, name, label, phase=True)
        for owner, name, label in self.INNER:
            self._wrap(owner, name, label, phase=False)
        return self

    def __exit__(self, *exc):
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)


def bare_forward(loaded, stimuli):
    import torch

    from mousescore.extraction.layers import preprocess
    with torch.inference_mode():
        loaded.module(preprocess(stimuli.values, loaded))


def _score_once(model_id, patterns, folder, profile_path=None, cold=True):
    """One timed score_model call into a fresh result store, with its phases: ``cold`` forces the
    extraction (``force=True`` bypasses the feature cache since mousescore 0.3); else the features
    may come from the feature cache the cold call wrote."""
    from mousescore.results.store import ResultStore
    from mousescore.scoring.score_model import score_model
    messages, profiler = [], None
    if profile_path:
        import cProfile
        profiler = cProfile.Profile()
    with StageClock() as clock, RSSPeak() as memory:
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        store = ResultStore(Path(folder) / ("cold.sqlite" if cold else "warm.sqlite"))
        scores = score_model(model_id, patterns, force=cold, store=store, log=messages.append, progress=False)
        if profiler:
            profiler.disable()
        total_s = time.perf_counter() - start
    if profiler:
        profiler.dump_stats(profile_path)
    stages = dict(clock.seconds)
    built = [m for m in messages if m.startswith(f"built {model_id} in ")]
    stages["build"] = float(built[0].split(" in ")[1].split()[0]) if built else 0.0
    stages["construction"] = total_s - sum(stages.get(k, 0.0) for k in
                                           ("build", "check_memory", "extraction", "scoring", "store"))
    extraction_log = [m for m in messages if m.startswith("extraction ")]
    from_cache = any("feature cache" in m or "cached)" in m for m in extraction_log)
    return {"benchmarks": len(scores), "score_model_s": total_s, "peak_rss_mib": mib(memory.above_start),
            "stages_s": stages, "stage_calls": dict(clock.calls), "features_from_cache": from_cache,
            "extraction_log": extraction_log}


def run_end_to_end(model_id, stimulus_sets, patterns, args):
    """Bare forward pass over every stimulus set (twice; the faster counts) vs score_model cold (no
    stored scores, empty projection-matrix and feature caches), then again warm (features from the
    feature cache, where mousescore has one)."""
    from mousescore.numerics.projection import clear_cache
    from mousescore.registry.plugins import get_registry
    loaded, build_s = timed(get_registry().get("model", model_id).factory)
    forwards = []
    with RSSPeak() as forward_memory:
        for _ in range(2):
            forwards.append(sum(timed(bare_forward, loaded, stimuli)[1] for stimuli in stimulus_sets.values()))
    del loaded
    forward_s = min(forwards)
    clear_cache()
    with tempfile.TemporaryDirectory(prefix="mousescore-bench-") as folder:
        cold = _score_once(model_id, patterns, folder, f"{args.profile}.{model_id}" if args.profile else None)
        warm = _score_once(model_id, patterns, folder, cold=False) if args.warm else None
    stages = cold["stages_s"]
    result = {"benchmarks": cold["benchmarks"], "patterns": list(patterns), "model_build_s": build_s,
              "bare_forward_s": forwards, "bare_forward_peak_rss_mib": mib(forward_memory.above_start),
              "score_model_s": cold["score_model_s"], "score_model_peak_rss_mib": cold["peak_rss_mib"],
              "stages_s": stages, "stage_calls": cold["stage_calls"], "cold": not cold["features_from_cache"],
              "extraction_log": cold["extraction_log"],
              "ratio_end_to_end": ratio(cold["score_model_s"], forward_s),
              "ratio_extraction": ratio(stages.get("extraction", float("nan")), forward_s),
              "ratio_without_construction": ratio(cold["score_model_s"] - stages["construction"], forward_s)}
    if warm:
        result["warm"] = {"score_model_s": warm["score_model_s"], "stages_s": warm["stages_s"],
                          "features_from_cache": warm["features_from_cache"],
                          "ratio_end_to_end": ratio(warm["score_model_s"], forward_s)}
    return result


# --------------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------------
def print_mapping(model_id, m):
    ms, a, r = m["mousescore"], m["reference_a"], m["ratios_a_over_mousescore"]
    print(f"\n  Mapping, {model_id}: {m['layers_mapped']} layers ({m['features_mapped']:,} features per image), "
          f"{len(AREAS)} areas" + (f"; {len(m['nonfinite_layers'])} non-finite layers skipped"
                                   if m["nonfinite_layers"] else ""))
    print(f"    {'stage':<26}{'mousescore s':>14}{'reference (a) s':>17}{'(a)/mousescore':>16}")
    for key, label in [("projection_s", "SRP projection"), ("ridge_s", "ridge LOO + Pearson (x6)"),
                       ("srp_ridge_s", "SRP-Ridge"), ("rsa_reduction_s", "RSA correlation/RDM"),
                       ("rsa_compare_s", "RSA compare (27 RDMs)"), ("rsa_s", "RSA"),
                       ("total_s", "mapping total")]:
        print(f"    {label:<26}{ms[key]:>14.3f}{a[key]:>17.3f}{r[key[:-2]]:>15.1f}x")
    b = m["mousescore_ridge_breakdown_s"]
    print("    mousescore breakdown (the functions it calls, timed separately): "
          + ", ".join(f"{k} {v:.3f} s" for k, v in b.items()))
    g = m["agreement"]
    print(f"    SRP-Ridge on identical projections: max|dr| {g['ridge_max_abs_diff']:.2e}, NaN mismatches "
          f"{g['ridge_nan_mismatches']}, best layer per area equal {all(g['best_layers_equal'].values())}: "
          f"{'PASS' if g['srp_ridge_pass'] else 'FAIL'} (tolerance {g['tolerance']:g})")
    print(f"    RSA: max|dr| {g['rsa_max_abs_diff']:.2e}, NaN mismatches {g['rsa_nan_mismatches']}: "
          f"{'PASS' if g['rsa_pass'] else 'FAIL'} (tolerance {g['tolerance']:g})")
    if "scale_free_ridge" in m:
        sf = m["scale_free_ridge"]
        print(f"    scale-free srp_ridge_gcv (alpha per neuron from its grid), same Gram matrices, cold: "
              f"{sf['srp_ridge_gcv_s']:.3f} s against srp_ridge's {sf['srp_ridge_s']:.3f} s = {sf['ratio']:.2f}x")
    mem = m["memory_widest_layer"]
    if mem:
        print(f"    peak traced memory on the widest layer {mem['layer']} ({mem['features']:,} features, "
              f"activations {mem['activations_mib']} MiB): mousescore {mem['mousescore_peak_mib']} MiB, "
              f"reference (a) {mem['a_peak_mib']} MiB")
        print("      " + ", ".join(f"{k[:-4]} {v}" for k, v in mem.items()
                                   if k.endswith("_mib") and "peak" not in k and k != "activations_mib"))
    if "brainscore" in m:
        bs = m["brainscore"]
        print(f"    Brain-Score style (b) on {len(bs['layers'])} layer(s): {bs['total_s']:.1f} s "
              f"(+ {bs['extra_forward_s']:.1f} s forward over {bs['extra_images']} extra images, not counted) "
              f"vs mousescore SRP-Ridge on the same layers {bs['mousescore_srp_ridge_s']:.3f} s: "
              f"{bs['ratio_b_over_mousescore']:.0f}x; "
              f"PCA peak traced {max(r['pca_peak_mib'] for r in bs['layers'])} MiB")


def print_e2e(model_id, e):
    s = e["stages_s"]
    print(f"\n  End to end, {model_id}: score_model on {e['benchmarks']} benchmarks {e['score_model_s']:.1f} s "
          f"(peak RSS +{e['score_model_peak_rss_mib']} MiB) vs bare forward pass "
          f"{min(e['bare_forward_s']):.2f} s (first call {e['bare_forward_s'][0]:.2f} s, peak RSS "
          f"+{e['bare_forward_peak_rss_mib']} MiB): {e['ratio_end_to_end']:.1f}x")
    print(f"    extraction (forward + hooks + reductions) {s.get('extraction', 0):.2f} s = "
          f"{e['ratio_extraction']:.2f}x forward; "
          f"without benchmark construction {e['ratio_without_construction']:.1f}x")
    order = ["build", "construction", "check_memory", "extraction", "scoring", "store"]
    print("    phases: " + ", ".join(f"{k} {s.get(k, 0):.2f} s" for k in order))
    if not e["cold"]:
        print("    WARNING: features came from mousescore's feature cache: this was not a cold run")
    if "warm" in e:
        w = e["warm"]
        print(f"    again with the features cached{'' if w['features_from_cache'] else ' (NOT from the cache)'}: "
              f"{w['score_model_s']:.2f} s = {w['ratio_end_to_end']:.3f}x; phases: "
              + ", ".join(f"{k} {w['stages_s'].get(k, 0):.2f} s" for k in order))
    inner = sorted((k for k in s if "/" in k), key=lambda k: -s[k])
    calls = e.get("stage_calls", {})
    print("    inside, seconds (calls); cumulative, so intermouse includes its ridge and loo includes eigh "
          "where it decomposes itself: " + ", ".join(f"{k} {s[k]:.2f} ({calls.get(k, 0)})" for k in inner))


def git_state():
    import subprocess
    def git(*command):
        try:
            return subprocess.run(["git", *command], cwd=REPO, capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            return ""
    return {"commit": git("rev-parse", "--short", "HEAD").strip(),
            "modified_tracked_files": [line[3:] for line in git("status", "--porcelain", "--untracked-files=no")
                                       .splitlines() if line]}


def machine_info(args):
    import scipy
    import sklearn
    import torch
    try:
        from threadpoolctl import threadpool_info
        blas = [f"{i.get('internal_api')} {i.get('num_threads')} threads" for i in threadpool_info()]
    except ImportError:
        blas = []
    return {"date": datetime.datetime.now().isoformat(timespec="seconds"), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "load_average_start": list(os.getloadavg()), "python": platform.python_version(),
            "numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__,
            "torch": torch.__version__, "torch_threads": torch.get_num_threads(), "blas": blas,
            "threads_option": args.threads, "git": git_state()}


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["alexnet-random", "resnet18-random"],
                        help="registry models for the mapping comparison (default: %(default)s)")
    parser.add_argument("--e2e-models", nargs="*", default=None,
                        help="models for the end-to-end case (default: --models; none: skip)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 3 layers of <= 16,384 features, 100 neurons per area, 1 Brain-Score "
                             "layer on 60 extra images, end to end on 2 benchmarks")
    parser.add_argument("--skip-brainscore", action="store_true", help="skip reference (b) (slow)")
    parser.add_argument("--skip-mapping", action="store_true", help="only the end-to-end case")
    parser.add_argument("--json", metavar="OUT", help="write every number to this JSON file")
    parser.add_argument("--targets", choices=["surrogate", "gaussian"], default="surrogate")
    parser.add_argument("--neurons-per-area", type=int, default=None, help="default 1100 (quick 100)")
    parser.add_argument("--layers", type=int, default=None,
                        help="map only this many layers, evenly spaced (default all; quick 3)")
    parser.add_argument("--max-features", type=int, default=None,
                        help="map only layers this narrow (default any; quick 16384)")
    parser.add_argument("--brainscore-layers", type=int, default=None, help="default 3 (quick 1)")
    parser.add_argument("--brainscore-max-features", type=int, default=65536,
                        help="(b) only on layers this narrow: its full-SVD PCA of 1,000 x features is slow "
                             "(default %(default)s)")
    parser.add_argument("--extra-images", type=int, default=None, help="(b) PCA images (default 1000; quick 60)")
    parser.add_argument("--e2e-benchmarks", nargs="+", default=None,
                        help=f"score_model patterns (default {FULL_E2E}; quick {QUICK_E2E})")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch and BLAS threads for everything (default: the libraries' own)")
    parser.add_argument("--tolerance", type=float, default=1e-6)
    parser.add_argument("--profile", metavar="PREFIX", help="cProfile each cold score_model run to PREFIX.<model>")
    parser.add_argument("--no-warm", dest="warm", action="store_false",
                        help="skip the second (feature-cache-warm) score_model run")
    parser.add_argument("--home", help="MOUSESCORE_HOME to use (default: a fresh temporary one, so that every "
                                       "cache starts empty; datasets are packaged into it from the mirror)")
    args = parser.parse_args(argv)
    quick = args.quick
    args.neurons_per_area = args.neurons_per_area or (100 if quick else 1100)
    args.layers = args.layers if args.layers is not None else (3 if quick else None)
    args.max_features = args.max_features if args.max_features is not None else (16384 if quick else None)
    args.brainscore_layers = args.brainscore_layers if args.brainscore_layers is not None else (1 if quick else 3)
    args.extra_images = args.extra_images or (60 if quick else 1000)
    args.e2e_benchmarks = args.e2e_benchmarks or (QUICK_E2E if quick else FULL_E2E)
    if args.e2e_models is None:
        args.e2e_models = list(args.models)
    if args.skip_mapping:
        args.models = []
    return args


def main(argv=None) -> int:
    args = parse(argv)
    with contextlib.ExitStack() as stack:
        if args.home:
            os.environ["MOUSESCORE_HOME"] = str(Path(args.home).expanduser())
        else:
            os.environ["MOUSESCORE_HOME"] = stack.enter_context(tempfile.TemporaryDirectory(prefix="mousescore-home-"))
        return _main(args)


def _main(args) -> int:
    import torch

    from mousescore.data.datasets import load_dataset
    if args.threads:
        torch.set_num_threads(args.threads)
        from threadpoolctl import threadpool_limits
        main.blas_limits = threadpool_limits(args.threads)   # kept: limits hold while referenced
    info = machine_info(args)
    print(f"mousescore benchmarks: {info['date']}, {info['platform']}, {info['cpus']} CPUs, load average "
          f"{info['load_average_start'][0]:.1f}, torch threads {info['torch_threads']}, BLAS {info['blas']}"
          + (" [QUICK: not representative]" if args.quick else ""), flush=True)

    (allen, data_s) = timed(load_dataset, "allen")
    _, surrogate_s = timed(load_dataset, "allen_surrogate")
    stimuli, rdms = allen["stimuli"], allen["rdms"]
    targets, columns = make_targets(rdms, args.targets, args.neurons_per_area)
    from mousescore.numerics.rsa import rdm
    area_rdms = np.stack([rdm(targets[:, columns[area]]) for area in AREAS])
    neural_rdms = np.concatenate([rdms.values, area_rdms])
    print(f"inputs: {stimuli.sizes['presentation']} Allen scenes; targets {args.targets}, {targets.shape[1]} "
          f"neurons in {len(AREAS)} areas; RSA against {len(neural_rdms)} RDMs (21 real sites + 6 target "
          f"areas); data packaged and loaded in {data_s + surrogate_s:.1f} s "
          f"({'MOUSESCORE_HOME ' + args.home if args.home else 'fresh temporary MOUSESCORE_HOME'})", flush=True)
    results = {"machine": info, "quick": args.quick,
               "config": {k: v for k, v in vars(args).items() if k not in ("json",)},
               "inputs": {"stimuli": int(stimuli.sizes["presentation"]), "targets": args.targets,
                          "neurons": int(targets.shape[1]), "areas": AREAS, "neural_rdms": int(len(neural_rdms))},
               "models": {}}

    from mousescore.registry.plugins import get_registry
    for model_id in args.models:
        print(f"\n== mapping: {model_id}", flush=True)
        loaded = get_registry().get("model", model_id).factory()
        mapping = run_mapping(model_id, loaded, stimuli, targets, columns, neural_rdms, args)
        del loaded
        results["models"].setdefault(model_id, {})["mapping"] = mapping
        print_mapping(model_id, mapping)
    if args.e2e_models:
        # What benchmarks derive from their data alone (ceilings, inter-mouse scores) is computed once
        # per machine and remembered, like the packaged data: done here, so that every model's cold
        # run (empty feature cache) is measured alike, and reported apart.
        registry = get_registry()
        identifiers = registry.match("benchmark", args.e2e_benchmarks)
        built, prepare_s = timed(lambda: [registry.get("benchmark", b).factory() for b in identifiers])
        # The bare forward pass runs over every stimulus set the benchmarks extract on, as score_model does.
        stimulus_sets = {b.stimuli.identifier: b.stimuli for b in built}
        del built
        results["benchmark_preparation_s"] = prepare_s
        results["e2e_stimulus_sets"] = {name: int(s.sizes["presentation"]) for name, s in stimulus_sets.items()}
        print(f"\n== {len(identifiers)} benchmarks prepared once (ceilings and inter-mouse scores, remembered "
              f"on disk: a one-time cost per machine, not counted below): {prepare_s:.1f} s", flush=True)
    for model_id in args.e2e_models:
        print(f"\n== end to end: {model_id} on {args.e2e_benchmarks}", flush=True)
        e2e = run_end_to_end(model_id, stimulus_sets, args.e2e_benchmarks, args)
        results["models"].setdefault(model_id, {})["end_to_end"] = e2e
        print_e2e(model_id, e2e)

    summary = summarize(results)
    results["summary"] = summary
    results["machine"]["load_average_end"] = list(os.getloadavg())
    results["machine"]["max_rss_mib"] = mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    print("\n== summary" + (" (QUICK run: the numbers are not representative)" if args.quick else ""))
    for line in summary["lines"]:
        print("  " + line)
    ridge_ok, rsa_ok = summary["srp_ridge_agreement_pass"], summary["rsa_agreement_pass"]
    if ridge_ok is None:
        print("\nno mapping run: agreement not checked")
    else:
        print(f"\nSRP-RIDGE AGREEMENT: {'PASS' if ridge_ok else 'FAIL'} (mousescore vs reference (a) on identical "
              f"projections, tolerance {args.tolerance:g})")
        print(f"RSA AGREEMENT: {'PASS' if rsa_ok else 'FAIL'} (mousescore float32 correlation vs np.corrcoef, "
              f"tolerance {args.tolerance:g}; reported, not part of the exit status)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=float))
        print(f"numbers written to {args.json}")
    return 0 if ridge_ok in (True, None) else 1


def summarize(results):
    lines, ridge_ok, rsa_ok = [], None, None
    for model_id, r in results["models"].items():
        if "mapping" in r:
            m = r["mapping"]
            g = m["agreement"]
            ridge_ok = g["srp_ridge_pass"] if ridge_ok is None else (ridge_ok and g["srp_ridge_pass"])
            rsa_ok = g["rsa_pass"] if rsa_ok is None else (rsa_ok and g["rsa_pass"])
            ratio_a = m["ratios_a_over_mousescore"]["total"]
            lines.append(f"{model_id}: mapping (SRP-Ridge + RSA) vs (a) {ratio_a:.1f}x (target >= "
                         f"{TARGETS['mapping_vs_a']:.0f}x: "
                         f"{'met' if ratio_a >= TARGETS['mapping_vs_a'] else 'NOT met'}; "
                         f"SRP-Ridge alone {m['ratios_a_over_mousescore']['srp_ridge']:.1f}x, RSA alone "
                         f"{m['ratios_a_over_mousescore']['rsa']:.1f}x)")
            lines.append(f"{model_id}: equal scores at {g['tolerance']:g}: SRP-Ridge "
                         f"{'PASS' if g['srp_ridge_pass'] else 'FAIL'} (max|dr| {g['ridge_max_abs_diff']:.1e}), RSA "
                         f"{'PASS' if g['rsa_pass'] else 'FAIL'} (max|dr| {g['rsa_max_abs_diff']:.1e})")
            if "brainscore" in m:
                ratio_b = m["brainscore"]["ratio_b_over_mousescore"]
                lines.append(f"{model_id}: SRP-Ridge vs (b) {ratio_b:.0f}x on {len(m['brainscore']['layers'])} "
                             f"layer(s) (target >= {TARGETS['mapping_vs_b']:.0f}x: "
                             f"{'met' if ratio_b >= TARGETS['mapping_vs_b'] else 'NOT met'})")
        if "end_to_end" in r:
            e2e = r["end_to_end"]
            e = e2e["ratio_end_to_end"]
            lines.append(f"{model_id}: end to end {e:.1f}x the bare forward pass, cold (target <= "
                         f"{TARGETS['end_to_end']}x: {'met' if e <= TARGETS['end_to_end'] else 'NOT met'}); "
                         f"extraction alone {e2e['ratio_extraction']:.2f}x"
                         + (f"; with features cached {e2e['warm']['ratio_end_to_end']:.3f}x (target <= "
                            f"{TARGETS['warm']}x: "
                            f"{'met' if e2e['warm']['ratio_end_to_end'] <= TARGETS['warm'] else 'NOT met'})"
                            if "warm" in e2e else ""))
    return {"lines": lines, "srp_ridge_agreement_pass": ridge_ok, "rsa_agreement_pass": rsa_ok}


if __name__ == "__main__":
    sys.exit(main())
