"""report.html in a real browser: headless Chromium (driven by selenium through the system
chromedriver) loads the seed study's report and checks that it makes no request, logs no
console error, draws its charts, shows a value on hover, zooms, toggles a legend entry, sorts
and filters a table, and downloads an embedded CSV equal to the file.

Skips when chromium or chromedriver is absent, unless the environment variable CI is set
(then it fails: ``.ci/run`` installs both).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import REPO_ROOT

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1300,1800"]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome:", "devtools:")


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(reason + " and CI is set, so the browser test must run (.ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """The seed study's results folder (offline: seeds/prices.csv), summary figures."""
    from eventstudy.study import EventStudy

    study = EventStudy.from_file(REPO_ROOT / "seeds" / "summer-2025.toml", REPO_ROOT / "seeds" / "events.csv")
    return study.run().save(tmp_path_factory.mktemp("browser") / "out", figures="summary")


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[Any]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    _require(chromium is not None, "chromium is not installed (apt-get install chromium)")
    _require(driver_path is not None, "chromedriver is not installed (apt-get install chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:  # pragma: no cover - the dev extra installs it
        _require(False, "selenium is not installed (pip install -e '.[dev]')")
        raise
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(driver_path)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def page(browser, report) -> Any:
    """The report loaded, its charts drawn; the performance log of the load read once."""
    browser.execute_cdp_cmd("Network.enable", {})
    browser.get_log("performance")  # drop the browser's own start-up requests
    browser.get((report / "report.html").as_uri())
    wait_for(lambda: browser.execute_script(
        "return document.querySelectorAll('.chart .main-svg').length >= 3"), "the charts to draw")
    browser.load_log = browser.get_log("performance")  # type: ignore[attr-defined]
    browser.console_log = browser.get_log("browser")  # type: ignore[attr-defined]
    return browser


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_no_request_leaves_the_page(page):
    import json

    urls = [json.loads(entry["message"])["message"]["params"]["request"]["url"] for entry in page.load_log
            if json.loads(entry["message"])["message"]["method"] == "Network.requestWillBeSent"]
    assert urls[0].endswith("/report.html")  # the page itself was seen, and first
    assert [u for u in urls if not u.startswith(LOCAL_SCHEMES)] == []


def test_no_console_error(page):
    errors = [entry for entry in page.console_log if entry["level"] in ("SEVERE", "WARNING")]
    assert errors == []


def test_charts_render_their_data(page, report):
    counts = page.execute_script("""
        return ['chart-prices','chart-car-paths','chart-forest'].map(function(id){
          var gd=document.getElementById(id);
          return {traces: gd.querySelectorAll('g.trace').length,
                  points: gd.querySelectorAll('path.point').length,
                  lines: Array.prototype.filter.call(gd.querySelectorAll('path.js-line'),
                           function(p){return (p.getAttribute('d')||'').length>100;}).length};
        });""")
    prices, paths, forest = counts
    assert prices["lines"] >= 2 and prices["points"] == 9  # two price lines; 9 event markers
    assert paths["lines"] >= 6 and paths["points"] >= 6 * 21  # six visible CAR paths of 21 days
    assert forest["points"] == 18  # 9 events x 2 assets


def test_hover_shows_the_car_of_the_point(page, report):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    car = pd.read_csv(report / "car.csv")
    invasion = car[(car["event_id"] == "INVASION22") & (car["asset"] == "IMOEX") & (car["start"] == 0)
                   & (car["end"] == 0)].iloc[0]
    chart = page.find_element(By.ID, "chart-forest")
    page.execute_script("arguments[0].scrollIntoView({block:'center'})", chart)
    points = chart.find_elements(By.CSS_SELECTOR, "g.trace path.point")
    # the IMOEX trace's second point is INVASION22 (events-file order)
    ActionChains(page).move_to_element(points[1]).pause(0.3).move_by_offset(1, 0).perform()
    text = wait_for(lambda: page.execute_script(
        "var h=document.querySelector('#chart-forest g.hoverlayer g.hovertext');return h&&h.textContent;"),
        "the hover label")
    assert "INVASION22" in text and f"{100 * invasion['car']:.2f} log %" in text.replace("\u2212", "-")
    assert f"p = {invasion['pvalue']:.3f}" in text


def test_zoom_into_the_august_cluster(page):
    from selenium.webdriver.common.by import By

    buttons = page.find_elements(By.CSS_SELECTOR, "#chart-prices g.updatemenu-button")
    zoom = [b for b in buttons if "Aug 2025" in b.text]
    assert len(zoom) == 1
    page.execute_script("arguments[0].scrollIntoView({block:'center'})", zoom[0])
    zoom[0].click()
    left, right = wait_for(lambda: page.execute_script(
        "var r=document.getElementById('chart-prices').layout.xaxis.range;"
        "return r && String(r[0]).slice(0,7)==='2025-07' ? r : null;"), "the zoom")
    assert str(left) < "2025-08-06" and "2025-08-15" < str(right) < "2025-09"


def test_legend_toggles_an_asset(page):
    from selenium.webdriver.common.by import By

    items = page.find_elements(By.CSS_SELECTOR, "#chart-forest g.legend g.traces")
    rubusd = [i for i in items if i.text.strip() == "RUBUSD"]
    assert len(rubusd) == 1
    page.execute_script("arguments[0].scrollIntoView({block:'center'})", rubusd[0])
    rubusd[0].find_element(By.CSS_SELECTOR, "rect.legendtoggle").click()
    wait_for(lambda: page.execute_script(
        "return document.getElementById('chart-forest').data[1].visible==='legendonly'"), "RUBUSD hidden")
    assert page.execute_script("return document.querySelectorAll('#chart-forest path.point').length") == 9


def test_tables_sort_and_filter(page, report):
    from selenium.webdriver.common.by import By

    car = pd.read_csv(report / "car.csv")
    first = car[(car["start"] == 0) & (car["end"] == 0)]
    table = page.find_element(By.ID, "car_0_0")
    header = [th for th in table.find_elements(By.CSS_SELECTOR, "thead th") if th.text.startswith("CAR")][0]
    page.execute_script("arguments[0].scrollIntoView({block:'center'})", header)
    header.click()
    script = ("return Array.from(document.querySelectorAll('#car_0_0 tbody tr'))"
              ".map(function(r){return r.dataset.event+'/'+r.dataset.asset;})")
    # sorted by the CAR as displayed (two decimals), ties in their previous order
    shown = first.assign(key=first["event_id"] + "/" + first["asset"], display=(100 * first["car"]).round(2))
    ranked = shown.sort_values("display", kind="stable")
    assert page.execute_script(script) == ranked["key"].tolist()
    # after sorting, every row names its event (the blank repeated cells are filled)
    assert page.execute_script("return document.querySelector('#car_0_0 tbody tr:last-child "
                               "td[data-col=event_id]').textContent") == ranked["event_id"].iloc[-1]
    header.click()
    descending = ranked.sort_values("display", ascending=False, kind="stable")
    assert page.execute_script(script) == descending["key"].tolist()
    search = page.execute_script("return document.getElementById('car_0_0').parentNode.previousElementSibling"
                                 ".previousElementSibling")
    search.send_keys("alaska")
    visible = page.execute_script("return Array.from(document.querySelectorAll('#car_0_0 tbody tr'))"
                                  ".filter(function(r){return r.style.display!=='none';})"
                                  ".map(function(r){return r.dataset.event;})")
    assert sorted(visible) == ["ALASKA", "ALASKA", "ALASKA_SET", "ALASKA_SET"]


def test_embedded_csv_downloads(page, report, tmp_path):
    from selenium.webdriver.common.by import By

    page.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    link = page.find_element(By.CSS_SELECTOR, 'a.download[data-embedded="car.csv"]')
    page.execute_script("window.scrollTo(0,0)")
    link.click()
    saved = wait_for(lambda: (tmp_path / "car.csv").is_file() and (tmp_path / "car.csv"), "the download")
    assert saved.read_bytes() == (report / "car.csv").read_bytes()
