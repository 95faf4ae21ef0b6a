"""The leaderboard in a real headless browser (Chromium via selenium), opened from file://: the overview
fits the screen at 1280 and 1920 px, its cells are coloured, it sorts, searches, filters and folds its
column groups; every page loads with no error in the browser's log; screenshots of the overview, a
benchmark page and a model page are written to test-artifacts/.

Skipped where chromium, chromedriver or selenium is missing, unless MOUSESCORE_REQUIRE_BROWSER=1 (CI),
which makes that a failure."""
import os
import shutil
from pathlib import Path

import pytest
from test_site import RANKING, records_with_a_tie

from mousescore.leaderboard.site import build_site
from mousescore.results.records import committed_results_dir, read_records, read_unscorable

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
WIDTHS = (1280, 1920)
FULL_BOARD_ROWS = 160   # the size of the whole zoo, trained and random (issue 15)
RESPONSIVE_MS = 1000    # generous bounds: a sort or filter of 160 rows takes tens of ms,
LOAD_MS = 5000          # loading the page a few hundred


def unavailable(reason: str):
    if os.environ.get("MOUSESCORE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"MOUSESCORE_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def chrome_options(binary: str):
    from selenium.webdriver.chrome.options import Options
    options = Options()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


@pytest.fixture(scope="module")
def driver(request):
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed")
    binary = next(filter(None, map(shutil.which, BROWSERS)), None)
    chromedriver = shutil.which("chromedriver")
    if binary is None or chromedriver is None:
        unavailable(f"no {'chromium' if binary is None else 'chromedriver'} on PATH")
    try:
        browser = webdriver.Chrome(service=Service(chromedriver), options=chrome_options(binary))
    except WebDriverException as error:
        unavailable(f"chromium did not start: {error.msg}")
    request.addfinalizer(browser.quit)
    browser.set_page_load_timeout(20)
    return browser


def with_visp_layers(records):
    """The records plus an Allen layer site of VISp per model, so that the area opens onto its layers."""
    layers = []
    for record in records:
        if record["benchmark"] == "allen.VISp-rsa":
            layers.append(dict(record, benchmark="allen.VISp_layer23-rsa", value=record["value"] + 0.01,
                               cv_value=record["cv_value"] + 0.01,
                               benchmark_metadata={"dataset": "allen", "site": "VISp_layer23", "metric": "rsa"}))
    return records + layers


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build_site(with_visp_layers(records_with_a_tie()), tmp_path_factory.mktemp("site")).parent


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    """The committed board as the CLI builds it."""
    results = committed_results_dir()
    return build_site(read_records(results), tmp_path_factory.mktemp("board"), read_unscorable(results)).parent


@pytest.fixture
def overview(driver, site):
    driver.set_window_size(1280, 1000)
    driver.get((site / "index.html").as_uri())
    yield driver
    assert_no_severe_logs(driver)


def assert_no_severe_logs(driver):
    severe = [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert not severe, f"{driver.current_url}: {severe}"


def visible_models(driver):
    from selenium.webdriver.common.by import By
    return [row.get_attribute("data-model") for row in driver.find_elements(By.CSS_SELECTOR, "#overview tbody tr")
            if row.is_displayed()]


def click_header(driver, label):
    from selenium.webdriver.common.by import By
    driver.find_element(By.XPATH, f'//table[@id="overview"]//tr[@class="columns"]/th[.//button[@class="sort" and '
                                  f'normalize-space(.)="{label}"]]/button[@class="sort"]').click()


def visible_headers(driver):
    return driver.execute_script("return Array.from(document.querySelectorAll('#overview tr.columns th'))"
                                 ".filter(th => th.offsetParent !== null).map(th => th.querySelector('.sort')"
                                 ".textContent.trim());")


def overflow(driver):
    """How far the page and the overview's table reach past their width (0: they fit)."""
    return driver.execute_script(
        "var d = document.documentElement, t = document.getElementById('overview');"
        "return [Math.max(0, d.scrollWidth - d.clientWidth),"
        " Math.max(0, t ? t.scrollWidth - t.parentElement.clientWidth : 0)];")


def screenshot(driver, name: str, width: int = 1280):
    """A full-page screenshot under test-artifacts/."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(height + 140, 6000))
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    assert driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000   # not a blank page
    driver.set_window_size(width, 1000)


# --- the overview --------------------------------------------------------------------------------

@pytest.mark.parametrize("width", WIDTHS)
def test_the_overview_fits_the_screen_without_scrolling_sideways(driver, site, board, width):
    driver.set_window_size(width, 1000)
    for built in (site, board):
        driver.get((built / "index.html").as_uri())
        assert overflow(driver) == [0, 0], f"{built.name} at {width} px"
        assert "VISp" in visible_headers(driver)     # the areas shown by default
        assert_no_severe_logs(driver)


def test_the_table_renders_every_model_ranked_with_coloured_cells(overview):
    from selenium.webdriver.common.by import By
    assert visible_models(overview) == RANKING
    link_texts = [a.text for a in overview.find_elements(By.CSS_SELECTOR, "#overview tbody td.w-model a")]
    assert link_texts == RANKING
    colours = overview.execute_script(
        "return Array.from(document.querySelectorAll('#overview tbody tr')).map(r => "
        "getComputedStyle(r.cells[3]).backgroundColor);")   # the headline (RSA, CV)
    missing = "rgb(241, 241, 241)"   # n/a
    assert colours[4] == missing       # resnet18 has no RSA mean
    painted = [c for c in colours[:4] if c not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)", missing)]
    assert len(set(painted)) == 4      # each value its own colour on the column's scale
    legend = overview.find_element(By.ID, "legend")
    assert legend.is_displayed() and "within each column" in legend.text


def test_clicking_a_header_sorts_numbers_with_empty_cells_last(overview):
    click_header(overview, "RSA, CV")   # first click: best first; resnet18 has no RSA mean
    assert visible_models(overview) == ["alexnet", "taskonomy_depth", "alexnet-random", "gabor", "resnet18"]
    click_header(overview, "RSA, CV")
    assert visible_models(overview) == ["gabor", "alexnet-random", "taskonomy_depth", "alexnet", "resnet18"]
    click_header(overview, "Model")
    assert visible_models(overview) == ["alexnet", "alexnet-random", "gabor", "resnet18", "taskonomy_depth"]
    click_header(overview, "VISp")      # an area's column sorts too
    assert visible_models(overview)[0] == "resnet18"


def test_search_and_filters_hide_the_other_rows(overview):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    search = overview.find_element(By.ID, "search")
    search.send_keys("ALEX")
    assert visible_models(overview) == ["alexnet", "alexnet-random"]
    assert overview.find_element(By.ID, "row-count").text == "2 of 5 models shown"
    Select(overview.find_element(By.ID, "filter-category")).select_by_value("random init")
    assert visible_models(overview) == ["alexnet-random"]
    search.clear()
    search.send_keys("AlexNet")          # the display name counts too
    Select(overview.find_element(By.ID, "filter-category")).select_by_value("")
    assert visible_models(overview) == ["alexnet", "alexnet-random"]
    overview.find_element(By.CSS_SELECTOR, "form.filters button[type=reset]").click()
    assert visible_models(overview) == RANKING
    Select(overview.find_element(By.ID, "filter-family")).select_by_value("torchvision")
    assert visible_models(overview) == ["alexnet", "alexnet-random", "resnet18"]
    Select(overview.find_element(By.ID, "filter-family")).select_by_value("")
    Select(overview.find_element(By.ID, "filter-training")).select_by_value("none (fixed filters)")
    assert visible_models(overview) == ["gabor"]
    Select(overview.find_element(By.ID, "filter-training")).select_by_value("")
    Select(overview.find_element(By.ID, "filter-task")).select_by_value("3D")
    assert visible_models(overview) == ["taskonomy_depth"]


def test_a_column_group_folds_and_unfolds_and_an_area_opens_onto_its_layers(overview):
    from selenium.webdriver.common.by import By
    areas = ["VISp", "VISl", "VISrl", "VISal", "VISpm", "VISam"]
    assert all(area in visible_headers(overview) for area in areas) and "L23" not in visible_headers(overview)
    fold = overview.find_element(By.CSS_SELECTOR, 'button.fold[data-group="allen-rsa"]')
    group = overview.find_element(By.CSS_SELECTOR, 'th.group[data-group="allen-rsa"]')
    assert group.get_attribute("colspan") == "7"
    fold.click()
    shown = visible_headers(overview)
    assert not any(area in shown for area in areas) and "RSA Max" in shown
    assert group.get_attribute("colspan") == "1" and fold.get_attribute("aria-expanded") == "false"
    fold.click()
    assert all(area in visible_headers(overview) for area in areas)
    overview.find_element(By.CSS_SELECTOR, "button.sites").click()
    shown = visible_headers(overview)
    assert shown[shown.index("VISp") + 1] == "L23" and group.get_attribute("colspan") == "8"
    cells = overview.execute_script("return Array.from(document.querySelectorAll('#overview tbody tr')).map(r => "
                                    "Array.from(r.cells).filter(c => c.offsetParent !== null).length);")
    assert set(cells) == {len(shown)}                          # every row shows the same columns as the header


def test_intervals_and_rank_intervals_are_shown_and_sort(overview):
    from selenium.webdriver.common.by import By
    intervals = overview.execute_script("return Array.from(document.querySelectorAll('#overview tbody tr')).map("
                                        "r => r.cells[4].textContent);")
    assert all(text.startswith("[") and ", " in text for text in intervals[:4]) and intervals[4] == ""
    low, high = (float(v) for v in intervals[0].strip("[]").split(", "))
    assert low < 0.23 < high                                      # alexnet's RSA CV value inside its interval
    ranks = overview.execute_script("return Array.from(document.querySelectorAll('#overview tbody tr')).map("
                                    "r => r.cells[1].textContent);")
    assert ranks[4] == "" and all("–" in text for text in ranks[:4])   # resnet18 has no RSA Max
    overview.find_element(By.CSS_SELECTOR, "#claims-details summary").click()
    assert "Holm" in overview.find_element(By.ID, "claims").text
    click_header(overview, "Rank interval")       # best first = largest lower rank first
    assert visible_models(overview)[0] == "gabor"


# --- the other pages -----------------------------------------------------------------------------

def test_every_page_loads_with_no_error_and_its_images(driver, site):
    from selenium.webdriver.common.by import By
    driver.set_window_size(1280, 1000)
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 5 + 5 + 9
    for page in pages:
        driver.get(page.as_uri())
        assert driver.find_element(By.TAG_NAME, "h1").text, page.name
        for image in driver.find_elements(By.TAG_NAME, "img"):
            assert image_loaded(driver, image), f"{page.name}: {image.get_attribute('src')}"
        assert_no_severe_logs(driver)


def test_a_model_page_summarises_its_comparisons_in_folded_lists(driver, site):
    from selenium.webdriver.common.by import By
    driver.get((site / "models" / "taskonomy_depth.html").as_uri())
    assert "cannot be told apart from 3" in driver.find_element(By.ID, "differs").text
    folded = driver.find_element(By.ID, "not-told-apart")
    assert not folded.find_element(By.TAG_NAME, "p").is_displayed()
    folded.find_element(By.TAG_NAME, "summary").click()
    assert {a.text for a in folded.find_elements(By.TAG_NAME, "a")} == {"alexnet", "alexnet-random", "gabor"}
    assert not driver.find_element(By.ID, "provenance").get_attribute("open")
    assert_no_severe_logs(driver)


def test_screenshots_of_the_overview_a_benchmark_and_a_model_page(driver, board):
    """Of the committed board, for a person to look at (test-artifacts/ is kept by CI)."""
    from selenium.webdriver.common.by import By
    driver.set_window_size(1280, 1000)
    for page, name in (("index.html", "leaderboard-overview.png"),
                       ("benchmarks/allen.VISp-rsa.html", "leaderboard-benchmark.png"),
                       ("models/efficientnet_lite0.html", "leaderboard-model.png")):
        driver.get((board / page).as_uri())
        for image in driver.find_elements(By.TAG_NAME, "img"):
            assert image_loaded(driver, image), f"{page}: {image.get_attribute('src')}"
        assert_no_severe_logs(driver)
        screenshot(driver, name)
    for page in ("benchmarks.html", "analyses.html", "submit.html", "cite.html"):
        driver.get((board / page).as_uri())
        assert_no_severe_logs(driver)


def image_loaded(driver, image) -> bool:
    return driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0;", image)


# --- the whole zoo -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def full_board(tmp_path_factory):
    """The committed board, with renamed copies of its models appended until it has FULL_BOARD_ROWS."""
    results = committed_results_dir()
    records = read_records(results)
    models = sorted({r["model"] for r in records})
    padded = list(records)
    for number in range(max(0, FULL_BOARD_ROWS - len(models))):
        original = models[number % len(models)]
        padded += [dict(r, model=f"{original}-copy{number}") for r in records if r["model"] == original]
    site = build_site(padded, tmp_path_factory.mktemp("full-board"), read_unscorable(results)).parent
    return site, max(FULL_BOARD_ROWS, len(models))


def timed_ms(driver, script, *arguments) -> float:
    """Milliseconds of a synchronous page action, layout included (reading offsetHeight forces it)."""
    return driver.execute_script("var start = performance.now();" + script
                                 + "; document.body.offsetHeight; return performance.now() - start;", *arguments)


def overview_rows(driver, column: int = 3):
    """(model, family, sort value of the cell in column, 3 = the headline score) of the shown rows, in order."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#overview tbody tr')).filter(r => !r.hidden)"
        ".map(r => { var c = r.cells[arguments[0]]; return [r.dataset.model, r.dataset.fFamily,"
        " c.hasAttribute('data-value') ? c.dataset.value : c.textContent.trim()]; });", column)


def test_the_full_board_renders_sorts_filters_and_fits_fast(driver, full_board):
    """The whole board at the zoo's size in the browser: every row, a correct numeric sort in both
    directions, a family filter and a search, each timed and each well under a second; no sideways
    scrolling."""
    from selenium.webdriver.common.by import By
    site, n_rows = full_board
    driver.set_window_size(1280, 1000)
    driver.get((site / "index.html").as_uri())
    load_ms = driver.execute_script("var n = performance.getEntriesByType('navigation')[0];"
                                    "return n.loadEventEnd - n.startTime;")
    assert overflow(driver) == [0, 0]
    rows = overview_rows(driver)
    assert len(rows) == n_rows
    score_button = driver.find_element(By.XPATH, '//table[@id="overview"]//tr[@class="columns"]/th[4]/button')
    assert score_button.text == "RSA, CV"
    timings = {"load": load_ms}
    timings["sort best first"] = timed_ms(driver, "arguments[0].click()", score_button)
    values = [row[2] for row in overview_rows(driver)]
    numbers = [float(v) for v in values if v != ""]
    assert numbers == sorted(numbers, reverse=True) and values[len(numbers):] == [""] * (len(values) - len(numbers))
    timings["sort worst first"] = timed_ms(driver, "arguments[0].click()", score_button)
    reversed_numbers = [float(row[2]) for row in overview_rows(driver) if row[2] != ""]
    assert reversed_numbers == sorted(numbers)
    family = driver.find_element(By.ID, "filter-family")
    timings["filter timm"] = timed_ms(driver, "arguments[0].value = 'timm';"
                                      "arguments[0].dispatchEvent(new Event('change', {bubbles: true}))", family)
    shown = overview_rows(driver)
    assert shown and {row[1] for row in shown} == {"timm"}
    assert len(shown) == sum(row[1] == "timm" for row in rows)
    assert driver.find_element(By.ID, "row-count").text == f"{len(shown)} of {n_rows} models shown"
    search = driver.find_element(By.ID, "search")
    timings["search"] = timed_ms(driver, "arguments[0].value = 'resnet';"
                                 "arguments[0].dispatchEvent(new Event('input', {bubbles: true}))", search)
    assert overview_rows(driver) and all("resnet" in row[0] for row in overview_rows(driver))
    print("full board, " + ", ".join(f"{name} {ms:.0f} ms" for name, ms in timings.items()))
    assert timings.pop("load") < LOAD_MS and max(timings.values()) < RESPONSIVE_MS, timings
    assert_no_severe_logs(driver)
