"""``/docs`` and ``/redoc`` render with no network, and the status page behind read auth,
in headless Chromium (``make browsers`` installs it; a test never installs packages).
Every request the browser makes is recorded: any that leaves 127.0.0.1 fails the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from service.api.app import create_app
from tests.api.conftest import make_key
from tests.support import ThreadedServer, wait_for

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
LOCAL = ("http://127.0.0.1:", "data:", "blob:", "about:", "chrome")

pytestmark = pytest.mark.browser


@pytest.fixture
def browser():
    missing = [p for p in (CHROMIUM, DRIVER) if not Path(p).exists()]
    assert not missing, f"{missing} missing: run `make browsers` (or `make test-fast`)"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    yield driver
    driver.quit()


def requested_urls(driver) -> list[str]:
    """Every request the page started, minus those the browser blocked before sending (CSP)."""
    urls, blocked = {}, set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            urls[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.loadingFailed" and params.get("blockedReason"):
            blocked.add(params["requestId"])
    return [u for rid, u in urls.items() if rid not in blocked]


def test_docs_render_offline(browser, settings, sessions):
    with ThreadedServer(create_app(settings, start_scheduler=False), lifespan="on") as api:
        browser.get(api.url + "/docs")
        ops = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, ".opblock"), 20, "swagger")
        assert len(ops) >= 25
        assert browser.find_elements(By.CSS_SELECTOR, ".btn.authorize")  # securitySchemes
        browser.get(api.url + "/redoc")
        wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "[role=menuitem]"), 30, "redoc")
        assert "firwatch" in browser.title
        urls = requested_urls(browser)
    assert any(u.endswith("/openapi.json") for u in urls)
    outside = [u for u in urls if not u.startswith(LOCAL)]
    assert outside == [], outside


def test_status_page_asks_for_a_key_once_behind_read_auth(browser, settings, sessions):
    settings.api.read_auth = "always"
    with ThreadedServer(create_app(settings, start_scheduler=False), lifespan="on") as api:
        key = make_key(sessions, ["read"])["X-API-Key"]
        browser.get(api.url + "/")
        form = wait_for(
            lambda: (
                browser.find_element(By.ID, "key-form").is_displayed()
                and browser.find_element(By.ID, "key-form")
            ),
            20,
            "key form",
        )
        form.find_element(By.ID, "key-input").send_keys(key)
        form.find_element(By.CSS_SELECTOR, "button").click()
        wait_for(
            lambda: browser.find_elements(By.CSS_SELECTOR, '[data-airspace="SVZM"]'), 20, "status"
        )
        browser.refresh()  # same session: no second question
        wait_for(
            lambda: browser.find_elements(By.CSS_SELECTOR, '[data-airspace="SVZM"]'), 20, "again"
        )
        assert not browser.find_element(By.ID, "key-form").is_displayed()
        errors = [
            e
            for e in browser.get_log("browser")
            if e["level"] == "SEVERE" and "Content Security Policy" in e["message"]
        ]
        assert errors == []
        outside = [u for u in requested_urls(browser) if not u.startswith(LOCAL)]
        assert outside == [], outside
