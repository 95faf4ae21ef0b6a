"""The leaderboard's numbers: the overview ranking with its rank intervals and Holm-corrected pairwise
claims, four analyses of Conwell et al. (NeurIPS 2021), and how much the Max owes to choosing its layer
on the data it reports (Max − CV against layer count).

Pure functions over result records (see :mod:`mousescore.results.records`), each returning a
JSON-serialisable dict that :mod:`mousescore.leaderboard.figures` draws and :mod:`mousescore.leaderboard.site`
shows. A missing or NaN value is None, never an exception.

Real recordings only. The surrogate population (``allen_surrogate``) tests the per-neuron pipeline and
never enters the board: :func:`board_records` drops its records before anything is computed.

The headline (see :func:`headline_score`): the paper's mouse score, the mean of "RSA Max" (the mean
over the six Allen areas of ``allen.<area>-rsa``, each at the model's best layer for that area) and
"SRP-Ridge Max" (the same over the real per-neuron ``allen.<area>-srp_ridge``, which exist only where
`mousescore data build allen` was run), once every ranked model has both; until then the ranking is by
RSA Max alone, and the real antolik2016 V1 scores (SRP-Ridge and RSA) are columns of their own. A
model missing an area gets None for that mean (the missing areas are listed), never a mean over fewer.

Uncertainty and claims, on the cross-validated values: the Max chooses its layer on the stimuli it
reports, so it rises with the number of layers by chance (on simulated equal models, the 150-layer
model's Max beats the 1-layer model's in most replicates; see
:mod:`mousescore.scoring.simulated_comparisons`). The ranking is therefore by the headline's CV value
(layer chosen on half the stimuli, reported on the other half, 50 splits), with the Max beside it.
Each model's 95% interval and every paired comparison come from the CV value's stored resamples
(:mod:`mousescore.results.uncertainty`: the delete-one jackknife with the layer chosen again, corrected
for the pair-specific part an RDM correlation has); a mean's evidence is the mean of its parts', resample
by resample. Claims over models (:func:`comparisons`): "A differs from B" only where Holm's step-down
procedure over all pairs of ranked models rejects equality (two-sided normal p-values of the paired
CV differences), and each model's 95% rank interval over normal draws with the resamples' covariance.
Nothing is chained: no tie groups.
"""
from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from scipy.stats import friedmanchisquare, rankdata, spearmanr

from ..results.records import decode_field
from ..results.score import percentile_interval
from ..results.uncertainty import cv_difference, cv_interval, evidence_of, holm, mean_evidence, normal_draws

AREAS = ("VISp", "VISl", "VISal", "VISrl", "VISam", "VISpm")
HIERARCHY = ("VISp", "VISl", "VISrl", "VISal", "VISpm", "VISam")   # Fig. 2's order, lowest first
AREA_METRICS = ("rsa", "srp_ridge")
V1_SCORES = {"v1_srp_ridge": "antolik2016.V1-srp_ridge", "v1_rsa": "antolik2016.V1-rsa"}
SCORES = ("mouse_score",) + AREA_METRICS + tuple(V1_SCORES)
LABELS = {"mouse_score": "Mouse score", "rsa": "RSA Max", "srp_ridge": "SRP-Ridge Max",
          "v1_srp_ridge": "V1 SRP-Ridge (antolik2016)", "v1_rsa": "V1 RSA (antolik2016)"}
METRIC_LABELS = {metric: LABELS[metric] for metric in AREA_METRICS}
METRIC_NAMES = {"rsa": "RSA", "srp_ridge": "SRP-Ridge", "ridge": "ridge", "srp_ridge_gcv": "SRP-Ridge (GCV)",
                "ridge_gcv": "ridge (GCV)"}
HEADLINE_LABELS = {"mouse_score": "Mouse score, CV", "rsa": "RSA, CV"}
CV_LABELS = {score: label.replace(" Max", "") + ", CV" for score, label in LABELS.items()}
SURROGATE_DATASET = "allen_surrogate"
CATEGORIES = ("trained", "random", "baseline")
LEVEL = 0.95                 # of every interval on the board
ALPHA = 0.05                 # family-wise error rate of the pairwise "differs" claims
RANK_DRAWS = 2000            # normal draws behind the rank intervals
RANK_SEED = 0                # fixed: the same records give the same bytes
CV_FIELDS = ("jackknife", "draws", "splits", "pair_sketch")
DEPTH_RESAMPLES = 2000       # bootstrap over models of Fig. 2's medians
DEPTH_SEED = 0               # fixed: the same records give the same bytes

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


