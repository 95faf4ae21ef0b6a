"""One backbone, different tasks: trained networks paired with their shared random-init twin (named by
their ``twin`` metadata), their paired intervals and Holm's claims, against plain recomputations."""
import math

import numpy as np
import pytest

from mousescore.leaderboard import analyses, figures, static_pages
from tests.leaderboard.test_site import AREAS, RSA_CEILINGS, area_value, drawn_record, plain_jackknife_variance

TWIN = "backbone-random"
NETWORKS = {   # name -> (metadata, RSA area mean, V1 SRP-Ridge, V1 RSA)
    TWIN: ({"family": "torchvision", "trained": False, "training": "random init"}, 0.15, 0.20, 0.30),
    "backbone": ({"family": "torchvision", "trained": True, "training": "ImageNet-1k supervised"}, 0.28, 0.21, 0.28),
    "backbone_quant": ({"family": "coral", "trained": True, "task": "classification", "quantization": "uint8",
                        "twin": TWIN}, 0.27, 0.19, 0.22),
    "backbone_seg": ({"family": "coral", "trained": True, "task": "semantic segmentation", "quantization": "uint8",
                      "twin": TWIN}, 0.33, 0.17, 0.20),
    "other": ({"family": "timm", "trained": True, "task": "classification", "twin": "other-random"}, 0.2, 0.2, 0.2),
}


def records(networks=NETWORKS):
    found = []
    for model, (metadata, rsa, v1_srp, v1_rsa) in networks.items():
        found += [drawn_record(model, metadata, f"allen.{area}-rsa", area_value(rsa, area), RSA_CEILINGS[area], 2)
                  for area in AREAS]
        found.append(drawn_record(model, metadata, "antolik2016.V1-srp_ridge", v1_srp, 0.6, 2))
        found.append(drawn_record(model, metadata, "antolik2016.V1-rsa", v1_rsa, 0.5, 2))
    return found


def plain_holm(p_values, alpha=0.05):
    order = np.argsort(p_values)
    rejected = np.zeros(len(p_values), dtype=bool)
    for rank, index in enumerate(order):
        if p_values[index] > alpha / (len(p_values) - rank):
            break
        rejected[index] = True
    return rejected


def test_the_twin_whose_trained_networks_span_most_tasks_is_the_backbone():
    data = analyses.one_backbone_tasks(records())
    assert data["twin"] == TWIN and data["reference"] == "backbone"      # classification first, then by name
    assert [entry["model"] for entry in data["networks"]] == ["backbone", "backbone_quant", "backbone_seg"]
    assert [entry["task"] for entry in data["networks"]] == ["classification", "classification",
                                                             "semantic segmentation"]
    assert list(data["metrics"]) == ["rsa", "v1_srp_ridge", "v1_rsa"]
    assert data["random_cv"]["rsa"] == pytest.approx(0.13)               # CV values are Max − 0.02 here


def test_each_network_against_the_twin_is_the_plain_paired_jackknife_interval():
    all_records = records()
    data = analyses.one_backbone_tasks(all_records)
    segmentation = next(entry for entry in data["networks"] if entry["model"] == "backbone_seg")
    found = segmentation["vs_random"]["v1_srp_ridge"]
    jackknife = {m: next(r["cv_jackknife"] for r in all_records
                         if (r["model"], r["benchmark"]) == (m, "antolik2016.V1-srp_ridge"))
                 for m in ("backbone_seg", TWIN)}
    error = math.sqrt(plain_jackknife_variance(np.subtract(jackknife["backbone_seg"], jackknife[TWIN])))
    assert found["difference"] == pytest.approx(0.17 - 0.20)
    assert (found["low"], found["high"]) == pytest.approx((-0.03 - 1.959964 * error, -0.03 + 1.959964 * error))
    assert segmentation["vs_random"]["rsa"]["difference"] == pytest.approx(0.33 - 0.15)
    assert segmentation["vs_reference"]["rsa"]["difference"] == pytest.approx(0.33 - 0.28)
    assert data["networks"][0]["vs_reference"]["rsa"] is None           # the reference against itself


def test_differs_is_holms_procedure_over_each_panels_comparisons():
    data = analyses.one_backbone_tasks(records())
    for metric in data["metrics"]:
        compared = [entry[kind][metric] for entry in data["networks"] for kind in ("vs_random", "vs_reference")
                    if entry[kind][metric]]
        assert len(compared) == 5
        assert [c["differs"] for c in compared] == list(plain_holm([c["p"] for c in compared]))


def test_twin_metadata_pairs_networks_in_fig_1_and_the_caption_says_what_the_numbers_show():
    pairs = analyses.trained_vs_random(records())["pairs"]
    assert {(pair["trained"], pair["random"]) for pair in pairs} == {("backbone", TWIN), ("backbone_quant", TWIN),
                                                                     ("backbone_seg", TWIN)}   # by name or metadata
    data = analyses.one_backbone_tasks(records())
    summary = static_pages.backbone_summary(data)
    assert "RSA, CV: of 3 networks, 3 above and 0 below their random twin" in summary
    assert "largest difference 0.180" in summary and "(backbone_seg)" in summary
    assert "backbone_seg (semantic segmentation) − backbone (classification): 0.050" in summary
    assert figures.RENDERERS["one-backbone-tasks"](data).startswith("<?xml")


def test_without_two_tasks_on_one_twin_the_analysis_is_empty_and_says_why():
    one_task = {name: value for name, value in NETWORKS.items() if name != "backbone_seg"}
    data = analyses.one_backbone_tasks(records(one_task))
    assert data["networks"] == [] and "two different tasks" in data["reason"]
    assert "two different tasks" in static_pages.backbone_summary(data)
    assert figures.RENDERERS["one-backbone-tasks"](data).startswith("<?xml")
