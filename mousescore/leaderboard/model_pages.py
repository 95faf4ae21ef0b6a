"""One page per model: where it ranks, its layer profiles, which models it can and cannot be told
apart from, its scores per benchmark, how to score it yourself and how to cite, and (folded) its
metadata and provenance."""
from __future__ import annotations

import csv
import io
import json
from typing import Dict, List, Sequence

from . import analyses, charts
from .analyses import LABELS, benchmark_parts, number
from .machine_paths import scrub_value
from .markup import (
    benchmark_link,
    code_block,
    dataset_citations,
    definition_list,
    details,
    downloads,
    esc,
    fmt,
    href,
    interval_cell,
    interval_text,
    model_link,
    number_cell,
    page,
    plain,
    table,
    text_cell,
)


def profile_figure_name(model: str) -> str:
    return f"profile-{model}"


def model_page(model: str, benchmarks: Dict[str, Dict], row: Dict, overview: Dict, cards: Dict[str, Dict]) -> str:
    metadata = analyses.model_metadata(benchmarks)
    display = metadata.get("display_name")
    shown_name = f' <span class="display-name">{esc(display)}</span>' if display and display != model else ""
    heading = esc(model) + shown_name
    figure = profile_figure_name(model)
    body = (f"<h1>{heading}</h1>\n{_summary_line(row, overview, metadata)}\n"
            f"{definition_list(_scores(row, overview))}\n"
            f"<h2>Layer profiles</h2>\n"
            f'<figure class="chart"><img src="../{href("figures", figure + ".svg")}" alt="{esc(model)}: score per '
            f'layer, one panel per area and benchmark"><figcaption>The score of every layer (left: first, right: '
            f"last, in execution order), one panel per Allen area and per other dataset. Grey band: the ceilings "
            f"of the benchmark's sites (an area's layers, V1's two regions), dashed: the benchmark's own ceiling. "
            f"Circle: the chosen (best) layer, with the 95% interval of its value; red triangles: layers whose "
            f"score lies far outside the others' (e.g. a collapsed last layer), drawn on the edge so that they "
            f"do not flatten the axis. {downloads('../', figure, ('svg', 'csv'))}</figcaption></figure>\n"
            f"<h2>Compared with the other models</h2>\n{_comparisons(model, row, overview)}\n"
            f"<h2>Benchmarks</h2>\n{_benchmarks_table(benchmarks)}\n"
            f"<h2>Score it yourself</h2>\n{_score_it_yourself(model, benchmarks)}\n"
            f"<h2>How to cite</h2>\n{_how_to_cite(model, benchmarks, cards)}\n"
            f"<h2>Model and provenance</h2>\n"
            f"{details('Model metadata', definition_list(_metadata_items(metadata)), 'metadata')}\n"
            f"{details('Provenance of the scores', _provenance(benchmarks), 'provenance')}")
    return page(model, body, "../")


def _summary_line(row: Dict, overview: Dict, metadata: Dict) -> str:
    kind = {"random": "random init"}.get(analyses.category(metadata), analyses.category(metadata))
    facts = ", ".join(filter(None, [kind, metadata.get("family"), metadata.get("training")]))
    ranked = sum(r["rank"] is not None for r in overview["rows"])
    if row["rank"] is None:
        standing = f"Not ranked: no {esc(overview['headline_label'])} (missing areas)."
    else:
        ranks = row["rank_interval"]
        found = row["intervals"][overview["headline"]]
        standing = (f"Rank <b>{row['rank']}</b> of {ranked}"
                    + (f" (95% rank interval {ranks[0]}–{ranks[1]})" if ranks else "")
                    + f" by {esc(overview['headline_label'])}: <b>{fmt(row['headline'])}</b>"
                    + (f" {interval_text(found)}" if found else "") + ".")
    return f'<p class="summary-line">{standing} <span class="note">{esc(facts)}</span></p>'


def _scores(row: Dict, overview: Dict) -> List:
    items = []
    for score in overview["scores"]:
        missing = ", ".join(row["missing_areas"].get(score) or [])
        items.append((LABELS[score], esc(fmt(row[score]) if row[score] is not None
                                         else f"n/a (missing: {missing})" if missing else "n/a")))
        if row["cv"][score] is not None:
            found = row["intervals"][score]
            items.append((LABELS[score].replace(" Max", "") + ", CV value",
                          esc(fmt(row["cv"][score]) + (f" [95% {fmt(found[0])}, {fmt(found[1])}]" if found else ""))))
    return items


def _comparisons(model: str, row: Dict, overview: Dict) -> str:
    """How many models this one is told apart from (Holm) and how many not, each list folded."""
    claims = overview["comparisons"]
    if row["differs_from"] is None or claims is None:
        return ('<p id="differs">No resamples of its CV value (scored before mousescore 0.4): not compared; '
                "rescoring adds it to the comparisons.</p>")
    compared = [r["model"] for r in overview["rows"] if r["differs_from"] is not None and r["model"] != model]
    differ = row["differs_from"]
    same = [other for other in compared if other not in differ]
    family = (f"Holm's procedure over all {claims['pairs']} pairs of the {claims['models']} compared models, "
              f"family-wise error {claims['alpha']:.0%}, on the paired CV values")
    lists = (details(f"Told apart from {len(differ)} model(s)",
                     "<p>" + (", ".join(model_link(m, "../") for m in differ) or "none") + "</p>", "told-apart")
             + details(f"Cannot be told apart from {len(same)} model(s)",
                       "<p>" + (", ".join(model_link(m, "../") for m in same) or "none") + "</p>", "not-told-apart"))
    return (f'<p id="differs">Its {esc(overview["headline_label"])} <b>differs from {len(differ)}</b> of the '
            f"{len(compared)} other compared models and <b>cannot be told apart from {len(same)}</b> "
            f"(by {esc(family)}).</p>\n{lists}")