def board_records(records: Iterable[Record]) -> List[Record]:
    """The records the board may use: recordings only, the surrogate's left out."""
    return [record for record in records if not is_surrogate(record)]


def by_model(records: Iterable[Record]) -> Dict[str, ModelRecords]:
    models: Dict[str, ModelRecords] = defaultdict(dict)
    for record in board_records(records):
        models[record["model"]][record["benchmark"]] = record
    return {model: dict(sorted(benchmarks.items())) for model, benchmarks in sorted(models.items())}


def model_metadata(benchmarks: ModelRecords) -> Dict:
    return dict(next(iter(benchmarks.values())).get("model_metadata") or {})


def category(metadata: Dict) -> str:
    """'baseline' for the non-network baselines, else 'trained' or 'random' (random init)."""
    if metadata.get("family") == "baseline" or metadata.get("architecture_class") == "non-network":
        return "baseline"
    return "trained" if metadata.get("trained") else "random"


# --- the evidence: one source for every interval and claim --------------------------------------

def cv_evidence(record: Record) -> Optional[Dict]:
    """A record's CV value with the resamples its uncertainty comes from, or None (a record scored
    before 0.4 has a CV value but no resamples)."""
    fields = {}
    for name in CV_FIELDS:
        values = record.get(f"cv_{name}")
        fields[name] = decode_field(f"cv_{name}", values) if isinstance(values, str) else values
    return evidence_of(number(record.get("cv_value")), **fields)


def interval(evidence: Optional[Dict]) -> Optional[List[float]]:
    found = cv_interval(evidence, LEVEL) if evidence is not None else None
    return list(found) if found else None


# --- scores: a mean over named benchmarks --------------------------------------------------------

def score_benchmarks(score: str) -> List[str]:
    """The benchmarks whose mean a score is (the six Allen areas, or one antolik2016 benchmark)."""
    if score in AREA_METRICS:
        return [f"allen.{area}-{score}" for area in AREAS]
    return [V1_SCORES[score]]


def area_records(benchmarks: ModelRecords, metric: str) -> Dict[str, Record]:
    """The model's real per-area records of a metric, by area."""
    return {area: benchmarks[f"allen.{area}-{metric}"] for area in AREAS if f"allen.{area}-{metric}" in benchmarks}


def mean_or_none(values: Iterable[Optional[float]]) -> Optional[float]:
    """The mean, or None where any value is missing."""
    present = list(values)
    found = [value for value in present if value is not None]
    return statistics.fmean(found) if len(found) == len(present) else None


def part_mean(benchmarks: ModelRecords, score: str) -> Tuple[Optional[float], List[str]]:
    """Mean value over the score's benchmarks, or None, with the sites lacking a finite value."""
    names = score_benchmarks(score)
    values = {name: number(benchmarks[name]["value"]) if name in benchmarks else None for name in names}
    missing = [benchmark_parts(name)[1] for name in names if values[name] is None]
    return mean_or_none(values.values()), missing


def part_evidence(benchmarks: ModelRecords, score: str) -> Optional[Dict]:
    """The evidence of the mean CV value over the score's benchmarks (None unless each has it)."""
    return mean_evidence([cv_evidence(benchmarks[name]) if name in benchmarks else None
                          for name in score_benchmarks(score)])


def part_cv(benchmarks: ModelRecords, score: str) -> Optional[float]:
    """Mean of the cross-validated values over the score's benchmarks (None unless all have one)."""
    values = [number(benchmarks[name].get("cv_value")) if name in benchmarks else None
              for name in score_benchmarks(score)]
    return mean_or_none(values)


def model_scores(benchmarks: ModelRecords) -> Dict:
    """A model's scores (the mouse score only with both Allen metrics): Max values, CV values, the CV
    values' evidence and missing sites."""
    values, evidence, cv, missing = {}, {}, {}, {}
    for score in SCORES[1:]:
        values[score], missing[score] = part_mean(benchmarks, score)
        cv[score] = part_cv(benchmarks, score)
        evidence[score] = part_evidence(benchmarks, score) if values[score] is not None else None
    values["mouse_score"] = mean_or_none(values[metric] for metric in AREA_METRICS)
    both_cv = mean_or_none(cv[metric] for metric in AREA_METRICS)
    cv["mouse_score"] = None if values["mouse_score"] is None else both_cv
    parts = [evidence[metric] for metric in AREA_METRICS]
    evidence["mouse_score"] = mean_evidence(parts) if values["mouse_score"] is not None else None
    return {"values": values, "evidence": evidence, "cv": cv, "missing": missing}


