"""Scoring rules of ``firwatch eval``, on hand-made alerts (the scenario plays are in
tests/integration/test_eval.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.eval_scoring import RouteRules, disrupted_routes, score
from service.store.models import AlertRow

T = datetime(2025, 11, 21, 17, 43, tzinfo=UTC)
TRUTH = {
    "airspace": "SVZM",
    "end": "2025-11-22T04:00:00+00:00",
    "onset": T.isoformat(),
    "expect_closure": True,
    "warning": {
        "notam": "A0012/25",
        "effective_from": T.isoformat(),
        "published_at": (T + timedelta(minutes=25)).isoformat(),
    },
    "closure_onset": (T + timedelta(minutes=67)).isoformat(),  # 18:50
    "flights": [],
}


def status(at: datetime, value: str, airspace: str = "SVZM", state: str = "open") -> AlertRow:
    return AlertRow(
        type="airspace.status_changed",
        airspace=airspace,
        opened_at=at,
        status=state,
        dedup_key=f"s:{airspace}:{at:%H%M}",
        evidence={"status": value},
    )


def airspace_alert(kind: str, key: str, at: datetime, state: str) -> AlertRow:
    return AlertRow(
        type=kind, airspace="SVZM", status=state, dedup_key=key, opened_at=at, evidence={}
    )


def test_closure_and_warning_delays():
    alerts = [
        status(T + timedelta(minutes=27), "ADVISORY", state="resolved"),  # 18:10
        status(T + timedelta(minutes=72), "RESTRICTED"),  # 18:55
        status(T + timedelta(minutes=2), "RESTRICTED", airspace="TNCF"),  # another airspace
    ]
    result = score(alerts, TRUTH, 25.0)
    assert result.closure_polls == 1.0
    assert result.warning_polls == 0.4
    assert result.warning_effective_polls == 5.4
    assert result.failures(0.95, 0.95, 0.1, 2, 2) == []
    assert result.failures(0.95, 0.95, 0.1, 0.5, 0.2) == [
        "closure onset 1.0 polls, limit 0.5",
        "warning 0.4 polls, limit 0.2",
    ]
    table = result.table()
    assert "closure onset delay: 1.0 polls after foreign traffic in SVZM collapsed (18:50Z" in table
    assert "warning delay: 0.4 polls after A0012/25 was published (18:08Z), 5.4 after" in table


def test_a_closure_flagged_far_too_early_or_never_fails():
    early = score([status(T + timedelta(minutes=30), "RESTRICTED")], TRUTH, 25.0)
    assert early.closure_polls == -7.4
    assert early.failures(0.95, 0.95, 0.1, 2) == ["closure onset -7.4 polls, limit 2"]
    never = score([status(T + timedelta(minutes=27), "ADVISORY")], TRUTH, 25.0)
    assert never.closure_polls is None
    assert never.failures(0.95, 0.95, 0.1, 2) == ["closure onset - polls, limit 2"]


def test_closures_where_the_truth_has_none():
    before = score([status(T - timedelta(minutes=5), "CLOSED")], TRUTH, 25.0)
    assert before.false_closures == 1
    calm = {**TRUTH, "expect_closure": False, "closure_onset": None}
    result = score([status(T + timedelta(hours=2), "RESTRICTED")], calm, 25.0)
    assert result.false_closures == 1 and result.closure_onset is None
    assert "no closure of SVZM in the truth" in result.table()


def test_reopening_needs_the_collapse_and_notam_alerts_resolved():
    reopening = {**TRUTH, "reopens_at": (T + timedelta(hours=4)).isoformat()}
    alerts = [
        status(T + timedelta(hours=5), "NORMAL"),
        airspace_alert("notam.active", "notam:A0012/25", T + timedelta(minutes=27), "open"),
        airspace_alert("airspace.traffic_collapse", "collapse", T, "resolved"),
    ]
    result = score(alerts, reopening, 25.0)
    assert result.final_status == "NORMAL" and result.still_open == ["notam:A0012/25"]
    assert result.failures(0.95, 0.95, 0.1, None) == [
        "still open after the reopening: notam:A0012/25"
    ]


def flight(callsign, origin, destination, arrives, behaviour="normal", **kw) -> dict:
    return {
        "callsign": callsign,
        "origin": origin,
        "destination": destination,
        "arrives_at": arrives.isoformat(),
        "departs_at": (arrives - timedelta(hours=1)).isoformat(),
        "behaviour": behaviour,
        "domestic": False,
        "extra_km": kw.get("extra_km"),
        "actual_destination": kw.get("landing", destination),
        "watched_route": True,
        "enters_airspace_at": kw["enters"].isoformat() if "enters" in kw else None,
    }


def test_disrupted_routes_from_the_flight_plans():
    """Two disrupted flights of a route within the window, or a scheduled route whose
    landings stop for the service window; a rare route, a short reroute or an outage
    is neither."""
    rules = RouteRules(
        watched=frozenset({("TTPP", "SVMI"), ("SKBO", "TNCC"), ("LEMD", "SVMI"), ("EHAM", "TNCC")}),
        window=timedelta(hours=24),
        min_flights=2,
        service_window=timedelta(hours=6),
        min_expected=1.5,
        collapse_ratio=0.2,
        flights_per_day={("TTPP", "SVMI"): 6.0, ("LEMD", "SVMI"): 2.0},
    )
    start, end = T - timedelta(hours=6), T + timedelta(hours=10)
    flights = [
        *(flight(f"BWA{h}", "TTPP", "SVMI", start + timedelta(hours=h)) for h in (1, 5)),
        flight("AVA1", "SKBO", "TNCC", T + timedelta(hours=1), "rerouted", extra_km=300.0),
        flight("AVA2", "SKBO", "TNCC", T + timedelta(hours=3), "diverted", landing="TNCA"),
        flight("KLM1", "EHAM", "TNCC", T + timedelta(hours=2), "rerouted", extra_km=300.0),
        flight("KLM2", "EHAM", "TNCC", T + timedelta(hours=4), "rerouted", extra_km=10.0),
        flight("IBE1", "LEMD", "SVMI", start + timedelta(hours=1)),
    ]
    found = disrupted_routes(flights, rules, (start, end), [], 25.0)
    assert found == {("TTPP", "SVMI"), ("SKBO", "TNCC")}
    # the feeds down for the hours TTPP-SVMI has no landing: nothing to judge it on
    outage = [(start + timedelta(hours=5, minutes=5), end)]
    assert disrupted_routes(flights, rules, (start, end), outage, 25.0) == {("SKBO", "TNCC")}


def test_incursion_and_route_rows():
    truth = {
        **TRUTH,
        "start": (T - timedelta(hours=6)).isoformat(),
        "flights": [
            flight("CKS1", "KMIA", "SBGR", T + timedelta(hours=8), enters=T + timedelta(hours=3)),
            flight("TAM1", "SBGR", "KMIA", T + timedelta(hours=8), enters=T + timedelta(minutes=5)),
        ],
    }
    rules = RouteRules(
        frozenset({("SBGR", "KMIA")}), timedelta(hours=24), 2, timedelta(hours=6), 1.5, 0.2, {}
    )
    alerts = [
        AlertRow(type="flight.entered_restricted_airspace", airspace="SVZM", callsign="CKS1"),
        AlertRow(type="route.disrupted", origin="SBGR", destination="KMIA"),
    ]
    rows = {r["type"]: r for r in score(alerts, truth, 25.0, routes=rules).rows}
    incursions = rows["flight.entered_restricted_airspace"]
    assert (incursions["truth"], incursions["hits"], incursions["precision"]) == (1, 1, 1.0)
    assert rows["route.disrupted"]["precision"] == 0.0  # nothing disrupted SBGR-KMIA
    failures = score(alerts, truth, 25.0, routes=rules).failures(0.95, 0.95, 0.1, 2)
    assert "route.disrupted precision 0.00 < 0.95" in failures


def test_a_route_disrupted_only_with_flights_seen_in_part_counts_neither_way():
    """A recording that starts mid-flight: one of the route's two reroutes departed before
    it, so whether the route counts as disrupted depends on a flight it saw in part."""
    start = T - timedelta(hours=6)
    window = (T, T + timedelta(hours=10))
    truth = {
        **TRUTH,
        "start": start.isoformat(),
        "flights": [
            flight("AVA1", "SKBO", "TNCC", T + timedelta(minutes=30), "rerouted", extra_km=300.0),
            flight("AVA2", "SKBO", "TNCC", T + timedelta(hours=4), "rerouted", extra_km=300.0),
        ],
    }
    rules = RouteRules(
        frozenset({("SKBO", "TNCC")}), timedelta(hours=24), 2, timedelta(hours=6), 1.5, 0.2, {}
    )
    found = [AlertRow(type="route.disrupted", origin="SKBO", destination="TNCC")]
    for alerts in (found, []):
        row = next(
            r
            for r in score(alerts, truth, 25.0, window=window, routes=rules).rows
            if r["type"] == "route.disrupted"
        )
        assert (row["truth"], row["found"]) == (0, 0)
