"""The status page in a real browser (Debian's chromium, headless) while the scenario plays.

Chromium and its driver come from `make browsers` (CI calls it; a test never installs
system packages).  The page is read as a newcomer reads it, at three moments, each kept as a
screenshot under test-output/: before any data (it must say "no data yet", not NORMAL),
after the FAA warning (ADVISORY, from the NOTAM, whose text opens on demand), after the
closure (RESTRICTED from the traffic collapse while the NOTAM is only an advisory; the
alerts keep the times they happened).  Then the feeds go away: the page must say so.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
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
from tests.support import CRED, ThreadedServer, free_port, scenario_settings, wait_for

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
OUTPUT = ROOT / "test-output"
DAY = datetime(2025, 11, 21, tzinfo=UTC)

pytestmark = pytest.mark.browser


def ensure_chromium() -> None:
    missing = [p for p in (CHROMIUM, DRIVER) if not Path(p).exists()]
    assert not missing, f"{', '.join(missing)} missing: run `make browsers` (or `make test-fast`)"


@pytest.fixture(scope="module")
def browser():
    ensure_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1400,1000",
        "--disable-dev-shm-usage",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    yield driver
    driver.quit()


def text_of(browser, selector: str) -> str:
    return " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, selector))


def screenshot(browser, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    path = OUTPUT / name
    # the whole page, not only the first screen: the chart and the alerts are further down
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1400, min(max(height, 1000), 4000))
    try:
        assert browser.save_screenshot(str(path))
    finally:
        browser.set_window_size(1400, 1000)
    assert path.stat().st_size > 10_000


def polls(api_url: str) -> int:
    feeds = httpx.get(f"{api_url}/health", timeout=5).json()["feeds"]
    return min(feeds.get(name, {}).get("polls", 0) for name in ("opensky", "adsbx"))


def play(api_url: str, clock: ScenarioClock, start: datetime, end: datetime, step_min: int = 5):
    """Step the emulator's clock as a scenario runs: each step waits for two polls of both
    position feeds (the second surely started after the step), so a loaded machine cannot
    skip a landing between two steps."""
    at = start
    while at <= end:
        clock.set(at)
        before = polls(api_url)
        wait_for(lambda b=before: polls(api_url) > b + 1, 10, f"a poll at {at:%H:%M}")
        time.sleep(0.05)
        at += timedelta(minutes=step_min)


def alert_rows(browser) -> list[dict[str, str]]:
    return browser.execute_script(
        """return [...document.querySelectorAll('#alerts tr.alert-row')].map(r => ({
             id: r.dataset.id, type: r.dataset.type, text: r.innerText,
             happened: r.querySelector('.happened').innerText,
             status: r.querySelector('.alert-status').innerText,
             updated: r.querySelector('.updated').innerText}))"""
    )


def chart_labels(browser) -> list[dict[str, object]]:
    """Each text of the SVZM chart with the size it is drawn at on the screen (px)."""
    return browser.execute_script(
        """const svg = document.querySelector('[data-chart="SVZM"] svg');
           if (!svg) return [];
           const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
           return [...svg.querySelectorAll('text')].map(t => ({
             text: t.textContent, px: parseFloat(t.getAttribute('font-size')) * scale}))"""
    )


def test_status_page_says_what_it_knows(browser, tmp_path, database_url):
    scenario = load_scenario("venezuela-2025-11")
    clock = ScenarioClock(scenario.start, scenario.end, speed=0.0)
    clock.set(DAY.replace(hour=12))  # the scenario's start: the traffic model learns six hours
    emulator = create_emulator_app(
        scenario,
        clock,
        faa_client_id=CRED,
        faa_client_secret=CRED,
        opensky_client_id=CRED,
        opensky_client_secret=CRED,
    )
    emu_port = free_port()
    settings = scenario_settings(tmp_path, f"http://127.0.0.1:{emu_port}", database_url)
    settings.feeds.opensky.interval_s = settings.feeds.adsbx.interval_s = 0.3
    settings.feeds.faa_notam.interval_s = 0.5
    settings.feeds.opensky.credit_budget = False  # scenario time outruns the wall clock
    upgrade(settings.resolved_database_url)

    # 1. before any data: the feeds' address answers nothing yet
    with ThreadedServer(create_app(settings), lifespan="on") as api:
        browser.get(api.url + "/")
        badge = wait_for(
            lambda: browser.find_element(By.CSS_SELECTOR, '[data-airspace="SVZM"]').text,
            20,
            "badge",
        )
        assert badge == "no data yet"
        assert "makes no claim" in text_of(browser, '[data-airspace-card="SVZM"]')
        assert "NORMAL" not in text_of(browser, "#airspaces")
        wait_for(
            lambda: "feed down: no successful poll yet" in text_of(browser, "#feeds"),
            20,
            "the feeds said to be down",
        )
        assert browser.find_element(By.ID, "data-time").text == "no data yet"
        assert text_of(browser, "#alerts") == "no alerts yet"
        wait_for(lambda: "no data yet" in text_of(browser, '[data-chart="SVZM"]'), 10, "chart")
        # keyboard: the first Tab reaches the skip link, which moves to the status
        browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        skip = browser.switch_to.active_element
        assert skip.text == "Skip to airspace status"
        skip.send_keys(Keys.ENTER)
        assert browser.execute_script("return location.hash") == "#status-h"
        screenshot(browser, "status-page-1-before-data.png")

    with ThreadedServer(create_app(settings), lifespan="on") as api:
        with ThreadedServer(emulator, port=emu_port):
            browser.get(api.url + "/")
            wait_for(
                lambda: (
                    browser.find_element(By.CSS_SELECTOR, '[data-airspace="SVZM"]').text == "NORMAL"
                ),
                30,
                "NORMAL once data arrives",
            )
            assert "No NOTAM in force and normal traffic" in text_of(browser, ".source")
            count = wait_for(
                lambda: int(browser.find_element(By.CSS_SELECTOR, ".foreign-count").text),
                20,
                "count",
            )
            assert count >= 5
            wait_for(
                lambda: browser.find_elements(By.CSS_SELECTOR, "#aircraft circle"), 20, "aircraft"
            )
            # Venezuelan aircraft get another shape, not only another colour
            wait_for(
                lambda: browser.find_elements(By.CSS_SELECTOR, "#aircraft rect.ac-domestic"),
                20,
                "domestic marks",
            )
            assert "UTC" in browser.find_element(By.ID, "data-time").text
            wait_for(
                lambda: "working, last good poll" in text_of(browser, '[data-feed="opensky"]'),
                20,
                "opensky working",
            )

            # six normal hours first: the traffic model judges an unseen hour only from five
            # learned ones, and a collapse is judged against them
            play(
                api.url,
                clock,
                DAY.replace(hour=12, minute=10),
                DAY.replace(hour=17, minute=30),
                step_min=10,
            )
            # 2. after the warning: ADVISORY, from the NOTAM, its text on demand
            play(api.url, clock, DAY.replace(hour=17, minute=40), DAY.replace(hour=18, minute=20))
            wait_for(
                lambda: (
                    browser.find_element(By.CSS_SELECTOR, '[data-airspace="SVZM"]').text
                    == "ADVISORY"
                ),
                30,
                "ADVISORY",
            )
            source = text_of(browser, '[data-airspace-card="SVZM"] .source')
            assert source.startswith("Source: NOTAM — A0012/25 (advisory). Traffic is normal")
            browser.find_element(By.CSS_SELECTOR, 'details[data-notam="A0012/25"] summary').click()
            wait_for(
                lambda: (
                    "HEIGHTENED MILITARY ACTIVITY"
                    in text_of(browser, 'details[data-notam="A0012/25"] pre')
                ),
                10,
                "NOTAM text",
            )
            rows = wait_for(
                lambda: [r for r in alert_rows(browser) if "NORMAL → ADVISORY" in r["text"]],
                20,
                "status alert",
            )
            advisory = rows[0]
            assert "from the NOTAM" in advisory["text"]
            assert advisory["happened"].startswith("2025-11-21 18:")
            assert advisory["status"] == "open" and advisory["updated"].startswith("seen ")
            wait_for(
                lambda: any(
                    label["text"].startswith("warning: NOTAM A0012/25")
                    for label in chart_labels(browser)
                ),
                10,
                "warning on the chart",
            )
            screenshot(browser, "status-page-2-after-warning.png")

            # 3. after the closure: RESTRICTED from the traffic, the NOTAM only an advisory
            play(api.url, clock, DAY.replace(hour=18, minute=25), DAY.replace(hour=22, minute=45))
            wait_for(
                lambda: (
                    browser.find_element(By.CSS_SELECTOR, '[data-airspace="SVZM"]').text
                    in ("RESTRICTED", "CLOSED")
                ),
                30,
                "RESTRICTED",
            )
            source = text_of(browser, '[data-airspace-card="SVZM"] .source')
            assert re.match(
                r"Source: traffic — collapse since 2025-11-21 \d\d:\d\d UTC: "
                r"foreign aircraft \d+ vs [\d.]+ expected\.",
                source,
            ), source
            # one NOTAM "is only an advisory"; with A0483/25 (22:40Z) two "amount only to" one
            assert re.search(r"(is only|amount only to) an advisory", source), source
            assert "not an official restriction" in source
            same = wait_for(
                lambda: [
                    r
                    for r in alert_rows(browser)
                    if r["id"] == advisory["id"] and r["status"] == "resolved"
                ],
                20,
                "the advisory alert resolved",
            )
            # the time it happened does not move when it resolves; the last update says when
            assert same[0]["happened"] == advisory["happened"], alert_rows(browser)
            assert same[0]["updated"].startswith("resolved 2025-11-21 ")
            assert same[0]["updated"] > "resolved " + advisory["happened"]
            restricted = next(
                r for r in alert_rows(browser) if "ADVISORY → RESTRICTED" in r["text"]
            )
            assert "from the traffic" in restricted["text"]
            happened = [r["happened"] for r in alert_rows(browser)]
            assert len(happened) >= 8 and happened == sorted(happened, reverse=True)
            labels = wait_for(
                lambda: [
                    label
                    for label in chart_labels(browser)
                    if str(label["text"]).startswith("closure: traffic collapse")
                ],
                10,
                "closure on the chart",
            )
            assert all(label["px"] >= 12 for label in chart_labels(browser)), chart_labels(browser)
            assert labels
            headers = [
                h.text
                for h in browser.find_elements(By.CSS_SELECTOR, "#routes-h ~ table th[scope=col]")
            ]
            assert "Turn-backs" in headers and "Diversions" in headers

            # turn-backs and diversions per route, as the API counts them (the scenario has one
            # of each: BWA457 TTPP-SVMI back to TTPP, AVA730 SKBO-TNCC to TNCA)
            def per_route() -> bool:
                api_routes = {r["route"]: r for r in httpx.get(f"{api.url}/api/v1/routes").json()}
                shown = {
                    r: (
                        browser.find_element(
                            By.CSS_SELECTOR, f'[data-route="{r}"] .turn-backs'
                        ).text,
                        browser.find_element(
                            By.CSS_SELECTOR, f'[data-route="{r}"] .diversions'
                        ).text,
                    )
                    for r in api_routes
                }
                return (
                    shown
                    == {
                        r: (str(v["turn_backs"]), str(v["diversions"]))
                        for r, v in api_routes.items()
                    }
                    and shown
                )

            shown = wait_for(per_route, 20, "turn-backs and diversions as the API has them")
            assert int(shown["TTPP-SVMI"][0]) >= 1 and int(shown["SKBO-TNCC"][1]) >= 1, shown
            # rerouted flights that landed count as flying around, with their extra distance
            around = browser.find_element(By.CSS_SELECTOR, '[data-route="TTPP-TNCC"]').text
            assert re.search(r"\b[1-9]\d* \(\d+ %\) \d+ km \(\d+ NM\)", around), around
            land = browser.find_elements(By.CSS_SELECTOR, "#land path")
            assert land and len(land[0].get_attribute("d")) > 10_000  # coastlines drawn
            view = browser.find_element(By.ID, "map").get_dom_attribute("viewBox").split()
            assert float(view[0]) < -73 and float(view[0]) + float(view[2]) > -59  # frames SVZM
            screenshot(browser, "status-page-3-after-closure.png")

        # the feeds go away: said in words, and the status is not read as an empty sky
        down = wait_for(
            lambda: re.search(
                r"opensky: feed down since (2\d{3}-\d\d-\d\d \d\d:\d\d:\d\d UTC)",
                text_of(browser, "#feeds"),
            ),
            30,
            "feed down since",
        )
        assert down
        wait_for(
            lambda: "held from the last data" in text_of(browser, '[data-airspace-card="SVZM"]'),
            10,
            "status held",
        )
        held = browser.find_element(By.CSS_SELECTOR, '[data-airspace="SVZM"]').text
        assert held in ("RESTRICTED", "CLOSED"), (
            held,
            httpx.get(f"{api.url}/api/v1/airspaces/SVZM", timeout=5).text,
            [(r["type"], r["text"][:160]) for r in alert_rows(browser)[:6]],
        )
        # the page's own files only: nothing blocked by its Content-Security-Policy
        blocked = [
            e["message"]
            for e in browser.get_log("browser")
            if "Content Security Policy" in e["message"]
        ]
        assert blocked == []
