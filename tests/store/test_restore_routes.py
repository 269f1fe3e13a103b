"""After a restart the route figures come back from the database: a route alert left open
updates and resolves instead of staying open for ever, and its flights still count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.detect.engine import DetectionEngine
from service.geo.airspaces import load_seed_registries
from service.store.engine_state import restore_engine
from service.store.models import AirspaceStatusRow, AlertRow, FlightRow, TrafficSampleRow
from tests.conftest import ROOT

T0 = datetime(2025, 11, 21, 12, 0, tzinfo=UTC)
ROUTE = ("SKBO", "TNCC")


def engine(settings) -> DetectionEngine:
    seeds = ROOT / "seeds"
    return DetectionEngine(settings, *load_seed_registries(seeds), [ROUTE])


def test_route_state_survives_a_restart(settings, sessions):
    at = T0 + timedelta(hours=6)
    with sessions.begin() as s:
        s.add(
            AirspaceStatusRow(
                airspace="SVZM", status="RESTRICTED", since=T0, updated_at=at, evidence={}
            )
        )
        for m in range(0, 361, 5):
            s.add(
                TrafficSampleRow(
                    airspace="SVZM",
                    observed_at=T0 + timedelta(minutes=m),
                    source="opensky",
                    foreign_count=1,
                    domestic_count=2,
                )
            )
        for i, (kind, km) in enumerate(
            [("flight.rerouted", 300.0), (None, None), ("flight.rerouted", 500.0)]
        ):
            landed = T0 + timedelta(hours=i + 1)
            s.add(
                FlightRow(
                    id=f"f{i}",
                    icao24=f"0ac00{i}",
                    callsign=f"AVA{i}",
                    first_seen=landed,
                    last_seen=landed,
                    origin="SKBO",
                    destination="TNCC",
                    state="landed",
                    actual_destination="TNCC",
                )
            )
            if kind:
                s.add(
                    AlertRow(
                        dedup_key=f"{kind}:f{i}",
                        type=kind,
                        severity="warning",
                        title="",
                        flight_id=f"f{i}",
                        origin="SKBO",
                        destination="TNCC",
                        extra_distance_km=km,
                        opened_at=landed,
                        updated_at=landed,
                        observed_at=landed,
                        evidence={},
                    )
                )
        s.add(
            AlertRow(
                dedup_key="route.disrupted:SKBO-TNCC:20251121T1500Z",
                type="route.disrupted",
                severity="warning",
                title="",
                status="open",
                origin="SKBO",
                destination="TNCC",
                opened_at=T0,
                updated_at=T0,
                observed_at=T0,
                evidence={"service": {"collapsed": False}},
            )
        )
    e = engine(settings)
    with sessions() as s:
        restore_engine(s, e)
    fig = e.route_disruptions.figures(ROUTE, at)
    assert (fig["flights_seen"], fig["avoiding"], fig["median_extra_km"]) == (3, 2, 400.0)
    assert fig["service"]["covered_hours"] == 6.0
    (update,) = e.route_disruptions.evaluate(at)
    assert update.dedup_key == "route.disrupted:SKBO-TNCC:20251121T1500Z" and not update.resolved
    (resolved,) = e.route_disruptions.evaluate(at + timedelta(hours=24))
    assert resolved.resolved and resolved.dedup_key == update.dedup_key
