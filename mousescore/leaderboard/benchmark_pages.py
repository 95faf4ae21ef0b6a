"""The benchmark index (``benchmarks.html``) and one page per benchmark: its data card, the ranking of
the models on it with their intervals as a chart and a table."""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

from . import charts
from .analyses import METRIC_NAMES, benchmark_parts, number
from .datacards import card_items
from .machine_paths import scrub
from .markup import (
    Cell,
    benchmark_link,
    citation,
    definition_list,
    downloads,
    esc,
    fmt,
    href,
    interval_cell,
    model_link,
    number_cell,
    page,
    table,
    text_cell,
)

CI_SUFFIXES = ("_ci95_low", "_ci95_high")
REFERENCE_LABELS = {"intermouse": "inter-mouse", "inter_region": "inter-region",
                    "inter_region_rdm_r": "inter-region RDM r"}


def ranking_figure_name(benchmark: str) -> str:
    return f"ranking-{benchmark}"


# --- the index -----------------------------------------------------------------------------------

def index_page(rankings: Dict[str, List[Dict]], cards: Dict[str, Dict], thumbnails: Dict[str, Dict]) -> str:
    """Every benchmark, grouped by dataset under a short card: what it is, its best model, its ceiling."""
    by_dataset = defaultdict(list)
    for benchmark in rankings:
        by_dataset[benchmark_parts(benchmark)[0]].append(benchmark)
    sections = []
    for dataset, names in sorted(by_dataset.items()):
        card = cards.get(dataset, {})
        facts = definition_list([(label, esc(text)) for label, text in card_items(card, skip=["title", "citation",
                                                                                              "source", "license"])])
        rows = []
        for name in names:
            ranking = rankings[name]
            best = next((row for row in ranking if row["cv_value"] is not None), None)
            _, site, metric = benchmark_parts(name)
            rows.append(({"data-benchmark": name}, [
                (benchmark_link(name, ""), name), text_cell(site), text_cell(METRIC_NAMES.get(metric, metric)),
                (str(len(ranking)), len(ranking)),
                (model_link(best["model"], "") if best else "", best["model"] if best else None),
                number_cell(best["cv_value"] if best else None), number_cell(_ceiling(ranking))]))
        columns = [("Benchmark", "text"), ("Site", "text"), ("Metric", "text"), ("Models", "number"),
                   ("Best model (CV)", "text"), ("Its CV value", "number"), ("Ceiling", "number")]
        sections.append(f'<section id="{esc(dataset)}"><h2>{esc(card.get("title") or dataset)}</h2>\n'
                        f"{_thumbnail_strip(thumbnails.get(dataset), '')}\n{facts}\n"
                        f'<p class="note">Cite: {citation(card) or "see its source"}</p>\n'
                        f"{table(f'benchmarks-{dataset}', columns, rows)}</section>")
    body = ("<h1>Benchmarks</h1>\n<p>Each benchmark is one dataset, one recorded site and one way of comparing a "
            "network's layers with the neurons (<code>&lt;dataset&gt;.&lt;site&gt;-&lt;metric&gt;</code>). Its page "
            "holds the data card, the ranking of every model with its 95% interval, and the ceiling.</p>\n"
            + "\n".join(sections))
    return page("Benchmarks", body, current="benchmarks.html")


def _ceiling(ranking: Sequence[Dict]) -> Optional[float]:
    return next((row["ceiling"] for row in ranking if row["ceiling"] is not None), None)


def _thumbnail_strip(found: Optional[Dict], root: str) -> str:
    if not found:
        return ""
    if not found["files"]:
        return f'<p class="note">Sample images: {esc(found.get("note", "none"))}.</p>'
    images = "".join(f'<img src="{root}{href("thumbnails", name)}" alt="sample image {i + 1}" width="64" height="64">'
                     for i, name in enumerate(found["files"]))
    return f'<div class="thumbnails" aria-label="sample images">{images}</div>'


# --- one benchmark -------------------------------------------------------------------------------