def present_scores(scored: Dict[str, Dict]) -> List[str]:
    """The scores at least one model has (the real Allen SRP-Ridge and the mouse score only once built)."""
    return [score for score in SCORES if any(s["values"][score] is not None for s in scored.values())]


def headline_score(scored: Dict[str, Dict]) -> str:
    """The ranking's score: the mouse score once every model with an RSA Max also has a real Allen
    SRP-Ridge Max (so every ranked model is ranked by the same number), else RSA Max."""
    ranked = [s for s in scored.values() if s["values"]["rsa"] is not None]
    if ranked and all(s["values"]["mouse_score"] is not None for s in ranked):
        return "mouse_score"
    return "rsa"


# --- comparisons: rank intervals and Holm-corrected pairwise claims -----------------------------

def ranks_per_draw(draws: np.ndarray) -> np.ndarray:
    """models × draws -> each model's rank in each draw (1 = highest; tied values share the best)."""
    return rankdata(-draws, axis=0, method="min").astype(np.int64)


def rank_intervals(draws: np.ndarray, level: float = LEVEL) -> np.ndarray:
    """models × draws -> models × 2: the central ``level`` interval of each model's rank across the
    draws, widened to whole ranks (lower and higher order statistic)."""
    ranks = ranks_per_draw(draws)
    tail = 100 * (1 - level) / 2
    low = np.percentile(ranks, tail, axis=1, method="lower")
    high = np.percentile(ranks, 100 - tail, axis=1, method="higher")
    return np.stack([low, high], axis=1).astype(np.int64)


def overlapping_pairs(intervals: np.ndarray) -> int:
    """How many pairs of models have rank intervals that share a rank."""
    low, high = intervals[:, 0], intervals[:, 1]
    overlap = (low[:, None] <= high[None, :]) & (low[None, :] <= high[:, None])
    return int(np.triu(overlap, k=1).sum())


def comparisons(names: Sequence[str], evidence: Sequence[Dict], alpha: float = ALPHA) -> Dict:
    """Claims over the models (their CV values' evidence on one plan): rank intervals, and the pairs
    that differ with Holm's correction over all pairs."""
    first, second = np.triu_indices(len(names), k=1)
    compared = [cv_difference(evidence[int(a)], evidence[int(b)], LEVEL) for a, b in zip(first, second)]
    p_values = np.array([c["p"] if c else 1.0 for c in compared])
    differs = holm(p_values, alpha)
    differs_from: Dict[str, List[str]] = {name: [] for name in names}
    for a, b in zip(first[differs], second[differs]):
        differs_from[names[a]].append(names[b])
        differs_from[names[b]].append(names[a])
    draws = normal_draws(list(evidence), RANK_DRAWS, RANK_SEED)
    intervals = rank_intervals(draws) if draws is not None else None
    kinds = Counter("jackknife" if "jackknife" in e else "bootstrap" for e in evidence)
    pairs = len(p_values)
    return {"rank_intervals": ({name: [int(low), int(high)] for name, (low, high) in zip(names, intervals)}
                               if intervals is not None else {}),
            "differs_from": {name: sorted(others) for name, others in differs_from.items()},
            "summary": {"models": len(names), "pairs": pairs, "differ": int(differs.sum()), "alpha": alpha,
                        "unpaired": sum(c is None for c in compared), "resampling": dict(sorted(kinds.items())),
                        "smallest_p": number(p_values.min()) if pairs else None,
                        "first_holm_threshold": alpha / pairs if pairs else None,
                        "rank_draws": RANK_DRAWS if intervals is not None else 0,
                        "overlapping_rank_intervals": overlapping_pairs(intervals) if intervals is not None else None}}


# --- the overview --------------------------------------------------------------------------------

def best_first(value: Optional[float], name: str):
    """Sort key: largest value first, missing values last, ties by name."""
    return (value is None, -(value or 0.0), name)


