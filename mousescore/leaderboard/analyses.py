"""The leaderboard's numbers: the overview ranking, four analyses of Conwell et al. (NeurIPS 2021), and
how much the Max owes to choosing its layer on the data it reports (Max − CV against layer count).

Pure functions over result records (see :mod:`mousescore.results.records`), each returning a JSON-serialisable
dict that :mod:`mousescore.leaderboard.figures` draws and :mod:`mousescore.leaderboard.site` shows. A missing or NaN value is
None, never an exception.

Area means follow the paper: a model's "RSA Max" is the mean over the six Allen areas of its
``allen.<area>-rsa`` scores (each at the model's best layer for that area), its "SRP-Ridge Max" the mean
of ``allen.<area>-srp_ridge``. The real per-neuron SRP-Ridge benchmarks exist only where a user built
them from the Allen NWB files; without all six, the SURROGATE population's ``allen_surrogate`` records
stand in and everything derived from them carries ``surrogate: True``. A model missing an area for a
metric gets None for that metric's mean (the missing areas are listed), not a mean over fewer areas.

Uncertainty: every record carries bootstrap draws made with the same resampling indices for every
model on that benchmark (and, for the six areas, the same stimulus indices: they share the 118
scenes). An area mean's draws are the mean of its areas' draws, draw by draw; the mouse score's the
mean of those. A paired difference of two models is the percentile interval of their draws'
differences. The ranking's tie groups: walking down the ranking, a model starts a new group when its
difference from the model above is significant (95% interval excluding 0).
"""
from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np
from scipy.stats import spearmanr

from ..results.score import paired_difference, percentile_interval

AREAS = ("VISp", "VISl", "VISal", "VISrl", "VISam", "VISpm")
HIERARCHY = ("VISp", "VISl", "VISrl", "VISal", "VISpm", "VISam")   # Fig. 2's order, lowest first
AREA_METRICS = ("rsa", "srp_ridge")
METRIC_LABELS = {"rsa": "RSA Max", "srp_ridge": "SRP-Ridge Max"}
ALLEN_DATASETS = ("allen", "allen_surrogate")
SURROGATE_DATASET = "allen_surrogate"
CATEGORIES = ("trained", "random", "baseline")

Record = Dict
ModelRecords = Dict[str, Record]   # benchmark identifier -> record, for one model


def number(value) -> Optional[float]:
    """A finite float, or None for a missing or NaN value."""
    if value is None or isinstance(value, bool):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def benchmark_parts(identifier: str) -> Tuple[str, str, str]:
    """``<dataset>.<site>-<metric>`` -> (dataset, site, metric)."""
    dataset_site, _, metric = identifier.rpartition("-")
    dataset, _, site = dataset_site.partition(".")
    return dataset, site, metric


def is_surrogate(record: Record) -> bool:
    metadata = record.get("benchmark_metadata") or {}
    return benchmark_parts(record["benchmark"])[0] == SURROGATE_DATASET or metadata.get("surrogate") is True


def by_model(records: Iterable[Record]) -> Dict[str, ModelRecords]:
    models: Dict[str, ModelRecords] = defaultdict(dict)
    for record in records:
        models[record["model"]][record["benchmark"]] = record
    return {model: dict(sorted(benchmarks.items())) for model, benchmarks in sorted(models.items())}


def model_metadata(benchmarks: ModelRecords) -> Dict:
    return dict(next(iter(benchmarks.values())).get("model_metadata") or {})


def category(metadata: Dict) -> str:
    """'baseline' for the non-network baselines, else 'trained' or 'random' (random init)."""
    if metadata.get("family") == "baseline" or metadata.get("architecture_class") == "non-network":
        return "baseline"
    return "trained" if metadata.get("trained") else "random"


