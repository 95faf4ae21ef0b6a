"""The leaderboard: the overview and analyses numbers, and the static site built from result records."""
import json
import re
import statistics
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest
from scipy.stats import spearmanr

from mousescore.errors import MousescoreError
from mousescore.leaderboard import analyses
from mousescore.leaderboard.site import build_site
from mousescore.results.records import make_record, read_records, read_unscorable, unscorable_path
from mousescore.results.score import Score

REPO = Path(__file__).resolve().parents[2]
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
RANKING = ["resnet18", "alexnet", "taskonomy_depth", "alexnet-random", "gabor"]   # by mouse score


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


def synthetic_records(skip=()):
    """5 models (a trained/random pair, a baseline, a taskonomy model, resnet18 without VISam RSA) on
    the six Allen areas (real RSA, surrogate SRP-Ridge) and cowley2023 V4; ``skip``: (model, benchmark)."""
    records = []
    surrogate_references = {"intermouse": 0.40, "intermouse_ci95_low": 0.35, "intermouse_ci95_high": 0.45,
                            "surrogate_vs_real_similarity_r": 0.90}
    for model, (metadata, rsa, srp, best) in MODELS.items():
        for area in AREAS:
            for benchmark, value, ceiling, references in (
                    (f"allen.{area}-rsa", area_value(rsa, area), RSA_CEILINGS[area], None),
                    (f"allen_surrogate.{area}-srp_ridge", area_value(srp, area), SRP_CEILING, surrogate_references)):
                records.append(synthetic_record(model, metadata, benchmark, value, ceiling, best, references,
                                                draws=synthetic_draws(model, benchmark, value),
                                                cv_value=value - 0.02))
        if model in COWLEY:
            records.append(synthetic_record(model, metadata, "cowley2023.V4-srp_ridge", COWLEY[model], 0.8, best))
    skip = set(skip) | {("resnet18", "allen.VISam-rsa")}
    return [record for record in records if (record["model"], record["benchmark"]) not in skip]


def replaced(records, model, benchmark, **changes):
    """The records with one record's fields changed."""
    return [dict(record, **changes) if (record["model"], record["benchmark"]) == (model, benchmark) else record
            for record in records]


def row_of(overview, model):
    return next(row for row in overview["rows"] if row["model"] == model)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    return build_site(synthetic_records(), out).parent


# --- overview ------------------------------------------------------------------------------------

def test_overview_area_means_are_the_hand_computed_means():
    overview = analyses.overview(synthetic_records())
    alexnet = row_of(overview, "alexnet")
    assert alexnet["rsa"] == pytest.approx((0.30 + 0.28 + 0.26 + 0.24 + 0.22 + 0.20) / 6)
    assert alexnet["rsa"] == pytest.approx(0.25)
    assert alexnet["srp_ridge"] == pytest.approx(0.30)
    assert alexnet["mouse_score"] == pytest.approx((0.25 + 0.30) / 2)
    assert alexnet["benchmarks"] == {"cowley2023.V4-srp_ridge": pytest.approx(0.40)}
    taskonomy = row_of(overview, "taskonomy_depth")
    assert taskonomy["mouse_score"] == pytest.approx((0.18 + 0.31) / 2)
    assert taskonomy["benchmarks"] == {"cowley2023.V4-srp_ridge": None}
    assert (taskonomy["task_cluster"], taskonomy["family"], taskonomy["trained"]) == ("3D", "taskonomy", True)
    assert row_of(overview, "gabor")["category"] == "baseline"
    assert [row["model"] for row in overview["rows"]] == RANKING


def test_a_model_missing_an_area_has_no_mean_for_that_metric():
    resnet = row_of(analyses.overview(synthetic_records()), "resnet18")
    assert resnet["rsa"] is None
    assert resnet["missing_areas"] == {"rsa": ["VISam"], "srp_ridge": []}
    assert resnet["mouse_score"] == pytest.approx(0.35)   # the one metric available


def test_srp_ridge_is_surrogate_unless_real_data_covers_all_six_areas():
    records = synthetic_records()
    metadata = MODELS["alexnet"][0]
    real = [synthetic_record("alexnet", metadata, f"allen.{area}-srp_ridge", area_value(0.50, area), 0.7, 2)
            for area in AREAS]
    overview = analyses.overview(records + real)
    assert row_of(overview, "alexnet")["srp_ridge"] == pytest.approx(0.50)
    assert row_of(overview, "alexnet")["surrogate"]["srp_ridge"] is False
    assert row_of(overview, "gabor")["surrogate"]["srp_ridge"] is True
    assert "alexnet" not in overview["srp_ridge_surrogate_models"]
    assert "gabor" in overview["srp_ridge_surrogate_models"]

    partial = analyses.overview(records + real[:5])   # five real areas: the surrogate stands in
    assert row_of(partial, "alexnet")["srp_ridge"] == pytest.approx(0.30)
    assert row_of(partial, "alexnet")["surrogate"]["srp_ridge"] is True