def overview_row(model: str, benchmarks: ModelRecords, scored: Dict, extra_benchmarks: List[str]) -> Dict:
    metadata = model_metadata(benchmarks)
    return {
        "model": model, "display_name": metadata.get("display_name"), "family": metadata.get("family"),
        "training": metadata.get("training"), "trained": bool(metadata.get("trained")),
        "category": category(metadata), "task_cluster": task_of(metadata),
        "parameters": metadata.get("parameters"), "metadata": metadata, **scored["values"],
        "intervals": {score: interval(evidence) for score, evidence in scored["evidence"].items()},
        "cv": {score: scored["cv"][score] for score in SCORES}, "missing_areas": scored["missing"],
        "benchmarks": {name: number(benchmarks[name]["value"]) if name in benchmarks else None
                       for name in extra_benchmarks},
    }


def overview(records: List[Record]) -> Dict:
    """The ranking by the headline score (see :func:`headline_score`), with each model's scores, their
    intervals, CV values, one column per other benchmark, its rank interval and the models it differs
    from (Holm); best first."""
    models = by_model(records)
    own = set(V1_SCORES.values())
    extra = sorted({name for benchmarks in models.values() for name in benchmarks
                    if benchmark_parts(name)[0] != "allen" and name not in own})
    scored = {model: model_scores(benchmarks) for model, benchmarks in models.items()}
    headline = headline_score(scored)
    rows = [overview_row(model, benchmarks, scored[model], extra) for model, benchmarks in models.items()]
    for row in rows:
        row["headline"] = scored[row["model"]]["cv"][headline]
    rows.sort(key=lambda row: best_first(row["headline"], row["model"]))
    compared = [row["model"] for row in rows if scored[row["model"]]["evidence"][headline] is not None]
    claims = (comparisons(compared, [scored[m]["evidence"][headline] for m in compared])
              if len(compared) > 1 else None)
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank if row["headline"] is not None else None
        row["rank_interval"] = claims["rank_intervals"].get(row["model"]) if claims else None
        row["differs_from"] = claims["differs_from"].get(row["model"]) if claims else None
    return {"areas": list(AREAS), "headline": headline, "headline_label": HEADLINE_LABELS[headline],
            "scores": present_scores(scored), "labels": dict(LABELS), "extra_benchmarks": extra, "rows": rows,
            "comparisons": claims["summary"] if claims else None,
            "without_evidence": sum(row["headline"] is not None for row in rows) - len(compared),
            "surrogate_records_ignored": _surrogates(records)}


def _surrogates(records: List[Record]) -> int:
    return sum(is_surrogate(record) for record in records)


# --- the paper's analyses ------------------------------------------------------------------------

def figure_scores(scored: Dict[str, Dict], candidates: Sequence[str]) -> List[str]:
    """Of ``candidates``, the scores some model has: RSA always, real Allen SRP-Ridge once built."""
    present = present_scores(scored)
    return [score for score in candidates if score == "rsa" or score in present]


def trained_vs_random(records: List[Record]) -> Dict:
    """Fig. 1: every model X whose random-init variant X-random is also scored, per panel (Allen RSA,
    the real Allen SRP-Ridge once built, antolik2016 V1 SRP-Ridge) both CV values and the paired
    interval of trained − random (see :mod:`mousescore.results.uncertainty`), and how many pairs the
    trained network wins. CV values, not the Max: a twin pair has one architecture, but the intervals
    of the Max leave its layer choice out."""
    models = by_model(records)
    scored = {model: model_scores(benchmarks) for model, benchmarks in models.items()}
    panels = figure_scores(scored, ("rsa", "srp_ridge", "v1_srp_ridge"))
    pairs = []
    for model in scored:
        partner = twin_of(model, model_metadata(models[model]))
        if partner not in scored or partner == model:
            continue
        pair: Dict[str, Any] = {"trained": model, "random": partner,
                                "family": model_metadata(models[model]).get("family"), "difference": {}}
        for score in panels:
            trained, random = scored[model]["cv"][score], scored[partner]["cv"][score]
            pair[score] = {"trained": trained, "random": random}
            evidence = scored[model]["evidence"][score], scored[partner]["evidence"][score]
            pair["difference"][score] = cv_difference(*evidence, LEVEL) if None not in evidence else None
        pairs.append(pair)
    return {"metrics": {score: CV_LABELS[score] for score in panels}, "pairs": pairs,
            "trained_wins": {score: _wins(pairs, score) for score in panels}}


