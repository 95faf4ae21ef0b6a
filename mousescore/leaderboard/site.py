"""The static leaderboard site, built from result records (``mousescore leaderboard build``).

Layout under the output folder: ``index.html`` (the overview ranking, sortable and filterable),
``benchmarks/<benchmark>.html``, ``models/<model>.html``, ``analyses.html`` (the paper's four analyses
and Max against its cross-validated value),
``figures/<name>.svg`` beside ``figures/<name>.json`` (the data each figure was drawn from) and
``assets/``. Tables are rendered here and only sorted and filtered by ``leaderboard.js``, so the site
works from ``file://`` with no server. The same records always give the same bytes.
"""
from __future__ import annotations

import html
import json
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple
from urllib.parse import quote

from ..errors import MousescoreError
from ..results.records import check_name
from . import analyses, figures
from .analyses import LABELS, benchmark_parts, best_first, by_model, number

ASSET_DIR = Path(__file__).parent / "assets"
ASSETS = ("style.css", "leaderboard.js")
GENERATED = {"models": ("*.html",), "benchmarks": ("*.html",), "figures": ("*.svg", "*.json")}
CI_SUFFIXES = ("_ci95_low", "_ci95_high")
REFERENCE_LABELS = {"intermouse": "inter-mouse", "inter_region": "inter-region",
                    "inter_region_rdm_r": "inter-region RDM r"}
REAL_DATA = ("Data: recordings only (Allen Brain Observatory natural scenes, antolik2016 V1); the synthetic "
             "allen_surrogate population is a self-test of the pipeline and is not on the board.")
