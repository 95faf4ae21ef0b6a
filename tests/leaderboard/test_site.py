"""The leaderboard's numbers: the overview, its claims and the paper's analyses (the site: test_pages.py),
and the synthetic records the leaderboard tests share."""
import json
import math
import statistics

import numpy as np
import pytest
from scipy.stats import chi2 as chi2_distribution
from scipy.stats import friedmanchisquare, spearmanr

from mousescore.leaderboard import analyses
from mousescore.results.records import make_record
from mousescore.results.score import Score

AREAS = analyses.AREAS
LAYERS = ["conv1", "conv2", "conv3", "fc6", "fc7"]
AREA_OFFSETS = (0.05, 0.03, 0.01, -0.01, -0.03, -0.05)   # per area, in AREAS order; they sum to 0

BASELINE = {"family": "baseline", "architecture_class": "non-network", "trained": False,
            "training": "none (fixed filters)", "parameters": 0}
MODELS = {   # name -> (metadata, RSA area mean, SRP-Ridge area mean, best layer index)
    "alexnet": ({"family": "torchvision", "architecture_class": "convolutional", "trained": True,
                 "training": "ImageNet-1k supervised", "display_name": "AlexNet", "parameters": 61_100_840},
                0.25, 0.30, 3),
    "alexnet-random": ({"family": "torchvision", "architecture_class": "convolutional", "trained": False,
                        "training": "random init", "parameters": 61_100_840}, 0.15, 0.22, 1),
    "gabor": (BASELINE, 0.10, 0.12, 0),
    "taskonomy_depth": ({"family": "taskonomy", "architecture_class": "convolutional", "trained": True,
                         "training": "Taskonomy: depth", "task_cluster": "3D", "parameters": 23_655_504},
                        0.18, 0.31, 4),
    "resnet18": ({"family": "torchvision", "architecture_class": "convolutional", "trained": True,
                  "training": "ImageNet-1k supervised", "parameters": 11_689_512}, 0.28, 0.35, 2),
}
RSA_CEILINGS = dict(zip(AREAS, (0.60, 0.55, 0.50, 0.45, 0.40, 0.35)))
SRP_CEILING = 0.70
COWLEY = {"alexnet": 0.40, "alexnet-random": 0.30, "gabor": 0.20}
V1_SRP = {"alexnet": 0.20, "alexnet-random": 0.24, "gabor": 0.05, "taskonomy_depth": 0.15, "resnet18": 0.22}
V1_RSA = {"alexnet": 0.30, "alexnet-random": 0.26, "gabor": 0.10, "taskonomy_depth": 0.20, "resnet18": 0.25}
RANKING = ["alexnet", "taskonomy_depth", "alexnet-random", "gabor", "resnet18"]   # by RSA CV; resnet18 has none


def synthetic_record(model, metadata, benchmark, value, ceiling, best_index, references=None, **overrides):
    """A record as `mousescore results export` writes it: a peaked layer profile whose maximum is
    ``value`` at layer ``best_index``."""
    dataset, site, metric = analyses.benchmark_parts(benchmark)
    profile = {layer: round(value - 0.04 * abs(index - best_index), 6) for index, layer in enumerate(LAYERS)}
    fields = dict(model=model, benchmark=benchmark, value=value, error=0.01, error_kind="bootstrap over stimuli",
                  ceiling=ceiling, ceiling_kind="split-half reliability", ceiled_value=value / ceiling,
                  best_layer=LAYERS[best_index], best_layer_depth=best_index / (len(LAYERS) - 1),
                  layer_profile=profile, n_units=50, n_excluded=0, references=references or {},
                  provenance={"mousescore_version": "0.1.0", "time": f"2025-01-01T00:00:00 {benchmark}",
                              "metric_options": {"metric": metric}})
    fields.update(overrides)
    benchmark_metadata = {"dataset": dataset, "site": site, "metric": metric}
    return make_record(Score(**fields), metadata, benchmark_metadata)