def area_records(benchmarks: ModelRecords, metric: str) -> Tuple[Dict[str, Record], bool]:
    """The model's per-area records for a metric and whether they are the surrogate's: RSA from the
    real RDMs; SRP-Ridge from the real per-neuron data when all six areas are there, else from the
    surrogate population when the model has any surrogate area record."""
    real = {area: benchmarks[f"allen.{area}-{metric}"] for area in AREAS if f"allen.{area}-{metric}" in benchmarks}
    if metric == "rsa" or len(real) == len(AREAS):
        return real, False
    surrogate = {area: benchmarks[f"{SURROGATE_DATASET}.{area}-{metric}"] for area in AREAS
                 if f"{SURROGATE_DATASET}.{area}-{metric}" in benchmarks}
    return (surrogate, True) if surrogate else (real, False)


def area_mean(records: Dict[str, Record]) -> Tuple[Optional[float], List[str]]:
    """Mean value over the six areas, or None (with the areas lacking a finite value)."""
    values = {area: number(records[area]["value"]) for area in records}
    missing = [area for area in AREAS if values.get(area) is None]
    return (None if missing else statistics.fmean(values[area] for area in AREAS)), missing


def area_draws(records: Dict[str, Record]) -> Optional[np.ndarray]:
    """Draw-by-draw mean over the six areas, or None unless every area has draws of one length."""
    draws = [records[area].get("draws") or [] for area in AREAS if area in records]
    if len(draws) != len(AREAS) or not draws[0] or len({len(d) for d in draws}) != 1:
        return None
    return np.mean(np.array(draws, dtype=np.float64), axis=0)


def summary_draws(benchmarks: ModelRecords) -> Dict[str, Optional[np.ndarray]]:
    """Draws of each area mean and of the mouse score (the mean of the available area means, as
    the score itself); None where a needed record has no draws."""
    draws = {metric: area_draws(area_records(benchmarks, metric)[0]) for metric in AREA_METRICS}
    summary = area_summary(benchmarks)
    needed = [draws[metric] for metric in AREA_METRICS if summary[metric] is not None]
    usable = needed and all(d is not None for d in needed) and len({len(d) for d in needed}) == 1
    draws["mouse_score"] = np.mean(needed, axis=0) if usable else None
    return draws


def interval(draws: Optional[np.ndarray]) -> Optional[List[float]]:
    found = percentile_interval(draws) if draws is not None else None
    return list(found) if found else None


def area_summary(benchmarks: ModelRecords) -> Dict:
    """A model's area means per metric, whether each is the surrogate's, and the missing areas."""
    summary = {"surrogate": {}, "missing_areas": {}}
    for metric in AREA_METRICS:
        records, surrogate = area_records(benchmarks, metric)
        summary[metric], missing = area_mean(records)
        summary["surrogate"][metric] = surrogate
        summary["missing_areas"][metric] = missing
    return summary


def mean_of_available(values: Iterable[Optional[float]]) -> Optional[float]:
    present = [value for value in values if value is not None]
    return statistics.fmean(present) if present else None


def overview_row(model: str, benchmarks: ModelRecords, extra_benchmarks: List[str]) -> Dict:
    metadata = model_metadata(benchmarks)
    summary = area_summary(benchmarks)
    return {
        "model": model, "display_name": metadata.get("display_name"), "family": metadata.get("family"),
        "training": metadata.get("training"), "trained": bool(metadata.get("trained")),
        "category": category(metadata), "task_cluster": metadata.get("task_cluster"),
        "parameters": metadata.get("parameters"),
        "rsa": summary["rsa"], "srp_ridge": summary["srp_ridge"],
        "mouse_score": mean_of_available(summary[metric] for metric in AREA_METRICS),
        "surrogate": summary["surrogate"], "missing_areas": summary["missing_areas"],
        "cv": {metric: _area_cv(benchmarks, metric) for metric in AREA_METRICS},
        "benchmarks": {name: number(benchmarks[name]["value"]) if name in benchmarks else None
                       for name in extra_benchmarks},
    }


