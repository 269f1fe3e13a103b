"""Route disruption: several flights of one watched city pair rerouted, diverted or turned back.

One rerouted flight is news for its passengers; several on the same route within
a day is a pattern a dispatcher plans around, so it gets an alert of its own that
stays open while the pattern lasts and resolves a window after the last case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from service.domain import AlertEvent, AlertType, Severity

DISRUPTING = {AlertType.FLIGHT_REROUTED, AlertType.FLIGHT_DIVERTED, AlertType.FLIGHT_TURNED_BACK}


@dataclass(slots=True)
class _RouteState:
    cases: list[AlertEvent] = field(default_factory=list)
    opened_key: str | None = None


class RouteDisruptionTracker:
    """Counts disrupting flight alerts per (origin, destination) within a sliding window.

    >>> from datetime import UTC
    >>> t = RouteDisruptionTracker(frozenset({("EHAM", "TNCC")}), timedelta(hours=24), 2)
    >>> def ev(i, h):
    ...     return AlertEvent(type=AlertType.FLIGHT_REROUTED, severity=Severity.WARNING,
    ...         dedup_key=f"r{i}", observed_at=datetime(2025, 11, 21, h, tzinfo=UTC), title="",
    ...         origin="EHAM", destination="TNCC", callsign=f"KLM{i}", extra_distance_km=400.0)
    >>> t.observe([ev(1, 18)], datetime(2025, 11, 21, 18, tzinfo=UTC))
    []
    >>> [e.type.value for e in t.observe([ev(2, 20)], datetime(2025, 11, 21, 20, tzinfo=UTC))]
    ['route.disrupted']
    >>> [e.resolved for e in t.observe([], datetime(2025, 11, 22, 21, tzinfo=UTC))]
    [True]
    """

    def __init__(
        self, watched: frozenset[tuple[str, str]], window: timedelta, min_flights: int
    ) -> None:
        self.watched = watched
        self.window = window
        self.min_flights = min_flights
        self.routes: dict[tuple[str, str], _RouteState] = {}

    def observe(self, events: list[AlertEvent], at: datetime) -> list[AlertEvent]:
        out: list[AlertEvent] = []
        touched: set[tuple[str, str]] = set()
        for event in events:
            if event.type not in DISRUPTING or not (event.origin and event.destination):
                continue
            route = (event.origin, event.destination)
            if route not in self.watched:
                continue
            self.routes.setdefault(route, _RouteState()).cases.append(event)
            touched.add(route)
        for route, state in self.routes.items():
            state.cases = [c for c in state.cases if at - c.observed_at <= self.window]
            if len(state.cases) >= self.min_flights and route in touched:
                if state.opened_key is None:
                    first = state.cases[0].observed_at
                    state.opened_key = f"route.disrupted:{route[0]}-{route[1]}:{first:%Y%m%dT%H%MZ}"
                out.append(self._event(route, state, at, resolved=False))
            elif not state.cases and state.opened_key is not None:
                out.append(self._event(route, state, at, resolved=True))
                state.opened_key = None
        return out

    def _event(
        self, route: tuple[str, str], state: _RouteState, at: datetime, *, resolved: bool
    ) -> AlertEvent:
        extras = [c.extra_distance_km for c in state.cases if c.extra_distance_km is not None]
        kinds: dict[str, int] = {}
        for c in state.cases:
            kinds[c.type.value] = kinds.get(c.type.value, 0) + 1
        name = f"{route[0]}–{route[1]}"
        return AlertEvent(
            type=AlertType.ROUTE_DISRUPTED,
            severity=Severity.WARNING,
            dedup_key=state.opened_key or "",
            observed_at=at,
            title=f"Route {name} disrupted: {len(state.cases)} flights in "
            f"{self.window.total_seconds() / 3600:.0f} h"
            if not resolved
            else f"Route {name}: no disrupted flight for {self.window.total_seconds() / 3600:.0f} h",
            origin=route[0],
            destination=route[1],
            extra_distance_km=round(sum(extras) / len(extras), 1) if extras else None,
            resolved=resolved,
            evidence={
                "flights": [
                    {"callsign": c.callsign, "type": c.type.value, "alert_key": c.dedup_key}
                    for c in state.cases
                ],
                "counts": kinds,
                "mean_extra_km": round(sum(extras) / len(extras), 1) if extras else None,
                "window_hours": self.window.total_seconds() / 3600,
            },
        )