def synthetic_draws(model, benchmark, value, private_sd=0.003):
    """200 bootstrap draws as common random numbers make them: a benchmark's shared resampling
    noise (the same for every model) plus a little of the model's own."""
    import zlib
    common = np.random.default_rng(zlib.crc32(benchmark.encode())).normal(0, 0.03, 200)
    private = np.random.default_rng(zlib.crc32(f"{model} {benchmark}".encode())).normal(0, private_sd, 200)
    return list(value + common + private)


def area_value(mean, area):
    return round(mean + AREA_OFFSETS[AREAS.index(area)], 6)


def synthetic_jackknife(model, benchmark, value, private_sd=0.0005):
    """A delete-one jackknife of a CV value over 50 stimuli as the same plan makes it for every model:
    a benchmark's shared deviations (left-out stimuli move every model alike) plus the model's own."""
    import zlib
    common = np.random.default_rng(zlib.crc32(benchmark.encode())).normal(0, 0.002, 50)
    private = np.random.default_rng(zlib.crc32(f"{model} {benchmark} jackknife".encode())).normal(0, private_sd, 50)
    return list(value + common + private)


def drawn_record(model, metadata, benchmark, value, ceiling, best, references=None):
    return synthetic_record(model, metadata, benchmark, value, ceiling, best, references,
                            draws=synthetic_draws(model, benchmark, value), cv_value=value - 0.02,
                            cv_jackknife=synthetic_jackknife(model, benchmark, value - 0.02))


def synthetic_records(skip=()):
    """5 models (a trained/random pair, a baseline, a taskonomy model, resnet18 without VISam RSA) on
    the six Allen areas (real RSA; SRP-Ridge only from the synthetic surrogate, which the board must
    leave out), antolik2016 V1 (SRP-Ridge and RSA) and cowley2023 V4; ``skip``: (model, benchmark)."""
    records = []
    surrogate_references = {"intermouse": 0.40, "intermouse_ci95_low": 0.35, "intermouse_ci95_high": 0.45,
                            "surrogate_vs_real_similarity_r": 0.90}
    for model, (metadata, rsa, srp, best) in MODELS.items():
        for area in AREAS:
            records.append(drawn_record(model, metadata, f"allen.{area}-rsa", area_value(rsa, area),
                                        RSA_CEILINGS[area], best))
            records.append(drawn_record(model, metadata, f"allen_surrogate.{area}-srp_ridge", area_value(srp, area),
                                        SRP_CEILING, best, surrogate_references))
        records.append(drawn_record(model, metadata, "antolik2016.V1-srp_ridge", V1_SRP[model], 0.6, best))
        records.append(drawn_record(model, metadata, "antolik2016.V1-rsa", V1_RSA[model], 0.5, best))
        if model in COWLEY:
            records.append(synthetic_record(model, metadata, "cowley2023.V4-srp_ridge", COWLEY[model], 0.8, best))
    skip = set(skip) | {("resnet18", "allen.VISam-rsa")}
    return [record for record in records if (record["model"], record["benchmark"]) not in skip]


def real_allen_srp_ridge(models=MODELS):
    """Real per-neuron Allen SRP-Ridge records (as `mousescore data build allen` makes possible) at
    each model's surrogate value + 0.1."""
    return [drawn_record(model, MODELS[model][0], f"allen.{area}-srp_ridge", area_value(MODELS[model][2] + 0.1, area),
                         SRP_CEILING, MODELS[model][3]) for model in models for area in AREAS]


def replaced(records, model, benchmark, **changes):
    """The records with one record's fields changed."""
    return [dict(record, **changes) if (record["model"], record["benchmark"]) == (model, benchmark) else record
            for record in records]


def row_of(overview, model):
    return next(row for row in overview["rows"] if row["model"] == model)


# --- overview: real data only, the headline ------------------------------------------------------

