"""The static site built from records: every page and figure, what each page shows, links, escaping,
byte-identical builds, the data cards, and no path of the building machine anywhere."""
import csv
import io
import json
import os
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from scipy.stats import spearmanr
from test_site import (
    MODELS,
    RANKING,
    V1_RSA,
    V1_SRP,
    real_allen_srp_ridge,
    replaced,
    row_of,
    synthetic_record,
    synthetic_records,
)

from mousescore.cli import main
from mousescore.errors import MousescoreError
from mousescore.leaderboard import analyses
from mousescore.leaderboard.overview_page import SCALE, WIDTH_BUDGET, WIDTHS, colour, column_groups, default_unfolded
from mousescore.leaderboard.site import build_site
from mousescore.results.records import committed_results_dir, read_records, read_unscorable, unscorable_path

REPO = Path(__file__).resolve().parents[2]
PAGES = ("index.html", "benchmarks.html", "analyses.html", "submit.html", "cite.html")
MACHINE_PATH = "/home/maintainer/mousescore-cache/tmp"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    return build_site(synthetic_records(), out).parent


def figure(site, name):
    return json.loads((site / "figures" / f"{name}.json").read_text()), (site / "figures" / f"{name}.svg").read_text()


def text_files(site):
    return [path for path in site.rglob("*") if path.suffix in (".html", ".svg", ".csv", ".json", ".css", ".js")]


# --- what is built -------------------------------------------------------------------------------

def test_changing_a_record_changes_the_figure_data_and_svg(site, tmp_path):
    data, svg = figure(site, "trained-vs-random")
    changed = replaced(synthetic_records(), "alexnet", "allen.VISp-rsa", cv_value=0.90)
    new_data, new_svg = figure(build_site(changed, tmp_path / "value").parent, "trained-vs-random")
    assert data["pairs"][0]["rsa"]["trained"] == pytest.approx(0.23)           # the CV values
    assert new_data["pairs"][0]["rsa"]["trained"] == pytest.approx(0.23 + (0.90 - 0.28) / 6)
    assert new_svg != svg

    depth, depth_svg = figure(site, "depth-by-area")
    deeper = replaced(synthetic_records(), "gabor", "allen.VISp-rsa", best_layer_depth=0.5)
    new_depth, new_depth_svg = figure(build_site(deeper, tmp_path / "depth").parent, "depth-by-area")
    assert depth["metrics"]["rsa"]["areas"]["VISp"]["baseline"] == [{"model": "gabor", "depth": 0.0}]
    assert new_depth["metrics"]["rsa"]["areas"]["VISp"]["baseline"] == [{"model": "gabor", "depth": 0.5}]
    assert new_depth_svg != depth_svg


def test_every_page_and_every_figure_with_its_data_is_built(site):
    records = synthetic_records()
    benchmarks = {r["benchmark"] for r in records if not analyses.is_surrogate(r)}
    assert all((site / page).is_file() for page in PAGES)
    assert {p.stem for p in (site / "models").glob("*.html")} == set(MODELS)
    assert {p.stem for p in (site / "benchmarks").glob("*.html")} == benchmarks
    for name in analyses.ANALYSES:
        assert (site / "figures" / f"{name}.svg").read_text().lstrip().startswith("<?xml")
        data = json.loads((site / "figures" / f"{name}.json").read_text())
        assert data
        rows = list(csv.reader(io.StringIO((site / "figures" / f"{name}.csv").read_text())))
        assert rows[1:] or data.get("networks") == []     # no backbone with two tasks among these models
    for model in MODELS:
        assert (site / "figures" / f"profile-{model}.svg").read_text().startswith("<svg")
        header = next(csv.reader(io.StringIO((site / "figures" / f"profile-{model}.csv").read_text())))
        assert header[0] == "layer" and "allen.VISp-rsa" in header
    for benchmark in benchmarks:
        assert (site / "figures" / f"ranking-{benchmark}.svg").read_text().startswith("<svg")
        rows = list(csv.DictReader(io.StringIO((site / "figures" / f"ranking-{benchmark}.csv").read_text())))
        assert {row["model"] for row in rows} == {r["model"] for r in records if r["benchmark"] == benchmark}
    overview = json.loads((site / "figures" / "overview.json").read_text())
    assert [row["model"] for row in overview["rows"]] == RANKING and overview["headline"] == "rsa"
    table = list(csv.DictReader(io.StringIO((site / "figures" / "overview.csv").read_text())))
    assert [row["model"] for row in table] == RANKING
    assert float(table[0]["allen.VISp-rsa"]) == pytest.approx(0.28)            # alexnet's VISp CV value
    assert (site / "assets" / "style.css").is_file() and (site / "assets" / "leaderboard.js").is_file()


