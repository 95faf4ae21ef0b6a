"""The committed board as a table: Results from records, the same numbers as the records."""
import math

import pytest

import mousescore
from mousescore.results.records import DEFAULT_RESULTS_DIR, read_records
from mousescore.results.score import paired_difference

REPO_RESULTS = __import__("pathlib").Path(__file__).resolve().parents[2] / DEFAULT_RESULTS_DIR


def test_the_board_loads_into_results_with_the_records_numbers():
    records = read_records(REPO_RESULTS)
    board = mousescore.load_board(REPO_RESULTS)
    assert len(board) == len(records)
    table = board.to_pandas()
    first = records[0]
    row = table[(table["model"] == first["model"]) & (table["benchmark"] == first["benchmark"])].iloc[0]
    assert row["value"] == first["value"] and row["best_layer"] == first["best_layer"]
    assert row["n_layers"] == len(first["layer_profile"])
    drawn = table.dropna(subset=["interval_low"])
    assert len(drawn) == sum(1 for r in records if any(d is not None for d in r.get("draws") or []))
    assert len(drawn) and (drawn["interval_low"] <= drawn["interval_high"]).all()


def test_board_comparisons_equal_the_paired_differences_of_the_records():
    board = mousescore.load_board(REPO_RESULTS)
    versus = board.compare("efficientnet_lite0", "efficientnet_lite0-random").set_index("benchmark")
    a = board.get("allen.VISp-rsa", model="efficientnet_lite0")
    b = board.get("allen.VISp-rsa", model="efficientnet_lite0-random")
    reference = paired_difference(a.draws, b.draws, a.value, b.value)
    assert versus.loc["allen.VISp-rsa", "difference"] == pytest.approx(reference["difference"], abs=1e-15)
    assert versus.loc["allen.VISp-rsa", "low"] == pytest.approx(reference["low"], abs=1e-15)
    assert not math.isnan(versus.loc["allen.VISp-rsa", "high"])
