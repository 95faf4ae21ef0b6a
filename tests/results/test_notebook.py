"""The notebook helpers of Results: compare, to_pandas, plot_profile, load_board, on scores made here."""
import base64
import math
import os

import numpy as np
import pytest

import mousescore
from mousescore.errors import MousescoreError
from mousescore.results.profile_range import profile_range
from mousescore.results.records import COMMITTED_RESULTS_DIR, PRECISION, decode_values, read_records
from mousescore.results.score import Score
from mousescore.results.table import Results

MISSING_CODE = -32768   # how a stored profile or draw says NaN

LAYERS = ["conv1", "conv2", "conv3", "fc6", "fc7", "fc8"]


def score(model, benchmark="allen.VISp-rsa", value=0.3, ceiling=0.8, profile=None, references=None, seed=0):
    profile = profile or dict(zip(LAYERS, (0.1, 0.2, value, 0.25, 0.2, 0.15)))
    draws = list(value + np.random.default_rng(seed).normal(0, 0.02, 100))
    return Score(model=model, benchmark=benchmark, value=value, error=0.02, error_kind="bootstrap",
                 ceiling=ceiling, ceiling_kind="split-half", ceiled_value=value / ceiling,
                 best_layer=max(profile, key=profile.get), best_layer_depth=0.4, layer_profile=profile,
                 references=references or {}, draws=draws, draws_kind="plan 1 (100 draws)")


@pytest.fixture
def two_models():
    return Results([score("alexnet", value=0.30, seed=1), score("alexnet-random", value=0.20, seed=2),
                    score("alexnet", "antolik2016.V1-srp_ridge", 0.25, 0.6, seed=3,
                          references={"inter_region": 0.27, "inter_region_ci95_low": 0.23,
                                      "inter_region_ci95_high": 0.30}),
                    score("gabor", "cowley2023.V4-srp_ridge", 0.1, 0.7)])


def test_compare_names_its_columns_after_the_models(two_models):
    versus = two_models.compare("alexnet", "alexnet-random")
    assert list(versus.columns[:3]) == ["benchmark", "alexnet", "alexnet-random"]
    assert {"alexnet CV", "alexnet-random CV", "cv_difference"} <= set(versus.columns)
    assert "a" not in versus.columns and "cv_a" not in versus.columns
    assert versus.attrs["difference"] == "alexnet − alexnet-random"
    row = versus.iloc[0]
    assert row["benchmark"] == "allen.VISp-rsa" and row["difference"] == pytest.approx(0.30 - 0.20)
    assert row["alexnet"] == 0.30 and row["alexnet-random"] == 0.20 and row["low"] < row["difference"] < row["high"]
    itself = two_models.compare("alexnet", "alexnet")   # two columns, not one name twice
    assert list(itself.columns[1:3]) == ["alexnet (A)", "alexnet (B)"] and (itself["difference"] == 0).all()


def test_a_model_not_in_the_results_is_named_with_close_matches(two_models):
    with pytest.raises(MousescoreError, match=r"alexnett is not in these results \(did you mean alexnet"):
        two_models.compare("alexnett", "alexnet-random")
    with pytest.raises(MousescoreError, match="resnet18 is not in these results; they hold 3 model"):
        two_models.compare("alexnet", "resnet18")
    with pytest.raises(MousescoreError, match="gabor and alexnet-random share no benchmark.*gabor was scored on "
                                              "cowley2023.V4-srp_ridge"):
        two_models.compare("gabor", "alexnet-random")


def test_to_pandas_carries_the_references_and_the_ceiling(two_models):
    table = two_models.to_pandas().set_index(["model", "benchmark"])
    v1 = table.loc[("alexnet", "antolik2016.V1-srp_ridge")]
    assert v1["reference_inter_region"] == 0.27 and v1["ceiling"] == 0.6
    assert (v1["reference_inter_region_ci95_low"], v1["reference_inter_region_ci95_high"]) == (0.23, 0.30)
    assert math.isnan(table.loc[("gabor", "cowley2023.V4-srp_ridge"), "reference_inter_region"])
    assert list(table.columns[-3:]) == ["reference_inter_region", "reference_inter_region_ci95_high",
                                        "reference_inter_region_ci95_low"]


def test_plot_profile_draws_the_ceilings_and_keeps_a_collapsed_layer_from_flattening_the_axis():
    import matplotlib
    matplotlib.use("Agg")
    collapsed = dict(zip(LAYERS, (0.06, 0.10, 0.15, 0.16, 0.05, -0.98)))
    results = Results([score("net", "antolik2016.V1-srp_ridge", 0.16, 0.63, profile=collapsed),
                       score("net", "allen.VISp-rsa", 0.30, 0.81)])
    ax = results.plot_profile()
    low, high = ax.get_ylim()
    assert -0.2 < low < 0.05 and 0.81 < high < 0.9        # the rest of the profile keeps the axis; ceilings inside
    band = [patch for patch in ax.patches if patch.get_label() == "ceilings' range"]
    assert len(band) == 1 and band[0].get_y() == pytest.approx(0.63) and band[0].get_height() == pytest.approx(0.18)
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--" and len(line.get_ydata()) == 2]
    assert sorted(line.get_ydata()[0] for line in dashed) == [0.63, 0.81]
    marks = [line for line in ax.get_lines() if line.get_marker() == "v"]
    assert len(marks) == 1 and list(marks[0].get_xdata()) == [1.0] and list(marks[0].get_ydata()) == [low]
    assert any("1 layer(s) outside the axis" in text.get_text() and "-0.98" in text.get_text() for text in ax.texts)


def test_profile_range_clips_only_far_outliers_and_keeps_what_must_show():
    values = [0.06, 0.10, 0.15, 0.16, 0.05, -0.98, None, math.nan]
    shown = profile_range(values, keep=[0.63])
    assert shown.clipped_below == [5] and shown.clipped_above == []
    assert shown.low < 0.05 and shown.high > 0.63
    assert profile_range([0.1, 0.2, 0.3]).clipped_below == []                # too few values to tell
    spread = profile_range([0.10, 0.11, 0.12, 0.13, 0.14, 0.90])
    assert spread.clipped_above == [5] and spread.high < 0.90
    assert profile_range([]) == (0.0, 1.0, [], [])


def test_decoding_stored_values_equals_rounding_each_one():
    codes = np.array([0, 1, -1, 32767, -32767, MISSING_CODE, 1234, -4321, 5], dtype="<i2")
    decoded = decode_values(base64.b64encode(codes.tobytes()).decode("ascii"))
    expected = [math.nan if code == MISSING_CODE else round(float(code) * PRECISION, 4) for code in codes]
    assert all(type(value) is float for value in decoded)
    assert [repr(v) for v in decoded] == [repr(v) for v in expected]


def test_load_board_finds_the_committed_records_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    board = mousescore.load_board()
    records = read_records(COMMITTED_RESULTS_DIR)
    assert os.getcwd() == str(tmp_path) and len(board) == len(records)
    first = board.get(records[0]["benchmark"], model=records[0]["model"])
    assert first.value == records[0]["value"] and list(first.layer_profile) == list(records[0]["layer_profile"])
    np.testing.assert_array_equal(list(first.layer_profile.values()), list(records[0]["layer_profile"].values()))