def _area_cv(benchmarks: ModelRecords, metric: str) -> Optional[float]:
    """The mean over the six areas of the cross-validated values (None unless all six have one)."""
    records, _ = area_records(benchmarks, metric)
    values = [number(records[area].get("cv_value")) if area in records else None for area in AREAS]
    return None if None in values else statistics.fmean(values)


def best_first(value: Optional[float], name: str):
    """Sort key: largest value first, missing values last, ties by name."""
    return (value is None, -(value or 0.0), name)


def overview(records: List[Record]) -> Dict:
    """The ranking: per model RSA Max, SRP-Ridge Max, their mean ("mouse score", or the one available),
    one column per non-Allen benchmark, and the model's metadata; best mouse score first."""
    models = by_model(records)
    extra = sorted({name for benchmarks in models.values() for name in benchmarks
                    if benchmark_parts(name)[0] not in ALLEN_DATASETS})
    rows = [overview_row(model, benchmarks, extra) for model, benchmarks in models.items()]
    rows.sort(key=lambda row: best_first(row["mouse_score"], row["model"]))
    draws = {model: summary_draws(benchmarks) for model, benchmarks in models.items()}
    for row in rows:
        row["intervals"] = {name: interval(value) for name, value in draws[row["model"]].items()}
    steps = _tie_groups(rows, draws)
    surrogate_rows = [row["model"] for row in rows if row["surrogate"]["srp_ridge"] and row["srp_ridge"] is not None]
    return {"areas": list(AREAS), "metrics": {metric: METRIC_LABELS[metric] for metric in AREA_METRICS},
            "extra_benchmarks": extra, "rows": rows, "srp_ridge_surrogate_models": surrogate_rows,
            "adjacent_pairs": steps}


def mouse_score_difference(row_a: Dict, row_b: Dict, draws: Dict) -> Optional[Dict]:
    return paired_difference(draws[row_a["model"]]["mouse_score"], draws[row_b["model"]]["mouse_score"],
                             row_a["mouse_score"] or 0.0, row_b["mouse_score"] or 0.0)


def _tie_groups(rows: List[Dict], draws: Dict) -> Dict:
    """Number the tie groups down the ranking (see the module's docstring) and list, per model, the
    models it cannot be told apart from; returns how many adjacent pairs differ significantly."""
    group, significant, tested = 0, 0, 0
    for index, row in enumerate(rows):
        comparable = row["mouse_score"] is not None and draws[row["model"]]["mouse_score"] is not None
        if not comparable:
            row["tie_group"], row["indistinguishable"], row["difference_from_above"] = None, [], None
            continue
        above = rows[index - 1] if index else None
        step = mouse_score_difference(above, row, draws) if above and above.get("tie_group") else None
        row["difference_from_above"] = step
        if step is None or step["significant"]:
            group += 1
        tested += step is not None
        significant += bool(step and step["significant"])
        row["tie_group"] = group
        row["indistinguishable"] = [
            other["model"] for other in rows if other is not row and other["mouse_score"] is not None
            and draws[other["model"]]["mouse_score"] is not None
            and not mouse_score_difference(row, other, draws)["significant"]]
    return {"tested": tested, "significant": significant}


def trained_vs_random(records: List[Record]) -> Dict:
    """Fig. 1: every model X whose random-init variant X-random is also scored, with both area means
    per metric, and per metric how many pairs the trained network wins."""
    models = by_model(records)
    summaries = {model: area_summary(benchmarks) for model, benchmarks in models.items()}
    draws = {model: summary_draws(benchmarks) for model, benchmarks in models.items()}
    pairs = []
    for model in summaries:
        partner = f"{model}-random"
        if partner not in summaries:
            continue
        pair = {"trained": model, "random": partner, "family": model_metadata(models[model]).get("family")}
        for metric in AREA_METRICS:
            pair[metric] = {"trained": summaries[model][metric], "random": summaries[partner][metric]}
            both = None not in pair[metric].values()
            pair.setdefault("difference", {})[metric] = paired_difference(
                draws[model][metric], draws[partner][metric], *pair[metric].values()) if both else None
        pair["surrogate"] = {metric: summaries[model]["surrogate"][metric] or summaries[partner]["surrogate"][metric]
                             for metric in AREA_METRICS}
        pairs.append(pair)
    return {"metrics": {metric: METRIC_LABELS[metric] for metric in AREA_METRICS}, "pairs": pairs,
            "trained_wins": {metric: _wins(pairs, metric) for metric in AREA_METRICS},
            "surrogate": any(pair["surrogate"]["srp_ridge"] for pair in pairs)}


