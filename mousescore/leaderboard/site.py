"""The static leaderboard site, built from result records (``mousescore leaderboard build``).

Layout under the output folder: ``index.html`` (the overview: every model × benchmark, sortable,
searchable, filterable, with folding column groups), ``benchmarks.html`` and
``benchmarks/<benchmark>.html`` (data card, ranking with intervals), ``models/<model>.html`` (layer
profiles, comparisons, how to score and cite it), ``analyses.html`` (the paper's analyses and Max
against its cross-validated value), ``submit.html``, ``cite.html``; ``figures/`` holds every chart as SVG
beside the data it was drawn from (CSV, and JSON for the analyses and the overview), ``thumbnails/`` a
few of each dataset's images, ``assets/`` the style sheet and script. Plain HTML, CSS and JavaScript,
nothing fetched from elsewhere: the site works offline and from ``file://``. The same records (and
data) always give the same bytes; no path of the building machine reaches a page.
"""
from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from .. import __version__
from ..errors import MousescoreError
from ..registry.plugins import get_registry
from ..results.records import check_name
from . import analyses, benchmark_pages, datacards, figures, model_pages, overview_page, static_pages
from .analyses import best_first, by_model, number
from .figure_tables import figure_csv

ASSET_DIR = Path(__file__).parent / "assets"
ASSETS = ("style.css", "leaderboard.js")
GENERATED = {"models": ("*.html",), "benchmarks": ("*.html",), "figures": ("*.svg", "*.json", "*.csv"),
             "thumbnails": ("*.png",)}
OVERVIEW_ROW_FIELDS = ("model", "rank", "rank_interval", "headline", "intervals", "differs_from", "category")


def build_site(records: Iterable[Dict], out_dir, unscorable: Optional[Dict[str, str]] = None) -> Path:
    """Write the site for ``records`` under ``out_dir``; returns the path of ``index.html``.
    ``unscorable``: {model: reason} of models tried and not scored, listed under the table."""
    given = list(records)
    records = analyses.board_records(given)   # recordings only: the surrogate never reaches the board
    if not records:
        raise MousescoreError("no result records of recordings: nothing to build the leaderboard from "
                              "(`mousescore results export` writes them)")
    out = Path(out_dir)
    for record in records:   # names become file names: refuse any that could leave their folder
        check_name(record["model"]), check_name(record["benchmark"])
    _remove_generated(out)
    for folder in ("assets", "models", "benchmarks", "figures", "thumbnails"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    for asset in ASSETS:
        shutil.copyfile(ASSET_DIR / asset, out / "assets" / asset)

    overview = analyses.overview(given)   # counts the surrogate records it leaves out
    registry = get_registry()
    benchmarks = _by_benchmark(records)
    datasets = sorted({analyses.benchmark_parts(name)[0] for name in benchmarks})
    cards = datacards.dataset_cards(datasets, registry)
    thumbnails = {dataset: datacards.write_thumbnails(out / "thumbnails", dataset, registry) for dataset in datasets}

    _write(out / "index.html", overview_page.overview_page(overview, records, len(records), unscorable or {}))
    _write(out / "figures" / "overview.json", _json(_overview_data(overview)))
    _write(out / "figures" / "overview.csv", overview_page.overview_csv(overview, records))
    _write_analyses(records, out)
    _write_models(records, overview, cards, out)
    _write_benchmarks(benchmarks, cards, thumbnails, registry, out)
    _write(out / "submit.html", static_pages.submit_page(benchmarks))
    _write(out / "cite.html", static_pages.cite_page(__version__, cards))
    return out / "index.html"


def _write_models(records: List[Dict], overview: Dict, cards: Dict, out: Path) -> None:
    """Each model's page, and its layer profiles as SVG and CSV."""
    rows = {row["model"]: row for row in overview["rows"]}
    for model, mine in by_model(records).items():
        panels = analyses.profile_panels(mine)
        figure = model_pages.profile_figure_name(model)
        _write(out / "figures" / f"{figure}.svg", model_pages.profile_svg(model, panels))
        _write(out / "figures" / f"{figure}.csv", model_pages.profile_csv(panels))
        _write(out / "models" / f"{model}.html", model_pages.model_page(model, mine, rows[model], overview, cards))


def _write_benchmarks(benchmarks: Dict[str, List[Dict]], cards: Dict, thumbnails: Dict, registry, out: Path) -> None:
    """Each benchmark's page with its ranking as SVG and CSV, and the benchmark index."""
    rankings = {name: analyses.benchmark_ranking(group) for name, group in benchmarks.items()}
    metrics = _metric_descriptions({analyses.benchmark_parts(name)[2] for name in benchmarks}, registry)
    for name, group in benchmarks.items():
        figure = benchmark_pages.ranking_figure_name(name)
        _write(out / "figures" / f"{figure}.svg", benchmark_pages.ranking_svg(name, rankings[name]))
        _write(out / "figures" / f"{figure}.csv", benchmark_pages.ranking_csv(rankings[name]))
        dataset, _, metric = analyses.benchmark_parts(name)
        _write(out / "benchmarks" / f"{name}.html",
               benchmark_pages.benchmark_page(name, group, rankings[name], cards.get(dataset, {}),
                                              thumbnails.get(dataset), metrics.get(metric, "")))
    _write(out / "benchmarks.html", benchmark_pages.index_page(rankings, cards, thumbnails))


def _remove_generated(out: Path) -> None:
    """Pages and figures of a previous build, so that a model or benchmark gone from the records does
    not linger; nothing else in the folder is touched."""
    for folder, patterns in GENERATED.items():
        for pattern in patterns:
            for path in (out / folder).glob(pattern):
                path.unlink()


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _json(data) -> str:
    return json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n"


def _by_benchmark(records: List[Dict]) -> Dict[str, List[Dict]]:
    grouped = defaultdict(list)
    for record in records:
        grouped[record["benchmark"]].append(record)
    return {name: sorted(group, key=lambda record: best_first(number(record["value"]), record["model"]))
            for name, group in sorted(grouped.items())}


def _metric_descriptions(metrics: Iterable[str], registry) -> Dict[str, str]:
    known = set(registry.identifiers("metric"))
    return {metric: str(registry.get("metric", metric).metadata.get("description", ""))
            for metric in metrics if metric in known}


def _write_analyses(records: List[Dict], out: Path) -> None:
    results = {}
    for name, analysis in analyses.ANALYSES.items():
        results[name] = analysis(records)
        _write(out / "figures" / f"{name}.json", _json(results[name]))
        _write(out / "figures" / f"{name}.csv", figure_csv(name, results[name]))
        _write(out / "figures" / f"{name}.svg", figures.RENDERERS[name](results[name]))
    _write(out / "analyses.html", static_pages.analyses_page(results))


def _overview_data(overview: Dict) -> Dict:
    """The overview's ranking, scores, intervals and claims as JSON."""
    keep = OVERVIEW_ROW_FIELDS + analyses.SCORES
    return {**{key: value for key, value in overview.items() if key != "rows"},
            "rows": [{key: row[key] for key in keep} for row in overview["rows"]]}
