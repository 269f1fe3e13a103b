"""Hostile feeds over real HTTP: every fault is a failed poll or a counted rejection, the
scheduler never crashes, and a run of failures is never read as an empty sky."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from service.domain import AirspaceStatus
from service.feeds.base import CircuitBreaker
from service.geo.airspaces import load_seed_registries
from service.runtime import build_runtime
from service.sim.clock import ScenarioClock
from service.sim.emulator import create_emulator_app
from service.sim.scenario import load_scenario
from service.store.db import upgrade
from tests.support import CRED, ThreadedServer, scenario_settings

T0 = datetime(2025, 11, 21, 15, 0, tzinfo=UTC)


@pytest.fixture
def setup(tmp_path, database_url):
    scenario = load_scenario("venezuela-2025-11")
    clock = ScenarioClock(scenario.start, scenario.end)
    clock.set(T0)
    app = create_emulator_app(
        scenario,
        clock,
        faa_client_id=CRED,
        faa_client_secret=CRED,
        opensky_client_id=CRED,
        opensky_client_secret=CRED,
    )
    with ThreadedServer(app) as emu:
        settings = scenario_settings(tmp_path, emu.url, database_url)
        settings.feeds.opensky.timeout_s = 1.0
        upgrade(settings.resolved_database_url)
        yield settings, emu, clock, app


async def inject(emu, feed: str, *kinds: str, delay_s: float = 3.0) -> None:
    async with httpx.AsyncClient() as c:
        r = await c.post(
            f"{emu.url}/_emulator/faults",
            json={"feed": feed, "kinds": list(kinds), "delay_s": delay_s},
        )
        assert r.status_code == 200


async def test_faults_are_contained(setup):
    settings, emu, clock, _app = setup
    seeds = settings.path(settings.seeds_dir)
    registries = load_seed_registries(seeds)
    async with (
        httpx.AsyncClient() as http,
        build_runtime(settings, http=http, registries=registries) as runtime,
    ):
        poller = runtime.poller
        assert poller is not None
        poller.opensky.breaker = CircuitBreaker("opensky", threshold=3, base_s=0.01)
        at = T0

        async def opensky():
            nonlocal at
            at += timedelta(minutes=5)
            clock.set(at)
            return await poller.poll_positions("opensky")

        assert (await opensky()).ok
        expected_errors = {
            "5xx": "HTTP 502",
            "malformed_json": "not valid JSON",
            "truncated": "not valid JSON",
            "reset": "Error",
            "timeout": "timed out",
        }
        for kind, message in expected_errors.items():
            poller.opensky.breaker.success()
            await inject(emu, "opensky", kind)
            report = await opensky()
            assert not report.ok and message in report.error, (kind, report.error)
        poller.opensky.breaker.success()
        await inject(emu, "opensky", "401")
        assert (await opensky()).ok  # token refreshed, request retried
        await inject(emu, "opensky", "429")
        limited = await opensky()
        assert not limited.ok and "429" in limited.error
        blocked = await opensky()
        assert not blocked.ok and "rate limited for another" in blocked.error
        poller.opensky.breaker.success()  # as if the 30 s had passed
        for kind in ("nan", "wrong_types"):
            await inject(emu, "opensky", kind)
            report = await opensky()
            assert report.ok and report.rejected > 0, kind
        await inject(emu, "opensky", "duplicates", "stale")
        assert (await opensky()).ok and (await opensky()).ok
        # three failures in a row open the breaker: no request until it closes
        poller.opensky.breaker = CircuitBreaker("opensky", threshold=3, base_s=60)
        await inject(emu, "opensky", "5xx", "5xx", "5xx")
        for _ in range(3):
            assert not (await opensky()).ok
        paused = await opensky()
        assert "paused for another" in paused.error
        await inject(emu, "faa_notam", "5xx")
        notams = await poller.poll_notams()
        assert not notams.ok and "502" in notams.error
        await inject(emu, "routes", "5xx")
        assert (await poller.poll_positions("adsbx")).ok  # a failed route look-up is not fatal
        # nothing above reads as an empty sky
        assert poller.engine.trackers["SVZM"].status == AirspaceStatus.NORMAL
        with runtime.sessions() as s:
            from service.store.models import FeedHealthRow

            health = s.get(FeedHealthRow, "opensky")
            assert health.failures >= 8 and health.rejected > 0 and health.last_success_at