def test_the_analyses_page_shows_six_figures_with_downloads_and_no_surrogate(site):
    page = (site / "analyses.html").read_text()
    assert page.count("<img ") == len(analyses.ANALYSES) == 6
    for name in analyses.ANALYSES:
        for kind in ("svg", "csv", "json"):
            assert f'href="figures/{name}.{kind}" download' in page
    rho = spearmanr([V1_RSA[m] for m in MODELS], [V1_SRP[m] for m in MODELS])[0]
    assert f"V1 RSA (antolik2016) vs V1 SRP-Ridge (antolik2016): Spearman rho = {rho:.3f}, n = 5 models" in page
    assert "Friedman test: n/a (n = 4 models with all areas)" in page
    assert "real antolik2016 V1 neurons" in page and "surrogate" not in page.lower()
    for name in analyses.ANALYSES:
        for kind in ("json", "csv", "svg"):
            assert "surrogate" not in (site / "figures" / f"{name}.{kind}").read_text().lower()


def test_every_page_has_the_menu_and_every_local_link_resolves(site):
    for page in site.rglob("*.html"):
        text = page.read_text()
        assert all(f'{label}</a>' in text for label in ("Overview", "Benchmarks", "Analyses", "Submit", "Cite"))
        for target in re.findall(r'(?:href|src)="([^"]+)"', text):
            if target == "data:,":
                continue
            if re.match(r"^[a-z]+:", target):   # only links out, to papers and sources; nothing is loaded
                assert target.startswith("https://") and f'href="{target}"' in text, f"{page.name}: {target}"
                continue
            assert not target.startswith("/"), f"{page.name}: {target} is not relative"
            assert (page.parent / unquote(target)).is_file(), f"{page.name}: {target} is broken"
        assert not re.search(r'<(?:script|link|img)[^>]+(?:src|href)="https?:', text), f"{page.name} loads a URL"


# --- the overview --------------------------------------------------------------------------------

def test_the_overview_ranks_by_the_cv_value_and_states_the_headline_and_its_claims(site):
    index = (site / "index.html").read_text()
    assert re.findall(r'<tr data-model="([^"]+)"', index) == RANKING
    assert ("Built from 42 result records (30 records of the synthetic allen_surrogate population left out)"
            in index)   # 5 models x (6 RSA + 2 V1) + 3 cowley - 1
    assert "allen_surrogate." not in index
    assert "<b>Ranked by RSA</b>" in index and "mousescore data build allen" in index
    assert "Holm" in index and "jackknife" in index and "<b>Ranked by the cross-validated value</b>" in index
    alexnet = re.search(r'<tr data-model="alexnet".*?</tr>', index).group(0)
    interval = row_of(analyses.overview(synthetic_records()), "alexnet")["rank_interval"]
    assert f'<span class="rank-interval">{interval[0]}–{interval[1]}</span>' in alexnet
    assert '>0.280</td>' in alexnet and 'title="Max 0.300"' in alexnet    # VISp: its CV value, hover the Max
    resnet = re.search(r'<tr data-model="resnet18".*?</tr>', index).group(0)
    assert 'title="missing: VISam">n/a<' in resnet                  # its RSA Max: an area is missing
    assert "11.7M" in resnet


def test_the_overview_columns_go_from_the_headline_to_areas_to_sites_in_groups(site, tmp_path):
    index = (site / "index.html").read_text()
    groups = re.findall(r'<th colspan="(\d+)" class="group" data-group="([^"]+)"', index)
    assert [key for _, key in groups] == ["ranking", "allen-rsa", "antolik2016", "cowley2023", "model-info"]
    headers = re.findall(r'<button type="button" class="sort">([^<]+)</button>', index)
    assert headers[:12] == ["Rank", "Rank interval", "Model", "RSA, CV", "95% interval", "RSA Max",
                            "VISp", "VISl", "VISrl", "VISal", "VISpm", "VISam"]
    # with the Allen layer sites in the records, each area opens onto its layers
    site_metadata = {"dataset": "allen", "site": "VISp_layer23", "metric": "rsa"}
    layer = [dict(r, benchmark="allen.VISp_layer23-rsa", benchmark_metadata=site_metadata)
             for r in synthetic_records() if r["benchmark"] == "allen.VISp-rsa"]
    with_sites = build_site(synthetic_records() + layer, tmp_path).read_text()
    assert re.search(r'<button type="button" class="sort">VISp</button><button type="button" class="sites" '
                     r'data-area="\d+" aria-expanded="false"[^>]*>\+1</button>', with_sites)
    assert '<button type="button" class="sort">L23</button>' in with_sites


