"""Route disruption: disrupted flights, and a route whose flights stop, against its baseline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.detect.route_disruption import RouteDisruptionTracker, RouteFlight

T0 = datetime(2025, 11, 21, 0, 0, tzinfo=UTC)
ROUTE = ("TTPP", "SVMI")
H = timedelta(hours=1)


def tracker(**kw) -> RouteDisruptionTracker:
    return RouteDisruptionTracker(frozenset({ROUTE}), 24 * H, 2, **kw)


def run(t: RouteDisruptionTracker, until: datetime, landings: set[int], start=T0, every=5):
    """Polls every ``every`` minutes from ``start`` to ``until``; a flight of the route
    lands at each hour offset in ``landings``; returns the alert events raised."""
    events = []
    at = start
    while at <= until:
        hour = (at - T0) / H
        if hour in landings:
            t.flight_finished(ROUTE, RouteFlight(at, "normal", f"BWA{int(hour)}"))
        t.covered(at)
        events += [(at, e) for e in t.evaluate(at)]
        at += timedelta(minutes=every)
    return events


def test_disrupted_flights_carry_the_route_figures():
    t = tracker()
    t.covered(T0)
    cases = [("rerouted", 300.0), ("normal", None), ("rerouted", 500.0), ("diverted", None)]
    events = []
    for i, (kind, km) in enumerate(cases):
        at = T0 + i * H
        t.flight_finished(ROUTE, RouteFlight(at, kind, f"BWA{i}", km, f"k{i}" if km else None))
        t.covered(at)
        events += t.evaluate(at)
    assert [e.resolved for e in events] == [False, False]  # opened at the 2nd case, updated
    fig = events[-1].evidence
    assert (fig["flights_seen"], fig["avoiding"], fig["diversions"]) == (4, 2, 1)
    assert fig["share_avoiding"] == round(2 / 3, 3)  # of the 3 flights that reached SVMI
    assert fig["median_extra_km"] == 400.0 and events[-1].extra_distance_km == 400.0
    assert events[0].dedup_key == events[1].dedup_key
    assert fig["reasons"] == ["3 of 4 flights in 24 h rerouted, diverted or turned back"]
    t.covered(T0 + 28 * H)
    (resolved,) = t.evaluate(T0 + 28 * H)  # the window passed without another
    assert resolved.resolved and resolved.dedup_key == events[0].dedup_key


def test_service_stopping_against_the_configured_schedule():
    """Six flights a day expected, landings every 4 h, then none: flagged once 6 h pass
    without a landing; resolved when landings come back."""
    t = tracker(flights_per_day={ROUTE: 6.0})
    events = run(t, T0 + 30 * H, landings={2, 6, 10, 14, 24})
    opened = [(at, e) for at, e in events if not e.resolved]
    assert opened, "the stop was not flagged"
    at, first = opened[0]
    assert at == T0 + 20 * H  # last landing 14:00, window 6 h
    assert first.evidence["service"]["flights_seen"] == 0
    assert first.evidence["service"]["expected"] == 1.5
    assert first.evidence["service"]["baseline"] == "configured: 6 flights/day"
    assert first.title == "Route TTPP–SVMI disrupted: 0 flights in 6 h, 1.5 expected"
    resolved = [(at, e) for at, e in events if e.resolved]
    assert [at for at, _ in resolved] == [T0 + 24 * H]
    assert resolved[0][1].dedup_key == first.dedup_key


def test_an_outage_is_not_a_stopped_route():
    """The same landings, but the feeds were down 15:00-19:00: the hours without data
    lower the flights expected, so the quiet stretch is not judged."""
    t = tracker(flights_per_day={ROUTE: 6.0})
    events = run(t, T0 + 15 * H, landings={2, 6, 10, 14})
    events += run(t, T0 + 22 * H, landings=set(), start=T0 + 19 * H)
    assert events == []
    fig = t.figures(ROUTE, T0 + 22 * H)["service"]
    assert fig["covered_hours"] == 3.0 and fig["expected"] == 0.75


def test_rare_or_unknown_routes_are_not_judged_by_absence():
    assert run(tracker(flights_per_day={ROUTE: 2.0}), T0 + 30 * H, landings={2}) == []
    assert run(tracker(), T0 + 30 * H, landings={2}) == []


def test_a_day_of_history_replaces_the_configured_schedule():
    """Once the feeds have covered a day before the recent window, the route's own rate
    is the baseline (here 12 flights/day, not the 2 configured)."""
    t = tracker(flights_per_day={ROUTE: 2.0})
    events = run(t, T0 + 36 * H, landings={h for h in range(0, 31, 2)})
    fig = t.figures(ROUTE, T0 + 36 * H)["service"]
    assert fig["baseline"].startswith("history: ")
    assert [e.evidence["service"]["flights_seen"] for _, e in events if not e.resolved] == [0]
    assert events[0][0] == T0 + 36 * H  # the last landing was at 30:00
    assert fig["expected"] == 3.2  # 16 landings in the 30 h before the window, x 6 h