def test_overview_ranks_by_rsa_max_with_the_v1_scores_as_their_own_columns():
    overview = analyses.overview(synthetic_records())
    assert overview["headline"] == "rsa" and overview["headline_label"] == "RSA, CV"
    assert overview["scores"] == ["rsa", "v1_srp_ridge", "v1_rsa"]   # no SRP-Ridge Max, no mouse score
    alexnet = row_of(overview, "alexnet")
    assert alexnet["rsa"] == pytest.approx((0.30 + 0.28 + 0.26 + 0.24 + 0.22 + 0.20) / 6)
    assert alexnet["headline"] == pytest.approx(0.23)     # the CV value, Max − 0.02 in these records
    assert alexnet["srp_ridge"] is None and alexnet["mouse_score"] is None
    assert alexnet["v1_srp_ridge"] == pytest.approx(0.20) and alexnet["v1_rsa"] == pytest.approx(0.30)
    assert alexnet["cv"]["rsa"] == pytest.approx(0.23) and alexnet["cv"]["v1_srp_ridge"] == pytest.approx(0.18)
    assert alexnet["benchmarks"] == {"cowley2023.V4-srp_ridge": pytest.approx(0.40)}
    assert overview["extra_benchmarks"] == ["cowley2023.V4-srp_ridge"]
    taskonomy = row_of(overview, "taskonomy_depth")
    assert taskonomy["benchmarks"] == {"cowley2023.V4-srp_ridge": None}
    assert (taskonomy["task_cluster"], taskonomy["family"], taskonomy["trained"]) == ("3D", "taskonomy", True)
    assert row_of(overview, "gabor")["category"] == "baseline"
    assert [row["model"] for row in overview["rows"]] == RANKING
    assert [row["rank"] for row in overview["rows"]] == [1, 2, 3, 4, None]


def test_no_surrogate_number_reaches_the_overview_or_any_analysis():
    records = synthetic_records()
    overview = analyses.overview(records)
    assert overview["surrogate_records_ignored"] == 5 * 6
    assert "surrogate" not in json.dumps([overview["rows"], overview["scores"], overview["extra_benchmarks"]])
    for name, analysis in analyses.ANALYSES.items():
        assert "surrogate" not in json.dumps(analysis(records)), name
    assert analyses.by_model(records)["alexnet"].keys().isdisjoint(
        {r["benchmark"] for r in records if r["benchmark"].startswith("allen_surrogate.")})


def test_a_model_missing_an_area_has_no_mean_and_no_rank():
    resnet = row_of(analyses.overview(synthetic_records()), "resnet18")
    assert resnet["rsa"] is None and resnet["headline"] is None and resnet["rank"] is None
    assert resnet["missing_areas"]["rsa"] == ["VISam"]
    assert resnet["rank_interval"] is None and resnet["differs_from"] is None
    assert resnet["v1_srp_ridge"] == pytest.approx(0.22)


def test_the_mouse_score_appears_with_real_allen_srp_ridge_and_heads_the_ranking_once_all_have_it():
    records = synthetic_records() + real_allen_srp_ridge()
    partial = analyses.overview(synthetic_records() + real_allen_srp_ridge(["alexnet"]))
    assert partial["headline"] == "rsa"   # other ranked models lack real SRP-Ridge
    assert partial["scores"] == ["mouse_score", "rsa", "srp_ridge", "v1_srp_ridge", "v1_rsa"]
    assert row_of(partial, "alexnet")["srp_ridge"] == pytest.approx(0.40)
    assert row_of(partial, "alexnet")["mouse_score"] == pytest.approx((0.25 + 0.40) / 2)
    assert row_of(partial, "gabor")["mouse_score"] is None
    full = analyses.overview(records)
    assert full["headline"] == "mouse_score"
    expected = {model: (rsa + srp + 0.1) / 2 - 0.02 for model, (_, rsa, srp, _) in MODELS.items()
                if model != "resnet18"}
    headlines = {row["model"]: row["headline"] for row in full["rows"] if row["headline"] is not None}
    assert headlines == pytest.approx(expected)
    assert [row["model"] for row in full["rows"]] == sorted(expected, key=lambda m: -expected[m]) + ["resnet18"]
    assert full["comparisons"]["pairs"] == 6 and full["headline_label"] == "Mouse score, CV"


