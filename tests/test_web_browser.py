"""End to end: the page in Debian's headless Chromium, driven by selenium, against a real server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from radgraph.build import build
from radgraph.store import open_store

from .serving import serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REPO = Path(__file__).parent.parent
SEED = "seed-emh-thalassemia"
EMH = "extramedullary hematopoiesis"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="needs /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium chromium-driver)",
    ),
]

if CHROMIUM.exists() and CHROMEDRIVER.exists():
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import Select, WebDriverWait

CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1600",
)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, nlp) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from radgraph.web import create_app

    path = tmp_path_factory.mktemp("browser") / "store"
    with open_store(f"oxigraph:{path}") as store:
        summary = build([REPO / "data" / "cases"], store, nlp=nlp)
    assert not summary.failed, summary.failed
    with serving(create_app(f"oxigraph:{path}", preload=True)) as base:
        yield base


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: WebDriver, condition: Callable[[WebDriver], object], seconds: float = 30) -> object:
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.2).until(condition)
    except TimeoutException:
        statuses = {
            i: driver.find_element(By.ID, i).text for i in ("query-status", "ddx-status", "case-status")
        }
        raise AssertionError(f"the page did not get there in {seconds} s; status lines: {statuses}") from None


def open_page(driver: WebDriver, base_url: str) -> None:
    driver.get(base_url + "/")
    wait_for(
        driver,
        lambda d: d.find_elements(By.CSS_SELECTOR, "#named-query option[value='diagnoses-presenting-with']"),
    )
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f"#case-select option[value='{SEED}']"))


def severe_console_errors(driver: WebDriver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_named_query_in_the_page(browser: WebDriver, base_url: str) -> None:
    open_page(browser, base_url)
    Select(browser.find_element(By.ID, "named-query")).select_by_value("diagnoses-presenting-with")
    assert browser.find_element(By.ID, "query-description").text.startswith("Which diagnoses present")
    assert "#@bind" in browser.find_element(By.ID, "query-text").get_attribute("value")  # type: ignore[operator]
    browser.find_element(By.ID, "param-finding").send_keys("paravertebral mass")
    Select(browser.find_element(By.ID, "param-laterality")).select_by_value("bilateral")
    browser.find_element(By.ID, "run-query").click()
    table = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#query-results table tbody tr"))
    assert table
    cells = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#query-results td")]
    assert EMH in cells
    assert "paravertebral masses" in cells and f"rgd:case/{SEED}" in cells
    assert "VALUES (?finding ?laterality)" in browser.find_element(By.ID, "query-text").get_attribute("value")  # type: ignore[operator]
    assert severe_console_errors(browser) == []


def test_raw_sparql_results_are_shown_as_text(browser: WebDriver, base_url: str) -> None:
    open_page(browser, base_url)
    markup = "<img src=x onerror=document.title='owned'>"
    box = browser.find_element(By.ID, "query-text")
    box.clear()
    box.send_keys(f'SELECT ?x WHERE {{ BIND("{markup}" AS ?x) }}')
    browser.find_element(By.ID, "run-query").click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#query-results td"))
    assert browser.find_element(By.CSS_SELECTOR, "#query-results td").text == markup
    assert browser.find_elements(By.CSS_SELECTOR, "#query-results img") == []
    assert browser.title != "owned"


def test_differential_in_the_page(browser: WebDriver, base_url: str) -> None:
    open_page(browser, base_url)
    browser.find_element(By.ID, "ddx-findings").send_keys("bilateral paravertebral mass\nT1 hyperintensity")
    browser.find_element(By.ID, "ddx-history").send_keys("thalassemia")
    browser.find_element(By.ID, "run-ddx").click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#ddx-results li.candidate"), seconds=180)
    first = browser.find_element(By.CSS_SELECTOR, "#ddx-results li.candidate")
    assert first.find_element(By.CSS_SELECTOR, ".candidate-label").text == EMH
    supporting = [li.text for li in first.find_elements(By.CSS_SELECTOR, ".contribution")]
    assert any("history of thalassemia" in s for s in supporting)
    assert first.find_elements(By.CSS_SELECTOR, ".evidence li")
    assert severe_console_errors(browser) == []


def test_case_view_highlights_mentions_by_assertion(browser: WebDriver, base_url: str) -> None:
    open_page(browser, base_url)
    Select(browser.find_element(By.ID, "case-select")).select_by_value(SEED)
    marks = wait_for(
        browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#case-text mark.mention"), seconds=180
    )
    assert len(marks) > 10  # type: ignore[arg-type]
    text = browser.find_element(By.ID, "case-text").text
    assert text.startswith("A 29Y/O man with back pain")
    present = browser.find_element(By.CSS_SELECTOR, "#case-text mark.assert-present.subject-patient")
    absent = browser.find_elements(By.CSS_SELECTOR, "#case-text mark.assert-absent")
    assert [m.text for m in absent][:1] == ["calcification"]
    assert "line-through" in absent[0].value_of_css_property("text-decoration-line")
    assert present.value_of_css_property("background-color") != absent[0].value_of_css_property(
        "background-color"
    )
    assert browser.find_elements(By.CSS_SELECTOR, "#case-text mark.subject-generic")
    legend = [li.text for li in browser.find_elements(By.CSS_SELECTOR, ".legend li")]
    assert legend[:3] == ["present", "absent", "uncertain"] and "generic" in legend[3]
    assert severe_console_errors(browser) == []