def twin_of(model: str, metadata: Dict) -> str:
    """The random-init network a trained one is compared with: its ``twin`` metadata (a network from
    a file, e.g. a TFLite MobileNetV2, whose backbone is registered untrained under its own name), else
    ``<model>-random``."""
    return metadata.get("twin") or f"{model}-random"


def one_backbone_tasks(records: List[Record]) -> Dict:
    """One backbone, different tasks: the trained networks that share one random-init twin (of the
    twins, the one whose trained networks span the most tasks), each against that twin and against the
    group's first classifier, per score (Allen RSA, real Allen SRP-Ridge once built, antolik2016 V1
    SRP-Ridge and RSA): CV values, paired differences with their 95% intervals, and "differs" by Holm's
    procedure over each panel's comparisons. Empty (with the reason) where no twin has trained networks
    of two tasks."""
    models = by_model(records)
    scored = {model: model_scores(benchmarks) for model, benchmarks in models.items()}
    groups: Dict[str, List[str]] = defaultdict(list)
    for model, benchmarks in models.items():
        metadata = model_metadata(benchmarks)
        if metadata.get("trained") and twin_of(model, metadata) in scored:
            groups[twin_of(model, metadata)].append(model)
    tasks = {model: task_label(model_metadata(models[model])) for members in groups.values() for model in members}
    spans = {twin: (len({tasks[m] for m in members}), len(members)) for twin, members in groups.items()}
    if not spans or max(spans.values())[0] < 2:
        return {"twin": None, "networks": [], "metrics": {},
                "reason": "no random-init network has trained twins of two different tasks on the board"}
    twin = max(sorted(spans), key=lambda name: spans[name])
    members = sorted(groups[twin], key=lambda m: (tasks[m] != "classification", m))
    reference = members[0]
    panels = figure_scores(scored, ("rsa", "srp_ridge", "v1_srp_ridge", "v1_rsa"))
    networks = []
    for model in members:
        metadata = model_metadata(models[model])
        entry: Dict[str, Any] = {"model": model, "task": tasks[model], "training_data": metadata.get("training_data"),
                 "framework": metadata.get("framework") or metadata.get("family"),
                 "quantization": metadata.get("quantization") or "float32", "cv": {}, "vs_random": {},
                 "vs_reference": {}}
        for score in panels:
            entry["cv"][score] = scored[model]["cv"][score]
            entry["vs_random"][score] = _paired(scored, model, twin, score)
            entry["vs_reference"][score] = _paired(scored, model, reference, score) if model != reference else None
        networks.append(entry)
    for score in panels:      # Holm over each panel's comparisons: against the twin and against the reference
        compared = [(entry, kind) for entry in networks for kind in ("vs_random", "vs_reference")
                    if entry[kind][score]]
        rejected = holm([entry[kind][score]["p"] for entry, kind in compared], ALPHA) if compared else []
        for (entry, kind), differs in zip(compared, rejected):
            entry[kind][score]["differs"] = bool(differs)
    return {"twin": twin, "reference": reference, "networks": networks,
            "random_cv": {score: scored[twin]["cv"][score] for score in panels},
            "metrics": {score: CV_LABELS[score] for score in panels}}


def task_label(metadata: Dict) -> str:
    """What a trained network was trained for: its ``task``, else its ``training``."""
    task = metadata.get("task") or metadata.get("training") or "unknown"
    return "classification" if "imagenet" in task.lower() and "supervised" in task.lower() else task


def _paired(scored: Dict[str, Dict], model: str, other: str, score: str) -> Optional[Dict]:
    evidence = scored[model]["evidence"][score], scored[other]["evidence"][score]
    return cv_difference(*evidence, LEVEL) if None not in evidence else None


def _wins(pairs: List[Dict], metric: str) -> Dict:
    complete = [pair for pair in pairs if None not in pair[metric].values()]
    differences = [pair["difference"][metric] for pair in complete if pair["difference"][metric]]
    return {"wins": sum(pair[metric]["trained"] > pair[metric]["random"] for pair in complete), "n": len(complete),
            "significant_wins": sum(d["low"] > 0 for d in differences),
            "significant_losses": sum(d["high"] < 0 for d in differences), "with_intervals": len(differences)}