def _wins(pairs: List[Dict], metric: str) -> Dict:
    complete = [pair for pair in pairs if None not in pair[metric].values()]
    differences = [pair["difference"][metric] for pair in complete if pair["difference"][metric]]
    return {"wins": sum(pair[metric]["trained"] > pair[metric]["random"] for pair in complete), "n": len(complete),
            "significant_wins": sum(d["low"] > 0 for d in differences),
            "significant_losses": sum(d["high"] < 0 for d in differences), "with_intervals": len(differences)}


def depth_by_area(records: List[Record]) -> Dict:
    """Fig. 2: per metric and area (in hierarchy order), the relative depth (0 first layer, 1 last) of
    every model's best layer, split into trained, random-init and baseline models, with medians."""
    models = by_model(records)
    metrics = {}
    for metric in AREA_METRICS:
        areas = {area: {name: [] for name in CATEGORIES} for area in HIERARCHY}
        surrogate = False
        for model, benchmarks in models.items():
            kind = category(model_metadata(benchmarks))
            per_area, from_surrogate = area_records(benchmarks, metric)
            surrogate |= from_surrogate
            for area, record in per_area.items():
                depth = number(record.get("best_layer_depth"))
                if depth is not None:
                    areas[area][kind].append({"model": model, "depth": depth})
        metrics[metric] = {"label": METRIC_LABELS[metric], "surrogate": surrogate, "areas": areas,
                           "medians": {area: {name: _median(points) for name, points in groups.items()}
                                       for area, groups in areas.items()}}
    return {"hierarchy": list(HIERARCHY), "categories": list(CATEGORIES), "metrics": metrics,
            "surrogate": any(panel["surrogate"] for panel in metrics.values())}


def _median(points: List[Dict]) -> Optional[float]:
    return statistics.median(point["depth"] for point in points) if points else None


def group_of(metadata: Dict) -> str:
    return metadata.get("task_cluster") or metadata.get("family") or "unknown"


def family_mosaic(records: List[Record]) -> Dict:
    """Fig. 3: models grouped by task cluster (else family) with their area mean per metric, groups
    ordered by median score, and the ceiling band: min..max of the area benchmarks' ceilings."""
    models = by_model(records)
    metrics = {}
    for metric in AREA_METRICS:
        groups: Dict[str, List[Dict]] = defaultdict(list)
        ceilings, surrogate = [], False
        for model, benchmarks in models.items():
            per_area, from_surrogate = area_records(benchmarks, metric)
            ceilings += [number(record.get("ceiling")) for record in per_area.values()]
            score, _ = area_mean(per_area)
            if score is None:
                continue
            surrogate |= from_surrogate
            metadata = model_metadata(benchmarks)
            groups[group_of(metadata)].append({"model": model, "score": score, "category": category(metadata)})
        ceilings = [ceiling for ceiling in ceilings if ceiling is not None]
        ordered = sorted(groups.items(), key=lambda item: best_first(
            statistics.median(point["score"] for point in item[1]), item[0]))
        metrics[metric] = {
            "label": METRIC_LABELS[metric], "surrogate": surrogate,
            "groups": [{"group": name, "median": statistics.median(point["score"] for point in points),
                        "models": sorted(points, key=lambda point: best_first(point["score"], point["model"]))}
                       for name, points in ordered],
            "ceiling": {"low": min(ceilings), "high": max(ceilings)} if ceilings else None}
    return {"metrics": metrics, "surrogate": any(panel["surrogate"] for panel in metrics.values())}


