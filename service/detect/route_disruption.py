"""Route disruption: a watched city pair whose flights fly around, divert, turn back or stop.

One rerouted flight is news for its passengers; several on the same route within a day
is a pattern a dispatcher plans around, and so is a route whose flights stop coming
(airlines pausing service shows up as absence, not as any one flight's alert).  So a
route gets an alert of its own, open while either pattern lasts, carrying the route's
figures over the window: flights seen, share avoiding, median extra distance,
diversions, turn-backs, and the flights seen recently against the route's baseline.

The baseline is the route's own rate from history (finished flights per hour of feed
coverage before the recent window), or ``flights_per_day`` from the watched-routes file
while history is short.  Time without flight-tracking data is not coverage: an outage
lowers the flights expected instead of looking like cancelled flights.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from service.domain import AlertEvent, AlertType, Severity

DISRUPTING = {
    AlertType.FLIGHT_REROUTED: "rerouted",
    AlertType.FLIGHT_DIVERTED: "diverted",
    AlertType.FLIGHT_TURNED_BACK: "turned_back",
}
HISTORY = timedelta(days=7)
# history needed before a route's own rate replaces its configured flights_per_day
MIN_HISTORY = timedelta(hours=24)

Route = tuple[str, str]


@dataclass(frozen=True, slots=True)
class RouteFlight:
    """A finished flight of a watched route: how it went (``normal`` or a DISRUPTING kind)."""

    finished_at: datetime
    kind: str
    callsign: str | None = None
    extra_km: float | None = None
    alert_key: str | None = None

    @property
    def operated(self) -> bool:
        """Reached its destination (around an airspace or not): the route was served."""
        return self.kind in ("normal", "rerouted")


class Coverage:
    """Data time during which the flight-tracking feeds answered: merged intervals.

    >>> from datetime import UTC
    >>> c = Coverage(timedelta(minutes=30))
    >>> for m in (0, 10, 20, 120, 130):
    ...     c.add(datetime(2025, 11, 21, 12, tzinfo=UTC) + timedelta(minutes=m))
    >>> c.hours(datetime(2025, 11, 21, 12, tzinfo=UTC), datetime(2025, 11, 21, 15, tzinfo=UTC))
    0.5
    """

    def __init__(self, max_gap: timedelta) -> None:
        self.max_gap = max_gap
        self.intervals: deque[list[datetime]] = deque()

    def add(self, at: datetime) -> None:
        if self.intervals and self.intervals[-1][0] <= at:
            last = self.intervals[-1]
            if at - last[1] <= self.max_gap:
                last[1] = max(last[1], at)
                return
        elif self.intervals:
            return  # older than the newest interval: late data, already counted or lost
        self.intervals.append([at, at])
        while self.intervals and at - self.intervals[0][1] > HISTORY:
            self.intervals.popleft()

    def hours(self, start: datetime, end: datetime) -> float:
        total = timedelta(0)
        for a, b in self.intervals:
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                total += hi - lo
        return total.total_seconds() / 3600


@dataclass(slots=True)
class _RouteState:
    flights: deque[RouteFlight] = field(default_factory=deque)
    opened_key: str | None = None
    collapsed: bool = False
    frozen_rate: tuple[float, str] | None = None  # baseline kept while the service is collapsed
    last_signature: tuple[Any, ...] | None = None


class RouteDisruptionTracker:
    """Route figures per watched (origin, destination) and their disruption alert.

    >>> from datetime import UTC
    >>> t0 = datetime(2025, 11, 21, 12, tzinfo=UTC)
    >>> t = RouteDisruptionTracker(frozenset({("EHAM", "TNCC")}), timedelta(hours=24), 2)
    >>> t.flight_finished(("EHAM", "TNCC"), RouteFlight(t0, "rerouted", "KLM1", 400.0, "r1"))
    >>> t.evaluate(t0)
    []
    >>> t.flight_finished(("EHAM", "TNCC"), RouteFlight(t0 + timedelta(hours=2), "rerouted",
    ...                   "KLM2", 420.0, "r2"))
    >>> [(e.type.value, e.evidence["median_extra_km"]) for e in t.evaluate(t0 + timedelta(hours=2))]
    [('route.disrupted', 410.0)]
    >>> [e.resolved for e in t.evaluate(t0 + timedelta(hours=27))]
    [True]
    """

    def __init__(
        self,
        watched: frozenset[Route],
        window: timedelta,
        min_flights: int,
        *,
        service_window: timedelta = timedelta(hours=6),
        service_min_expected: float = 1.5,
        collapse_ratio: float = 0.2,
        recover_ratio: float = 0.5,
        flights_per_day: dict[Route, float] | None = None,
        max_gap: timedelta = timedelta(minutes=30),
    ) -> None:
        self.window = window
        self.min_flights = min_flights
        self.service_window = service_window
        self.service_min_expected = service_min_expected
        self.collapse_ratio = collapse_ratio
        self.recover_ratio = recover_ratio
        self.flights_per_day = flights_per_day or {}
        self.coverage = Coverage(max_gap)
        self.routes: dict[Route, _RouteState] = {r: _RouteState() for r in watched}
        # each route's figures at the last evaluate(): what the API and the status page show
        self.latest: dict[Route, dict[str, Any]] = {}

    # -- input ----------------------------------------------------------------------
    def covered(self, at: datetime) -> None:
        """The flight-tracking feeds answered completely at ``at`` (data time)."""
        self.coverage.add(at)

    def flight_finished(self, route: Route, flight: RouteFlight) -> None:
        state = self.routes.get(route)
        if state is not None:
            state.flights.append(flight)

    def open_alert(self, route: Route, dedup_key: str, collapsed: bool = False) -> None:
        """Restore an alert left open by an earlier run, so that it updates and resolves."""
        if route in self.routes:
            self.routes[route].opened_key = dedup_key
            self.routes[route].collapsed = collapsed

    # -- figures --------------------------------------------------------------------
    def _rate(self, route: Route, state: _RouteState, at: datetime) -> tuple[float, str] | None:
        """Flights per hour the route usually has, and where that figure comes from."""
        if state.collapsed and state.frozen_rate is not None:
            return state.frozen_rate
        end = at - self.service_window
        hours = self.coverage.hours(end - HISTORY, end)
        if hours >= MIN_HISTORY.total_seconds() / 3600:
            n = sum(1 for f in state.flights if f.operated and f.finished_at <= end)
            return n / hours, f"history: {n} flights in {hours:.0f} h of coverage"
        per_day = self.flights_per_day.get(route)
        if per_day is not None:
            return per_day / 24, f"configured: {per_day:g} flights/day"
        return None

    def figures(self, route: Route, at: datetime) -> dict[str, Any]:
        """The route's figures at ``at``: what the alert's evidence and the API show."""
        state = self.routes[route]
        while state.flights and at - state.flights[0].finished_at > HISTORY:
            state.flights.popleft()
        recent = [f for f in state.flights if timedelta(0) <= at - f.finished_at <= self.window]
        cases = [f for f in recent if f.kind != "normal"]
        operated = [f for f in recent if f.operated]
        avoiding = [f for f in recent if f.kind == "rerouted"]
        extras = [f.extra_km for f in avoiding if f.extra_km is not None]
        since = at - self.service_window
        seen = sum(1 for f in state.flights if f.operated and since < f.finished_at <= at)
        covered_h = self.coverage.hours(since, at)
        rate = self._rate(route, state, at)
        expected = round(rate[0] * covered_h, 2) if rate else None
        return {
            "window_hours": self.window.total_seconds() / 3600,
            "flights_seen": len(recent),
            "avoiding": len(avoiding),
            "share_avoiding": round(len(avoiding) / len(operated), 3) if operated else None,
            "median_extra_km": round(statistics.median(extras), 1) if extras else None,
            "mean_extra_km": round(statistics.mean(extras), 1) if extras else None,
            "diversions": sum(1 for f in recent if f.kind == "diverted"),
            "turn_backs": sum(1 for f in recent if f.kind == "turned_back"),
            "disrupted_flights": len(cases),
            "flights": [
                {"callsign": f.callsign, "type": f"flight.{f.kind}", "alert_key": f.alert_key}
                for f in cases
            ],
            "service": {
                "window_hours": self.service_window.total_seconds() / 3600,
                "flights_seen": seen,
                "expected": expected,
                "covered_hours": round(covered_h, 2),
                "baseline": rate[1] if rate else None,
                "collapsed": state.collapsed,
            },
        }

    # -- alerts ---------------------------------------------------------------------
    def evaluate(self, at: datetime) -> list[AlertEvent]:
        out: list[AlertEvent] = []
        for route, state in self.routes.items():
            fig = self.figures(route, at)
            service = fig["service"]
            expected = service["expected"]
            if expected is not None and expected >= self.service_min_expected:
                seen = service["flights_seen"]
                if not state.collapsed and seen <= self.collapse_ratio * expected:
                    state.collapsed, state.frozen_rate = True, self._rate(route, state, at)
                elif state.collapsed and seen >= self.recover_ratio * expected:
                    state.collapsed, state.frozen_rate = False, None
            # else: too little coverage or too rare a route to judge; the state stands
            service["collapsed"] = state.collapsed
            self.latest[route] = fig
            many = fig["disrupted_flights"] >= self.min_flights
            if state.opened_key is None:
                if not (many or state.collapsed):
                    continue
                state.opened_key = f"route.disrupted:{route[0]}-{route[1]}:{at:%Y%m%dT%H%MZ}"
            elif fig["disrupted_flights"] == 0 and not state.collapsed:
                out.append(self._event(route, state, at, fig, resolved=True))
                state.opened_key, state.last_signature = None, None
                continue
            signature = (fig["disrupted_flights"], fig["flights_seen"], state.collapsed)
            if signature != state.last_signature:
                state.last_signature = signature
                out.append(self._event(route, state, at, fig, resolved=False))
        return out

    def _event(
        self,
        route: Route,
        state: _RouteState,
        at: datetime,
        fig: dict[str, Any],
        *,
        resolved: bool,
    ) -> AlertEvent:
        name = f"{route[0]}–{route[1]}"
        hours = f"{fig['window_hours']:g} h"
        service = fig["service"]
        reasons = []
        if fig["disrupted_flights"]:
            reasons.append(
                f"{fig['disrupted_flights']} of {fig['flights_seen']} flights in "
                f"{hours} rerouted, diverted or turned back"
            )
        if state.collapsed:
            reasons.append(
                f"{service['flights_seen']} flights in {service['window_hours']:g} h, "
                f"{service['expected']:g} expected"
            )
        title = (
            f"Route {name} disrupted: {'; '.join(reasons)}"
            if not resolved
            else f"Route {name}: flights back to normal ({fig['flights_seen']} in {hours}, "
            "none disrupted)"
        )
        return AlertEvent(
            type=AlertType.ROUTE_DISRUPTED,
            severity=Severity.WARNING,
            dedup_key=state.opened_key or "",
            observed_at=at,
            title=title,
            origin=route[0],
            destination=route[1],
            extra_distance_km=fig["median_extra_km"],
            resolved=resolved,
            evidence={**fig, "reasons": reasons},
        )