def test_with_real_allen_srp_ridge_the_overview_ranks_by_the_mouse_score_with_both_metrics_by_area(tmp_path):
    index = build_site(synthetic_records() + real_allen_srp_ridge(), tmp_path).read_text()
    groups = re.findall(r'class="group" data-group="([^"]+)"', index)
    assert groups[:3] == ["ranking", "allen-rsa", "allen-srp_ridge"]
    headers = re.findall(r'<button type="button" class="sort">([^<]+)</button>', index)
    assert headers[3] == "Mouse score, CV" and "Mouse score" in headers and "SRP-Ridge Max" in headers
    assert headers.count("VISp") == 2


def test_every_score_column_has_its_own_colour_scale():
    assert colour(0.1, (0.1, 0.5)) == (SCALE[0], False) and colour(0.5, (0.1, 0.5)) == (SCALE[-1], True)
    assert colour(0.3, (0.3, 0.3))[0] == colour(0.5, (0.1, 0.9))[0]       # one value: the middle
    darker = [sum(int(colour(v, (0, 1))[0][i:i + 2], 16) for i in (1, 3, 5)) for v in (0, 0.25, 0.5, 0.75, 1)]
    assert darker == sorted(darker, reverse=True)


def test_coloured_cells_follow_their_own_column(site):
    index = (site / "index.html").read_text()
    cells = re.findall(r'<td class="(c-\d+)" data-value="([^"]+)" style="background:(#[0-9a-f]{6})', index)
    by_column = {}
    for column, value, background in cells:
        by_column.setdefault(column, []).append((float(value), background))
    assert len(by_column) >= 9   # the headline, RSA Max, six areas, the V1 and V4 columns
    for column, found in by_column.items():
        assert min(found)[1] == SCALE[0] and max(found)[1] == SCALE[-1], column   # each column spans the scale


def test_groups_unfold_by_default_only_as_far_as_a_1280_px_screen_allows():
    overview = analyses.overview(synthetic_records())
    groups = column_groups(overview, analyses.board_records(synthetic_records()))
    unfolded = default_unfolded(groups)
    assert unfolded[0] == "allen-rsa"                      # the areas first

    def width(keys):
        return sum(WIDTHS[c.width] for g in groups for c in g.columns
                   if c.role == "summary" or (c.role == "detail" and g.key in keys))

    assert width(unfolded) <= WIDTH_BUDGET
    for group in groups:   # every group left folded would not have fitted
        if group.foldable and group.key not in unfolded and any(c.role == "detail" for c in group.columns):
            assert width(unfolded + [group.key]) > WIDTH_BUDGET, group.key


def test_filters_and_search_cover_the_model_metadata(site):
    index = (site / "index.html").read_text()
    for key in ("family", "task", "training", "framework", "category", "architecture_class"):
        assert f'id="filter-{key}"' in index, key
    assert '<input type="search" id="search"' in index
    assert '<option value="ImageNet-1k supervised">' in index and '<option value="random init">' in index
    alexnet_random = re.search(r'<tr data-model="alexnet-random"[^>]*>', index).group(0)
    assert 'data-f-task="none (random init)"' in alexnet_random and 'data-f-framework="pytorch"' in alexnet_random
    assert 'data-search="alexnet-random"' in alexnet_random
    assert 'data-search="alexnet alexnet"' in index   # the display name is searched too


# --- benchmark pages -----------------------------------------------------------------------------