def rsa_vs_srp_ridge(records: List[Record]) -> Dict:
    """§3.8: per model its RSA and SRP-Ridge area means, and their Spearman correlation across the
    models that have both (rho None below 3 models or for constant scores)."""
    models = by_model(records)
    points = []
    for model, benchmarks in models.items():
        summary = area_summary(benchmarks)
        if summary["rsa"] is not None and summary["srp_ridge"] is not None:
            points.append({"model": model, "rsa": summary["rsa"], "srp_ridge": summary["srp_ridge"],
                           "category": category(model_metadata(benchmarks)),
                           "surrogate": summary["surrogate"]["srp_ridge"]})
    rho = p_value = None
    if len(points) >= 3:
        result = spearmanr([point["rsa"] for point in points], [point["srp_ridge"] for point in points])
        rho, p_value = number(result[0]), number(result[1])
    return {"models": points, "spearman": {"rho": rho, "p": p_value, "n": len(points)},
            "surrogate": any(point["surrogate"] for point in points)}


def relative_depths(n_layers: int) -> List[float]:
    return [index / (n_layers - 1) if n_layers > 1 else 0.0 for index in range(n_layers)]


def layer_profiles(benchmarks: ModelRecords) -> Dict:
    """One model's layer profile per metric and area: each layer's relative depth (execution order)
    and value, and the best layer."""
    metrics = {}
    for metric in AREA_METRICS:
        per_area, surrogate = area_records(benchmarks, metric)
        areas = {}
        for area in (area for area in HIERARCHY if area in per_area):
            record = per_area[area]
            profile = record.get("layer_profile") or {}
            areas[area] = {"benchmark": record["benchmark"], "layers": list(profile),
                           "depth": relative_depths(len(profile)),
                           "values": [number(value) for value in profile.values()],
                           "best_layer": record.get("best_layer"),
                           "best_layer_depth": number(record.get("best_layer_depth"))}
        metrics[metric] = {"label": METRIC_LABELS[metric], "surrogate": surrogate, "areas": areas}
    return {"metrics": metrics}


def max_vs_cv(records: List[Record]) -> Dict:
    """How much the Max gains from choosing its layer on the data it reports: per model and metric,
    the mean over the six Allen areas of Max − CV value, against the model's number of layers, with
    the Spearman correlation across models and the least-squares slope per doubling of layers."""
    models = by_model(records)
    metrics = {}
    for metric in AREA_METRICS:
        points = []
        for model, benchmarks in models.items():
            per_area, _ = area_records(benchmarks, metric)
            gaps = [number(r["value"]) - number(r.get("cv_value")) for r in per_area.values()
                    if number(r["value"]) is not None and number(r.get("cv_value")) is not None]
            if len(gaps) == len(AREAS):
                layers = len(next(iter(per_area.values())).get("layer_profile") or {})
                points.append({"model": model, "layers": layers, "gap": statistics.fmean(gaps),
                               "category": category(model_metadata(benchmarks))})
        rho = slope = None
        if len(points) >= 3 and len({p["layers"] for p in points}) > 1:
            rho = number(spearmanr([p["layers"] for p in points], [p["gap"] for p in points])[0])
            slope = number(np.polyfit(np.log2([p["layers"] for p in points]), [p["gap"] for p in points], 1)[0])
        metrics[metric] = {"label": METRIC_LABELS[metric], "points": points,
                           "mean_gap": statistics.fmean(p["gap"] for p in points) if points else None,
                           "spearman_rho": rho, "slope_per_doubling": slope}
    return {"metrics": metrics}


ANALYSES = {"trained-vs-random": trained_vs_random, "depth-by-area": depth_by_area,
            "family-mosaic": family_mosaic, "rsa-vs-srp-ridge": rsa_vs_srp_ridge, "max-vs-cv": max_vs_cv}
