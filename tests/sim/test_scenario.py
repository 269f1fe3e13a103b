"""The scenario's truth is internally consistent and matches what it puts in the sky."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import shapely

from service.geo.airspaces import AirspaceRegistry
from service.geo.geodesy import distance_km
from service.sim.closure_truth import (
    CLOSURE_HOLD,
    CLOSURE_SHARE,
    LEVEL_WINDOW,
    foreign_airborne_counts,
)
from service.sim.flightplan import path_km
from service.sim.scenario import BBOX, VARIANTS, load_scenario
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("venezuela-2025-11")


@pytest.fixture(scope="module")
def svzm():
    return AirspaceRegistry.from_geojson(ROOT / "seeds" / "firs.geojson").get("SVZM").geometry


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_unknown_scenario():
    with pytest.raises(ValueError, match="known: venezuela-2025-11"):
        load_scenario("nope")


def test_truth_behaviours(scenario, svzm):
    truth = scenario.truth()
    flights = truth["flights"]
    assert len({f["callsign"] for f in flights}) == len(flights)
    assert len({f["icao24"] for f in flights}) == len(flights)
    end = scenario.end.isoformat()
    rerouted = [
        f
        for f in flights
        if f["behaviour"] == "rerouted" and f["watched_route"] and f["arrives_at"] < end
    ]
    assert len(rerouted) >= 8
    for f in rerouted:
        path = [tuple(p) for p in f["path"]]
        line = shapely.LineString(path)
        assert not shapely.intersects(line, svzm), f["callsign"]
        for lon, lat in path[1:-1]:
            assert shapely.contains_xy(BBOX, lon, lat)
        o, d = scenario.airports.get(f["origin"]), scenario.airports.get(f["destination"])
        assert f["extra_km"] == pytest.approx(
            path_km(path) - distance_km(o.lon, o.lat, d.lon, d.lat), abs=0.1
        )
    behaviours = {f["behaviour"] for f in flights}
    assert {"diverted", "turned_back", "cancelled"} <= behaviours
    for f in flights:
        if f["behaviour"] == "diverted":
            assert f["actual_destination"] != f["destination"]
        if f["behaviour"] == "turned_back":
            assert f["actual_destination"] == f["origin"]
        if f["behaviour"] == "cancelled":
            assert f["destination"] == "SVMI" and f["departs_at"] >= scenario.onset.isoformat()
            assert scenario.flight_by_callsign(f["callsign"]) is None
    quiet = [
        f
        for f in flights
        if f["behaviour"] != "cancelled"
        and not f["domestic"]
        and scenario.end - timedelta(minutes=20)
        <= at(f["arrives_at"])
        <= scenario.end + timedelta(minutes=5)
    ]
    assert quiet == []


def test_traffic_before_and_after_the_warning(scenario, svzm):
    t = scenario.start
    before, after, domestic, incursion = [], [], [], []
    while t <= scenario.end:
        states = scenario.states_at(t)
        inside = [
            (f, s)
            for f, s in states
            if not s["on_ground"] and shapely.contains_xy(svzm, s["lon"], s["lat"])
        ]
        # the one cargo flight that flies through anyway is counted apart (the incursion)
        foreign = sum(1 for f, _ in inside if not f.domestic and not f.callsign.startswith("CKS"))
        incursion += [t for f, _ in inside if f.callsign.startswith("CKS")]
        if t < scenario.onset:
            before.append(foreign)
        elif t >= scenario.onset + timedelta(minutes=100):
            after.append(foreign)
        if t < scenario.end - timedelta(hours=1):
            domestic.append(sum(1 for f, _ in inside if f.domestic))
        t += timedelta(minutes=5)
    assert min(before) >= 5 and sum(before) / len(before) >= 8
    assert max(after) == 0
    assert min(domestic) >= 1
    assert incursion and min(incursion) >= scenario.closure_onset + timedelta(hours=1)


def test_states_are_consistent(scenario):
    flight = next(f for f in scenario.flights if f.behaviour == "rerouted")
    before = flight.state_at(flight.departs_at - timedelta(minutes=5))
    assert before["on_ground"] and before["speed_kt"] == 0.0
    mid = flight.state_at(flight.departs_at + (flight.arrives_at - flight.departs_at) / 2)
    assert not mid["on_ground"] and mid["altitude_ft"] == flight.cruise_ft
    after = flight.state_at(flight.arrives_at + timedelta(minutes=10))
    assert after["on_ground"]
    assert flight.state_at(flight.arrives_at + timedelta(minutes=30)) is None


def test_vectorised_counts_match_the_states(scenario, svzm):
    """The truth's closure instant comes from array counts; they must agree with the
    states the emulator serves (an independent, per-aircraft path through the code)."""
    step = timedelta(minutes=5)
    counts = foreign_airborne_counts(scenario.flights, svzm, scenario.start, scenario.end, step)
    t, i = scenario.start, 0
    while t <= scenario.end:
        states = scenario.states_at(t)
        expected = sum(
            1
            for f, s in states
            if not f.domestic
            and not s["on_ground"]
            and shapely.contains_xy(svzm, s["lon"], s["lat"])
        )
        assert counts[i] == expected, t
        t, i = t + step, i + 1


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_closure_onset_follows_the_traffic(name, svzm):
    """A closure instant exists exactly where the variant expects a closure, and at it the
    foreign traffic is down to CLOSURE_SHARE of its level before the warning, for good."""
    variant = load_scenario(name)
    truth = variant.truth()
    if not truth["expect_closure"]:
        assert truth["closure_onset"] is None
        return
    onset = at(truth["closure_onset"])
    published = at(truth["warning"]["published_at"])
    assert at(truth["warning"]["effective_from"]) < published < onset
    minute = timedelta(minutes=1)
    level_from = variant.onset - LEVEL_WINDOW
    counts = foreign_airborne_counts(variant.flights, svzm, level_from, variant.end, minute)
    level = counts[: int(LEVEL_WINDOW / minute)].mean()
    i = int((onset - level_from) / minute)
    hold = int(CLOSURE_HOLD / minute)
    assert level >= 8
    assert (counts[i : i + hold + 1] <= CLOSURE_SHARE * level).all()
    assert counts[i - 1] > CLOSURE_SHARE * level  # it had not collapsed a minute earlier