def test_benchmark_pages_have_a_data_card_thumbnails_and_the_ranking_with_intervals(site):
    page = (site / "benchmarks" / "allen.VISp-rsa.html").read_text()
    assert re.findall(r'<tr data-model="([^"]+)"', page) == ["resnet18", "alexnet", "taskonomy_depth",
                                                            "alexnet-random", "gabor"]   # by CV value
    assert "0.300 ± 0.010" in page and "fc6" in page and "0.500" in page   # alexnet: Max, layer, ceiled
    for fact in ("mouse (Mus musculus)", "two-photon calcium imaging", "118 natural scenes",
                 "50 presentations", "Allen Institute terms of use", "0.600: split-half reliability",
                 'href="https://doi.org/10.1038/s41593-019-0550-9"', "<dt>Site</dt><dd>area VISp</dd>"):
        assert fact in page, fact
    thumbnails = re.findall(r'<img src="\.\./thumbnails/(allen-\d\.png)"', page)
    assert len(thumbnails) == 6
    for name in thumbnails:
        data = (site / "thumbnails" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 8_000
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert (width, height) == (64, 64)
    assert 'src="../figures/ranking-allen.VISp-rsa.svg"' in page
    v1 = (site / "benchmarks" / "antolik2016.V1-srp_ridge.html").read_text()
    assert re.findall(r'<tr data-model="([^"]+)"', v1) == ["alexnet-random", "resnet18", "alexnet",
                                                          "taskonomy_depth", "gabor"]
    assert "158: 103 in region 1, 55 in region 2" in v1 and "CC BY 4.0" in v1 and "10 per image" in v1


def test_the_benchmark_index_lists_every_benchmark_under_its_dataset_card(site):
    page = (site / "benchmarks.html").read_text()
    for benchmark in {r["benchmark"] for r in synthetic_records() if not analyses.is_surrogate(r)}:
        assert f'href="benchmarks/{benchmark}.html"' in page
    for dataset in ("allen", "antolik2016", "cowley2023"):
        assert f'<section id="{dataset}">' in page
    assert "macaque monkey" in page and "doi:10.1101/2023.11.22.568315" in page


# --- model pages ---------------------------------------------------------------------------------

def test_a_model_page_shows_its_rank_profiles_comparisons_and_how_to_score_and_cite_it(site):
    page = (site / "models" / "alexnet.html").read_text()
    assert "<h1>alexnet" in page and "AlexNet" in page
    assert re.search(r"Rank <b>1</b> of 4 \(95% rank interval \d–\d\) by RSA, CV", page)
    assert 'src="../figures/profile-alexnet.svg"' in page
    assert page.count('data-benchmark="') == 9   # 6 RSA areas, 2 V1, cowley: no surrogate
    assert "RSA, CV value" in page and 'id="differs"' in page
    differs = row_of(analyses.overview(synthetic_records()), "alexnet")["differs_from"]
    assert f"<b>differs from {len(differs)}</b> of the 3 other compared models" in page
    assert f"<summary>Told apart from {len(differs)} model(s)</summary>" in page
    assert f"<summary>Cannot be told apart from {3 - len(differs)} model(s)</summary>" in page
    assert "mousescore score alexnet allen.VISp-rsa" in page and "mousescore.score(&quot;alexnet&quot;" in page
    assert "mousescore.load_board()" in page and 'href="../cite.html"' in page
    assert 'href="https://doi.org/10.1371/journal.pcbi.1004927"' in page   # antolik2016, one of its datasets
    assert '<details id="provenance"><summary>Provenance of the scores</summary>' in page
    assert "differ across this model's 9 records: metric_options, time." in page
    assert "&quot;mousescore_version&quot;: &quot;0.1.0&quot;" in page


def test_a_profile_draws_the_ceiling_band_and_the_chosen_layer_s_interval(site):
    svg = (site / "figures" / "profile-alexnet.svg").read_text()
    assert svg.count('class="title">') == 9 and "VISp · RSA" in svg
    assert svg.count('fill="#dcdcdc"><title>ceiling band') == 9
    assert "chosen layer fc6: 0.300, 95% interval [" in svg


# --- the other pages -----------------------------------------------------------------------------

def test_the_cite_page_gives_bibtex_for_the_software_the_paper_and_the_datasets(site):
    page = (site / "cite.html").read_text()
    assert "@software{mousescore," in page and "version = {" in page
    assert "@inproceedings{conwell2021neural," in page and "Neural Taskonomy at Scale" in page
    assert "Conwell, Colin and Mayo, David and Buice, Michael A. and Katz, Boris and Alvarez, George A." in page
    assert "doi:10.1371/journal.pcbi.1004927" in page and "doi:10.1038/s41593-019-0550-9" in page


def test_the_submit_page_explains_the_pull_request_and_the_submission_commands(site):
    page = (site / "submit.html").read_text()
    for text in ("mousescore new-plugin mynet", "mousescore submission check", "pull request",
                 "submissions/", ".github/workflows/leaderboard.yml", "--with-dependencies"):
        assert text in page, text


# --- safety and reproducibility ------------------------------------------------------------------

def test_text_is_html_escaped(tmp_path):
    name = 'net<img src=x onerror="alert(1)">'
    metadata = {**MODELS["gabor"][0], "display_name": "<i>odd</i>"}
    odd = synthetic_record(name, metadata, "allen.VISp-rsa", 0.2, 0.6, 1, cv_value=0.19)
    out = build_site(synthetic_records() + [odd], tmp_path).parent
    escaped = "net&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
    for page in [out / "index.html", out / "benchmarks" / "allen.VISp-rsa.html", out / "models" / f"{name}.html",
                 out / "figures" / "ranking-allen.VISp-rsa.svg", out / "figures" / f"profile-{name}.svg"]:
        text = page.read_text()
        assert escaped in text, page.name
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
    assert not (tmp_path / "figures" / "profile-gabor.csv").exists()
    assert (tmp_path / "models" / "alexnet.html").exists()


def test_no_records_is_a_clear_error(tmp_path):
    with pytest.raises(MousescoreError, match="no result records"):
        build_site([], tmp_path)
    surrogate_only = [r for r in synthetic_records() if analyses.is_surrogate(r)]
    with pytest.raises(MousescoreError, match="no result records of recordings"):
        build_site(surrogate_only, tmp_path)


def test_models_that_could_not_be_scored_are_listed_with_their_reason_without_machine_paths(tmp_path):
    """A network the seeding could not score is on the board with why, not dropped (issue 15); a path
    of the maintainer's disk in the reason is not printed."""
    results = tmp_path / "leaderboard" / "results"
    results.mkdir(parents=True)
    assert read_unscorable(results) == {}
    unscorable_path(results).write_text(json.dumps({
        "huge-random": f"MousescoreError: spills about 241.5 GiB of activations to {MACHINE_PATH} and 61.7 GiB "
                       f"is free there: point MOUSESCORE_HOME at a bigger disk",
        "nan-random": "DataError: layer x is all NaN <really>"}))
    index = build_site(synthetic_records(), tmp_path / "site", read_unscorable(results)).read_text()
    assert "<h2>Not scored</h2>" in index and "2 model(s) of the zoo could not be scored" in index
    assert "<li><b>nan-random</b>: DataError: layer x is all NaN &lt;really&gt;</li>" in index
    assert "spills about 241.5 GiB of activations to [local path: tmp] and 61.7 GiB is free there" in index
    assert "/home/maintainer" not in index and "mousescore-cache" not in index
    assert "Not scored" not in build_site(synthetic_records(), tmp_path / "plain").read_text()
    unscorable_path(results).write_text('["not a mapping"]')
    with pytest.raises(MousescoreError, match="must map each model"):
        read_unscorable(results)


def machine_paths(tmp_path) -> list:
    found = {str(REPO), str(Path.home()), str(tmp_path), os.getcwd(), "/work/", "/tmp/", "/home/", "/root/"}
    return sorted(path for path in found if len(path) > 1)


def test_no_built_file_holds_a_path_of_the_machine_that_built_it(tmp_path, monkeypatch):
    """The committed board built by the CLI from another folder (no --results: the committed records are
    found from the package), with a provenance and an unscorable reason that name local paths."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    assert main(["leaderboard", "build", "--out", "site"]) == 0
    site = folder / "site"
    real = analyses.board_records(read_records(committed_results_dir()))
    index = (site / "index.html").read_text()
    assert f"Built from {len(real)} result records (" in index
    assert {p.stem for p in (site / "models").glob("*.html")} == {r["model"] for r in real}
    assert not list((site / "benchmarks").glob("allen_surrogate*"))
    odd = synthetic_record("local-net", MODELS["gabor"][0], "allen.VISp-rsa", 0.2, 0.6, 1,
                           provenance={"weights": f"{Path.home()}/weights/net.pt", "cache": "/tmp/x/y"})
    build_site(synthetic_records() + [odd], tmp_path / "odd",
               {"huge-random": f"out of disk at {REPO}/cache and {MACHINE_PATH}"})
    for built in (site, tmp_path / "odd"):
        for path in text_files(built):
            text = path.read_text()
            for local in machine_paths(tmp_path):
                assert local not in text, f"{path.relative_to(built)} holds {local}"
    assert "[local path: net.pt]" in (tmp_path / "odd" / "models" / "local-net.html").read_text()


def test_the_committed_board_s_figures_put_random_init_networks_in_no_task_cluster():
    records = analyses.board_records(read_records(committed_results_dir()))
    mosaic = analyses.family_mosaic(records)["metrics"]["rsa"]
    kinds = {group["group"]: {model["category"] for model in group["models"]} for group in mosaic["groups"]}
    assert kinds["random init"] == {"random"} and kinds["baseline"] == {"baseline"}
    assert all(found == {"trained"} for group, found in kinds.items() if group not in ("random init", "baseline"))
