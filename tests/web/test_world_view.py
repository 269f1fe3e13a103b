"""The status page's world view (``watch.airspaces: all``) in a real browser: every FIR
coloured by status, the most disrupted in a sortable table; a screenshot is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from selenium.webdriver.common.by import By

from service.api.app import create_app
from service.config import load_settings
from service.store.db import make_engine, make_sessionmaker, upgrade
from service.store.models import AirspaceStatusRow
from tests.conftest import ROOT
from tests.support import ThreadedServer, wait_for
from tests.web.test_status_page import OUTPUT, browser  # noqa: F401  (the Chromium fixture)

pytestmark = pytest.mark.browser
T0 = datetime(2025, 6, 13, 1, 0, tzinfo=UTC)
FLAGGED = {"OIIX": "CLOSED", "ORBB": "CLOSED", "OJAC": "RESTRICTED", "LLLL": "ADVISORY"}


def test_world_view(browser, tmp_path):  # noqa: F811
    settings = load_settings(
        ROOT / "config.yaml",
        database_url=f"sqlite:///{tmp_path / 'w.db'}",
        seeds_dir=str(ROOT / "seeds"),
        watch={"airspaces": "all", "routes_file": str(ROOT / "seeds" / "watched_routes.yaml")},
        api={"cache_s": 0},
    )
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    with make_sessionmaker(engine).begin() as session:
        for i, (code, status) in enumerate(FLAGGED.items()):
            session.add(
                AirspaceStatusRow(
                    airspace=code,
                    status=status,
                    since=T0 + timedelta(minutes=10 * i),
                    updated_at=T0 + timedelta(hours=1),
                    foreign_count=i,
                    domestic_count=0,
                    baseline_foreign=9.0,
                    evidence={},
                )
            )
    engine.dispose()
    with ThreadedServer(create_app(settings, start_scheduler=False), lifespan="on") as api:
        browser.get(api.url + "/")
        rows = wait_for(
            lambda: browser.find_elements(By.CSS_SELECTOR, "#world-rows tr"), 30, "world table"
        )
        assert [r.get_attribute("data-icao") for r in rows][:2] in (
            ["OIIX", "ORBB"],
            ["ORBB", "OIIX"],
        )
        assert {r.get_attribute("data-icao") for r in rows} == set(FLAGGED)
        coloured = wait_for(
            lambda: {
                p.get_attribute("data-icao"): p.get_attribute("class")
                for p in browser.find_elements(By.CSS_SELECTOR, "#firs polygon")
                if "st-" in (p.get_attribute("class") or "")
            },
            30,
            "FIRs coloured by status",
        )
        assert {code: cls.split("st-")[1] for code, cls in coloured.items()} == FLAGGED
        counts = browser.find_element(By.ID, "world-counts").text
        assert "2 closed, 1 restricted, 1 advisory" in counts
        assert len(browser.find_elements(By.CSS_SELECTOR, "#firs polygon")) > 400
        # sortable: by FIR code, then the other way round
        browser.find_element(By.CSS_SELECTOR, '#world-table button[data-key="airspace"]').click()
        codes = [
            r.get_attribute("data-icao")
            for r in browser.find_elements(By.CSS_SELECTOR, "#world-rows tr")
        ]
        assert codes == sorted(FLAGGED)
        browser.find_element(By.CSS_SELECTOR, '#world-table button[data-key="airspace"]').click()
        codes = [
            r.get_attribute("data-icao")
            for r in browser.find_elements(By.CSS_SELECTOR, "#world-rows tr")
        ]
        assert codes == sorted(FLAGGED, reverse=True)
        # only the disrupted FIRs get a status paragraph (not all 435)
        badges = browser.find_elements(By.CSS_SELECTOR, "#airspaces .badge")
        assert {b.get_attribute("data-airspace") for b in badges} == set(FLAGGED)
        OUTPUT.mkdir(exist_ok=True)
        assert browser.save_screenshot(str(OUTPUT / "world-view.png"))
        assert (OUTPUT / "world-view.png").stat().st_size > 10_000
