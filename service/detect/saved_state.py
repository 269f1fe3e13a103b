"""What detection takes back after a restart, as plain data, and how the engine takes it.

A restarted process (or a replica that becomes leader) must judge the next poll as the
previous leader would have: the same airspace statuses, the same traffic baseline, the same
open flights, the same route history and open route alerts.  The store reads these from its
tables into an :class:`EngineState` (:mod:`service.store.engine_state`); only
:func:`restore_state`, here in detection, knows where each part goes inside the engine, so a
change to a tracker's internals is made in one package.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from service.detect.routes import RouteFlight
from service.detect.tracks import ActiveFlight
from service.detect.traffic_model import TrafficSample
from service.domain import AirspaceStatus, Notam

if TYPE_CHECKING:
    from service.detect.engine import DetectionEngine


@dataclass(slots=True)
class AirspaceState:
    """One watched airspace as last stored: its status and its traffic model's history."""

    airspace: str
    status: AirspaceStatus
    since: datetime | None
    updated_at: datetime  # data time of the poll that stored it
    collapse_since: datetime | None = None
    last_counts: tuple[int, int] | None = None  # (foreign, domestic) at that poll
    # the samples of the feed that sent most of them, oldest first (the baseline's lessons)
    traffic_source: str | None = None
    traffic: list[TrafficSample] = field(default_factory=list)


@dataclass(slots=True)
class EngineState:
    """Everything a restart restores, in the order the engine takes it."""

    airspaces: list[AirspaceState] = field(default_factory=list)
    notams: list[Notam] = field(default_factory=list)
    # route figures: when the feeds answered completely, finished flights, open alerts
    covered: list[datetime] = field(default_factory=list)
    route_flights: list[tuple[tuple[str, str], RouteFlight]] = field(default_factory=list)
    # (route, dedup key, collapsed?)
    open_route_alerts: list[tuple[tuple[str, str], str, bool]] = field(default_factory=list)
    # judging a finished flight: status changes, landings per airport, usual flown distances
    status_changes: list[tuple[str, datetime, str]] = field(default_factory=list)
    landings: list[str] = field(default_factory=list)  # one entry per confirmed landing
    flown_km: list[tuple[tuple[str, str], float]] = field(default_factory=list)
    open_flights: list[ActiveFlight] = field(default_factory=list)

    @property
    def data_time(self) -> datetime | None:
        """The latest stored poll of a watched airspace (None: nothing stored yet)."""
        return max((a.updated_at for a in self.airspaces), default=None)


def restore_state(engine: DetectionEngine, state: EngineState) -> None:
    """Put ``state`` back into ``engine``: statuses and traffic models, NOTAMs, and, when
    anything was stored, route history, finished-flight history and the open flights."""
    from service.detect.engine import USUAL_FLIGHTS

    for saved in state.airspaces:
        tracker = engine.trackers.get(saved.airspace)
        if tracker is None:
            continue
        tracker.status = saved.status
        tracker.since = saved.since
        if saved.collapse_since is not None:
            tracker.collapse_since = saved.collapse_since
        collapsed = saved.collapse_since is not None
        if saved.traffic:
            tracker.source = saved.traffic_source
            # another feed may take over only after a data gap from this one, as live
            engine._judged_at[saved.airspace] = saved.traffic[-1].at
            tracker.model.restore(saved.traffic, collapsed)
            tracker.last_baseline = tracker.baseline(saved.updated_at)
        else:
            tracker.model.collapsed = collapsed
        if saved.last_counts is not None:
            tracker.last_counts = saved.last_counts
        at = saved.updated_at
        engine.data_time = max(engine.data_time, at) if engine.data_time else at
    if engine.batch is not None:  # every FIR watched: the arrays take over the models' state
        engine.batch.load([t.model for t in engine.trackers.values()])
    for notam in state.notams:
        engine.set_notams([notam])
    if engine.data_time is None:
        return
    routes = engine.route_disruptions
    for at in state.covered:
        routes.covered(at)
    for route, flight in state.route_flights:
        routes.flight_finished(route, flight)
    for route, key, collapsed in state.open_route_alerts:
        routes.open_alert(route, key, collapsed)
    for airspace, at, status in state.status_changes:
        if airspace in engine.status_log:
            engine._log_status(airspace, at, status)
    counts = engine.approach.landings
    for airport in state.landings:
        counts[airport] = counts.get(airport, 0) + 1
    for route, km in state.flown_km:
        engine.usual_flown.setdefault(route, deque(maxlen=USUAL_FLIGHTS)).append(km)
    ceiling = engine.settings.detection.landing_max_altitude_ft
    for flight in state.open_flights:
        if not flight.points:
            continue
        if any(not p.on_ground and (p.altitude_ft or 0) > ceiling for p in flight.points):
            flight.airborne_seen = True
        engine.tracks.restore(flight)
