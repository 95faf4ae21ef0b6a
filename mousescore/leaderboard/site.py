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
from ..results.score import percentile_interval
from . import analyses, figures
from .analyses import AREA_METRICS, METRIC_LABELS, benchmark_parts, best_first, by_model, is_surrogate, number

ASSET_DIR = Path(__file__).parent / "assets"
ASSETS = ("style.css", "leaderboard.js")
GENERATED = {"models": ("*.html",), "benchmarks": ("*.html",), "figures": ("*.svg", "*.json")}
CI_SUFFIXES = ("_ci95_low", "_ci95_high")
REFERENCE_LABELS = {"intermouse": "inter-mouse", "inter_region": "inter-region", "inter_region_rdm_r": "inter-region RDM r",
                    "surrogate_vs_real_similarity_r": "surrogate vs real RDM r"}
SURROGATE_TEXT = ("SURROGATE data: a per-trial population generated from the real Allen site RDMs, not "
                  "recordings (allen_surrogate).")
FIGURE_CAPTIONS = {
    "trained-vs-random": ("Trained vs random init (Fig. 1)",
                          "Each point is a network: its area-mean score trained (y) against its random-init "
                          "variant (x); above the diagonal, training helped. Vertical bars: the paired 95% "
                          "interval of trained − random (same resampling for both); a bar crossing the "
                          "diagonal is a difference not told apart from 0."),
    "depth-by-area": ("Best-layer depth by area (Fig. 2)",
                      "Relative depth (0 first layer, 1 last) of the layer each model commits to per area, "
                      "areas from VISp up the hierarchy; bars are medians."),
    "family-mosaic": ("Families and task clusters (Fig. 3)",
                      "Area-mean scores grouped by task cluster (else family); black bars are group medians, "
                      "the grey band spans the areas' ceilings; marker shape tells trained, random init "
                      "and baseline models apart."),
    "max-vs-cv": ("Max vs its cross-validated value",
                  "Per model, the mean over the six areas of Max − CV value (the layer chosen on half "
                  "the stimuli, scored on the other half) against its number of layers: what the Max "
                  "owes to choosing its layer on the data it reports."),
    "rsa-vs-srp-ridge": ("RSA vs SRP-Ridge (§3.8)",
                         "Each model's RSA Max against its SRP-Ridge Max, with their Spearman rank correlation "
                         "across models."),
}
Cell = Tuple[str, Optional[object]]   # (inner HTML, sort value: a number, text, or None for empty)
Column = Tuple[str, str]              # (header text, "number" or "text")


