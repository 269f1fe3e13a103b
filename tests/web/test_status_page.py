"""The status page in a real browser (Debian's chromium, headless) while the scenario plays.

Chromium and its driver come from `make browsers` (CI calls it; a test never installs
system packages); the page must show the airspace status with its counts, draw aircraft on
the map, and receive alert rows live.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from service.api.app import create_app
from service.sim.clock import ScenarioClock
from service.sim.emulator import create_emulator_app
from service.sim.scenario import load_scenario
from service.store.db import upgrade
from tests.conftest import ROOT
from tests.support import CRED, ThreadedServer, scenario_settings, wait_for

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
OUTPUT = ROOT / "test-output"


pytestmark = pytest.mark.browser


def ensure_chromium() -> None:
    missing = [p for p in (CHROMIUM, DRIVER) if not Path(p).exists()]
    assert not missing, f"{', '.join(missing)} missing: run `make browsers` (or `make test-fast`)"


@pytest.fixture(scope="module")
def browser():
    ensure_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                "--disable-dev-shm-usage"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    yield driver
    driver.quit()


def test_status_page_live(browser, tmp_path, database_url):
    scenario = load_scenario("venezuela-2025-11")
    clock = ScenarioClock(scenario.start, scenario.end, speed=0.0)
    clock.set(datetime(2025, 11, 21, 16, 0, tzinfo=UTC))
    emulator = create_emulator_app(scenario, clock, faa_client_id=CRED, faa_client_secret=CRED,
                                   opensky_client_id=CRED, opensky_client_secret=CRED)  # fmt: skip
    with ThreadedServer(emulator) as emu:
        settings = scenario_settings(tmp_path, emu.url, database_url)
        fast = {"interval_s": 0.3}
        settings.feeds.opensky.interval_s = settings.feeds.adsbx.interval_s = fast["interval_s"]
        settings.feeds.faa_notam.interval_s = 0.5
        settings.feeds.opensky.credit_budget = False  # scenario time outruns the wall clock
        upgrade(settings.resolved_database_url)
        with ThreadedServer(create_app(settings), lifespan="on") as api:
            browser.get(api.url + "/")
            badge = wait_for(
                lambda: browser.find_element(By.CSS_SELECTOR, '[data-airspace="SVZM"]'),
                20,
                "status",
            )
            wait_for(lambda: badge.text == "NORMAL" or browser.find_element(
                By.CSS_SELECTOR, '[data-airspace="SVZM"]').text == "NORMAL", 20, "NORMAL")  # fmt: skip
            wait_for(
                lambda: browser.find_elements(By.CSS_SELECTOR, "#aircraft circle"), 20, "aircraft"
            )
            # Venezuelan aircraft get another shape, not only another colour
            wait_for(
                lambda: browser.find_elements(By.CSS_SELECTOR, "#aircraft rect.ac-domestic"),
                20,
                "domestic marks",
            )
            count = wait_for(
                lambda: int(browser.find_element(By.CSS_SELECTOR, ".foreign-count").text),
                20,
                "count",
            )  # redraws replace the element: read it when it is there and numeric
            assert count >= 5
            # play the warning and the hours after it: the page must follow without a reload
            for minute in range(0, 240, 5):
                clock.set(datetime(2025, 11, 21, 17, 40, tzinfo=UTC).replace(
                    hour=17 + (40 + minute) // 60, minute=(40 + minute) % 60))  # fmt: skip
                time.sleep(0.35)
            status = wait_for(
                lambda: (
                    browser.find_element(By.CSS_SELECTOR, '[data-airspace="SVZM"]').text
                    in ("RESTRICTED", "CLOSED")
                    and browser.find_element(By.CSS_SELECTOR, '[data-airspace="SVZM"]').text
                ),
                30,
                "RESTRICTED",
            )
            assert status in ("RESTRICTED", "CLOSED")
            rows = wait_for(
                lambda: [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#alerts tr")
                         if "airspace.status_changed" in r.text],
                20,
                "live alert rows",
            )  # fmt: skip
            assert any("RESTRICTED" in r for r in rows)
            assert "UTC" in browser.find_element(By.ID, "data-time").text
            chart = browser.find_element(By.CSS_SELECTOR, 'img.traffic[data-airspace="SVZM"]')
            assert "SVZM" in chart.get_attribute("alt")
            assert browser.execute_script("return arguments[0].naturalWidth", chart) > 0
            land = wait_for(
                lambda: browser.find_elements(By.CSS_SELECTOR, "#land path"), 10, "land"
            )
            assert len(land[0].get_attribute("d")) > 10_000  # coastlines drawn, not an empty path
            view = browser.find_element(By.ID, "map").get_dom_attribute("viewBox").split()
            assert float(view[0]) < -73 and float(view[0]) + float(view[2]) > -59  # frames SVZM
            # keyboard: the first Tab reaches the skip link, which moves to the status
            browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
            skip = browser.switch_to.active_element
            assert skip.text == "Skip to airspace status"
            skip.send_keys(Keys.ENTER)
            assert browser.execute_script("return location.hash") == "#status-h"
            browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
            OUTPUT.mkdir(exist_ok=True)
            assert browser.save_screenshot(str(OUTPUT / "status-page.png"))
            assert (OUTPUT / "status-page.png").stat().st_size > 10_000
