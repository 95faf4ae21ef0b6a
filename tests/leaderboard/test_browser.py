"""The leaderboard in a real headless browser (Chromium via selenium), opened from file://: the table
renders, sorts and filters, links work, the figures load, and no page logs an error.

Skipped where chromium, chromedriver or selenium is missing, unless MOUSESCORE_REQUIRE_BROWSER=1 (CI),
which makes that a failure."""
import os
import shutil
from pathlib import Path

import pytest
from test_site import RANKING, records_with_a_tie

from mousescore.leaderboard.site import build_site
from mousescore.results.records import read_records, read_unscorable

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "test-artifacts" / "leaderboard-overview.png"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
RESULTS = REPO / "leaderboard" / "results"
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
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
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


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build_site(records_with_a_tie(), tmp_path_factory.mktemp("site")).parent


@pytest.fixture
def overview(driver, site):
    driver.get((site / "index.html").as_uri())
    yield driver
    assert_no_severe_logs(driver)


def assert_no_severe_logs(driver):
    severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not severe, f"{driver.current_url}: {severe}"


def visible_models(driver):
    from selenium.webdriver.common.by import By
    return [row.get_attribute("data-model") for row in driver.find_elements(By.CSS_SELECTOR, "#overview tbody tr")
            if row.is_displayed()]


def click_header(driver, label):
    from selenium.webdriver.common.by import By
    driver.find_element(By.XPATH, f'//table[@id="overview"]//th[normalize-space(.)="{label}"]').click()


def test_the_table_renders_every_model_ranked_and_a_screenshot_is_saved(overview):
    from selenium.webdriver.common.by import By
    assert visible_models(overview) == RANKING
    link_texts = [a.text for a in overview.find_elements(By.CSS_SELECTOR, "#overview tbody td:nth-child(2) a")]
    assert link_texts == RANKING
    SCREENSHOT.parent.mkdir(exist_ok=True)
    assert overview.save_screenshot(str(SCREENSHOT))
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert SCREENSHOT.stat().st_size > 20_000   # a rendered page, not a blank one


def test_clicking_a_header_sorts_numbers_with_empty_cells_last(overview):
    click_header(overview, "RSA, CV")   # first click: best first; resnet18 has no RSA mean
    assert visible_models(overview) == ["alexnet", "taskonomy_depth", "alexnet-random", "gabor", "resnet18"]
    click_header(overview, "RSA, CV")
    assert visible_models(overview) == ["gabor", "alexnet-random", "taskonomy_depth", "alexnet", "resnet18"]
    click_header(overview, "Model")
    assert visible_models(overview) == ["alexnet", "alexnet-random", "gabor", "resnet18", "taskonomy_depth"]


def test_filters_hide_the_other_rows(overview):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    Select(overview.find_element(By.ID, "filter-family")).select_by_value("torchvision")
    assert visible_models(overview) == ["alexnet", "alexnet-random", "resnet18"]
    Select(overview.find_element(By.ID, "filter-trained")).select_by_value("untrained")
    assert visible_models(overview) == ["alexnet-random"]
    assert overview.find_element(By.ID, "row-count").text == "1 of 5 models shown"
    Select(overview.find_element(By.ID, "filter-family")).select_by_value("")
    Select(overview.find_element(By.ID, "filter-training")).select_by_value("none (fixed filters)")
    assert visible_models(overview) == ["gabor"]


def column_texts(driver, label):
    from selenium.webdriver.common.by import By
    headers = [th.text.strip() for th in driver.find_elements(By.CSS_SELECTOR, "#overview thead th")]
    index = headers.index(label) + 1
    return [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, f"#overview tbody td:nth-child({index})")
            if cell.is_displayed()]


def test_intervals_and_rank_intervals_are_shown_and_sort(overview):
    from selenium.webdriver.common.by import By
    intervals = column_texts(overview, "95% interval")
    assert len(intervals) == 5 and all(text.startswith("[") and ", " in text for text in intervals[:4])
    low, high = (float(v) for v in intervals[0].strip("[]").split(", "))
    assert low < 0.23 < high                                      # alexnet's RSA CV value inside its interval
    ranks = column_texts(overview, "Rank interval")
    assert ranks[4] == "" and all("–" in text for text in ranks[:4])   # resnet18 has no RSA Max
    assert "Holm" in overview.find_element(By.ID, "claims").text
    click_header(overview, "Rank interval")       # best first = largest lower rank first
    assert visible_models(overview)[0] == "gabor"


