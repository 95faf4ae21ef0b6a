"""HTML building blocks shared by the site's pages: escaping, relative links, the page frame with its
menu, sortable tables, definition lists and folded sections.

Every text that comes from a record is escaped here or by the caller (records arrive by pull request).
"""
from __future__ import annotations

import html
import re
from typing import Dict, Iterable, Optional, Sequence, Tuple
from urllib.parse import quote

from .analyses import number

MENU = (("index.html", "Overview"), ("benchmarks.html", "Benchmarks"), ("analyses.html", "Analyses"),
        ("submit.html", "Submit"), ("cite.html", "Cite"))
Cell = Tuple[str, Optional[object]]   # (inner HTML, sort value: a number, text, or None for empty)
Column = Tuple[str, str]              # (header text, "number" or "text")
TAG = re.compile(r"<[^>]*>")


def esc(text) -> str:
    return html.escape(str(text), quote=True)


def href(*parts: str) -> str:
    """A relative URL to a generated file, each part percent-encoded (names may hold any character)."""
    return esc("/".join(quote(part, safe="") for part in parts))


def fmt(value, digits: int = 3) -> str:
    value = number(value)
    return "" if value is None else f"{value:.{digits}f}"


def interval_text(interval: Optional[Sequence[float]], digits: int = 3) -> str:
    return f"[{fmt(interval[0], digits)}, {fmt(interval[1], digits)}]" if interval else ""


def model_link(model: str, root: str) -> str:
    return f'<a href="{root}{href("models", model + ".html")}">{esc(model)}</a>'


def benchmark_link(benchmark: str, root: str, text: Optional[str] = None) -> str:
    return f'<a href="{root}{href("benchmarks", benchmark + ".html")}">{esc(text or benchmark)}</a>'


def page(title: str, body: str, root: str = "", current: str = "", head: str = "") -> str:
    """A whole page: ``root`` leads back to the site's top folder ("" or "../"), ``current`` is the
    menu entry (its file) this page belongs to, ``head`` more of the head (a page's own style)."""
    menu = "".join(f'<a href="{root}{target}"' + (' aria-current="page"' if target == current else "")
                   + f">{label}</a>" for target, label in MENU)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)} · mousescore leaderboard</title>\n"
            f'<link rel="icon" href="data:,">\n'
            f'<link rel="stylesheet" href="{root}assets/style.css">\n{head}</head>\n<body>\n'
            f'<header><nav><span class="brand">mousescore</span>{menu}</nav></header>\n<main>\n{body}\n</main>\n'
            f'<script src="{root}assets/leaderboard.js"></script>\n</body>\n</html>\n')


def table(table_id: str, columns: Sequence[Column], rows: Sequence[Tuple[Dict[str, str], Sequence[Cell]]],
          css_class: str = "sortable") -> str:
    """A table that leaderboard.js sorts by any header; each row is (its attributes, its cells)."""
    head = "".join(f'<th data-type="{kind}" aria-sort="none"><button type="button" class="sort">{esc(label)}</button>'
                   f"</th>"
                   for label, kind in columns)
    kinds = [kind for _, kind in columns]
    body = "\n".join(f"<tr{attributes(attrs)}>" + "".join(td(cell, kind) for cell, kind in zip(cells, kinds))
                     + "</tr>" for attrs, cells in rows)
    return (f'<div class="table-frame"><table id="{esc(table_id)}" class="{css_class}">\n<thead><tr>{head}</tr>'
            f"</thead>\n<tbody>\n{body}\n</tbody>\n</table></div>")


def attributes(attrs: Dict[str, str]) -> str:
    return "".join(f' {name}="{esc(value)}"' for name, value in attrs.items())


def td(cell: Cell, kind: str, extra: str = "") -> str:
    """A cell; numbers are right-aligned by default, text cells say so. Its sort value is written only
    where it differs from the text shown (leaderboard.js sorts by the text otherwise)."""
    content, sort_value = cell
    css = ' class="t"' if kind == "text" else ""
    return f"<td{css}{sort_attribute(content, sort_value)}{extra}>{content}</td>"


def sort_attribute(content: str, sort_value) -> str:
    """' data-value="…"' where the sort value differs from the cell's text, else nothing."""
    value = sort_key(sort_value)
    return "" if value == text_of(content) else f' data-value="{esc(value)}"'


def text_of(content: str) -> str:
    """The text a browser shows for a cell's HTML (its textContent, trimmed)."""
    return html.unescape(TAG.sub("", content)).strip()


def sort_key(value) -> str:
    """A sort value as written into the page: numbers to 6 significant digits (ties beyond the 3 decimals
    shown stay in order; the full precision is in the downloads), text as it is, None as empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def number_cell(value, digits: int = 3) -> Cell:
    return esc(fmt(value, digits)), number(value)


def text_cell(text) -> Cell:
    text = "" if text is None else str(text)
    return esc(text), text


def interval_cell(interval: Optional[Sequence[float]], digits: int = 3) -> Cell:
    """"[low, high]", sorted by the low end; empty without one."""
    if not interval:
        return "", None
    return f'<span class="interval">{interval_text(interval, digits)}</span>', interval[0]


def definition_list(items: Iterable[Tuple[str, str]], css_class: str = "metadata") -> str:
    """``items``: (term, inner HTML) pairs, empty values left out."""
    entries = "".join(f"<dt>{esc(term)}</dt><dd>{value}</dd>" for term, value in items if value not in (None, ""))
    return f'<dl class="{css_class}">{entries}</dl>'


def details(summary: str, body: str, element_id: str = "", open_: bool = False) -> str:
    identifier = f' id="{esc(element_id)}"' if element_id else ""
    return (f"<details{identifier}{' open' if open_ else ''}><summary>{summary}</summary>\n{body}\n</details>")


def code_block(text: str) -> str:
    return f"<pre><code>{esc(text)}</code></pre>"


def downloads(root: str, name: str, kinds: Sequence[str] = ("svg", "csv", "json")) -> str:
    """Links to a figure's files: the picture and the data it was drawn from."""
    labels = {"svg": "SVG", "csv": "data (CSV)", "json": "data (JSON)"}
    links = " · ".join(f'<a href="{root}{href("figures", f"{name}.{kind}")}" download>{labels[kind]}</a>'
                       for kind in kinds)
    return f'<span class="downloads">Download: {links}</span>'


def citation(card: Dict[str, str]) -> str:
    """A data card's citation, with its DOI as a link; empty without one."""
    if not card.get("citation"):
        return ""
    doi = f' <a href="https://doi.org/{esc(card["doi"])}">doi:{esc(card["doi"])}</a>' if card.get("doi") else ""
    return f"{esc(card['citation'])}.{doi}"


def dataset_citations(cards: Dict[str, Dict[str, str]], datasets: Iterable[str]) -> str:
    """A list of the datasets' citations."""
    items = "".join(f"<li><b>{esc(dataset)}</b>: {citation(cards[dataset])}</li>"
                    for dataset in sorted(datasets) if citation(cards.get(dataset, {})))
    return f'<ul class="citations">{items}</ul>'


def plain(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