def test_layer_sites_stay_out_of_the_area_means():
    metadata = MODELS["alexnet"][0]
    others = [synthetic_record("alexnet", metadata, "allen.VISp_layer23-rsa", 0.9, 0.6, 1),
              synthetic_record("alexnet", metadata, "allen_surrogate.VISp-rsa", 0.9, 0.6, 1)]
    overview = analyses.overview(synthetic_records() + others)
    assert row_of(overview, "alexnet")["rsa"] == pytest.approx(0.25)
    assert overview["extra_benchmarks"] == ["cowley2023.V4-srp_ridge"]


def test_nan_values_are_missing_not_errors():
    records = replaced(synthetic_records(), "gabor", "allen.VISp-rsa", value=None)
    gabor = row_of(analyses.overview(records), "gabor")
    assert gabor["rsa"] is None and gabor["missing_areas"]["rsa"] == ["VISp"]


# --- the board's claims: CV values, rank intervals and Holm ----------------------------------------

def plain_rank_interval(draws, model):
    """The model's ranks (1 = highest, ties share the best) in each draw, then the 2.5% lower and the
    97.5% higher order statistic, by loops."""
    ranks = sorted(1 + sum(other[d] > draws[model][d] for other in draws) for d in range(len(draws[0])))
    n = len(ranks)
    return [ranks[math.floor(0.025 * (n - 1))], ranks[math.ceil(0.975 * (n - 1))]]


def test_rank_intervals_equal_a_plain_loop():
    rng = np.random.default_rng(5)
    draws = rng.normal(0, 0.02, (7, 200)) + np.linspace(0.3, 0.25, 7)[:, None]
    draws[2, :50] = draws[3, :50]   # ties in some draws
    intervals = analyses.rank_intervals(draws)
    assert [list(interval) for interval in intervals] == [plain_rank_interval(draws, m) for m in range(7)]


def jackknife_evidence(values, rng, shared_sd=0.002, own_sd=0.0005, n=50):
    """Evidence of CV values on one plan of ``n`` stimuli: shared and own jackknife deviations."""
    shared = rng.normal(0, shared_sd, n)
    return [{"value": v, "jackknife": list(v + shared + rng.normal(0, own_sd, n))} for v in values]


def test_claims_with_a_known_answer():
    rng = np.random.default_rng(11)
    names = [f"m{i}" for i in range(5)]
    apart = analyses.comparisons(names, jackknife_evidence([0.5, 0.4, 0.3, 0.2, 0.1], rng))
    assert apart["rank_intervals"] == {f"m{i}": [i + 1, i + 1] for i in range(5)}
    assert apart["summary"]["differ"] == 10 and apart["summary"]["overlapping_rank_intervals"] == 0
    assert apart["differs_from"]["m0"] == ["m1", "m2", "m3", "m4"]
    equal = analyses.comparisons(names, jackknife_evidence([0.3] * 5, rng))
    assert equal["summary"]["differ"] == 0 and equal["summary"]["overlapping_rank_intervals"] == 10
    assert equal["summary"]["resampling"] == {"jackknife": 5}


def test_the_overview_ranks_by_the_cv_value_and_claims_from_its_jackknife():
    records = synthetic_records()
    overview = analyses.overview(records)
    ranked = RANKING[:4]
    rsa = [f"allen.{area}-rsa" for area in AREAS]
    jackknife = {m: np.mean([next(r["cv_jackknife"] for r in records if (r["model"], r["benchmark"]) == (m, b))
                             for b in rsa], axis=0) for m in ranked}
    cv = {m: statistics.fmean(next(r["cv_value"] for r in records if (r["model"], r["benchmark"]) == (m, b))
                              for b in rsa) for m in ranked}
    for row in overview["rows"][:4]:
        error = math.sqrt(plain_jackknife_variance(jackknife[row["model"]]))
        assert row["headline"] == pytest.approx(cv[row["model"]])
        assert row["intervals"]["rsa"] == pytest.approx([cv[row["model"]] - 1.959964 * error,
                                                         cv[row["model"]] + 1.959964 * error])
    pairs = [(a, b) for i, a in enumerate(ranked) for b in ranked[i + 1:]]
    p_values = [2 * norm_sf(abs(cv[a] - cv[b]) / math.sqrt(plain_jackknife_variance(jackknife[a] - jackknife[b])))
                for a, b in pairs]
    claimed = [p <= 0.05 / 6 for p in p_values]     # each p is far below every Holm threshold here
    assert all(claimed)
    assert {row["model"]: set(row["differs_from"]) for row in overview["rows"][:4]} == {
        model: {b if a == model else a for a, b in pairs if model in (a, b)} for model in ranked}
    assert [row["rank_interval"] for row in overview["rows"][:4]] == [[1, 1], [2, 2], [3, 3], [4, 4]]
    assert overview["comparisons"]["pairs"] == 6 and overview["without_evidence"] == 0


