"""The overview page: every model × benchmark in one table, ranked by the headline.

Columns come in groups (ranking → each Allen metric by area → each other dataset → the model's
metadata), and a group folds to its summary columns; an Allen area opens onto its cortical layers.
Each score column has its own colour scale (a column compares models, not benchmarks). The rows are
rendered here; ``leaderboard.js`` only sorts, filters, searches and folds, so the page works from
``file://`` and without a server. Groups are folded by default as far as the table needs to fit a
1280 px screen (and further by the script on a narrower one).
"""
from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from . import analyses
from .analyses import AREA_METRICS, HIERARCHY, LABELS, METRIC_NAMES, benchmark_parts, number
from .machine_paths import scrub
from .markup import esc, fmt, href, interval_text, model_link, page, sort_attribute

# a colour scale from low to high, light enough at the high end for dark text up to DARK_FROM
SCALE = ("#f7fcf0", "#ccebc5", "#7bccc4", "#2b8cbe", "#0b4f8a")
DARK_FROM = 0.72            # from here on the text is white
WIDTH_BUDGET = 1160         # px the table may take by default: a 1280 px screen less margins and scrollbar
WIDTHS = {"number": 52, "interval": 96, "rank": 40, "rank-interval": 58, "model": 200, "text": 96}
REAL_DATA = ("Data: recordings only (Allen Brain Observatory natural scenes, antolik2016 V1, and the macaque "
             "references); the synthetic allen_surrogate population is a self-test of the pipeline and is not on "
             "the board.")
FILTER_KEYS = (("family", "Family"), ("task", "Task"), ("training", "Training"), ("framework", "Framework"),
               ("category", "Trained / random"))
MAX_FILTER_VALUES = 12      # a metadata field with more distinct values is a name, not a filter
NOT_FILTERS = {"display_name", "description", "architecture", "source", "weights_url", "reference", "note",
               "seed", "parameters", "input_size", "trained", "task_cluster", "twin", "task_name"}


@dataclass
class Column:
    key: str                  # unique: the column's CSS class is c-<index>
    label: str
    kind: str                 # "number" or "text"
    group: str
    role: str = "summary"     # summary: shown folded too; detail: only unfolded; site: only with its area open
    area: str = ""            # for a site column: the key of its area column
    coloured: bool = False
    title: str = ""
    width: str = "number"


@dataclass
class Group:
    key: str
    label: str
    columns: List[Column] = field(default_factory=list)
    foldable: bool = True
    priority: int = 0         # lower unfolds first while the table still fits


def overview_page(overview: Dict, records: List[Dict], n_records: int, unscorable: Dict[str, str]) -> str:
    groups = column_groups(overview, records)
    columns = [column for group in groups for column in group.columns]
    values = cell_values(overview, records, columns)
    maxima = max_values(records)
    filters = metadata_filters(overview["rows"])
    ranges = {column.key: _range([values[row["model"]].get(column.key) for row in overview["rows"]])
              for column in columns if column.coloured}
    unfolded = default_unfolded(groups)
    ignored = overview["surrogate_records_ignored"]
    body = (f"<h1>mousescore leaderboard</h1>\n"
            f"<p class=\"lead\">Neural networks scored against mouse visual cortex as in Conwell et al. (NeurIPS "
            f"2021), on recordings only: each network's layers are compared with the neurons' responses to the "
            f"same images, and the best layer per cortical site gives its score.</p>\n"
            f"{headline_text(overview)}\n{claims_text(overview)}\n"
            f"{_controls(overview['rows'], filters)}\n{_legend()}\n"
            f'<p id="row-count" aria-live="polite">{len(overview["rows"])} models</p>\n'
            f'<div class="table-frame">{_table(overview, groups, columns, values, maxima, ranges, unfolded, filters)}'
            f"</div>\n"
            f'<p class="downloads">Download the table: <a href="{href("figures", "overview.csv")}" download>CSV</a>'
            f' · <a href="{href("figures", "overview.json")}" download>JSON (with intervals and claims)</a></p>\n'
            f"{_unscorable_section(unscorable)}"
            f"<footer><p>Built from {n_records} result records"
            f'{f" ({ignored} records of the synthetic allen_surrogate population left out)" if ignored else ""}'
            f". {esc(REAL_DATA)}</p></footer>")
    index = {column.key: i for i, column in enumerate(columns)}
    return page("Overview", body, current="index.html", head=_column_style(columns, index))


