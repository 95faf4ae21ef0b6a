"""The pictures: the analyses' figures have no overlapping labels or clipped titles; the SVG charts
drawn by hand keep a profile's shape and mark collapsed layers; no machine path survives."""
import re

import matplotlib
import pytest
from test_site import synthetic_records

from mousescore.leaderboard import analyses, charts, figures
from mousescore.leaderboard.machine_paths import scrub, scrub_value
from mousescore.results.records import committed_results_dir, read_records


@pytest.fixture(scope="module")
def committed():
    return analyses.board_records(read_records(committed_results_dir()))


def drawn_tick_labels(axis):
    """The tick labels matplotlib draws: those of ticks inside the axis' view (it keeps others, undrawn)."""
    drawn = []
    for ticks, (low, high) in ((axis.xaxis.get_major_ticks(), sorted(axis.get_xlim())),
                               (axis.yaxis.get_major_ticks(), sorted(axis.get_ylim()))):
        drawn += [tick.label1 for tick in ticks if low <= tick.get_loc() <= high and tick.label1.get_text()]
    return drawn


def texts(figure):
    """Every visible, non-empty text a laid-out figure draws, with its box in pixels."""
    renderer = figure.canvas.get_renderer()
    drawn_ticks = {id(label) for axis in figure.axes for label in drawn_tick_labels(axis)}
    every_tick = {id(label) for axis in figure.axes for label in axis.get_xticklabels() + axis.get_yticklabels()}
    found = []
    for artist in figure.findobj(matplotlib.text.Text):
        if id(artist) in every_tick and id(artist) not in drawn_ticks:
            continue
        if artist.get_visible() and artist.get_text().strip() and artist.figure is figure:
            # the text's own box (an annotation's would include its leader line)
            found.append((artist, matplotlib.text.Text.get_window_extent(artist, renderer)))
    return found


def check_text(figure, name):
    """No text leaves the figure; point labels overlap no other text; tick labels of one axis do not
    overlap each other; titles do not overlap titles."""
    box = figure.bbox
    found = texts(figure)
    for artist, extent in found:
        assert box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1 and box.y0 - 1 <= extent.y0 \
            and extent.y1 <= box.y1 + 1, f"{name}: {artist.get_text()!r} is clipped"
    labels = [(a, e) for a, e in found if isinstance(a, matplotlib.text.Annotation)]
    for i, (label, extent) in enumerate(labels):
        for other, other_extent in found:
            if other is not label and extent.overlaps(other_extent):
                raise AssertionError(f"{name}: label {label.get_text()!r} overlaps {other.get_text()!r}")
    for axis in figure.axes:
        shown = [label.get_window_extent() for label in drawn_tick_labels(axis)]
        for i, a in enumerate(shown):
            assert not any(a.overlaps(b) for b in shown[i + 1:]), f"{name}: tick labels overlap"
    titles = [axis.title.get_window_extent() for axis in figure.axes if axis.title.get_text()]
    for i, a in enumerate(titles):
        assert not any(a.overlaps(b) for b in titles[i + 1:]), f"{name}: titles overlap"
    return labels


@pytest.mark.parametrize("name", list(analyses.ANALYSES))
def test_the_committed_board_s_figures_have_no_overlapping_or_clipped_text(committed, name):
    figure = figures.laid_out(figures.FIGURES[name](analyses.ANALYSES[name](committed)))
    labels = check_text(figure, name)
    if name == "trained-vs-random":   # every pair is named (the board has fewer than 25)
        pairs = analyses.trained_vs_random(committed)["pairs"]
        for axis in figure.axes:
            named = sorted(t.get_text() for t in axis.texts)
            assert named == sorted(pair["trained"] for pair in pairs)
        assert len(labels) == 2 * len(pairs)


def test_crowded_points_still_get_labels_that_do_not_overlap():
    records = synthetic_records()
    data = analyses.trained_vs_random(records)
    pair = data["pairs"][0]
    data["pairs"] = [dict(pair, trained=f"network_number_{i}", random=f"network_number_{i}-random",
                          rsa={"trained": pair["rsa"]["trained"] + 0.002 * i, "random": pair["rsa"]["random"]})
                     for i in range(8)]   # eight points on top of each other
    figure = figures.laid_out(figures.FIGURES["trained-vs-random"](data))
    labels = check_text(figure, "crowded")
    assert len(labels) >= 8


def test_figures_are_svg_with_text_kept_as_text_and_the_same_bytes_twice(committed):
    data = analyses.family_mosaic(committed)
    first, second = figures.RENDERERS["family-mosaic"](data), figures.RENDERERS["family-mosaic"](data)
    assert first == second and first.lstrip().startswith("<?xml")
    assert "random init" in first and "Semantic" in first      # labels are text, not glyph paths