def test_layer_sites_and_surrogate_rsa_stay_out_of_the_area_means():
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


# --- the four analyses ---------------------------------------------------------------------------

def test_rsa_vs_srp_ridge_spearman_equals_scipy():
    data = analyses.rsa_vs_srp_ridge(synthetic_records())
    models = {point["model"]: point for point in data["models"]}
    assert sorted(models) == ["alexnet", "alexnet-random", "gabor", "taskonomy_depth"]   # resnet18 lacks RSA
    rsa = [0.25, 0.15, 0.10, 0.18]
    srp = [0.30, 0.22, 0.12, 0.31]
    expected = spearmanr(rsa, srp)
    assert data["spearman"]["rho"] == pytest.approx(expected[0])
    assert data["spearman"]["rho"] == pytest.approx(0.8)
    assert data["spearman"]["p"] == pytest.approx(expected[1])
    assert data["spearman"]["n"] == 4
    assert models["taskonomy_depth"]["srp_ridge"] == pytest.approx(0.31)
    assert data["surrogate"] is True


def test_spearman_needs_three_models():
    records = [r for r in synthetic_records() if r["model"] in ("alexnet", "gabor")]
    assert analyses.rsa_vs_srp_ridge(records)["spearman"] == {"rho": None, "p": None, "n": 2}


def test_trained_vs_random_pairs_each_network_with_its_random_init():
    data = analyses.trained_vs_random(synthetic_records())
    assert [(pair["trained"], pair["random"]) for pair in data["pairs"]] == [("alexnet", "alexnet-random")]
    pair = data["pairs"][0]
    assert pair["rsa"] == {"trained": pytest.approx(0.25), "random": pytest.approx(0.15)}
    assert pair["srp_ridge"] == {"trained": pytest.approx(0.30), "random": pytest.approx(0.22)}
    assert data["trained_wins"] == {metric: {"wins": 1, "n": 1, "significant_wins": 1, "significant_losses": 0,
                                             "with_intervals": 1} for metric in ("rsa", "srp_ridge")}
    difference = pair["difference"]["rsa"]
    assert difference["difference"] == pytest.approx(0.10) and difference["low"] < 0.10 < difference["high"]


def _plain_mouse_draws(records, model):
    """The mouse score's draws, computed plainly: per metric the mean over the six areas, then the
    mean over the metrics that have all six."""
    per_metric = []
    for dataset, metric in (("allen", "rsa"), ("allen_surrogate", "srp_ridge")):
        draws = [r["draws"] for r in records if r["model"] == model and r["benchmark"] in
                 {f"{dataset}.{area}-{metric}" for area in AREAS}]
        if len(draws) == 6:
            per_metric.append(np.mean(draws, axis=0))
    return np.mean(per_metric, axis=0)


def records_with_a_tie():
    """The synthetic records with wide draws of taskonomy_depth's own: its neighbours tie with it
    (tie groups 1, 2, 2, 2, 3 down the ranking)."""
    records = synthetic_records()
    for area in AREAS:
        for benchmark in (f"allen.{area}-rsa", f"allen_surrogate.{area}-srp_ridge"):
            record = next(r for r in records if (r["model"], r["benchmark"]) == ("taskonomy_depth", benchmark))
            record["draws"] = synthetic_draws("taskonomy_depth", benchmark, record["value"], private_sd=0.16)
    return records


def test_intervals_and_tie_groups_follow_the_paired_draws():
    records = records_with_a_tie()
    overview = analyses.overview(records)
    assert [row["model"] for row in overview["rows"]] == RANKING
    plain = {model: _plain_mouse_draws(records, model) for model in RANKING}
    for row in overview["rows"]:
        assert row["intervals"]["mouse_score"] == pytest.approx(list(np.percentile(plain[row["model"]], [2.5, 97.5])))

    def ties(a, b):
        low, high = np.percentile(plain[a] - plain[b], [2.5, 97.5])
        return low <= 0 <= high

    assert [ties(a, b) for a, b in zip(RANKING, RANKING[1:])] == [False, True, True, False]
    assert [row["tie_group"] for row in overview["rows"]] == [1, 2, 2, 2, 3]
    assert overview["adjacent_pairs"] == {"tested": 4, "significant": 2}
    for row in overview["rows"]:
        assert row["indistinguishable"] == [m for m in RANKING if m != row["model"] and ties(row["model"], m)]
    assert row_of(overview, "alexnet")["indistinguishable"] == ["taskonomy_depth"]
    assert row_of(overview, "taskonomy_depth")["indistinguishable"] == ["alexnet", "alexnet-random"]
    assert row_of(overview, "alexnet")["difference_from_above"]["significant"] is True