# --- the columns ---------------------------------------------------------------------------------

def column_groups(overview: Dict, records: List[Dict]) -> List[Group]:
    """The table's column groups, left to right."""
    present = sorted({record["benchmark"] for record in records})
    headline = overview["headline_label"]
    ranking = Group("ranking", "Ranking", foldable=False, columns=[
        Column("rank", "Rank", "number", "ranking", width="rank", title="rank by " + headline),
        Column("rank-interval", "Rank interval", "number", "ranking", width="rank-interval",
               title="95% interval of the rank (see the text above)"),
        Column("model", "Model", "text", "ranking", width="model"),
        Column("headline", headline, "number", "ranking", coloured=True,
               title="the ranking's score: " + headline),
        Column("interval", "95% interval", "number", "ranking", width="interval",
               title="95% interval of the headline's CV value")])
    if "mouse_score" in overview["scores"]:
        ranking.columns.append(Column("max-mouse_score", LABELS["mouse_score"], "number", "ranking", coloured=True,
                                      title="the paper's mouse score: the mean of the RSA and SRP-Ridge Max"))
    groups = [ranking]
    allen_metrics = {benchmark_parts(name)[2] for name in present if benchmark_parts(name)[0] == "allen"}
    for metric in sorted(allen_metrics, key=lambda m: (m not in AREA_METRICS, AREA_METRICS.index(m)
                                                       if m in AREA_METRICS else 0, m)):
        groups.append(_allen_group(metric, present, overview))
    for dataset in sorted({benchmark_parts(name)[0] for name in present} - {"allen"}):
        names = [name for name in present if benchmark_parts(name)[0] == dataset]
        main = [name for name in names if "_" not in benchmark_parts(name)[1]
                and benchmark_parts(name)[2] in AREA_METRICS]
        sites = "/".join(sorted({benchmark_parts(name)[1] for name in main}))
        group = Group(dataset, f"{sites} ({dataset})" if sites else dataset, priority=2)
        for name in sorted(names, key=lambda n: (n not in main, n)):
            _, site, metric = benchmark_parts(name)
            label = METRIC_NAMES.get(metric, metric) + ("" if "_" not in site else f" {site.split('_', 1)[1]}")
            group.columns.append(Column(name, label, "number", dataset, role="summary" if name in main else "detail",
                                        coloured=True, title=f"{name}: CV value"))
        groups.append(group)
    groups.append(Group("model-info", "Model", priority=3, columns=[
        Column("family", "Family", "text", "model-info", width="text"),
        Column("category", "Trained / random", "text", "model-info", role="detail", width="text"),
        Column("task", "Task", "text", "model-info", role="detail", width="text",
               title="the task cluster a network was trained for (none for random init)"),
        Column("training", "Training", "text", "model-info", role="detail", width="text"),
        Column("framework", "Framework", "text", "model-info", role="detail", width="text"),
        Column("parameters", "Parameters", "number", "model-info", role="detail")]))
    return groups


