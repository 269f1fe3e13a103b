"""The whole system on the Venezuela 2025-11 scenario, over real HTTP on loopback.

emulator (uvicorn) ↔ httpx feed clients ↔ ingest/detection ↔ SQLite ↔ API (uvicorn)
↔ webhook receiver (uvicorn).  The emulator's clock is stepped by the test so the
16 hours of the scenario play in seconds, deterministically.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook

from service.api.app import create_app
from service.api.auth import create_key
from service.geo.airspaces import load_seed_registries
from service.runtime import build_runtime
from service.sim.clock import ScenarioClock
from service.sim.emulator import create_emulator_app
from service.sim.scenario import load_scenario
from service.store.db import make_engine, make_sessionmaker, upgrade
from tests.support import CRED, ThreadedServer, scenario_settings

ROOT = Path(__file__).resolve().parents[2]
STEP = timedelta(minutes=5)


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("venezuela-2025-11")


async def test_scenario_end_to_end(tmp_path, receiver, scenario, database_url):
    webhook_app, webhook_server = receiver
    clock = ScenarioClock(scenario.start, scenario.end, speed=0.0)
    clock.set(scenario.start)
    emulator = create_emulator_app(
        scenario,
        clock,
        faa_client_id=CRED,
        faa_client_secret=CRED,
        opensky_client_id=CRED,
        opensky_client_secret=CRED,
    )
    with ThreadedServer(emulator) as emu:
        settings = scenario_settings(tmp_path, emu.url, database_url)
        upgrade(settings.resolved_database_url)
        key_engine = make_engine(settings.resolved_database_url)
        with make_sessionmaker(key_engine).begin() as session:
            _, admin_key = create_key(session, "integration test", ["admin"])
        key_engine.dispose()
        api_app = create_app(settings, start_scheduler=False)
        with ThreadedServer(api_app, lifespan="on") as api:
            async with httpx.AsyncClient(
                base_url=api.url, timeout=10, headers={"X-API-Key": admin_key}
            ) as client:
                created = await client.post(
                    "/api/v1/webhooks",
                    json={
                        "url": f"{webhook_server.url}/hook",
                        "event_types": [
                            "flight.rerouted",
                            "flight.diverted",
                            "airspace.status_changed",
                        ],
                    },
                )
                assert created.status_code == 201, created.text
                secret = created.json()["secret"]
                assert secret.startswith("whsec_")

                seeds = settings.path(settings.seeds_dir)
                registries = load_seed_registries(seeds)
                async with (
                    httpx.AsyncClient(timeout=10) as http,
                    build_runtime(
                        settings, http=http, registries=registries, webhooks=True
                    ) as runtime,
                ):
                    poller = runtime.poller
                    assert poller is not None
                    at = scenario.start
                    while at <= scenario.end:
                        clock.set(at)
                        reports = await poller.poll_once()
                        assert all(r.ok for r in reports), [r.error for r in reports if not r.ok]
                        at += STEP
                    for _ in range(5):  # drain the outbox
                        await poller.deliver_webhooks()

                truth = scenario.truth()
                status = (await client.get("/api/v1/airspaces/SVZM")).json()
                alerts = []
                url = "/api/v1/alerts?limit=200"
                while url:
                    page = (await client.get(url)).json()
                    alerts += page["items"]
                    url = page["next"]
                health = (await client.get("/health")).json()
                table = {r["route"]: r for r in (await client.get("/api/v1/routes")).json()}

    # -- airspace status: restricted or closed, with evidence ---------------------------
    assert status["status"] in ("RESTRICTED", "CLOSED"), status
    evidence = status["evidence"]
    assert evidence["foreign_count"] <= 1
    assert evidence["baseline_foreign"] > 0
    assert any("A0012/25" in n for n in evidence["notam_ids"]), evidence
    changes = [a for a in alerts if a["type"] == "airspace.status_changed"]
    assert {a["evidence"]["status"] for a in changes} >= {"ADVISORY"}
    onset = scenario.onset
    restricted = [a for a in changes if a["evidence"]["status"] in ("RESTRICTED", "CLOSED")]
    assert restricted, changes
    assert min(a["observed_at"] for a in restricted) > onset.isoformat().replace("+00:00", "")

    # -- reroutes: every rerouted flight whose great circle crosses SVZM (watched route or
    # not, detection.reroute_alerts: all) that landed in the window, nothing else --------
    window_end = scenario.end
    # a reroute shorter than the configured minimum is, by design, not an alert
    min_extra_km = settings.detection.reroute_min_extra_km
    expected = {
        f["callsign"]: f
        for f in truth["flights"]
        if f["behaviour"] == "rerouted"
        and f["extra_km"] >= min_extra_km
        and f["arrives_at"] <= window_end.isoformat()
    }
    # still flying at the end of the window: reported once it left the feeds' view, or not yet
    airborne = {f["callsign"] for f in truth["flights"] if f["arrives_at"] > window_end.isoformat()}
    rerouted = {
        a["callsign"]: a
        for a in alerts
        if a["type"] == "flight.rerouted" and a["callsign"] not in airborne
    }
    assert len(expected) >= 6 and any(not f["watched_route"] for f in expected.values())
    assert set(rerouted) == set(expected)
    # each says why it is news: the avoided airspace was not NORMAL during the flight
    for alert in rerouted.values():
        assert alert["evidence"]["avoided_status_during_flight"].get("SVZM") in (
            "ADVISORY",
            "RESTRICTED",
            "CLOSED",
        ), alert["evidence"]
    for callsign, alert in rerouted.items():
        truth_km = expected[callsign]["extra_km"]
        assert alert["extra_distance_km"] == pytest.approx(truth_km, rel=0.05), callsign
        assert alert["airspace"] == "SVZM"

    # -- diversions and turn-backs ---------------------------------------------------------
    diverted_truth = {f["callsign"]: f for f in truth["flights"] if f["behaviour"] == "diverted"}
    diverted = {a["callsign"]: a for a in alerts if a["type"] == "flight.diverted"}
    assert diverted_truth and set(diverted) == set(diverted_truth)
    for callsign, alert in diverted.items():
        assert alert["actual_destination"] == diverted_truth[callsign]["actual_destination"]
    turned_truth = {f["callsign"] for f in truth["flights"] if f["behaviour"] == "turned_back"}
    assert {a["callsign"] for a in alerts if a["type"] == "flight.turned_back"} == turned_truth

    # -- route disruption: ABC routes flown around, Caracas services stopped -----------------
    routes = {(a["origin"], a["destination"]): a for a in alerts if a["type"] == "route.disrupted"}
    for pair in (("TTPP", "SVMI"), ("MPTO", "SVMI")):  # cancelled after the warning
        service = routes[pair]["evidence"]["service"]
        assert service["collapsed"] and service["flights_seen"] == 0, service
        assert service["expected"] >= 1.5 and service["baseline"] == "configured: 6 flights/day"
    abc = routes[("SKBO", "TNCC")]["evidence"]
    assert abc["diversions"] == 1 and abc["share_avoiding"] >= 0.4, abc
    assert abc["median_extra_km"] > 100 and abc["avoiding"] >= 5, abc
    assert ("LEMD", "SVMI") not in routes  # two flights a day: too rare to judge by absence
    # the routes table agrees: landed reroutes count as flown around, with their extra km
    assert table["SKBO-TNCC"]["avoiding"] >= 5 and table["SKBO-TNCC"]["median_extra_km"] > 100
    assert table["SKBO-TNCC"]["diversions"] == 1 and table["TTPP-SVMI"]["turn_backs"] == 1
    # -- the cargo flight that crossed SVZM hours after the closure: an incursion --------------
    (incursion,) = [a for a in alerts if a["type"] == "flight.entered_restricted_airspace"]
    assert incursion["callsign"].startswith("CKS") and incursion["airspace"] == "SVZM"
    assert incursion["evidence"]["notams"] == ["A0012/25"]

    # -- feeds healthy, webhooks signed and verifiable -----------------------------------------
    for feed in ("opensky", "adsbx", "faa_notam"):
        assert health["feeds"][feed]["last_success_at"], health
    subscribed = [
        a
        for a in alerts
        if a["type"] in ("flight.rerouted", "flight.diverted", "airspace.status_changed")
    ]
    verifier = Webhook(secret)
    ids = set()
    for req in webhook_app.requests:
        payload = verifier.verify(req.body, req.headers)
        assert payload["type"] in ("flight.rerouted", "flight.diverted", "airspace.status_changed")
        ids.add(req.headers["webhook-id"])
        assert json.loads(req.body)["data"]["id"]
    assert len(ids) >= len(subscribed)