def test_max_vs_cv_is_the_plain_mean_gap_against_layer_count():
    records = synthetic_records()
    for record in records:     # a gap that grows with the model's (pretended) layer count
        if record["model"] == "gabor":
            record["layer_profile"] = dict(list(record["layer_profile"].items())[:2])
        record["cv_value"] = record["value"] - 0.01 * len(record["layer_profile"])
    data = analyses.max_vs_cv(records)["metrics"]["rsa"]
    points = {p["model"]: p for p in data["points"]}
    assert "resnet18" not in points                           # no VISam RSA record
    assert points["gabor"]["layers"] == 2 and points["gabor"]["gap"] == pytest.approx(0.02)
    assert points["alexnet"]["layers"] == len(LAYERS) and points["alexnet"]["gap"] == pytest.approx(0.01 * len(LAYERS))
    assert data["spearman_rho"] == pytest.approx(spearmanr([p["layers"] for p in data["points"]],
                                                           [p["gap"] for p in data["points"]])[0])
    assert data["slope_per_doubling"] == pytest.approx(
        np.polyfit(np.log2([p["layers"] for p in data["points"]]), [p["gap"] for p in data["points"]], 1)[0])


def test_a_model_without_draws_has_no_interval_and_no_tie_group():
    records = [dict(r, draws=[]) if r["model"] == "gabor" else r for r in synthetic_records()]
    gabor = row_of(analyses.overview(records), "gabor")
    assert gabor["intervals"]["mouse_score"] is None and gabor["tie_group"] is None


def test_depth_by_area_splits_trained_random_and_baseline_in_hierarchy_order():
    data = analyses.depth_by_area(synthetic_records())
    assert data["hierarchy"] == ["VISp", "VISl", "VISrl", "VISal", "VISpm", "VISam"]
    visp = data["metrics"]["rsa"]["areas"]["VISp"]
    assert visp["trained"] == [{"model": "alexnet", "depth": 0.75}, {"model": "resnet18", "depth": 0.5},
                               {"model": "taskonomy_depth", "depth": 1.0}]
    assert visp["random"] == [{"model": "alexnet-random", "depth": 0.25}]
    assert visp["baseline"] == [{"model": "gabor", "depth": 0.0}]
    assert data["metrics"]["rsa"]["medians"]["VISp"]["trained"] == 0.75
    assert [p["model"] for p in data["metrics"]["rsa"]["areas"]["VISam"]["trained"]] == ["alexnet", "taskonomy_depth"]
    assert data["metrics"]["srp_ridge"]["surrogate"] is True and data["metrics"]["rsa"]["surrogate"] is False


def test_family_mosaic_groups_by_task_cluster_else_family_with_the_ceiling_band():
    data = analyses.family_mosaic(synthetic_records())
    rsa = data["metrics"]["rsa"]
    groups = {group["group"]: group for group in rsa["groups"]}
    assert sorted(groups) == ["3D", "baseline", "torchvision"]
    assert [m["model"] for m in groups["torchvision"]["models"]] == ["alexnet", "alexnet-random"]   # resnet18: no mean
    assert groups["torchvision"]["median"] == pytest.approx(0.20)
    assert [group["group"] for group in rsa["groups"]] == ["torchvision", "3D", "baseline"]   # median, best first
    assert rsa["ceiling"] == {"low": pytest.approx(0.35), "high": pytest.approx(0.60)}
    assert data["metrics"]["srp_ridge"]["ceiling"] == {"low": pytest.approx(0.7), "high": pytest.approx(0.7)}