# --- the hand-written SVG charts -----------------------------------------------------------------

def path_points(d):
    """The absolute points of a path written by charts._relative_path."""
    start, _, steps = d[1:].partition("l")
    x, y = (float(v) for v in start.split(","))
    points = [(x, y)]
    for step in steps.split():
        dx, dy = (float(v) for v in step.split(","))
        x, y = x + dx, y + dy
        points.append((x, y))
    return points


def test_a_relative_path_goes_through_every_point_to_a_tenth_of_a_pixel():
    points = [(36.0, 118.93), (47.44, 120.81), (58.9, 121.3), (70.31, 80.02), (81.8, 80.02)]
    drawn = path_points(charts._relative_path(points))
    assert [v for point in drawn for v in point] == pytest.approx([v for point in points for v in point], abs=0.051)


def test_a_long_profile_is_thinned_to_what_its_panel_shows_keeping_spikes():
    depths = [i / 999 for i in range(1000)]
    values = [0.2 + 0.0001 * i for i in range(1000)]
    values[500] = 0.9          # a spike
    thinned = charts._thinned(list(zip(depths, values)), 103)
    assert len(thinned) <= 2 * 104 and (depths[500], 0.9) in thinned
    assert thinned[0] == (0.0, 0.2) and thinned[-1][0] == 1.0


def test_a_collapsed_layer_is_marked_on_the_panel_s_edge_not_drawn_down_there():
    panel = {"label": "V1 · SRP-Ridge", "layers": list("abcdef"), "depth": [0, 0.2, 0.4, 0.6, 0.8, 1.0],
             "values": [0.06, 0.10, 0.15, 0.16, 0.05, -0.98], "best": 3, "interval": [0.12, 0.2],
             "ceiling": 0.63, "band": [0.55, 0.7]}
    svg = charts.layer_profiles([panel], "test")
    assert svg.count("a layer outside the axis: -0.980") == 1
    line = re.search(r'<path d="(M[^"]+)" fill="none" stroke="#1f6fb4"', svg).group(1)
    ys = [y for _, y in path_points(line)]
    plot_top, plot_bottom = charts.PANEL_MARGIN[2], charts.PANEL[1] - charts.PANEL_MARGIN[3]
    assert all(plot_top <= y <= plot_bottom for y in ys)
    assert max(ys) - min(ys[:-1]) < 0.5 * (plot_bottom - plot_top)   # the collapse does not stretch the axis
    assert "chosen layer d: 0.160, 95% interval [0.120, 0.200]" in svg and "ceiling band 0.550 to 0.700" in svg


def test_a_ranking_chart_draws_a_dot_per_model_and_an_interval_where_there_is_one():
    rows = [{"model": "a", "cv_value": 0.3, "interval": [0.25, 0.35], "category": "trained"},
            {"model": "b", "cv_value": 0.2, "interval": None, "category": "random"},
            {"model": "c", "cv_value": None, "interval": None, "category": "baseline"}]
    svg = charts.ranking(rows, "test", ceiling=0.8)
    assert svg.count("<circle") == 2 + 3                     # two models, three legend marks
    assert svg.count('stroke-width="1.6"') == 1 and ">ceiling<" in svg
    assert ">a</text>" in svg and ">b</text>" in svg and ">c</text>" not in svg


def test_nice_ticks_are_round_and_inside():
    assert charts.nice_ticks(-0.04, 0.93, 4) == [0.0, 0.2, 0.4, 0.6, 0.8]
    assert charts.nice_ticks(0.11, 0.17, 3) == [0.12, 0.14, 0.16]


# --- machine paths -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("spills 241.5 GiB to /work/seedhome/tmp and 61.7 GiB is free", "spills 241.5 GiB to [local path: tmp] and "
                                                                    "61.7 GiB is free"),
    ("weights at ~/cache/x.pt.", "weights at [local path: x.pt]."),
    ("in /tmp.", "in [local path: tmp]."),
    ("C:\\Users\\me\\file.txt done", "[local path: file.txt] done"),
    ("(/root/.cache/torch/alexnet.pth)", "([local path: alexnet.pth])"),
    ("https://raw.githubusercontent.com/a/b/c.npy", "https://raw.githubusercontent.com/a/b/c.npy"),
    ("allen_rdms/rdms_reliable.pkl, trained / random, 1/2", "allen_rdms/rdms_reliable.pkl, trained / random, 1/2"),
])
def test_machine_paths_are_shortened_and_nothing_else(text, expected):
    assert scrub(text) == expected


def test_machine_paths_are_scrubbed_inside_json_values():
    value = {"a": ["/home/me/x/y.pt", 3], "b": {"c": "fine"}}
    assert scrub_value(value) == {"a": ["[local path: y.pt]", 3], "b": {"c": "fine"}}
