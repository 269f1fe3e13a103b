"""Flight-level rules: which reroutes are reported, entries between polls, landings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import shapely

from service.detect.flights import FlightContext, FlightHistory, evaluate_finished_flight
from service.detect.landings import ApproachJudge
from service.detect.tracks import ActiveFlight, TrackPoint
from service.domain import AlertType, Position, Route
from service.geo.airspaces import Airport, AirportRegistry
from tests.detect.test_engine import T0, engine, snap, warn

AIRPORTS = AirportRegistry(
    [
        Airport("AAAA", "AAA", "West", "", "", 0.0, 0.0, 100.0),
        Airport("BBBB", "BBB", "East", "", "", 0.0, 6.0, 100.0),
        Airport("HUBB", "HUB", "Hub", "", "", 10.0, 20.0, 50.0),
        Airport("BIZZ", "BIZ", "Business", "", "", 10.09, 20.0, 30.0),  # 10 km north of HUBB
    ]
)
AREA = shapely.box(2.5, -1.0, 3.5, 1.0)  # on the great circle AAAA → BBBB


def flight(path: list[tuple[float, float]], route=("AAAA", "BBBB")) -> ActiveFlight:
    t = datetime(2026, 3, 2, 12, tzinfo=UTC)
    f = ActiveFlight("f1", "abc123", "TST1", False, t, t, route=Route("TST1", *route))
    for i, (lon, lat) in enumerate(path):
        f.points.append(TrackPoint(t + timedelta(minutes=5 * i), lon, lat, 35000.0, False))
    f.landed_at, f.landed_time, f.state = route[1], f.points[-1].observed_at, "landed"
    return f


AROUND = [(0.5, 0.0), (2.0, 1.5), (3.0, 1.5), (4.0, 1.5), (5.5, 0.0)]
DIRECT = [(0.5, 0.0), (2.0, 0.0), (3.0, 0.0), (4.0, 0.0), (5.5, 0.0)]


def context(**kw) -> FlightContext:
    return FlightContext(AIRPORTS, frozenset(), frozenset(), {"ZZZZ": AREA}, 25.0, 3, **kw)


def rerouted(f, ctx, history) -> list:
    events, _ = evaluate_finished_flight(f, ctx, f.landed_time, {}, history)
    return [e for e in events if e.type == AlertType.FLIGHT_REROUTED]


def test_reroute_reported_for_any_pair_only_when_the_area_was_not_normal():
    f = flight(AROUND)
    advisory = FlightHistory(worst_status={"ZZZZ": "ADVISORY"})
    (alert,) = rerouted(f, context(), advisory)
    assert alert.evidence["avoided_status_during_flight"] == {"ZZZZ": "ADVISORY"}
    assert "not NORMAL" in alert.evidence["reroute_reason"][0]
    assert rerouted(f, context(reroute_alerts="watched_routes"), advisory) == []
    # NORMAL and no usual path known: a one-off flight's dog-leg is not news
    assert rerouted(f, context(), FlightHistory(worst_status={"ZZZZ": "NORMAL"})) == []


def test_reroute_of_a_normal_area_when_the_route_usually_flies_direct():
    direct_km = 667.0  # about 6 degrees of longitude at the equator
    usual = FlightHistory(worst_status={"ZZZZ": "NORMAL"}, usual_flown_km=(direct_km,) * 4)
    (alert,) = rerouted(flight(AROUND), context(), usual)
    assert alert.evidence["extra_vs_usual_km"] > 25 and alert.evidence["usual_flights"] == 4
    assert "usual path" in alert.evidence["reroute_reason"][0]
    # the same path flown by every flight of the route is its usual one
    same = FlightHistory(
        worst_status={"ZZZZ": "NORMAL"}, usual_flown_km=(alert.evidence["flown_km"],) * 4
    )
    assert rerouted(flight(AROUND), context(), same) == []
    assert rerouted(flight(DIRECT), context(), FlightHistory(worst_status={"ZZZZ": "CLOSED"})) == []


def test_entry_between_two_polls_raises_the_incursion(settings):
    """Two reports 5 minutes apart either side of SVZM's northern tip: no sampled position
    is inside, the straight path between them is."""
    e = engine(settings)
    warn(e)
    from service.domain import AirspaceStatus

    e.trackers["SVZM"].status = AirspaceStatus.RESTRICTED
    a, b = (-67.3, 15.55), (-66.5, 15.55)  # outside, outside, 86 km apart
    svzm = e.context.watched_airspaces["SVZM"]
    assert not shapely.contains_xy(svzm, [a[0], b[0]], [a[1], b[1]]).any()
    e.ingest(snap(T0, Position("a0beef", "TST9", T0, *a, 35000.0, False, source="adsbx")))
    t1 = T0 + timedelta(minutes=5)
    e.trackers["SVZM"].status = AirspaceStatus.RESTRICTED
    alerts = e.ingest(snap(t1, Position("a0beef", "TST9", t1, *b, 35000.0, False, source="adsbx")))
    (entered,) = [x for x in alerts.alerts if x.type == AlertType.FLIGHT_ENTERED_RESTRICTED]
    assert T0 < entered.observed_at < t1 and "between_reports" in entered.evidence
    assert "SVZM" in e.tracks.get("a0beef").airspaces


def _approach(to: str, minutes: int = 4, from_north: bool = False) -> list[TrackPoint]:
    """A straight-in final towards ``to`` on a 3° path, reports every minute, the last
    one 3.5 km (from the north: 7 km) short of the airport."""
    ap = AIRPORTS.get(to)
    t = datetime(2026, 3, 2, 12, tzinfo=UTC)
    sign, track, last_km = (1, 180.0, 7.0) if from_north else (-1, 0.0, 3.5)
    out = []
    for i in range(minutes):
        km = last_km + 3.5 * (minutes - 1 - i)
        out.append(
            TrackPoint(
                t + timedelta(minutes=i),
                ap.lon,
                ap.lat + sign * km / 111.32,
                ap.elevation_ft + 172 * km,
                False,
                track,
            )
        )
    return out


def test_landing_is_the_airport_the_approach_leads_to_not_the_nearest():
    judge = ApproachJudge(AIRPORTS)
    # lost on final to the hub from the north: the last report, 7 km short of the hub,
    # is 3 km from the business airport behind it, the nearest airport
    track = _approach("HUBB", from_north=True)
    last = track[-1]
    assert AIRPORTS.nearest(last.lon, last.lat, 15.0)[0] == "BIZZ"
    verdict = judge.judge(track, None, landed=False, max_altitude_agl_ft=2000)
    assert verdict.airport == "HUBB" and verdict.method == "approach"
    assert verdict.evidence["confidence"] > 0.5
    biz = judge.judge(_approach("BIZZ"), None, landed=False, max_altitude_agl_ft=2000)
    assert biz.airport == "BIZZ"
    # climbing away, high: not a landing
    down = _approach("HUBB")
    up = [replace(p, observed_at=q.observed_at) for p, q in zip(reversed(down), down, strict=True)]
    assert judge.judge(up, None, landed=False, max_altitude_agl_ft=2000) is None