def friedman(depths: Sequence[Sequence[float]]) -> Dict:
    """The paper's §3.7 test: Friedman's chi-square across areas (columns) with the models as blocks
    (rows), Kendall's W = chi2 / (n (k − 1)) and p; None below 2 models."""
    table = np.asarray(depths, dtype=np.float64)
    n, k = table.shape if table.ndim == 2 else (0, len(AREAS))
    if n < 2 or np.all(table == table[:, :1]):   # no block ranks anything: the statistic is undefined
        return {"chi2": None, "w": None, "p": None, "n": n, "k": k}
    chi2, p = friedmanchisquare(*table.T)
    return {"chi2": float(chi2), "w": float(chi2 / (n * (k - 1))), "p": float(p), "n": n, "k": k}


def median_interval(depths: Sequence[float], rng: np.random.Generator) -> Optional[List[float]]:
    """The 95% percentile interval of the median over a bootstrap of the models (None below 2)."""
    if len(depths) < 2:
        return None
    values = np.asarray(depths, dtype=np.float64)
    medians = np.median(values[rng.integers(0, len(values), (DEPTH_RESAMPLES, len(values)))], axis=1)
    found = percentile_interval(medians, LEVEL)
    return list(found) if found else None


def depth_by_area(records: List[Record]) -> Dict:
    """Fig. 2: per metric and area (in hierarchy order), the relative depth (0 first layer, 1 last) of
    every model's best layer, split into trained, random-init and baseline models, with medians and
    their 95% bootstrap intervals over models; and the Friedman test across the six areas over the
    models that have all six (models as blocks, as the paper's §3.7)."""
    models = by_model(records)
    scored = {model: model_scores(benchmarks) for model, benchmarks in models.items()}
    rng = np.random.default_rng(DEPTH_SEED)
    metrics = {}
    for metric in figure_scores(scored, AREA_METRICS):
        areas: Dict[str, Dict[str, List[Dict]]] = {area: {name: [] for name in CATEGORIES} for area in HIERARCHY}
        blocks = []
        for model, benchmarks in models.items():
            kind = category(model_metadata(benchmarks))
            depths = {area: number(record.get("best_layer_depth"))
                      for area, record in area_records(benchmarks, metric).items()}
            for area in HIERARCHY:
                if depths.get(area) is not None:
                    areas[area][kind].append({"model": model, "depth": depths[area]})
            block = [depth for depth in (depths.get(area) for area in HIERARCHY) if depth is not None]
            if len(block) == len(HIERARCHY):
                blocks.append(block)
        medians = {area: {name: _median(points) for name, points in groups.items()} for area, groups in areas.items()}
        intervals = {area: {name: median_interval([p["depth"] for p in points], rng) for name, points in groups.items()}
                     for area, groups in areas.items()}
        metrics[metric] = {"label": LABELS[metric], "areas": areas, "medians": medians,
                           "median_intervals": intervals, "friedman": friedman(blocks)}
    return {"hierarchy": list(HIERARCHY), "categories": list(CATEGORIES), "metrics": metrics}


def _median(points: List[Dict]) -> Optional[float]:
    return statistics.median(point["depth"] for point in points) if points else None


RANDOM_GROUP = "random init"
BASELINE_GROUP = "baseline"


def task_of(metadata: Dict) -> Optional[str]:
    """The task cluster a network was trained for; None for random-init networks and baselines, which
    were trained for no task (a random-init copy carries its trained twin's metadata)."""
    return metadata.get("task_cluster") if category(metadata) == "trained" else None


def group_of(metadata: Dict) -> str:
    """Fig. 3's group: a trained network's task cluster (else its family); all random-init networks
    together, all baselines together."""
    kind = category(metadata)
    if kind == "random":
        return RANDOM_GROUP
    if kind == "baseline":
        return BASELINE_GROUP
    return task_of(metadata) or metadata.get("family") or "unknown"