def test_layer_profiles_put_layers_at_relative_depth_and_mark_the_best():
    benchmarks = analyses.by_model(synthetic_records())["alexnet"]
    visp = analyses.layer_profiles(benchmarks)["metrics"]["rsa"]["areas"]["VISp"]
    assert visp["layers"] == LAYERS
    assert visp["depth"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert visp["best_layer"] == "fc6" and visp["best_layer_depth"] == 0.75
    assert max(visp["values"]) == pytest.approx(0.30)


# --- the site ------------------------------------------------------------------------------------

def figure(site, name):
    return json.loads((site / "figures" / f"{name}.json").read_text()), (site / "figures" / f"{name}.svg").read_text()


def test_changing_a_record_changes_the_figure_data_and_svg(site, tmp_path):
    data, svg = figure(site, "trained-vs-random")
    changed = replaced(synthetic_records(), "alexnet", "allen.VISp-rsa", value=0.90)
    new_data, new_svg = figure(build_site(changed, tmp_path / "value").parent, "trained-vs-random")
    assert data["pairs"][0]["rsa"]["trained"] == pytest.approx(0.25)
    assert new_data["pairs"][0]["rsa"]["trained"] == pytest.approx(0.25 + (0.90 - 0.30) / 6)
    assert new_svg != svg

    depth, depth_svg = figure(site, "depth-by-area")
    deeper = replaced(synthetic_records(), "gabor", "allen.VISp-rsa", best_layer_depth=0.5)
    new_depth, new_depth_svg = figure(build_site(deeper, tmp_path / "depth").parent, "depth-by-area")
    assert depth["metrics"]["rsa"]["areas"]["VISp"]["baseline"] == [{"model": "gabor", "depth": 0.0}]
    assert new_depth["metrics"]["rsa"]["areas"]["VISp"]["baseline"] == [{"model": "gabor", "depth": 0.5}]
    assert new_depth_svg != depth_svg


def test_every_model_and_benchmark_has_a_page_and_every_figure_its_data(site):
    records = synthetic_records()
    assert {p.stem for p in (site / "models").glob("*.html")} == set(MODELS)
    assert {p.stem for p in (site / "benchmarks").glob("*.html")} == {r["benchmark"] for r in records}
    for name in analyses.ANALYSES:
        assert (site / "figures" / f"{name}.svg").read_text().lstrip().startswith("<?xml")
        assert json.loads((site / "figures" / f"{name}.json").read_text())
    for model in MODELS:
        assert (site / "figures" / f"profile-{model}.svg").is_file()
    assert (site / "assets" / "style.css").is_file() and (site / "assets" / "leaderboard.js").is_file()
    analyses_page = (site / "analyses.html").read_text()
    assert analyses_page.count("<img ") == 5
    assert "Spearman rho = 0.800, n = 4 models" in analyses_page


def test_every_link_is_relative_and_resolves(site):
    for page in site.rglob("*.html"):
        for target in re.findall(r'(?:href|src)="([^"]+)"', page.read_text()):
            if target == "data:,":
                continue
            assert not re.match(r"^(/|[a-z]+:)", target), f"{page.name}: {target} is not relative"
            assert (page.parent / unquote(target)).is_file(), f"{page.name}: {target} is broken"


def test_overview_page_ranks_models_and_marks_surrogate_and_missing_values(site):
    index = (site / "index.html").read_text()
    assert re.findall(r'data-model="([^"]+)"', index) == RANKING
    assert "Built from 62 result records." in index   # 5 models x 12 + 3 cowley - 1
    assert index.count('class="surrogate-mark"') >= len(MODELS)   # each SRP-Ridge Max cell says so
    assert 'title="missing areas: VISam">n/a<' in index
    assert '<option value="ImageNet-1k supervised">' in index and '<option value="untrained">' in index
    resnet_row = re.search(r'<tr data-model="resnet18".*?</tr>', index).group(0)
    mouse_score = re.search(r'<td class="number" data-value="([^"]+)">0\.350<', resnet_row).group(1)
    assert float(mouse_score) == pytest.approx(0.35) and "11.7M" in resnet_row


def test_benchmark_pages_show_values_references_and_the_surrogate_banner(site):
    surrogate = (site / "benchmarks" / "allen_surrogate.VISp-srp_ridge.html").read_text()
    assert 'class="surrogate-banner"' in surrogate and "SURROGATE" in surrogate
    assert "0.400 [0.350, 0.450]" in surrogate   # inter-mouse score with its 95% CI
    assert "inter-mouse (95% CI)" in surrogate
    assert re.findall(r'data-model="([^"]+)"', surrogate) == ["resnet18", "taskonomy_depth", "alexnet",
                                                             "alexnet-random", "gabor"]
    real = (site / "benchmarks" / "allen.VISp-rsa.html").read_text()
    assert 'class="surrogate-banner"' not in real
    assert "0.300 ± 0.010" in real and "fc6" in real and "0.500" in real   # alexnet: value, layer, ceiled


def test_model_page_shows_profile_benchmarks_and_provenance(site):
    page = (site / "models" / "alexnet.html").read_text()
    assert "<h1>alexnet" in page and "AlexNet" in page
    assert 'src="../figures/profile-alexnet.svg"' in page
    assert page.count('data-benchmark="') == 13
    assert "differ across this model's 13 records: metric_options, time." in page
    assert "&quot;mousescore_version&quot;: &quot;0.1.0&quot;" in page


def test_text_is_html_escaped(tmp_path):
    name = 'net<img src=x onerror="alert(1)">'
    metadata = {**MODELS["gabor"][0], "display_name": "<i>odd</i>"}
    odd = synthetic_record(name, metadata, "allen.VISp-rsa", 0.2, 0.6, 1)
    out = build_site(synthetic_records() + [odd], tmp_path).parent
    escaped = "net&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
    for page in [out / "index.html", out / "benchmarks" / "allen.VISp-rsa.html", out / "models" / f"{name}.html"]:
        text = page.read_text()
        assert escaped in text
        assert "<img src=x" not in text and "<i>odd</i>" not in text
    link = 'href="models/net%3Cimg%20src%3Dx%20onerror%3D%22alert%281%29%22%3E.html"'
    assert link in (out / "index.html").read_text()


def test_a_name_that_cannot_be_a_file_name_is_a_clear_error(tmp_path):
    bad = synthetic_record("../escape", MODELS["gabor"][0], "allen.VISp-rsa", 0.2, 0.6, 1)
    with pytest.raises(MousescoreError, match="cannot name a record file"):
        build_site([bad], tmp_path)


def test_two_builds_are_byte_identical(tmp_path):
    records = synthetic_records()
    first = build_site(records, tmp_path / "a").parent
    second = build_site(list(reversed(records)), tmp_path / "b").parent
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for path in files:
        assert (first / path).read_bytes() == (second / path).read_bytes(), path


def test_a_rebuild_removes_pages_of_models_no_longer_in_the_records(tmp_path):
    build_site([r for r in synthetic_records() if r["model"] in ("alexnet", "gabor")], tmp_path)
    build_site([r for r in synthetic_records() if r["model"] == "alexnet"], tmp_path)
    assert not (tmp_path / "models" / "gabor.html").exists()
    assert not (tmp_path / "figures" / "profile-gabor.svg").exists()
    assert (tmp_path / "models" / "alexnet.html").exists()


def test_no_records_is_a_clear_error(tmp_path):
    with pytest.raises(MousescoreError, match="no result records"):
        build_site([], tmp_path)


def test_builds_from_the_repository_records(tmp_path):
    """Check 1 of the leaderboard issue on the committed (seeded) records."""
    records = read_records(REPO / "leaderboard" / "results")
    assert len({r["model"] for r in records}) >= 20
    index = build_site(records, tmp_path)
    assert f"Built from {len(records)} result records." in index.read_text()
    assert {p.stem for p in (tmp_path / "models").glob("*.html")} == {r["model"] for r in records}
    overview = analyses.overview(records)
    for row in overview["rows"]:
        rsa = [r["value"] for r in records if r["model"] == row["model"]
               and r["benchmark"] in {f"allen.{area}-rsa" for area in AREAS}]
        if len(rsa) == len(AREAS) and None not in rsa:
            assert row["rsa"] == pytest.approx(statistics.fmean(rsa))


def test_models_that_could_not_be_scored_are_listed_with_their_reason(tmp_path):
    """A network the seeding could not score is on the board with why, not dropped (issue 15)."""
    results = tmp_path / "leaderboard" / "results"
    results.mkdir(parents=True)
    assert read_unscorable(results) == {}
    unscorable_path(results).write_text(json.dumps({"huge-random": "MemoryError: <needs 40 GB>",
                                                    "nan-random": "DataError: layer x is all NaN"}))
    index = build_site(synthetic_records(), tmp_path / "site", read_unscorable(results)).read_text()
    assert "<h2>Not scored</h2>" in index and "2 model(s) of the zoo could not be scored" in index
    assert "<li><b>huge-random</b>: MemoryError: &lt;needs 40 GB&gt;</li>" in index
    assert "Not scored" not in build_site(synthetic_records(), tmp_path / "plain").read_text()
    unscorable_path(results).write_text('["not a mapping"]')
    with pytest.raises(MousescoreError, match="must map each model"):
        read_unscorable(results)