def plain_jackknife_variance(values):
    values = np.asarray(values)
    return (len(values) - 1) / len(values) * float(((values - values.mean()) ** 2).sum())


def norm_sf(z):
    return 0.5 * math.erfc(z / math.sqrt(2))


def records_with_a_tie():
    """The synthetic records with a wide jackknife of taskonomy_depth's own: it cannot be told apart
    from its neighbours."""
    records = synthetic_records()
    for area in AREAS:
        benchmark = f"allen.{area}-rsa"
        record = next(r for r in records if (r["model"], r["benchmark"]) == ("taskonomy_depth", benchmark))
        record["cv_jackknife"] = synthetic_jackknife("taskonomy_depth", benchmark, record["cv_value"], private_sd=0.03)
    return records


def test_a_wide_model_is_told_apart_from_no_neighbour_and_its_rank_interval_spans_them():
    overview = analyses.overview(records_with_a_tie())
    taskonomy = row_of(overview, "taskonomy_depth")
    assert taskonomy["differs_from"] == [] and taskonomy["rank_interval"][0] == 1 and taskonomy["rank_interval"][1] >= 3
    assert row_of(overview, "alexnet")["differs_from"] == ["alexnet-random", "gabor"]


def test_a_model_scored_before_0_4_is_ranked_by_its_cv_value_without_interval_or_claims():
    records = [dict(r, cv_jackknife=[]) if r["model"] == "gabor" else r for r in synthetic_records()]
    overview = analyses.overview(records)
    gabor = row_of(overview, "gabor")
    assert gabor["intervals"]["rsa"] is None and gabor["rank_interval"] is None and gabor["rank"] == 4
    assert gabor["differs_from"] is None and overview["without_evidence"] == 1
    assert overview["comparisons"]["pairs"] == 3


# --- the paper's analyses ------------------------------------------------------------------------

def test_rsa_vs_srp_ridge_uses_the_real_v1_pair_until_allen_srp_ridge_is_built():
    data = analyses.rsa_vs_srp_ridge(synthetic_records())
    assert data["source"] == "antolik2016.V1"
    models = {point["model"]: point for point in data["models"]}
    assert sorted(models) == sorted(MODELS)
    expected = spearmanr([V1_RSA[m] for m in sorted(MODELS)], [V1_SRP[m] for m in sorted(MODELS)])
    assert data["spearman"]["rho"] == pytest.approx(expected[0]) and data["spearman"]["p"] == pytest.approx(expected[1])
    assert data["spearman"]["n"] == 5
    allen = analyses.rsa_vs_srp_ridge(synthetic_records() + real_allen_srp_ridge())
    assert allen["source"] == "allen" and allen["spearman"]["n"] == 4   # resnet18 lacks RSA
    assert allen["spearman"]["rho"] == pytest.approx(spearmanr([0.25, 0.15, 0.10, 0.18], [0.40, 0.32, 0.22, 0.41])[0])


def test_spearman_needs_three_models():
    records = [r for r in synthetic_records() if r["model"] in ("alexnet", "gabor")]
    assert analyses.rsa_vs_srp_ridge(records)["spearman"] == {"rho": None, "p": None, "n": 2}