def family_mosaic(records: List[Record]) -> Dict:
    """Fig. 3: models grouped by the task a network was trained for (its task cluster, else its family;
    random-init networks and baselines each a group of their own, see :func:`group_of`) with their area
    mean per metric, groups ordered by median score, and the ceiling band: min..max of the area
    benchmarks' ceilings."""
    models = by_model(records)
    scored = {model: model_scores(benchmarks) for model, benchmarks in models.items()}
    metrics = {}
    for metric in figure_scores(scored, AREA_METRICS):
        groups: Dict[str, List[Dict]] = defaultdict(list)
        ceilings: List[float] = []
        for model, benchmarks in models.items():
            ceilings += [ceiling for ceiling in (number(record.get("ceiling"))
                                                 for record in area_records(benchmarks, metric).values())
                         if ceiling is not None]
            score = scored[model]["values"][metric]
            if score is None:
                continue
            metadata = model_metadata(benchmarks)
            groups[group_of(metadata)].append({"model": model, "score": score, "category": category(metadata)})
        ordered = sorted(groups.items(), key=lambda item: best_first(
            statistics.median(point["score"] for point in item[1]), item[0]))
        metrics[metric] = {
            "label": LABELS[metric],
            "groups": [{"group": name, "median": statistics.median(point["score"] for point in points),
                        "models": sorted(points, key=lambda point: best_first(point["score"], point["model"]))}
                       for name, points in ordered],
            "ceiling": {"low": min(ceilings), "high": max(ceilings)} if ceilings else None}
    return {"metrics": metrics}


def rsa_vs_srp_ridge(records: List[Record]) -> Dict:
    """§3.8: per model its RSA and SRP-Ridge scores and their Spearman correlation across the models
    that have both (rho None below 3 models or for constant scores): the Allen area means once the
    real Allen SRP-Ridge benchmarks are built, until then the real antolik2016 V1 pair (same neurons)."""
    models = by_model(records)
    scored = {model: model_scores(benchmarks) for model, benchmarks in models.items()}
    allen = "srp_ridge" in present_scores(scored)
    x, y = ("rsa", "srp_ridge") if allen else ("v1_rsa", "v1_srp_ridge")
    points = []
    for model, benchmarks in models.items():
        values = scored[model]["values"]
        if values[x] is not None and values[y] is not None:
            points.append({"model": model, "rsa": values[x], "srp_ridge": values[y],
                           "category": category(model_metadata(benchmarks))})
    rho = p_value = None
    if len(points) >= 3:
        result = spearmanr([point["rsa"] for point in points], [point["srp_ridge"] for point in points])
        rho, p_value = number(result[0]), number(result[1])
    return {"source": "allen" if allen else "antolik2016.V1", "labels": {"rsa": LABELS[x], "srp_ridge": LABELS[y]},
            "models": points, "spearman": {"rho": rho, "p": p_value, "n": len(points)}}


def relative_depths(n_layers: int) -> List[float]:
    return [index / (n_layers - 1) if n_layers > 1 else 0.0 for index in range(n_layers)]


def max_vs_cv(records: List[Record]) -> Dict:
    """How much the Max gains from choosing its layer on the data it reports: per model and score
    (Allen RSA, real Allen SRP-Ridge once built, antolik2016 V1 SRP-Ridge), the mean over the score's
    benchmarks of Max − CV value, against the model's number of layers, with the Spearman correlation
    across models and the least-squares slope per doubling of layers."""
    models = by_model(records)
    scored = {model: model_scores(benchmarks) for model, benchmarks in models.items()}
    metrics = {}
    for score in figure_scores(scored, ("rsa", "srp_ridge", "v1_srp_ridge")):
        points = []
        for model, benchmarks in models.items():
            value, cv = scored[model]["values"][score], scored[model]["cv"][score]
            if value is not None and cv is not None:
                first = benchmarks[score_benchmarks(score)[0]]
                points.append({"model": model, "layers": len(first.get("layer_profile") or {}), "gap": value - cv,
                               "category": category(model_metadata(benchmarks))})
        rho = slope = None
        if len(points) >= 3 and len({p["layers"] for p in points}) > 1:
            rho = number(spearmanr([p["layers"] for p in points], [p["gap"] for p in points])[0])
            slope = number(np.polyfit(np.log2([p["layers"] for p in points]), [p["gap"] for p in points], 1)[0])
        metrics[score] = {"label": LABELS[score], "points": points,
                          "mean_gap": statistics.fmean(p["gap"] for p in points) if points else None,
                          "spearman_rho": rho, "slope_per_doubling": slope}
    return {"metrics": metrics}


# --- one benchmark, one model --------------------------------------------------------------------