def build_site(records: Iterable[Dict], out_dir, unscorable: Optional[Dict[str, str]] = None) -> Path:
    """Write the site for ``records`` under ``out_dir``; returns the path of ``index.html``.
    ``unscorable``: {model: reason} of models tried and not scored, listed under the table."""
    records = list(records)
    if not records:
        raise MousescoreError("no result records: nothing to build the leaderboard from "
                              "(`mousescore results export` writes them)")
    out = Path(out_dir)
    for record in records:   # names become file names: refuse any that could leave their folder
        check_name(record["model"]), check_name(record["benchmark"])
    _remove_generated(out)
    for folder in ("assets", "models", "benchmarks", "figures"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    for asset in ASSETS:
        shutil.copyfile(ASSET_DIR / asset, out / "assets" / asset)
    overview = analyses.overview(records)
    _write_analyses(records, out)
    models = by_model(records)
    rows = {row["model"]: row for row in overview["rows"]}
    for model, benchmarks in models.items():
        _write_model_page(out, model, benchmarks, rows[model])
    benchmarks = _by_benchmark(records)
    for benchmark, benchmark_records in benchmarks.items():
        _write(out / "benchmarks" / f"{benchmark}.html", _benchmark_page(benchmark, benchmark_records))
    index = out / "index.html"
    _write(index, _index_page(overview, list(benchmarks), len(records), unscorable or {}))
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


def _surrogate_mark() -> str:
    return f'<abbr class="surrogate-mark" title="{esc(SURROGATE_TEXT)}">S</abbr>'


def _model_link(model: str, root: str) -> str:
    return f'<a href="{root}{href("models", model + ".html")}">{esc(model)}</a>'


def _benchmark_link(benchmark: str, root: str) -> str:
    return f'<a href="{root}{href("benchmarks", benchmark + ".html")}">{esc(benchmark)}</a>'


# --- overview ------------------------------------------------------------------------------------

def _index_page(overview: Dict, benchmarks: List[str], n_records: int, unscorable: Dict[str, str]) -> str:
    surrogate_models = overview["srp_ridge_surrogate_models"]
    note = (f'<p class="surrogate-note">{_surrogate_mark()} SRP-Ridge Max of {len(surrogate_models)} model(s) '
            f"is from the SURROGATE population (allen_surrogate): the real per-neuron Allen benchmarks were "
            f"not scored on all six areas. {esc(SURROGATE_TEXT)}</p>" if surrogate_models else "")
    body = (f"<h1>mousescore leaderboard</h1>\n"
            f"<p>Neural networks scored against mouse visual cortex as in Conwell et al. (NeurIPS 2021). "
            f"<b>RSA Max</b> and <b>SRP-Ridge Max</b> are each model's best-layer scores averaged over the six "
            f"Allen areas ({esc(', '.join(overview['areas']))}); a model missing an area has no mean for "
            f"that metric (hover its n/a for the missing areas). The <b>mouse score</b> is the mean of the two, or the one "
            f"available, with its 95% bootstrap interval. <b>Tie group</b>: models in one group cannot be told "
            f"apart from their neighbour above (the paired 95% interval of their difference, resampled with the "
            f"same stimuli and neurons for every model, contains 0); "
            f"{_steps_text(overview['adjacent_pairs'])}. <b>CV</b> columns: the area means with the layer chosen "
            f"on half of the stimuli and scored on the other half (Max picks and reports on the same stimuli). "
            f"Click a column header to sort.</p>\n{note}\n"
            f"{_filters(overview['rows'])}\n"
            f'<p id="row-count" aria-live="polite">{len(overview["rows"])} models</p>\n'
            f"{_overview_table(overview)}\n{_unscorable_section(unscorable)}"
            f"<h2>Benchmarks</h2>\n{_benchmark_list(benchmarks)}\n"
            f'<footer><p>Built from {n_records} result records.</p></footer>')
    return _page("Overview", body)


def _unscorable_section(unscorable: Dict[str, str]) -> str:
    if not unscorable:
        return ""
    items = "".join(f"<li><b>{esc(model)}</b>: {esc(reason)}</li>" for model, reason in sorted(unscorable.items()))
    return (f'<h2>Not scored</h2>\n<p>{len(unscorable)} model(s) of the zoo could not be scored here, and '
            f'why:</p>\n<ul id="unscorable">{items}</ul>\n')


def _steps_text(steps: Dict) -> str:
    return (f"{steps['significant']} of {steps['tested']} adjacent pairs in the ranking differ significantly"
            if steps["tested"] else "no model has bootstrap draws yet")


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
    columns = [("Rank", "number"), ("Model", "text"), ("Mouse score", "number"), ("95% interval", "number"),
               ("Tie group", "number")]
    columns += [(METRIC_LABELS[metric] + (" (S = surrogate)" if metric == "srp_ridge" and overview[
        "srp_ridge_surrogate_models"] else ""), "number") for metric in AREA_METRICS]
    columns += [(METRIC_LABELS[metric].replace("Max", "CV"), "number") for metric in AREA_METRICS]
    columns += [(name, "number") for name in overview["extra_benchmarks"]]
    columns += [("Family", "text"), ("Training", "text"), ("Trained", "text"), ("Task cluster", "text"),
                ("Parameters", "number")]
    rows = [(_overview_row_attributes(row), _overview_cells(rank, row, overview["extra_benchmarks"]))
            for rank, row in enumerate(overview["rows"], start=1)]
    return _table("overview", columns, rows)


def _overview_row_attributes(row: Dict) -> Dict[str, str]:
    return {"data-model": row["model"], "data-tie-group": str(row.get("tie_group") or ""),
            **{f"data-{key}": _filter_value(row, key) for key in ("family", "training", "trained")}}


def _overview_cells(rank: int, row: Dict, extra_benchmarks: List[str]) -> List[Cell]:
    name = _model_link(row["model"], "")
    if row["display_name"] and row["display_name"] != row["model"]:
        name += f' <span class="display-name">{esc(row["display_name"])}</span>'
    any_surrogate = row["surrogate"]["srp_ridge"] and row["srp_ridge"] is not None
    cells = [(str(rank), rank), (name, row["model"]), _score_cell(row["mouse_score"], any_surrogate),
             _interval_cell(row["intervals"]["mouse_score"]),
             (str(row["tie_group"]) if row.get("tie_group") else "", row.get("tie_group"))]
    cells += [_area_mean_cell(row, metric) for metric in AREA_METRICS]
    cells += [_number_cell(row["cv"][metric]) for metric in AREA_METRICS]
    cells += [_number_cell(row["benchmarks"][name]) for name in extra_benchmarks]
    cells += [_text_cell(row["family"]), _text_cell(row["training"]),
              _text_cell(_filter_value(row, "trained")), _text_cell(row["task_cluster"]),
              (esc(_parameters(row["parameters"])), number(row["parameters"]))]
    return cells


def _interval_cell(interval: Optional[List[float]]) -> Cell:
    """"[low, high]", sorted by the low end; empty without draws."""
    if not interval:
        return "", None
    return f'<span class="interval">[{fmt(interval[0])}, {fmt(interval[1])}]</span>', interval[0]


def _score_cell(value: Optional[float], surrogate: bool) -> Cell:
    content, sort_value = _number_cell(value)
    return (content + _surrogate_mark() if surrogate and value is not None else content), sort_value


def _area_mean_cell(row: Dict, metric: str) -> Cell:
    value, missing = row[metric], row["missing_areas"][metric]
    if value is None:
        return f'<span class="missing" title="missing areas: {esc(", ".join(missing))}">n/a</span>', None
    return _score_cell(value, row["surrogate"][metric])


def _benchmark_list(benchmarks: List[str]) -> str:
    by_dataset = defaultdict(list)
    for benchmark in benchmarks:
        by_dataset[benchmark_parts(benchmark)[0]].append(benchmark)
    items = []
    for dataset, names in sorted(by_dataset.items()):
        mark = " " + _surrogate_mark() if dataset == analyses.SURROGATE_DATASET else ""
        links = ", ".join(_benchmark_link(name, "") for name in names)
        items.append(f"<li><b>{esc(dataset)}</b>{mark}: {links}</li>")
    return f'<ul class="benchmarks">{"".join(items)}</ul>'


# --- benchmark pages -----------------------------------------------------------------------------

def _benchmark_page(benchmark: str, records: List[Dict]) -> str:
    surrogate = any(is_surrogate(record) for record in records)
    banner = f'<div class="surrogate-banner" role="note">{esc(SURROGATE_TEXT)}</div>\n' if surrogate else ""
    first = records[0]
    metadata = {**(first.get("benchmark_metadata") or {}), "error": first.get("error_kind"),
                "ceiling": first.get("ceiling_kind")}
    references = _reference_names(records)
    columns = [("Rank", "number"), ("Model", "text"), ("Value ± error", "number"), ("Ceiling", "number"),
               ("Ceiled value", "number"), ("Best layer", "text"), ("Depth", "number"), ("Units", "number")]
    columns += [(_reference_label(name, records), "number") for name in references]
    rows = [({"data-model": record["model"]}, _benchmark_cells(rank, record, references))
            for rank, record in enumerate(records, start=1)]
    body = (f"<h1>{esc(benchmark)}</h1>\n{banner}{_definition_list(metadata)}\n"
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

def _write_model_page(out: Path, model: str, benchmarks: Dict[str, Dict], row: Dict) -> None:
    profiles = analyses.layer_profiles(benchmarks)
    figure = profile_figure_name(model)
    _write_figure(out, figure, profiles, figures.render_layer_profile(profiles, model))
    _write(out / "models" / f"{model}.html", _model_page(model, benchmarks, row, figure))


def _model_page(model: str, benchmarks: Dict[str, Dict], row: Dict, figure: str) -> str:
    metadata = analyses.model_metadata(benchmarks)
    heading = esc(model) + (f' <span class="display-name">{esc(metadata["display_name"])}</span>'
                            if metadata.get("display_name") and metadata["display_name"] != model else "")
    body = (f"<h1>{heading}</h1>\n{_definition_list(_model_summary(row))}\n"
            f"<h2>Layer profiles</h2>\n"
            f'<figure><img src="../{href("figures", figure + ".svg")}" alt="{esc(model)}: score per layer, '
            f'one line per area, per metric">'
            f'<figcaption>Score per layer (relative depth in execution order), one line per area; ★ marks '
            f'the best layer. <a href="../{href("figures", figure + ".json")}">Data (JSON)</a></figcaption>'
            f"</figure>\n<h2>Cannot be told apart from</h2>\n{_indistinguishable(row)}\n"
            f"<h2>Benchmarks</h2>\n{_model_benchmarks_table(benchmarks)}\n"
            f"<h2>Model metadata</h2>\n{_definition_list(metadata)}\n"
            f"<h2>Provenance</h2>\n{_provenance(benchmarks)}")
    return _page(model, body, "../")


def _model_summary(row: Dict) -> Dict[str, str]:
    summary = {"mouse score": (fmt(row["mouse_score"]) or "n/a") + _interval_text(row["intervals"]["mouse_score"])}
    for metric in AREA_METRICS:
        label = METRIC_LABELS[metric] + (" (SURROGATE)" if row["surrogate"][metric] else "")
        missing = ", ".join(row["missing_areas"][metric])
        summary[label] = ((fmt(row[metric]) + _interval_text(row["intervals"][metric])) if row[metric] is not None
                          else f"n/a (missing areas: {missing})")
        summary[METRIC_LABELS[metric].replace("Max", "CV")] = fmt(row["cv"][metric]) or "n/a"
    summary["tie group"] = str(row["tie_group"]) if row.get("tie_group") else "n/a (no bootstrap draws)"
    return summary


def _interval_text(interval: Optional[List[float]]) -> str:
    return f" [95% {fmt(interval[0])}, {fmt(interval[1])}]" if interval else ""


def _indistinguishable(row: Dict) -> str:
    """The models whose mouse score this one cannot be told apart from (paired 95% interval ∋ 0)."""
    if row.get("tie_group") is None:
        return "<p>No bootstrap draws: not compared.</p>"
    if not row["indistinguishable"]:
        return '<p id="indistinguishable">None: every other model differs significantly.</p>'
    links = ", ".join(_model_link(model, "../") for model in row["indistinguishable"])
    return (f'<p id="indistinguishable">{len(row["indistinguishable"])} model(s) whose mouse score differs '
            f"from this one's by a paired 95% interval that contains 0: {links}</p>")


def _model_benchmarks_table(benchmarks: Dict[str, Dict]) -> str:
    columns = [("Benchmark", "text"), ("Value ± error", "number"), ("95% interval", "number"), ("CV", "number"),
               ("Ceiling", "number"), ("Ceiled value", "number"), ("Best layer", "text"), ("Depth", "number")]
    rows = []
    for name, record in benchmarks.items():
        link = _benchmark_link(name, "../") + (" " + _surrogate_mark() if is_surrogate(record) else "")
        value = number(record["value"])
        shown = "" if value is None else f"{fmt(value)} ± {fmt(record.get('error'))}"
        rows.append(({"data-benchmark": name},
                     [(link, name), (esc(shown), value), _interval_cell(percentile_interval(record.get("draws"))),
                      _number_cell(record.get("cv_value")), _number_cell(record.get("ceiling")),
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
        surrogate = " SRP-Ridge from the SURROGATE population." if data["surrogate"] else ""
        return esc(f" Spearman rho = {rho}, n = {spearman['n']} models.{surrogate}")
    if name == "max-vs-cv":
        return esc("".join(f" {panel['label']}: mean gap {fmt(panel['mean_gap']) or 'n/a'} over "
                           f"{len(panel['points'])} models, {fmt(panel['slope_per_doubling']) or 'n/a'} per "
                           f"doubling of layers." for panel in data["metrics"].values()))
    return esc(" SRP-Ridge panels use the SURROGATE population.") if data.get("surrogate") else ""