def test_trained_vs_random_has_an_allen_rsa_and_a_real_v1_panel_with_paired_intervals():
    records = synthetic_records()
    data = analyses.trained_vs_random(records)
    assert list(data["metrics"]) == ["rsa", "v1_srp_ridge"]
    assert [(pair["trained"], pair["random"]) for pair in data["pairs"]] == [("alexnet", "alexnet-random")]
    pair = data["pairs"][0]
    assert pair["rsa"] == {"trained": pytest.approx(0.23), "random": pytest.approx(0.13)}    # CV values
    assert pair["v1_srp_ridge"] == {"trained": pytest.approx(0.18), "random": pytest.approx(0.22)}
    v1 = pair["difference"]["v1_srp_ridge"]
    jackknife = {m: next(r["cv_jackknife"] for r in records
                         if (r["model"], r["benchmark"]) == (m, "antolik2016.V1-srp_ridge"))
                 for m in ("alexnet", "alexnet-random")}
    error = math.sqrt(plain_jackknife_variance(np.subtract(jackknife["alexnet"], jackknife["alexnet-random"])))
    assert (v1["difference"], v1["low"], v1["high"]) == pytest.approx((-0.04, -0.04 - 1.959964 * error,
                                                                       -0.04 + 1.959964 * error))
    assert data["trained_wins"]["rsa"] == {"wins": 1, "n": 1, "significant_wins": 1, "significant_losses": 0,
                                           "with_intervals": 1}
    v1_wins = data["trained_wins"]["v1_srp_ridge"]
    assert v1_wins["wins"] == 0 and v1_wins["significant_losses"] == 1
    assert list(analyses.trained_vs_random(records + real_allen_srp_ridge())["metrics"]) == ["rsa", "srp_ridge",
                                                                                           "v1_srp_ridge"]


def test_max_vs_cv_is_the_plain_mean_gap_against_layer_count():
    records = synthetic_records()
    for record in records:     # a gap that grows with the model's (pretended) layer count
        if record["model"] == "gabor":
            record["layer_profile"] = dict(list(record["layer_profile"].items())[:2])
        record["cv_value"] = record["value"] - 0.01 * len(record["layer_profile"])
    result = analyses.max_vs_cv(records)["metrics"]
    assert list(result) == ["rsa", "v1_srp_ridge"]
    data = result["rsa"]
    points = {p["model"]: p for p in data["points"]}
    assert "resnet18" not in points                           # no VISam RSA record
    assert points["gabor"]["layers"] == 2 and points["gabor"]["gap"] == pytest.approx(0.02)
    assert points["alexnet"]["layers"] == len(LAYERS) and points["alexnet"]["gap"] == pytest.approx(0.01 * len(LAYERS))
    assert data["spearman_rho"] == pytest.approx(spearmanr([p["layers"] for p in data["points"]],
                                                           [p["gap"] for p in data["points"]])[0])
    assert data["slope_per_doubling"] == pytest.approx(
        np.polyfit(np.log2([p["layers"] for p in data["points"]]), [p["gap"] for p in data["points"]], 1)[0])
    assert len(result["v1_srp_ridge"]["points"]) == 5


def test_depth_by_area_splits_trained_random_and_baseline_in_hierarchy_order():
    data = analyses.depth_by_area(synthetic_records())
    assert data["hierarchy"] == ["VISp", "VISl", "VISrl", "VISal", "VISpm", "VISam"]
    assert list(data["metrics"]) == ["rsa"]   # no real Allen SRP-Ridge: no panel
    visp = data["metrics"]["rsa"]["areas"]["VISp"]
    assert visp["trained"] == [{"model": "alexnet", "depth": 0.75}, {"model": "resnet18", "depth": 0.5},
                               {"model": "taskonomy_depth", "depth": 1.0}]
    assert visp["random"] == [{"model": "alexnet-random", "depth": 0.25}]
    assert visp["baseline"] == [{"model": "gabor", "depth": 0.0}]
    assert data["metrics"]["rsa"]["medians"]["VISp"]["trained"] == 0.75
    assert [p["model"] for p in data["metrics"]["rsa"]["areas"]["VISam"]["trained"]] == ["alexnet", "taskonomy_depth"]
    low, high = data["metrics"]["rsa"]["median_intervals"]["VISp"]["trained"]
    assert 0.5 <= low <= 0.75 <= high <= 1.0   # medians of resamples of {0.5, 0.75, 1.0}
    assert data["metrics"]["rsa"]["median_intervals"]["VISp"]["random"] is None   # one model
    assert data == analyses.depth_by_area(synthetic_records())   # seeded: the same bytes every build


