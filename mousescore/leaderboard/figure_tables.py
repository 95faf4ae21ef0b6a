"""Each analysis figure's points as a CSV table (one row per point), beside its SVG and its JSON."""
from __future__ import annotations

import csv
import io
from typing import Any, Dict, List, Sequence, Tuple

Table = Tuple[List[str], Sequence[Sequence[Any]]]


def _trained_vs_random(data: Dict) -> Table:
    rows = []
    for pair in data["pairs"]:
        for score in data["metrics"]:
            difference = (pair.get("difference") or {}).get(score) or {}
            rows.append([pair["trained"], pair["random"], pair.get("family"), score, pair[score]["trained"],
                         pair[score]["random"], difference.get("difference"), difference.get("low"),
                         difference.get("high"), difference.get("p")])
    return (["trained", "random", "family", "score", "trained_cv", "random_cv", "difference", "low", "high", "p"],
            rows)


def _one_backbone_tasks(data: Dict) -> Table:
    rows = []
    for entry in data["networks"]:
        for score in data["metrics"]:
            for kind, other in (("vs_random", data["twin"]), ("vs_reference", data["reference"])):
                found = entry[kind].get(score) or {}
                rows.append([entry["model"], entry["task"], entry["quantization"], score, entry["cv"][score], other,
                             found.get("difference"), found.get("low"), found.get("high"), found.get("p"),
                             found.get("differs")])
    return (["model", "task", "quantization", "score", "cv", "compared_with", "difference", "low", "high", "p",
             "differs_holm"], rows)


def _depth_by_area(data: Dict) -> Table:
    rows = [[metric, area, kind, point["model"], point["depth"]]
            for metric, panel in data["metrics"].items() for area in data["hierarchy"]
            for kind in data["categories"] for point in panel["areas"][area][kind]]
    return ["metric", "area", "category", "model", "best_layer_depth"], rows


def _family_mosaic(data: Dict) -> Table:
    rows = [[metric, group["group"], point["model"], point["category"], point["score"]]
            for metric, panel in data["metrics"].items() for group in panel["groups"] for point in group["models"]]
    return ["metric", "group", "model", "category", "area_mean"], rows


def _rsa_vs_srp_ridge(data: Dict) -> Table:
    rows = [[point["model"], point["category"], point["rsa"], point["srp_ridge"]] for point in data["models"]]
    return ["model", "category", data["labels"]["rsa"], data["labels"]["srp_ridge"]], rows


def _max_vs_cv(data: Dict) -> Table:
    rows = [[metric, point["model"], point["category"], point["layers"], point["gap"]]
            for metric, panel in data["metrics"].items() for point in panel["points"]]
    return ["metric", "model", "category", "layers", "max_minus_cv"], rows


TABLES = {"trained-vs-random": _trained_vs_random, "one-backbone-tasks": _one_backbone_tasks,
          "depth-by-area": _depth_by_area,
          "family-mosaic": _family_mosaic, "rsa-vs-srp-ridge": _rsa_vs_srp_ridge, "max-vs-cv": _max_vs_cv}


def figure_csv(name: str, data: Dict) -> str:
    header, rows = TABLES[name](data)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value