FIGURE_CAPTIONS = {
    "trained-vs-random": ("Trained vs random init (Fig. 1)",
                          "Each point is a network: its cross-validated score trained (y) against its random-init "
                          "variant (x), one panel per score: RSA over the six Allen areas (real RDMs of the Allen "
                          "Brain Observatory recordings), the real Allen SRP-Ridge once those benchmarks are built, "
                          "and SRP-Ridge on the real antolik2016 V1 neurons; above the diagonal, training helped. "
                          "Vertical bars: the paired 95% interval of trained − random from the CV values' "
                          "resamples (the layer chosen again in each); a bar crossing the diagonal is a "
                          "difference not told apart from 0."),
    "depth-by-area": ("Best-layer depth by area (Fig. 2)",
                      "Relative depth (0 first layer, 1 last) of the layer each model commits to per area "
                      "(real Allen recordings), areas from VISp up the hierarchy; bars are medians, vertical "
                      "lines their 95% bootstrap interval over models (the records hold each model's best "
                      "layer on all stimuli, not per draw, so the models are resampled). The title gives the "
                      "paper's §3.7 test: Friedman's chi-square across the six areas with the models that "
                      "have all six as blocks, Kendall's W = chi2 / (n (k − 1)) and p."),
    "family-mosaic": ("Families and task clusters (Fig. 3)",
                      "Area-mean scores over the six Allen areas (real recordings) grouped by task cluster "
                      "(else family); black bars are group medians, the grey band spans the areas' ceilings; "
                      "marker shape tells trained, random init and baseline models apart."),
    "max-vs-cv": ("Max vs its cross-validated value",
                  "Per model, Max − CV value (the layer chosen on half the stimuli, scored on the other "
                  "half; for the Allen scores the mean over the six areas) against its number of layers: "
                  "what the Max owes to choosing its layer on the data it reports. Real recordings: Allen "
                  "RSA, real Allen SRP-Ridge once built, antolik2016 V1 SRP-Ridge."),
    "rsa-vs-srp-ridge": ("RSA vs SRP-Ridge (§3.8)",
                         "Each model's RSA score against its SRP-Ridge score, with their Spearman rank "
                         "correlation across models: the Allen area means once the real Allen SRP-Ridge "
                         "benchmarks are built, until then both metrics on the same real antolik2016 V1 neurons."),
}
Cell = Tuple[str, Optional[object]]   # (inner HTML, sort value: a number, text, or None for empty)
Column = Tuple[str, str]              # (header text, "number" or "text")


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
    for folder in ("assets", "models", "benchmarks", "figures"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    for asset in ASSETS:
        shutil.copyfile(ASSET_DIR / asset, out / "assets" / asset)
    overview = analyses.overview(given)   # counts the surrogate records it leaves out
    _write_analyses(records, out)
    models = by_model(records)
    rows = {row["model"]: row for row in overview["rows"]}
    for model, benchmarks in models.items():
        _write_model_page(out, model, benchmarks, rows[model], overview)
    benchmarks = _by_benchmark(records)
    for benchmark, benchmark_records in benchmarks.items():
        _write(out / "benchmarks" / f"{benchmark}.html", _benchmark_page(benchmark, benchmark_records))
    index = out / "index.html"
    _write(index, _index_page(overview, list(benchmarks), len(records), unscorable or {}))
    # the overview's own numbers beside its page, as every figure's
    _write(out / "figures" / "overview.json", json.dumps(_overview_data(overview), indent=1, sort_keys=True,
                                                         allow_nan=False) + "\n")
    return index


def _remove_generated(out: Path) -> None:
    """Pages and figures of a previous build, so that a model or benchmark gone from the records does
    not linger; nothing else in the folder is touched."""
    for folder, patterns in GENERATED.items():
        for pattern in patterns:
            for path in (out / folder).glob(pattern):
                path.unlink()


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _by_benchmark(records: List[Dict]) -> Dict[str, List[Dict]]:
    grouped = defaultdict(list)
    for record in records:
        grouped[record["benchmark"]].append(record)
    return {name: sorted(group, key=lambda record: best_first(number(record["value"]), record["model"]))
            for name, group in sorted(grouped.items())}


# --- figures -------------------------------------------------------------------------------------

def _write_figure(out: Path, name: str, data: Dict, svg: str) -> None:
    _write(out / "figures" / f"{name}.json", json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n")
    _write(out / "figures" / f"{name}.svg", svg)


def _write_analyses(records: List[Dict], out: Path) -> None:
    results = {}
    for name, analysis in analyses.ANALYSES.items():
        results[name] = analysis(records)
        _write_figure(out, name, results[name], figures.RENDERERS[name](results[name]))
    _write(out / "analyses.html", _analyses_page(results))


def profile_figure_name(model: str) -> str:
    return f"profile-{model}"


# --- HTML helpers --------------------------------------------------------------------------------

def esc(text) -> str:
    return html.escape(str(text), quote=True)


def href(*parts: str) -> str:
    """A relative URL to a generated file, each part percent-encoded (names may hold any character)."""
    return esc("/".join(quote(part, safe="") for part in parts))


def fmt(value, digits: int = 3) -> str:
    value = number(value)
    return "" if value is None else f"{value:.{digits}f}"


def _parameters(value) -> str:
    value = number(value)
    return "" if value is None else f"{value / 1e6:.1f}M"


def _page(title: str, body: str, root: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<title>{esc(title)} · mousescore leaderboard</title>\n'
            f'<link rel="icon" href="data:,">\n'
            f'<link rel="stylesheet" href="{root}assets/style.css">\n</head>\n<body>\n'
            f'<header><nav><a href="{root}index.html">Overview</a> <a href="{root}analyses.html">Analyses</a>'
            f'</nav></header>\n<main>\n{body}\n</main>\n'
            f'<script src="{root}assets/leaderboard.js"></script>\n</body>\n</html>\n')


def _table(table_id: str, columns: Sequence[Column], rows: Sequence[Tuple[Dict[str, str], Sequence[Cell]]]) -> str:
    """A table that leaderboard.js sorts by any header; each row is (its attributes, its cells)."""
    head = "".join(f'<th data-type="{kind}" aria-sort="none"><button type="button">{esc(label)}</button></th>'
                   for label, kind in columns)
    kinds = [kind for _, kind in columns]
    body = "\n".join(f"<tr{_attributes(attributes)}>" + "".join(_td(cell, kind) for cell, kind in zip(cells, kinds))
                     + "</tr>" for attributes, cells in rows)
    return (f'<table id="{esc(table_id)}" class="sortable">\n<thead><tr>{head}</tr></thead>\n'
            f'<tbody>\n{body}\n</tbody>\n</table>')


def _attributes(attributes: Dict[str, str]) -> str:
    return "".join(f' {name}="{esc(value)}"' for name, value in attributes.items())


def _td(cell: Cell, kind: str) -> str:
    content, sort_value = cell
    return f'<td class="{kind}" data-value="{esc("" if sort_value is None else sort_value)}">{content}</td>'


def _number_cell(value, digits: int = 3) -> Cell:
    return esc(fmt(value, digits)), number(value)


def _text_cell(text) -> Cell:
    text = "" if text is None else str(text)
    return esc(text), text


def _model_link(model: str, root: str) -> str:
    return f'<a href="{root}{href("models", model + ".html")}">{esc(model)}</a>'


def _benchmark_link(benchmark: str, root: str) -> str:
    return f'<a href="{root}{href("benchmarks", benchmark + ".html")}">{esc(benchmark)}</a>'


# --- overview ------------------------------------------------------------------------------------

def _index_page(overview: Dict, benchmarks: List[str], n_records: int, unscorable: Dict[str, str]) -> str:
    ignored = overview["surrogate_records_ignored"]
    body = (f"<h1>mousescore leaderboard</h1>\n"
            f"<p>Neural networks scored against mouse visual cortex as in Conwell et al. (NeurIPS 2021), on "
            f"recordings only.</p>\n{_headline_text(overview)}\n{_claims_text(overview)}\n"
            f"<p><b>CV</b> columns: the same means with the layer chosen on half of the stimuli and scored on "
            f"the other half (Max picks and reports on the same stimuli). Click a column header to sort.</p>\n"
            f"{_filters(overview['rows'])}\n"
            f'<p id="row-count" aria-live="polite">{len(overview["rows"])} models</p>\n'
            f"{_overview_table(overview)}\n{_unscorable_section(unscorable)}"
            f"<h2>Benchmarks</h2>\n{_benchmark_list(benchmarks)}\n"
            f'<footer><p>Built from {n_records} result records'
            f'{f" ({ignored} records of the synthetic allen_surrogate population left out)" if ignored else ""}'
            f'. {esc(REAL_DATA)} <a href="{href("figures", "overview.json")}">Data (JSON)</a></p></footer>')
    return _page("Overview", body)


def _headline_text(overview: Dict) -> str:
    """What the ranking is made of (the board's headline decision, also in the README)."""
    areas = esc(", ".join(overview["areas"]))
    if overview["headline"] == "mouse_score":
        ranked = (f"<b>Ranked by the mouse score</b>, the paper's: the mean of RSA and SRP-Ridge, each averaged "
                  f"over the six Allen areas ({areas}), SRP-Ridge on the real Allen per-neuron recordings "
                  f"(<code>allen.&lt;area&gt;-srp_ridge</code>), cross-validated (see below).")
    else:
        ranked = (f"<b>Ranked by RSA</b>: each model's RSA score averaged over the six Allen areas ({areas}), "
                  f"from the real Allen Brain Observatory recordings, cross-validated (see below). The paper's "
                  f"mouse score also averages in SRP-Ridge over the same areas; that needs the real Allen "
                  f"per-neuron benchmarks (<code>allen.&lt;area&gt;-srp_ridge</code>, built with "
                  f"<code>mousescore data build allen</code>), and the ranking switches to it once every ranked "
                  f"model has them.")
    return (f'<p id="headline">{ranked} The real per-neuron V1 scores of antolik2016 (SRP-Ridge and RSA) are '
            f"columns of their own. A model missing an area has no mean for that score (hover its n/a for the "
            f"missing areas).</p>")


def _claims_text(overview: Dict) -> str:
    """How the board's comparisons hold their error rate, and what they are computed from."""
    claims = overview["comparisons"]
    waiting = overview["without_evidence"]
    pending = (f" {waiting} model(s) were scored before mousescore 0.4 and have no resamples of their CV value: "
               f"they are ranked, without interval or claims, until rescored." if waiting else "")
    if claims is None:
        return f'<p id="claims">No two models have resamples of their CV value yet: no claims.{esc(pending)}</p>'
    return (f'<p id="claims"><b>Ranked by the cross-validated value</b> (the layer chosen on half the stimuli '
            f"and scored on the other half, 50 splits): the Max, the paper's number, is shown beside it, but it "
            f"chooses its layer on the stimuli it reports and rises with the number of layers by chance. "
            f"<b>95% interval</b> and comparisons: from the CV value's delete-one jackknife over the stimuli, the "
            f"layer chosen again without each, corrected for the pair-specific part of an RDM correlation. "
            f"<b>Differs</b>: only where Holm's procedure over all {claims['pairs']} pairs (family-wise error "
            f"{claims['alpha']:.0%}) rejects equality of the paired CV values (normal p-values): "
            f"{claims['differ']} pairs differ. <b>Rank interval</b>: the 2.5th to 97.5th percentile of the rank "
            f"over {claims['rank_draws']} normal draws with the jackknife's covariance; "
            f"{claims['overlapping_rank_intervals']} of the {claims['pairs']} pairs overlap. On simulated data "
            f"with equal true scores and 1 to 150 layers these hold their error rates (see the documentation's "
            f"statistics section); nothing is chained from neighbours.{esc(pending)}</p>")


def _overview_data(overview: Dict) -> Dict:
    """The overview's ranking, scores, intervals and claims as JSON."""
    keep = ("model", "rank", "rank_interval", "headline", "intervals", "differs_from", "category") + analyses.SCORES
    return {**{key: value for key, value in overview.items() if key != "rows"},
            "rows": [{key: row[key] for key in keep} for row in overview["rows"]]}


def _unscorable_section(unscorable: Dict[str, str]) -> str:
    if not unscorable:
        return ""
    items = "".join(f"<li><b>{esc(model)}</b>: {esc(reason)}</li>" for model, reason in sorted(unscorable.items()))
    return (f'<h2>Not scored</h2>\n<p>{len(unscorable)} model(s) of the zoo could not be scored here, and '
            f'why:</p>\n<ul id="unscorable">{items}</ul>\n')


def _filters(rows: List[Dict]) -> str:
    selects = []
    for key, label in (("family", "Family"), ("training", "Training"), ("trained", "Trained / random")):
        values = sorted({_filter_value(row, key) for row in rows})
        options = '<option value="">all</option>' + "".join(f'<option value="{esc(v)}">{esc(v)}</option>'
                                                           for v in values)
        selects.append(f'<label>{esc(label)} <select id="filter-{key}" data-filter="{key}">{options}</select></label>')
    return f'<form class="filters" data-table="overview">{" ".join(selects)}</form>'


def _filter_value(row: Dict, key: str) -> str:
    if key == "trained":
        return "trained" if row["trained"] else "untrained"
    return row[key] or "unknown"


def _overview_table(overview: Dict) -> str:
    scores = list(overview["scores"])          # the Max of every score, the headline's included
    columns = [("Rank", "number"), ("Model", "text"), (overview["headline_label"], "number"),
               ("95% interval", "number"), ("Rank interval", "number")]
    columns += [(LABELS[score], "number") for score in scores]
    columns += [(LABELS[score].replace("Max", "CV") if "Max" in LABELS[score] else LABELS[score] + " CV", "number")
                for score in _other_cv_scores(overview)]
    columns += [(name, "number") for name in overview["extra_benchmarks"]]
    columns += [("Family", "text"), ("Training", "text"), ("Trained", "text"), ("Task cluster", "text"),
                ("Parameters", "number")]
    rows = [(_overview_row_attributes(row), _overview_cells(row, overview, scores)) for row in overview["rows"]]
    return _table("overview", columns, rows)


def _overview_row_attributes(row: Dict) -> Dict[str, str]:
    return {"data-model": row["model"],
            **{f"data-{key}": _filter_value(row, key) for key in ("family", "training", "trained")}}


def _overview_cells(row: Dict, overview: Dict, scores: List[str]) -> List[Cell]:
    name = _model_link(row["model"], "")
    if row["display_name"] and row["display_name"] != row["model"]:
        name += f' <span class="display-name">{esc(row["display_name"])}</span>'
    rank = row["rank"]
    cells = [(str(rank or ""), rank), (name, row["model"]), _number_cell(row["headline"]),
             _interval_cell(row["intervals"][overview["headline"]]), _rank_interval_cell(row["rank_interval"])]
    cells += [_score_cell(row, score) for score in scores]
    cells += [_score_cell(row, score, cv=True) for score in _other_cv_scores(overview)]
    cells += [_number_cell(row["benchmarks"][name]) for name in overview["extra_benchmarks"]]
    cells += [_text_cell(row["family"]), _text_cell(row["training"]),
              _text_cell(_filter_value(row, "trained")), _text_cell(row["task_cluster"]),
              (esc(_parameters(row["parameters"])), number(row["parameters"]))]
    return cells


def _interval_cell(interval: Optional[List[float]]) -> Cell:
    """"[low, high]", sorted by the low end; empty without draws."""
    if not interval:
        return "", None
    return f'<span class="interval">[{fmt(interval[0])}, {fmt(interval[1])}]</span>', interval[0]


def _rank_interval_cell(ranks: Optional[List[int]]) -> Cell:
    """"low–high", sorted by the best rank; empty without draws."""
    if not ranks:
        return "", None
    return f'<span class="rank-interval">{ranks[0]}–{ranks[1]}</span>', ranks[0]


def _other_cv_scores(overview: Dict) -> List[str]:
    """The scores whose CV value has a column beside the headline's own."""
    return [score for score in analyses.SCORES[1:] if score in overview["scores"] and score != overview["headline"]]


def _score_cell(row: Dict, score: str, cv: bool = False) -> Cell:
    """A score's Max (or, ``cv``, its CV value with the CV value's interval in the tooltip); n/a naming
    the missing sites."""
    value = row["cv"][score] if cv else row[score]
    if value is None:
        missing = ", ".join(row["missing_areas"].get(score) or [])
        title = f"missing: {missing}" if missing else "needs both Allen metrics on all six areas"
        return f'<span class="missing" title="{esc(title)}">n/a</span>', None
    if not cv:
        return f"<span>{esc(fmt(value))}</span>", value
    found = row["intervals"].get(score)
    title = f' title="95% interval [{fmt(found[0])}, {fmt(found[1])}]"' if found else ""
    return f"<span{title}>{esc(fmt(value))}</span>", value


def _benchmark_list(benchmarks: List[str]) -> str:
    by_dataset = defaultdict(list)
    for benchmark in benchmarks:
        by_dataset[benchmark_parts(benchmark)[0]].append(benchmark)
    items = []
    for dataset, names in sorted(by_dataset.items()):
        links = ", ".join(_benchmark_link(name, "") for name in names)
        items.append(f"<li><b>{esc(dataset)}</b>: {links}</li>")
    return f'<ul class="benchmarks">{"".join(items)}</ul>'


# --- benchmark pages -----------------------------------------------------------------------------

def _benchmark_page(benchmark: str, records: List[Dict]) -> str:
    first = records[0]
    metadata = {**(first.get("benchmark_metadata") or {}), "error": first.get("error_kind"),
                "ceiling": first.get("ceiling_kind")}
    references = _reference_names(records)
    columns = [("Rank", "number"), ("Model", "text"), ("Value ± error", "number"), ("Ceiling", "number"),
               ("Ceiled value", "number"), ("Best layer", "text"), ("Depth", "number"), ("Units", "number")]
    columns += [(_reference_label(name, records), "number") for name in references]
    rows = [({"data-model": record["model"]}, _benchmark_cells(rank, record, references))
            for rank, record in enumerate(records, start=1)]
    body = (f"<h1>{esc(benchmark)}</h1>\n{_definition_list(metadata)}\n"
            f"{_table('benchmark', columns, rows)}")
    return _page(benchmark, body, "../")


def _reference_names(records: List[Dict]) -> List[str]:
    """Reference names, a confidence interval's bounds folded into their reference."""
    names = {name for record in records for name in record.get("references") or {}}
    return sorted(name for name in names if not name.endswith(CI_SUFFIXES))


def _reference_label(name: str, records: List[Dict]) -> str:
    has_interval = any(f"{name}_ci95_low" in (record.get("references") or {}) for record in records)
    return REFERENCE_LABELS.get(name, name.replace("_", " ")) + (" (95% CI)" if has_interval else "")


def _benchmark_cells(rank: int, record: Dict, references: List[str]) -> List[Cell]:
    value = number(record["value"])
    shown = "" if value is None else f"{fmt(value)} ± {fmt(record.get('error'))}"
    units = record.get("n_units")
    excluded = record.get("n_excluded") or 0
    units_text = f"{units}" + (f" ({excluded} excluded)" if excluded else "") if units is not None else ""
    cells = [(str(rank), rank), (_model_link(record["model"], "../"), record["model"]),
             (f'<span title="{esc(record.get("error_kind") or "")}">{esc(shown)}</span>', value),
             _number_cell(record.get("ceiling")), _number_cell(record.get("ceiled_value")),
             _text_cell(record.get("best_layer")), _number_cell(record.get("best_layer_depth"), 2),
             (esc(units_text), units)]
    return cells + [_reference_cell(record.get("references") or {}, name) for name in references]


def _reference_cell(references: Dict, name: str) -> Cell:
    value = number(references.get(name))
    low, high = (number(references.get(name + suffix)) for suffix in CI_SUFFIXES)
    text = fmt(value) + (f" [{fmt(low)}, {fmt(high)}]" if low is not None and high is not None else "")
    return esc(text), value


def _definition_list(items: Dict) -> str:
    entries = "".join(f"<dt>{esc(key)}</dt><dd>{esc(_plain(value))}</dd>" for key, value in sorted(items.items())
                      if value not in (None, "", [], {}))
    return f'<dl class="metadata">{entries}</dl>'


def _plain(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


# --- model pages ---------------------------------------------------------------------------------

def _write_model_page(out: Path, model: str, benchmarks: Dict[str, Dict], row: Dict, overview: Dict) -> None:
    profiles = analyses.layer_profiles(benchmarks)
    figure = profile_figure_name(model)
    _write_figure(out, figure, profiles, figures.render_layer_profile(profiles, model))
    _write(out / "models" / f"{model}.html", _model_page(model, benchmarks, row, figure, overview))


def _model_page(model: str, benchmarks: Dict[str, Dict], row: Dict, figure: str, overview: Dict) -> str:
    metadata = analyses.model_metadata(benchmarks)
    heading = esc(model) + (f' <span class="display-name">{esc(metadata["display_name"])}</span>'
                            if metadata.get("display_name") and metadata["display_name"] != model else "")
    body = (f"<h1>{heading}</h1>\n{_definition_list(_model_summary(row, overview))}\n"
            f"<h2>Layer profiles</h2>\n"
            f'<figure><img src="../{href("figures", figure + ".svg")}" alt="{esc(model)}: score per layer, '
            f'one line per area, per metric">'
            f'<figcaption>Score per layer (relative depth in execution order), one line per area; ★ marks '
            f'the best layer. <a href="../{href("figures", figure + ".json")}">Data (JSON)</a></figcaption>'
            f"</figure>\n<h2>Differs from (Holm-corrected)</h2>\n{_differs(row, overview)}\n"
            f"<h2>Benchmarks</h2>\n{_model_benchmarks_table(benchmarks)}\n"
            f"<h2>Model metadata</h2>\n{_definition_list(metadata)}\n"
            f"<h2>Provenance</h2>\n{_provenance(benchmarks)}")
    return _page(model, body, "../")


def _model_summary(row: Dict, overview: Dict) -> Dict[str, str]:
    summary = {}
    for score in overview["scores"]:
        missing = ", ".join(row["missing_areas"].get(score) or [])
        summary[LABELS[score]] = (fmt(row[score]) if row[score] is not None
                                  else f"n/a (missing: {missing})" if missing else "n/a")
        if row["cv"][score] is not None:
            summary[LABELS[score] + ", CV value"] = fmt(row["cv"][score]) + _interval_text(row["intervals"][score])
    ranks = row["rank_interval"]
    summary[f"rank by {overview['headline_label']}"] = (
        f"{row['rank']} (95% rank interval {ranks[0]}–{ranks[1]})" if ranks else str(row["rank"] or "n/a"))
    return summary


def _interval_text(interval: Optional[List[float]]) -> str:
    return f" [95% {fmt(interval[0])}, {fmt(interval[1])}]" if interval else ""


def _differs(row: Dict, overview: Dict) -> str:
    """The models whose headline score differs from this one's by Holm's procedure over all pairs."""
    claims = overview["comparisons"]
    if row["differs_from"] is None or claims is None:
        return "<p>No resamples of its CV value (scored before mousescore 0.4): not compared.</p>"
    family = (f"Holm's procedure over all {claims['pairs']} pairs of ranked models, family-wise error "
              f"{claims['alpha']:.0%}")
    if not row["differs_from"]:
        return f'<p id="differs">None: by {esc(family)}, no other model is claimed different.</p>'
    links = ", ".join(_model_link(model, "../") for model in row["differs_from"])
    return (f'<p id="differs">{len(row["differs_from"])} model(s) whose {esc(overview["headline_label"])} differs '
            f"from this one's by {esc(family)}: {links}</p>")


def _model_benchmarks_table(benchmarks: Dict[str, Dict]) -> str:
    columns = [("Benchmark", "text"), ("Value ± error", "number"), ("CV", "number"), ("CV 95% interval", "number"),
               ("Ceiling", "number"), ("Ceiled value", "number"), ("Best layer", "text"), ("Depth", "number")]
    rows = []
    for name, record in benchmarks.items():
        link = _benchmark_link(name, "../")
        value = number(record["value"])
        shown = "" if value is None else f"{fmt(value)} ± {fmt(record.get('error'))}"
        rows.append(({"data-benchmark": name},
                     [(link, name), (esc(shown), value), _number_cell(record.get("cv_value")),
                      _interval_cell(analyses.interval(analyses.cv_evidence(record))), _number_cell(record.get("ceiling")),
                      _number_cell(record.get("ceiled_value")), _text_cell(record.get("best_layer")),
                      _number_cell(record.get("best_layer_depth"), 2)]))
    return _table("model-benchmarks", columns, rows)


def _provenance(benchmarks: Dict[str, Dict]) -> str:
    """The first record's provenance, and which of its fields differ across the model's records."""
    first_benchmark, first = next(iter(benchmarks.items()))
    provenances = [record.get("provenance") or {} for record in benchmarks.values()]
    keys = sorted({key for provenance in provenances for key in provenance})
    differing = [key for key in keys if len({_canonical(p.get(key)) for p in provenances}) > 1]
    note = (f"<p>Fields that differ across this model's {len(provenances)} records: "
            f"{esc(', '.join(differing))}.</p>" if differing
            else f"<p>The same for all of this model's {len(provenances)} records.</p>")
    text = json.dumps(first.get("provenance") or {}, indent=2, sort_keys=True)
    return f"<p>Provenance of {_benchmark_link(first_benchmark, '../')}:</p>\n<pre>{esc(text)}</pre>\n{note}"


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True)


# --- analyses page -------------------------------------------------------------------------------

def _analyses_page(results: Dict[str, Dict]) -> str:
    sections = []
    for name, (title, caption) in FIGURE_CAPTIONS.items():
        sections.append(f'<section id="{esc(name)}"><h2>{esc(title)}</h2>\n'
                        f'<figure><img src="{href("figures", name + ".svg")}" alt="{esc(title)}">'
                        f"<figcaption>{esc(caption)}{_analysis_note(name, results[name])} "
                        f'<a href="{href("figures", name + ".json")}">Data (JSON)</a></figcaption></figure>'
                        f"</section>")
    body = "<h1>Analyses</h1>\n" + "\n".join(sections)
    return _page("Analyses", body)


def _analysis_note(name: str, data: Dict) -> str:
    if name == "rsa-vs-srp-ridge":
        spearman = data["spearman"]
        rho = "n/a (fewer than 3 models or constant scores)" if spearman["rho"] is None else f"{spearman['rho']:.3f}"
        return esc(f" {data['labels']['rsa']} vs {data['labels']['srp_ridge']}: Spearman rho = {rho}, "
                   f"n = {spearman['n']} models.")
    if name == "max-vs-cv":
        return esc("".join(f" {panel['label']}: mean gap {fmt(panel['mean_gap']) or 'n/a'} over "
                           f"{len(panel['points'])} models, {fmt(panel['slope_per_doubling']) or 'n/a'} per "
                           f"doubling of layers." for panel in data["metrics"].values()))
    if name == "depth-by-area":
        return esc("".join(f" {panel['label']}: {figures.friedman_text(panel['friedman'])}."
                           for panel in data["metrics"].values()).replace("\n", " "))
    return ""