def _allen_group(metric: str, present: List[str], overview: Dict) -> Group:
    """One Allen metric: its Max over the six areas (folded), each area (unfolded), each area's layers or
    Cre lines (opened from the area's header); sites of no area (a Cre line over all areas) last."""
    name = METRIC_NAMES.get(metric, metric)
    group = Group(f"allen-{metric}", f"Allen {name} by area", priority=0 if metric == "rsa" else 1)
    if metric in overview["scores"]:
        group.columns.append(Column(f"max-{metric}", LABELS[metric], "number", group.key, coloured=True,
                                    title=f"the paper's {name} Max: the mean over the six areas of the best "
                                          f"layer's value on all stimuli"))
    mine = [benchmark for benchmark in present if benchmark_parts(benchmark)[0] == "allen"
            and benchmark_parts(benchmark)[2] == metric]
    placed = set()
    for area in (area for area in HIERARCHY if f"allen.{area}-{metric}" in mine):
        benchmark = f"allen.{area}-{metric}"
        group.columns.append(Column(benchmark, area, "number", group.key, role="detail", coloured=True,
                                    title=f"{benchmark}: CV value"))
        sites = sorted(site for site in mine if benchmark_parts(site)[1].startswith(f"{area}_"))
        group.columns += [Column(site, benchmark_parts(site)[1].split("_", 1)[1].replace("layer", "L"),
                                 "number", group.key, role="site", area=benchmark, coloured=True,
                                 title=f"{site}: CV value") for site in sites]
        placed.update([benchmark] + sites)
    group.columns += [Column(other, benchmark_parts(other)[1], "number", group.key, role="detail", coloured=True,
                             title=f"{other}: CV value") for other in mine if other not in placed]
    return group


def default_unfolded(groups: Sequence[Group]) -> List[str]:
    """The groups shown unfolded at first: by priority, while the table stays within WIDTH_BUDGET."""
    width = sum(WIDTHS[c.width] for g in groups for c in g.columns if c.role == "summary")
    unfolded = []
    for group in sorted((g for g in groups if g.foldable), key=lambda g: (g.priority, groups.index(g))):
        extra = sum(WIDTHS[c.width] for c in group.columns if c.role == "detail")
        if extra and width + extra <= WIDTH_BUDGET:
            unfolded.append(group.key)
            width += extra
    return unfolded


# --- the cells -----------------------------------------------------------------------------------

def model_facts(metadata: Dict) -> Dict[str, str]:
    """The text a row shows and filters on for each of FILTER_KEYS."""
    kind = analyses.category(metadata)
    framework = metadata.get("framework") or ("none (a feature function)" if kind == "baseline" else "pytorch")
    return {"family": str(metadata.get("family") or "unknown"),
            "task": analyses.task_of(metadata) or {"random": "none (random init)",
                                                   "baseline": "none (baseline)"}.get(kind, "unknown"),
            "training": str(metadata.get("training") or "unknown"), "framework": str(framework),
            "category": {"random": "random init"}.get(kind, kind)}


def cell_values(overview: Dict, records: List[Dict], columns: Sequence[Column]) -> Dict[str, Dict]:
    """{model: {column key: value}}: a benchmark column's CV value, the score columns' means."""
    by_model: Dict[str, Dict[str, Dict]] = defaultdict(dict)
    for record in records:
        by_model[record["model"]][record["benchmark"]] = record
    keys = {column.key for column in columns}
    values = {}
    for row in overview["rows"]:
        mine = {name: number(record.get("cv_value")) for name, record in by_model[row["model"]].items()
                if name in keys}
        mine.update({f"max-{score}": row[score] for score in ("mouse_score",) + AREA_METRICS},
                    headline=row["headline"], parameters=number(row["parameters"]))
        values[row["model"]] = mine
    return values


def max_values(records: List[Dict]) -> Dict[str, Dict[str, Optional[float]]]:
    """{model: {benchmark: its Max}}, shown on hovering a benchmark's cell."""
    found: Dict[str, Dict[str, Optional[float]]] = defaultdict(dict)
    for record in records:
        found[record["model"]][record["benchmark"]] = number(record.get("value"))
    return found


def _range(values) -> Optional[Tuple[float, float]]:
    finite = [value for value in values if value is not None]
    return (min(finite), max(finite)) if finite else None