def _benchmarks_table(benchmarks: Dict[str, Dict]) -> str:
    columns = [("Benchmark", "text"), ("CV", "number"), ("CV 95% interval", "number"), ("Max ± error", "number"),
               ("Ceiling", "number"), ("Ceiled Max", "number"), ("Best layer", "text"), ("Depth", "number")]
    rows = []
    for name, record in benchmarks.items():
        value = number(record["value"])
        shown = "" if value is None else f"{fmt(value)} ± {fmt(record.get('error'))}"
        rows.append(({"data-benchmark": name},
                     [(benchmark_link(name, "../"), name), number_cell(record.get("cv_value")),
                      interval_cell(analyses.interval(analyses.cv_evidence(record))), (esc(shown), value),
                      number_cell(record.get("ceiling")), number_cell(record.get("ceiled_value")),
                      text_cell(record.get("best_layer")), number_cell(record.get("best_layer_depth"), 2)]))
    return table("model-benchmarks", columns, rows)


def _score_it_yourself(model: str, benchmarks: Dict[str, Dict]) -> str:
    example = next((name for name in ("allen.VISp-rsa", "antolik2016.V1-srp_ridge") if name in benchmarks),
                   next(iter(benchmarks)))
    shell = _commented([("python -m pip install -e .", "in a mousescore checkout"),
                        (f"mousescore score {model} {example}", "one benchmark"),
                        (f"mousescore score {model} 'allen.*-rsa' 'antolik2016.V1-*'", "the board's benchmarks"),
                        (f"mousescore leaderboard verify {model}", "re-score, compare with these records")])
    notebook = "import mousescore\n\n" + _commented([
        (f'results = mousescore.score("{model}", ["{example}"])', ""),
        ("results.to_pandas()", "value, interval, CV value, ceiling, references"),
        (f'results.plot_profile("{example}")', "the layer profile with its ceiling"),
        ("board = mousescore.load_board()", "every committed record"),
        (f'board.compare("{model}", "<another model>")', "paired differences per benchmark")])
    return (f"<p>From the command line (the data are fetched and checked by their checksums on first use):</p>"
            f"{code_block(shell)}<p>In a notebook:</p>{code_block(notebook)}")


def _commented(lines: Sequence) -> str:
    """Code lines with their comments in one column."""
    width = max(len(code) for code, _ in lines) + 3
    return "\n".join((code.ljust(width) + f"# {comment}") if comment else code for code, comment in lines)


def _how_to_cite(model: str, benchmarks: Dict[str, Dict], cards: Dict[str, Dict]) -> str:
    datasets = {benchmark_parts(name)[0] for name in benchmarks}
    return (f'<p>Cite mousescore and Conwell et al. (NeurIPS 2021) (BibTeX on the <a href="../cite.html">Cite</a> '
            f"page), the model's own paper, and the datasets its scores come from:</p>"
            f"{dataset_citations(cards, datasets)}"
            f"<p>The numbers on this page are the records in <code>leaderboard/results/{esc(model)}.json</code> of "
            f"the mousescore repository.</p>")


def _metadata_items(metadata: Dict) -> List:
    return [(key, esc(plain(value))) for key, value in sorted(metadata.items()) if value not in (None, "", [], {})]


def _provenance(benchmarks: Dict[str, Dict]) -> str:
    """The first record's provenance, and which of its fields differ across the model's records."""
    first_benchmark, first = next(iter(benchmarks.items()))
    provenances = [record.get("provenance") or {} for record in benchmarks.values()]
    keys = sorted({key for provenance in provenances for key in provenance})
    differing = [key for key in keys if len({_canonical(p.get(key)) for p in provenances}) > 1]
    note = (f"<p>Fields that differ across this model's {len(provenances)} records: "
            f"{esc(', '.join(differing))}.</p>" if differing
            else f"<p>The same for all of this model's {len(provenances)} records.</p>")
    text = json.dumps(scrub_value(first.get("provenance") or {}), indent=2, sort_keys=True)
    return f"<p>Provenance of {benchmark_link(first_benchmark, '../')}:</p>\n<pre>{esc(text)}</pre>\n{note}"


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True)


def profile_svg(model: str, panels: Sequence[Dict]) -> str:
    return charts.layer_profiles(panels, f"{model}: score per layer, one panel per benchmark")


def profile_csv(panels: Sequence[Dict]) -> str:
    """The profiles as one table: a row per layer (execution order; its relative depth is its index over
    the number of layers less one), a column per panel's benchmark, empty where a layer was not scored."""
    layers = list(dict.fromkeys(layer for panel in panels for layer in panel["layers"]))
    values = [dict(zip(panel["layers"], panel["values"])) for panel in panels]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["layer"] + [panel["benchmark"] for panel in panels])
    for layer in layers:
        writer.writerow([layer] + [fmt(found.get(layer), 4) for found in values])
    return buffer.getvalue()