def benchmark_page(benchmark: str, records: List[Dict], ranking: List[Dict], card: Dict, thumbnails: Optional[Dict],
                   metric_description: str) -> str:
    dataset, site, metric = benchmark_parts(benchmark)
    first = records[0]
    figure = ranking_figure_name(benchmark)
    ceiling = _ceiling(ranking)
    units = sorted({row["n_units"] for row in ranking if row["n_units"] is not None})
    about = [("Dataset", esc(card.get("title") or dataset)), ("Site", esc(site_description(first))),
             ("Metric", esc(f"{METRIC_NAMES.get(metric, metric)}: {metric_description}" if metric_description
                            else METRIC_NAMES.get(metric, metric))),
             ("Units scored", esc(", ".join(map(str, units)) + (" (neurons)" if metric != "rsa" else
                                                                " (RDMs of sites)"))),
             ("Ceiling", esc(f"{fmt(ceiling)}: {first.get('ceiling_kind') or ''}".strip(": "))),
             ("Error", esc(first.get("error_kind") or "")), ("Models", str(len(ranking)))]
    about += [(label, esc(text)) for label, text in card_items(card, skip=["title", "ceiling", "citation", "doi"])
              if label != "Source"]
    if card.get("source"):
        about.append(("Source", f'<a href="{esc(card["source"])}">{esc(card["source"])}</a>'))
    about.append(("Citation", citation(card)))
    references = _reference_names(records)
    # a column the same on every row (the ceiling, the units of most benchmarks) is said once, in the card
    varying = [key for key in ("ceiling", "n_units") if len({(row[key], row["n_excluded"]) for row in ranking}) > 1]
    columns = [("Rank", "number"), ("Model", "text"), ("CV value", "number"), ("95% interval", "number"),
               ("Max ± error", "number")] + [("Ceiling", "number")] * ("ceiling" in varying) + [
               ("Ceiled Max", "number"), ("Best layer", "text"), ("Depth", "number")] + [
               ("Units", "number")] * ("n_units" in varying)
    columns += [(_reference_label(name, records), "number") for name in references]
    rows = [({"data-model": row["model"]}, _ranking_cells(row, references, varying)) for row in ranking]
    body = (f"<h1>{esc(benchmark)}</h1>\n"
            f'<p class="summary-line">{esc(site_description(first))}, {esc(METRIC_NAMES.get(metric, metric))}: '
            f"{len(ranking)} models ranked by their cross-validated value.</p>\n"
            f"<h2>Data card</h2>\n{_thumbnail_strip(thumbnails, '../')}\n{definition_list(about, 'card')}\n"
            f"<h2>Ranking</h2>\n"
            f'<figure class="chart"><img src="../{href("figures", figure + ".svg")}" alt="{esc(benchmark)}: each '
            f'model\'s CV value with its 95% interval, best first">'
            f"<figcaption>Each model's cross-validated value (the layer chosen on half the stimuli, scored on the "
            f"other half) with its 95% interval where the record has the resamples (scored with mousescore 0.4 or "
            f"later); dashed: the ceiling. {downloads('../', figure, ('svg', 'csv'))}</figcaption></figure>\n"
            f"{table('benchmark', columns, rows)}")
    return page(benchmark, body, "../", current="benchmarks.html")


def site_description(record: Dict) -> str:
    """Where the benchmark's neurons are, in words: area, cortical layer, Cre line or recording region."""
    metadata = record.get("benchmark_metadata") or {}
    dataset, site, _ = benchmark_parts(record["benchmark"])
    area, _, part = site.partition("_")
    words = [f"area {metadata.get('area') or area}"]
    layer = metadata.get("layer") or metadata.get("cortical_layer") or (part if part.startswith("layer") else "")
    if layer:
        words.append("layer " + layer.replace("layer", "").replace("23", "2/3"))
    elif dataset == "allen" and metadata.get("sites"):
        words.append(f"all its layers ({len(metadata['sites'])} sites, their mean)")
    if metadata.get("cre_line"):
        words.append(f"Cre line {metadata['cre_line']}")
    region = metadata.get("region")
    if region and region != "both":
        words.append(f"recording {region}")
    elif region == "both":
        words.append("both recording regions")
    return scrub(", ".join(words))


def _ranking_cells(row: Dict, references: List[str], varying: List[str]) -> List[Cell]:
    value = row["value"]
    shown = "" if value is None else f"{fmt(value)} ± {fmt(row['error'])}"
    excluded = row["n_excluded"]
    units = row["n_units"]
    units_text = "" if units is None else f"{units}" + (f" ({excluded} excluded)" if excluded else "")
    cells = [(str(row["rank"] or ""), row["rank"]), (model_link(row["model"], "../"), row["model"]),
             number_cell(row["cv_value"]), interval_cell(row["interval"]), (esc(shown), value)]
    cells += [number_cell(row["ceiling"])] * ("ceiling" in varying)
    cells += [number_cell(row["ceiled_value"]), text_cell(row["best_layer"]), number_cell(row["best_layer_depth"], 2)]
    cells += [(esc(units_text), units)] * ("n_units" in varying)
    return cells + [_reference_cell(row["references"], name) for name in references]


def _reference_names(records: List[Dict]) -> List[str]:
    """Reference names, a confidence interval's bounds folded into their reference."""
    names = {name for record in records for name in record.get("references") or {}}
    return sorted(name for name in names if not name.endswith(CI_SUFFIXES))


def _reference_label(name: str, records: List[Dict]) -> str:
    has_interval = any(f"{name}_ci95_low" in (record.get("references") or {}) for record in records)
    return REFERENCE_LABELS.get(name, name.replace("_", " ")) + (" (95% CI)" if has_interval else "")


def _reference_cell(references: Dict, name: str) -> Cell:
    value = number(references.get(name))
    low, high = (number(references.get(name + suffix)) for suffix in CI_SUFFIXES)
    text = fmt(value) + (f" [{fmt(low)}, {fmt(high)}]" if low is not None and high is not None else "")
    return esc(text), value


def ranking_svg(benchmark: str, ranking: List[Dict]) -> str:
    return charts.ranking(ranking, f"{benchmark}: CV value and 95% interval per model", _ceiling(ranking))


def ranking_csv(ranking: List[Dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["rank", "model", "category", "cv_value", "cv_low", "cv_high", "max", "error", "ceiling",
                     "ceiled_max", "best_layer", "best_layer_depth", "n_units"])
    for row in ranking:
        low, high = row["interval"] or (None, None)
        writer.writerow([row["rank"] or "", row["model"], row["category"], fmt(row["cv_value"], 4), fmt(low, 4),
                         fmt(high, 4), fmt(row["value"], 4), fmt(row["error"], 4), fmt(row["ceiling"], 4),
                         fmt(row["ceiled_value"], 4), row["best_layer"] or "", fmt(row["best_layer_depth"], 4),
                         "" if row["n_units"] is None else row["n_units"]])
    return buffer.getvalue()