def colour(value: float, span: Tuple[float, float]) -> Tuple[str, bool]:
    """The cell's background on its column's scale, and whether its text must be white."""
    low, high = span
    t = 0.5 if high == low else (value - low) / (high - low)
    position = t * (len(SCALE) - 1)
    index = min(int(position), len(SCALE) - 2)
    mix = position - index
    a, b = SCALE[index], SCALE[index + 1]
    channels = [round(int(a[i:i + 2], 16) * (1 - mix) + int(b[i:i + 2], 16) * mix) for i in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in channels), t >= DARK_FROM


def _table(overview: Dict, groups: List[Group], columns: List[Column], values: Dict, maxima: Dict, ranges: Dict,
           unfolded: List[str], filters: Dict[str, Dict[str, str]]) -> str:
    index = {column.key: i for i, column in enumerate(columns)}
    group_cells = []
    for group in groups:
        shown = [c for c in group.columns if c.role == "summary" or (c.role == "detail" and group.key in unfolded)]
        toggle = ""
        if group.foldable and any(c.role == "detail" for c in group.columns):
            toggle = (f'<button type="button" class="fold" data-group="{esc(group.key)}" aria-expanded='
                      f'"{"true" if group.key in unfolded else "false"}" title="show or hide this group\'s '
                      f'columns">{"−" if group.key in unfolded else "+"}</button> ')
        label = re.sub(r"(?<=[a-z])(?=\d{4}\b)", "<wbr>", esc(group.label))   # "kriegeskorte<wbr>2008" may wrap
        group_cells.append(f'<th colspan="{len(shown)}" class="group" data-group="{esc(group.key)}" scope="colgroup">'
                           f"{toggle}{label}</th>")
    header_cells = [_header(column, index[column.key], columns) for column in columns]
    rows = [_row(row, overview, columns, index, values[row["model"]], maxima[row["model"]], ranges,
                 filters[row["model"]]) for row in overview["rows"]]
    classes = " ".join(["sortable", "overview"] + [f"open-{esc(key)}" for key in unfolded])
    return (f'<table id="overview" class="{classes}">\n<thead><tr class="groups">{"".join(group_cells)}</tr>\n'
            f'<tr class="columns">{"".join(header_cells)}</tr></thead>\n<tbody>\n' + "\n".join(rows)
            + "\n</tbody>\n</table>")


def _header(column: Column, position: int, columns: List[Column]) -> str:
    sites = [c for c in columns if c.area == column.key]
    opener = (f'<button type="button" class="sites" data-area="{position}" aria-expanded="false" '
              f'title="show the cortical layers of {esc(column.label)}">+{len(sites)}</button>' if sites else "")
    title = f' title="{esc(column.title)}"' if column.title else ""
    return (f'<th data-type="{column.kind}" aria-sort="none" data-group="{esc(column.group)}" '
            f'data-role="{column.role}" class="c-{position}{" w-" + column.width if column.width != "number" else ""}"'
            f'{title}><button type="button" class="sort">{esc(column.label)}</button>{opener}</th>')


def _row(row: Dict, overview: Dict, columns: List[Column], index: Dict, values: Dict, maxima: Dict, ranges: Dict,
         filters: Dict[str, str]) -> str:
    facts = model_facts(row["metadata"])
    search = " ".join(filter(None, [row["model"], row["display_name"]])).lower()
    attrs = {"data-model": row["model"], "data-search": search,
             **{f"data-f-{key}": value for key, value in facts.items()},
             **{f"data-f-{key}": value for key, value in filters.items()}}
    cells = []
    for column in columns:
        content, sort_value, style = _cell(column, row, overview, facts, values, ranges)
        if column.key in maxima and sort_value is not None and maxima[column.key] is not None:
            style += f' title="Max {fmt(maxima[column.key])}"'
        css = f"c-{index[column.key]}" + (" t" if column.kind == "text" else "") + (
            f" w-{column.width}" if column.width == "model" else "")
        cells.append(f'<td class="{css}"'
                     f"{sort_attribute(content, sort_value)}{style}>{content}</td>")
    return "<tr" + "".join(f' {k}="{esc(v)}"' for k, v in attrs.items()) + ">" + "".join(cells) + "</tr>"