def test_a_model_page_lists_the_models_it_differs_from(overview):
    from selenium.webdriver.common.by import By
    overview.find_element(By.LINK_TEXT, "taskonomy_depth").click()
    assert "Holm" in overview.find_element(By.ID, "differs").text
    assert "95%" in overview.find_element(By.TAG_NAME, "dl").text


def test_a_model_link_opens_its_page(overview):
    from selenium.webdriver.common.by import By
    overview.find_element(By.LINK_TEXT, "taskonomy_depth").click()
    assert "taskonomy_depth" in overview.title
    assert "taskonomy_depth" in overview.find_element(By.TAG_NAME, "h1").text
    assert image_loaded(overview, overview.find_element(By.CSS_SELECTOR, "figure img"))


def test_the_analyses_page_shows_five_figures(driver, site):
    from selenium.webdriver.common.by import By
    driver.get((site / "analyses.html").as_uri())
    images = driver.find_elements(By.CSS_SELECTOR, "figure img")
    assert len(images) == 5
    assert all(image_loaded(driver, image) for image in images)
    assert_no_severe_logs(driver)


def test_a_real_v1_benchmark_page_loads_without_errors(driver, site):
    from selenium.webdriver.common.by import By
    driver.get((site / "benchmarks" / "antolik2016.V1-srp_ridge.html").as_uri())
    assert "antolik2016.V1-srp_ridge" in driver.find_element(By.TAG_NAME, "h1").text
    assert_no_severe_logs(driver)


def image_loaded(driver, image) -> bool:
    return driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0;", image)


@pytest.fixture(scope="module")
def full_board(tmp_path_factory):
    """The committed board, with renamed copies of its models appended until it has FULL_BOARD_ROWS."""
    records = read_records(RESULTS)
    models = sorted({r["model"] for r in records})
    padded = list(records)
    for number in range(max(0, FULL_BOARD_ROWS - len(models))):
        original = models[number % len(models)]
        padded += [dict(r, model=f"{original}-copy{number}") for r in records if r["model"] == original]
    site = build_site(padded, tmp_path_factory.mktemp("full-board"), read_unscorable(RESULTS)).parent
    return site, max(FULL_BOARD_ROWS, len(models))


def timed_ms(driver, script, *arguments) -> float:
    """Milliseconds of a synchronous page action, layout included (reading offsetHeight forces it)."""
    return driver.execute_script("var start = performance.now();" + script
                                 + "; document.body.offsetHeight; return performance.now() - start;", *arguments)


def overview_rows(driver, column: int = 2):
    """(model, family, data-value of the cell in column, 2 = the headline score) of the shown rows, in page order."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#overview tbody tr')).filter(r => !r.hidden)"
        ".map(r => [r.dataset.model, r.dataset.family, r.cells[arguments[0]].dataset.value]);", column)


def test_the_full_board_renders_sorts_and_filters_fast(driver, full_board):
    """The whole board at the zoo's size in the browser: every row, a correct numeric sort in both
    directions, a family filter, each timed and each well under a second."""
    from selenium.webdriver.common.by import By
    site, n_rows = full_board
    driver.get((site / "index.html").as_uri())
    load_ms = driver.execute_script("var n = performance.getEntriesByType('navigation')[0];"
                                    "return n.loadEventEnd - n.startTime;")
    rows = overview_rows(driver)
    assert len(rows) == n_rows
    score_button = driver.find_element(By.XPATH, '//table[@id="overview"]//th[normalize-space(.)="RSA, CV"]')
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
    print("full board, " + ", ".join(f"{name} {ms:.0f} ms" for name, ms in timings.items()))
    assert timings.pop("load") < LOAD_MS and max(timings.values()) < RESPONSIVE_MS, timings
    assert_no_severe_logs(driver)