def hand_friedman(table):
    """Friedman's statistic without ties: 12 / (n k (k + 1)) · Σ R_j² − 3 n (k + 1), R_j the column
    sums of the within-row ranks; W = chi2 / (n (k − 1)); p from chi-square with k − 1 df."""
    n, k = len(table), len(table[0])
    ranks = [[sorted(row).index(value) + 1 for value in row] for row in table]
    sums = [sum(row[j] for row in ranks) for j in range(k)]
    chi2 = 12 / (n * k * (k + 1)) * sum(s * s for s in sums) - 3 * n * (k + 1)
    return chi2, chi2 / (n * (k - 1)), chi2_distribution.sf(chi2, k - 1)


def test_friedman_equals_scipy_and_a_hand_computation():
    rng = np.random.default_rng(8)
    table = rng.permuted(np.tile(np.arange(6.0), (12, 1)), axis=1) + np.arange(6) * 0.8   # no ties in a row
    result = analyses.friedman(table)
    chi2, w, p = hand_friedman(table.tolist())
    assert (result["chi2"], result["w"], result["p"]) == pytest.approx((chi2, w, p))
    assert (result["chi2"], result["p"]) == pytest.approx(tuple(friedmanchisquare(*table.T)))
    assert result["n"] == 12 and result["k"] == 6
    perfect = analyses.friedman(np.tile(np.arange(6.0), (10, 1)))   # every model orders the areas alike
    assert perfect["w"] == pytest.approx(1.0) and perfect["chi2"] == pytest.approx(10 * 5)
    tied = np.array([[0.0, 0.0, 0.5, 0.5, 1.0, 1.0], [0.2, 0.4, 0.4, 0.6, 0.8, 1.0], [0.0] * 6,
                     [1, 0.8, 0.6, 0.4, 0.2, 0]])
    assert analyses.friedman(tied)["chi2"] == pytest.approx(friedmanchisquare(*tied.T)[0])   # scipy's tie correction
    assert analyses.friedman(np.zeros((4, 6)))["chi2"] is None


def test_depth_by_area_runs_the_friedman_test_over_models_with_all_six_areas():
    data = analyses.depth_by_area(synthetic_records())["metrics"]["rsa"]
    # resnet18 lacks VISam: 4 blocks, each constant across areas (one best layer per model here)
    assert data["friedman"]["n"] == 4 and data["friedman"]["chi2"] is None
    records = synthetic_records()
    for record in records:   # deeper best layers up the hierarchy, one step per area, for every model
        dataset, site, _ = analyses.benchmark_parts(record["benchmark"])
        if dataset == "allen" and site in AREAS:
            record["best_layer_depth"] = analyses.HIERARCHY.index(site) / 10 + (record["model"] == "gabor") * 0.01
    test = analyses.depth_by_area(records)["metrics"]["rsa"]["friedman"]
    assert test["n"] == 4 and test["w"] == pytest.approx(1.0) and test["chi2"] == pytest.approx(4 * 5)


def test_family_mosaic_groups_trained_networks_by_task_and_random_init_apart():
    data = analyses.family_mosaic(synthetic_records())
    assert list(data["metrics"]) == ["rsa"]
    rsa = data["metrics"]["rsa"]
    groups = {group["group"]: group for group in rsa["groups"]}
    assert sorted(groups) == ["3D", "baseline", "random init", "torchvision"]
    assert [m["model"] for m in groups["torchvision"]["models"]] == ["alexnet"]   # resnet18: no mean
    assert [m["model"] for m in groups["random init"]["models"]] == ["alexnet-random"]
    assert groups["torchvision"]["median"] == pytest.approx(0.25)
    assert [group["group"] for group in rsa["groups"]] == ["torchvision", "3D", "random init", "baseline"]
    assert rsa["ceiling"] == {"low": pytest.approx(0.35), "high": pytest.approx(0.60)}
    real = analyses.family_mosaic(synthetic_records() + real_allen_srp_ridge())["metrics"]["srp_ridge"]
    assert real["ceiling"] == {"low": pytest.approx(0.7), "high": pytest.approx(0.7)}