def _cell(column: Column, row: Dict, overview: Dict, facts: Dict, values: Dict, ranges: Dict):
    key = column.key
    if key == "rank":
        return str(row["rank"] or ""), row["rank"], ""
    if key == "rank-interval":
        ranks = row["rank_interval"]
        return (f'<span class="rank-interval">{ranks[0]}–{ranks[1]}</span>', ranks[0], "") if ranks else ("", None, "")
    if key == "model":
        name = model_link(row["model"], "")
        if row["display_name"] and row["display_name"] != row["model"]:
            name += f' <span class="display-name">{esc(row["display_name"])}</span>'
        return name, row["model"], ""
    if key == "interval":
        found = row["intervals"][overview["headline"]]
        return (f'<span class="interval">{interval_text(found, 2)}</span>', found[0], "") if found else ("", None, "")
    if key in facts:
        return esc(facts[key]), facts[key], ""
    if key == "parameters":
        value = values.get(key)
        return ("" if value is None else f"{value / 1e6:.1f}M"), value, ""
    value = values.get(key)
    if value is None:
        return _missing(column, row, overview["headline"]), None, " data-na"
    background, dark = colour(value, ranges[key])
    return esc(fmt(value)), value, f' style="background:{background}{";color:#fff" if dark else ""}"'


def _missing(column: Column, row: Dict, headline: str) -> str:
    if column.key.startswith("max-") or column.key == "headline":
        score = column.key[4:] if column.key.startswith("max-") else headline
        missing = ", ".join(row["missing_areas"].get(score) or [])
        title = f"missing: {missing}" if missing else "not scored"
    else:
        title = "not scored on this benchmark"
    return f'<span class="missing" title="{esc(title)}">n/a</span>'


def _column_style(columns: List[Column], index: Dict) -> str:
    """Which columns show: a folded group shows its summary columns, an unfolded one its details too, an
    area's layers only once the area is opened (the table's classes say which; leaderboard.js sets them)."""
    rules = []
    for column in columns:
        i = index[column.key]
        if column.role == "detail":
            rules.append(f"table.overview:not(.open-{column.group}) .c-{i}{{display:none}}")
        elif column.role == "site":
            area = index[column.area]
            rules.append(f"table.overview:not(.open-{column.group}.sites-{area}) .c-{i}{{display:none}}")
    widths = "".join(f"table.overview .c-{index[c.key]}{{min-width:{WIDTHS[c.width] - 10}px}}"
                     for c in columns if c.width in ("interval", "model"))
    return "<style>\n" + "\n".join(rules) + "\n" + widths + "\n</style>"


# --- the text around the table -------------------------------------------------------------------

def headline_text(overview: Dict) -> str:
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
    return (f'<p id="headline">{ranked} The real per-neuron V1 scores of antolik2016 (SRP-Ridge and RSA) and the '
            f"macaque references are columns of their own. A model missing an area has no mean for that score "
            f"(hover its n/a for the missing areas).</p>")


def claims_text(overview: Dict) -> str:
    """How the board's comparisons hold their error rate, and what they are computed from."""
    claims = overview["comparisons"]
    waiting = overview["without_evidence"]
    pending = (f" {waiting} model(s) were scored before mousescore 0.4 and have no resamples of their CV value: "
               f"they are ranked, without interval or claims, until rescored." if waiting else "")
    if claims is None:
        return f'<p id="claims">No two models have resamples of their CV value yet: no claims.{esc(pending)}</p>'
    return (f'<details id="claims-details"><summary><b>Ranked by the cross-validated value</b>; intervals and '
            f"Holm-corrected claims: how they are made</summary>\n"
            f'<p id="claims"><b>Ranked by the cross-validated value</b> (the layer chosen on half the stimuli '
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
            f"statistics section); nothing is chained from neighbours.{esc(pending)}</p></details>")