def benchmark_ranking(records: Sequence[Record]) -> List[Dict]:
    """One benchmark's models, best CV value first (missing last): CV value with its 95% interval, the
    Max with its error, ceiling, ceiled value, best layer and depth, units, references."""
    rows = []
    for record in records:
        metadata = record.get("model_metadata") or {}
        rows.append({"model": record["model"], "cv_value": number(record.get("cv_value")),
                     "interval": interval(cv_evidence(record)), "value": number(record.get("value")),
                     "error": number(record.get("error")), "ceiling": number(record.get("ceiling")),
                     "ceiled_value": number(record.get("ceiled_value")), "best_layer": record.get("best_layer"),
                     "best_layer_depth": number(record.get("best_layer_depth")), "n_units": record.get("n_units"),
                     "n_excluded": record.get("n_excluded") or 0, "category": category(metadata),
                     "references": {k: number(v) for k, v in (record.get("references") or {}).items()}})
    rows.sort(key=lambda row: best_first(row["cv_value"], row["model"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank if row["cv_value"] is not None else None
    return rows


def profile_benchmarks(benchmarks: ModelRecords) -> List[str]:
    """The benchmarks a model page draws a layer profile for: each Allen area per metric (hierarchy
    order), then every other dataset's whole-site benchmark of the paper's metrics (its sub-sites and
    the scale-free and full-ridge variants stay in the tables)."""
    names = [f"allen.{area}-{metric}" for metric in AREA_METRICS for area in HIERARCHY
             if f"allen.{area}-{metric}" in benchmarks]
    names += [name for name in benchmarks if benchmark_parts(name)[0] != "allen"
              and "_" not in benchmark_parts(name)[1] and benchmark_parts(name)[2] in AREA_METRICS]
    return names


def site_ceilings(benchmarks: ModelRecords, benchmark: str) -> List[float]:
    """The ceilings of a benchmark and of its sub-sites (``<site>_<part>``, same dataset and metric):
    an Allen area's layers, antolik2016 V1's two regions."""
    dataset, site, metric = benchmark_parts(benchmark)
    found = [number(record.get("ceiling")) for name, record in benchmarks.items()
             if benchmark_parts(name)[0] == dataset and benchmark_parts(name)[2] == metric
             and (benchmark_parts(name)[1] == site or benchmark_parts(name)[1].startswith(site + "_"))]
    return [ceiling for ceiling in found if ceiling is not None]


def chosen_layer_interval(record: Record) -> Tuple[Optional[List[float]], str]:
    """The 95% interval of the value at the chosen layer: the percentile interval of its bootstrap
    draws, else value ± 1.96 × its error (with how it was made)."""
    found = percentile_interval(record.get("draws") or [], LEVEL)
    if found:
        return list(found), "percentile interval of the bootstrap draws"
    value, error = number(record.get("value")), number(record.get("error"))
    if value is None or error is None:
        return None, ""
    return [value - 1.96 * error, value + 1.96 * error], "value ± 1.96 × error"


def profile_panels(benchmarks: ModelRecords) -> List[Dict]:
    """What a model page draws per benchmark of :func:`profile_benchmarks`: the profile over relative
    depth, the chosen layer with its interval, the benchmark's ceiling and the band of its sites'."""
    panels = []
    for name in profile_benchmarks(benchmarks):
        record = benchmarks[name]
        profile = record.get("layer_profile") or {}
        layers = list(profile)
        dataset, site, metric = benchmark_parts(name)
        ceilings = site_ceilings(benchmarks, name)
        found, kind = chosen_layer_interval(record)
        panels.append({"benchmark": name, "label": f"{site} · {METRIC_NAMES.get(metric, metric)}"
                       + ("" if dataset == "allen" else f" ({dataset})"),
                       "layers": layers, "depth": relative_depths(len(layers)),
                       "values": [number(value) for value in profile.values()],
                       "best": layers.index(record["best_layer"]) if record.get("best_layer") in profile else None,
                       "best_layer": record.get("best_layer"), "interval": found, "interval_kind": kind,
                       "ceiling": number(record.get("ceiling")),
                       "band": [min(ceilings), max(ceilings)] if ceilings else None})
    return panels


ANALYSES = {"trained-vs-random": trained_vs_random, "one-backbone-tasks": one_backbone_tasks,
            "depth-by-area": depth_by_area, "family-mosaic": family_mosaic, "rsa-vs-srp-ridge": rsa_vs_srp_ridge,
            "max-vs-cv": max_vs_cv}