def test_a_random_init_network_is_in_no_task_cluster_though_its_metadata_names_its_twin_s():
    """A random-init copy carries its trained twin's metadata (task_cluster "Semantic"): it was trained
    for no task, so Fig. 3 and the overview's Task put it with random init, never under Semantic."""
    semantic = {"task_cluster": "Semantic"}
    records = [dict(r, model_metadata={**r["model_metadata"], **semantic}) for r in synthetic_records()]
    groups = {group["group"]: [m["model"] for m in group["models"]]
              for group in analyses.family_mosaic(records)["metrics"]["rsa"]["groups"]}
    assert groups["Semantic"] == ["alexnet", "taskonomy_depth"]     # the trained networks only
    assert groups["random init"] == ["alexnet-random"] and groups["baseline"] == ["gabor"]
    rows = {row["model"]: row for row in analyses.overview(records)["rows"]}
    assert rows["alexnet-random"]["task_cluster"] is None and rows["alexnet"]["task_cluster"] == "Semantic"


def test_profile_panels_put_layers_at_relative_depth_with_the_chosen_layer_s_interval_and_ceilings():
    benchmarks = analyses.by_model(synthetic_records())["alexnet"]
    panels = analyses.profile_panels(benchmarks)
    assert [panel["benchmark"] for panel in panels] == (
        [f"allen.{area}-rsa" for area in analyses.HIERARCHY]
        + ["antolik2016.V1-rsa", "antolik2016.V1-srp_ridge", "cowley2023.V4-srp_ridge"])
    visp = panels[0]
    assert visp["label"] == "VISp · RSA" and visp["layers"] == LAYERS
    assert visp["depth"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert visp["best"] == 3 and visp["values"][3] == pytest.approx(0.30)
    draws = synthetic_draws("alexnet", "allen.VISp-rsa", 0.30)
    assert visp["interval"] == pytest.approx(list(np.percentile(draws, [2.5, 97.5])), abs=1e-4)
    assert visp["interval_kind"] == "percentile interval of the bootstrap draws"
    assert visp["ceiling"] == pytest.approx(0.60) and visp["band"] == pytest.approx([0.60, 0.60])
    cowley = panels[-1]   # no draws: value ± 1.96 × error
    assert cowley["interval"] == pytest.approx([0.40 - 1.96 * 0.01, 0.40 + 1.96 * 0.01])
    with_sites = benchmarks | {"allen.VISp_layer23-rsa": dict(benchmarks["allen.VISp-rsa"], ceiling=0.9,
                                                             benchmark="allen.VISp_layer23-rsa")}
    assert analyses.profile_panels(with_sites)[0]["band"] == pytest.approx([0.60, 0.90])   # the area's sites


def test_a_benchmark_ranking_orders_by_cv_value_with_intervals_and_missing_last():
    records = [r for r in synthetic_records() if r["benchmark"] == "allen.VISp-rsa"]
    records = replaced(records, "gabor", "allen.VISp-rsa", cv_value=None)
    ranking = analyses.benchmark_ranking(records)
    assert [row["model"] for row in ranking] == ["resnet18", "alexnet", "taskonomy_depth", "alexnet-random", "gabor"]
    assert [row["rank"] for row in ranking] == [1, 2, 3, 4, None]
    alexnet = ranking[1]
    assert alexnet["cv_value"] == pytest.approx(0.28) and alexnet["interval"][0] < 0.28 < alexnet["interval"][1]
    assert alexnet["category"] == "trained" and ranking[3]["category"] == "random"
