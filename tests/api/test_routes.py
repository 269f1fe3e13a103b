"""/api/v1/routes serves detection's own figures: data goes in through the feeds, the
poller and ingest (the bundled scenario on the loopback emulator), never hand-made rows."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.api.app import create_app
from service.store.models import AlertRow, FlightRow
from tests.support import play_scenario_polls as play

# figures that change only with the flights in the route's window (what the alert tracks)
CORE = (
    "window_hours",
    "flights_seen",
    "avoiding",
    "share_avoiding",
    "median_extra_km",
    "mean_extra_km",
    "diversions",
    "turn_backs",
    "disrupted_flights",
    "flights",
)


@pytest.fixture
def api(settings, sessions):
    settings = settings.model_copy(update={"api": settings.api.model_copy(update={"cache_s": 0})})
    with TestClient(create_app(settings, start_scheduler=False)) as c:
        yield c


def test_route_figures_equal_the_route_disrupted_evidence(settings, sessions, api):
    compared: list[str] = []

    def check(at) -> None:
        with sessions() as s:
            updated = s.scalars(
                select(AlertRow).where(
                    AlertRow.type == "route.disrupted", AlertRow.updated_at == at
                )
            ).all()
        for alert in updated:
            route = api.get(f"/api/v1/routes/{alert.origin}-{alert.destination}").json()
            evidence = {k: v for k, v in alert.evidence.items() if k != "reasons"}
            figures = {k: route[k] for k in evidence}
            assert figures == evidence, (alert.dedup_key, at)
            compared.append(alert.dedup_key)

    play(settings, sessions, check)
    assert len(set(compared)) >= 5  # the scenario disrupts 7 watched routes
    listed = {r["route"]: r for r in api.get("/api/v1/routes").json()}
    with sessions() as s:
        latest = {}
        for a in s.scalars(select(AlertRow).where(AlertRow.type == "route.disrupted")):
            key = f"{a.origin}-{a.destination}"
            if key not in latest or a.updated_at > latest[key].updated_at:
                latest[key] = a
    for key, alert in latest.items():
        if alert.status == "open":
            assert {k: listed[key][k] for k in CORE} == {k: alert.evidence[k] for k in CORE}
    skbo = listed["SKBO-TNCC"]
    assert skbo["avoiding"] >= 2 and skbo["median_extra_km"] > 100


def test_refresh_keeps_the_assessment(venezuela_played):
    """A landed flight's row is written again by later reports; its reroute figures stay."""
    _settings, sessions = venezuela_played  # a plain run of the whole scenario
    with sessions() as s:
        landed = s.scalars(select(FlightRow).where(FlightRow.state == "landed")).all()
        assessed = [f for f in landed if f.great_circle_km is not None]
        rerouted = s.scalars(select(AlertRow).where(AlertRow.type == "flight.rerouted")).all()
        rows = {f.id: f for f in s.scalars(select(FlightRow))}
    assert len(assessed) >= 0.8 * len([f for f in landed if f.origin])
    for alert in rerouted:
        row = rows[alert.flight_id]
        assert row.extra_distance_km == alert.extra_distance_km
        assert row.evaluation["avoided"] == alert.evidence["avoided_airspaces"]