def _controls(rows: List[Dict], filters: Dict[str, Dict[str, str]]) -> str:
    """The search box and one select per filter, over the values the rows have."""
    selects = []
    extra = sorted({key for found in filters.values() for key in found})
    for key, label in list(FILTER_KEYS) + [(key, key.replace("_", " ").capitalize()) for key in extra]:
        facts = [model_facts(row["metadata"]) if key in dict(FILTER_KEYS) else filters[row["model"]] for row in rows]
        found = sorted({value for value in (each.get(key) for each in facts) if value is not None})
        options = '<option value="">all</option>' + "".join(f'<option value="{esc(v)}">{esc(v)}</option>'
                                                           for v in found)
        selects.append(f'<label>{esc(label)} <select id="filter-{esc(key)}" data-filter="{esc(key)}">'
                       f"{options}</select></label>")
    return (f'<form class="filters" data-table="overview" role="search">'
            f'<label>Search <input type="search" id="search" placeholder="model name" autocomplete="off"></label> '
            f'{" ".join(selects)} <button type="reset" class="reset">clear</button></form>')


def metadata_filters(rows: List[Dict]) -> Dict[str, Dict[str, str]]:
    """{model: {key: value}} for the metadata fields (beyond FILTER_KEYS) that make a useful filter:
    plain values, 2 to MAX_FILTER_VALUES distinct ones, not a name or a number."""
    candidates = defaultdict(set)
    for row in rows:
        for key, value in row["metadata"].items():
            if key not in NOT_FILTERS and key not in dict(FILTER_KEYS) and isinstance(value, str):
                candidates[key].add(value)
    keys = [key for key, found in candidates.items() if 2 <= len(found) <= MAX_FILTER_VALUES]
    return {row["model"]: {key: str(row["metadata"].get(key) or "unknown") for key in keys} for row in rows}


def _legend() -> str:
    gradient = ", ".join(SCALE)
    return (f'<div class="legend" id="legend"><span class="swatch" style="background:linear-gradient(to right, '
            f'{gradient})"></span> colour: from the lowest to the highest value <i>within each column</i> (a '
            f"column compares models; columns are not on one scale) · "
            f'<span class="missing">n/a</span> not scored · cells show the CV value (hover: the Max) · '
            f"<b>+</b> unfolds a group, <b>+n</b> an area's layers · click a header to sort</div>")


def _unscorable_section(unscorable: Dict[str, str]) -> str:
    if not unscorable:
        return ""
    items = "".join(f"<li><b>{esc(model)}</b>: {esc(scrub(reason))}</li>"
                    for model, reason in sorted(unscorable.items()))
    return (f'<h2>Not scored</h2>\n<p>{len(unscorable)} model(s) of the zoo could not be scored here, and '
            f'why:</p>\n<ul id="unscorable">{items}</ul>\n')


def overview_csv(overview: Dict, records: List[Dict]) -> str:
    """The table as CSV: one row per model, its rank, headline with interval, every benchmark's CV value."""
    groups = column_groups(overview, records)
    columns = [c for g in groups for c in g.columns if c.kind == "number" and c.key not in
               ("rank", "rank-interval", "interval", "parameters")]
    values = cell_values(overview, records, columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["model", "rank", "rank_low", "rank_high", "headline", "headline_low", "headline_high"]
                    + [c.key for c in columns if c.key != "headline"] + ["family", "category", "task", "training"])
    for row in overview["rows"]:
        ranks = row["rank_interval"] or [None, None]
        found = row["intervals"][overview["headline"]] or [None, None]
        facts = model_facts(row["metadata"])
        writer.writerow([row["model"], row["rank"], *ranks, fmt(row["headline"], 4), fmt(found[0], 4),
                         fmt(found[1], 4)] + [fmt(values[row["model"]].get(c.key), 4) for c in columns
                                              if c.key != "headline"]
                        + [facts["family"], facts["category"], facts["task"], facts["training"]])
    return buffer.getvalue()
