"""Restart recovery: read detection's state back from the tables a poll writes.

Nothing here is stored for the purpose: statuses, traffic samples, flights, positions,
alerts and NOTAMs are what every poll commits anyway (:mod:`service.ingest`).  This module
reads them into a :class:`~service.detect.saved_state.EngineState` for the engine's own
:meth:`~service.detect.engine.DetectionEngine.restore_state`; it never touches the
engine's internals.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.detect.saved_state import AirspaceState, EngineState
from service.detect.tracks import ActiveFlight, TrackPoint
from service.detect.traffic_model import TrafficSample
from service.domain import AirspaceStatus, AlertType, Route
from service.ingest import notam_from_row
from service.store.models import (
    AirspaceStatusRow,
    AlertRow,
    FlightRow,
    NotamRow,
    PositionRow,
    TrafficSampleRow,
)

if TYPE_CHECKING:
    from service.detect.engine import DetectionEngine


def restore_engine(session: Session, engine: DetectionEngine) -> None:
    """Rebuild in-memory state after a restart: statuses, NOTAMs and open flights."""
    engine.restore_state(load_engine_state(session, engine))


def load_engine_state(session: Session, engine: DetectionEngine) -> EngineState:
    """What ``engine`` (its watched airspaces and routes, its detection settings) takes
    back from the database."""
    state = EngineState()
    watched = set(engine.watched)
    for row in session.scalars(select(AirspaceStatusRow)):
        if row.airspace in watched:
            state.airspaces.append(_airspace_state(session, engine, row))
    state.notams = [notam_from_row(row) for row in session.scalars(select(NotamRow))]
    data_time = state.data_time
    if data_time is None:
        return state
    _load_routes(session, engine, state, data_time)
    _load_flight_history(session, state, data_time)
    _load_open_flights(session, engine, state, data_time)
    return state


def _airspace_state(
    session: Session, engine: DetectionEngine, row: AirspaceStatusRow
) -> AirspaceState:
    evidence = row.evidence or {}
    since = evidence.get("traffic_collapsed_since")
    saved = AirspaceState(
        row.airspace,
        AirspaceStatus(row.status),
        row.since,
        row.updated_at,
        collapse_since=datetime.fromisoformat(since) if since else None,
    )
    if row.foreign_count is not None and row.domestic_count is not None:
        saved.last_counts = (row.foreign_count, row.domestic_count)
    saved.traffic_source, saved.traffic = _traffic(session, engine, row.airspace, row.updated_at)
    return saved


def _traffic(
    session: Session, engine: DetectionEngine, airspace: str, until: datetime
) -> tuple[str | None, list[TrafficSample]]:
    """The traffic model's baseline and windows from its traffic_samples, so a restarted or
    new leader judges from the same baseline.  Only the judging feed's polls are stored
    (DetectionEngine._judges), so the rows in time order are the series the live model saw,
    across a takeover by another feed too; the judging feed is the latest row's."""
    since = until - timedelta(days=engine.settings.detection.baseline_history_days + 1)
    rows = session.execute(
        select(TrafficSampleRow)
        .where(TrafficSampleRow.airspace == airspace)
        .where(TrafficSampleRow.observed_at >= since, TrafficSampleRow.observed_at <= until)
        .order_by(TrafficSampleRow.observed_at)
    ).scalars()
    samples: list[TrafficSample] = []
    source: str | None = None
    for r in rows:
        if samples and r.observed_at <= samples[-1].at:
            continue  # two feeds' rows at one instant (stored before one feed judged alone)
        source = r.source
        samples.append(
            TrafficSample(
                r.observed_at,
                r.foreign_count,
                r.domestic_count,
                r.foreign_arrivals or 0,
                r.domestic_arrivals or 0,
                r.outside_count,
                bool(r.collapsed),
            )
        )
    return source, samples


def _load_routes(
    session: Session, engine: DetectionEngine, state: EngineState, data_time: datetime
) -> None:
    """The route figures' week of finished flights, feed coverage and open route alerts."""
    from service.detect.routes import DISRUPTING, HISTORY, RouteFlight

    since = data_time - HISTORY
    state.covered = list(
        session.scalars(
            select(TrafficSampleRow.observed_at)
            .where(TrafficSampleRow.observed_at >= since)
            .distinct()
            .order_by(TrafficSampleRow.observed_at)
        )
    )
    cases = {
        a.flight_id: a
        for a in session.scalars(
            select(AlertRow).where(
                AlertRow.type.in_([t.value for t in DISRUPTING]), AlertRow.observed_at >= since
            )
        )
    }
    landed = session.scalars(
        select(FlightRow)
        .where(FlightRow.state == "landed", FlightRow.last_seen >= since)
        .order_by(FlightRow.last_seen)
    )
    watched = engine.context.watched_routes
    for row in landed:
        route = (row.origin, row.destination)
        if route not in watched:
            continue
        case = cases.get(row.id)
        kind = DISRUPTING[AlertType(case.type)] if case else "normal"
        landed_time = (row.evaluation or {}).get("landed_time")  # last_seen runs on after it
        finished_at = datetime.fromisoformat(landed_time) if landed_time else row.last_seen
        state.route_flights.append(
            (
                route,
                RouteFlight(
                    finished_at,
                    kind,
                    row.callsign,
                    case.extra_distance_km if case else None,
                    case.dedup_key if case else None,
                ),
            )
        )
    for row in session.scalars(
        select(AlertRow).where(
            AlertRow.type == AlertType.ROUTE_DISRUPTED.value, AlertRow.status == "open"
        )
    ):
        if row.origin and row.destination:
            collapsed = bool(((row.evidence or {}).get("service") or {}).get("collapsed"))
            state.open_route_alerts.append(
                ((row.origin, row.destination), row.dedup_key, collapsed)
            )


def _load_flight_history(session: Session, state: EngineState, data_time: datetime) -> None:
    """What judging a finished flight learns from earlier ones: each route's usual flown
    distance, where flights in each area land, and the watched airspaces' status changes
    (was the airspace NORMAL while a flight flew?)."""
    from service.detect.engine import STATUS_LOG_KEEP

    since = data_time - STATUS_LOG_KEEP
    for row in session.scalars(
        select(AlertRow)
        .where(
            AlertRow.type == AlertType.AIRSPACE_STATUS_CHANGED.value,
            AlertRow.observed_at >= since,
        )
        .order_by(AlertRow.observed_at)
    ):
        status = (row.evidence or {}).get("status")
        if status:
            state.status_changes.append((row.airspace, row.observed_at, status))
    landed = session.scalars(
        select(FlightRow)
        .where(FlightRow.state == "landed", FlightRow.last_seen >= since)
        .order_by(FlightRow.last_seen)
    )
    for row in landed:
        evaluation = row.evaluation or {}
        landing = evaluation.get("landing") or {}
        if row.actual_destination and landing.get("method") in ("ground", "approach"):
            state.landings.append(row.actual_destination)
        route = (row.origin, row.actual_destination)
        if all(route) and "flown_km" in evaluation and not evaluation.get("avoided"):
            state.flown_km.append((route, evaluation["flown_km"]))


def _load_open_flights(
    session: Session, engine: DetectionEngine, state: EngineState, data_time: datetime
) -> None:
    """Flights still airborne at the last poll (seen within the flight gap), with their track."""
    horizon = data_time - timedelta(minutes=engine.settings.detection.flight_gap_minutes)
    open_flights = session.scalars(
        select(FlightRow).where(FlightRow.state == "airborne", FlightRow.last_seen >= horizon)
    ).all()
    for row in open_flights:
        flight = ActiveFlight(
            id=row.id,
            icao24=row.icao24,
            callsign=row.callsign,
            domestic=row.domestic,
            first_seen=row.first_seen,
            last_seen=row.last_seen,
            airspaces=set(row.airspaces or []),
        )
        if row.origin and row.destination and row.route_source != "track":
            flight.route = Route(
                row.callsign or "", row.origin, row.destination, row.route_source or ""
            )
        elif row.origin:
            flight.origin_inferred = row.origin
        points = session.scalars(
            select(PositionRow)
            .where(PositionRow.flight_id == row.id)
            .order_by(PositionRow.observed_at)
        )
        flight.points.extend(
            TrackPoint(p.observed_at, p.lon, p.lat, p.altitude_ft, p.on_ground, p.track_deg)
            for p in points
        )
        state.open_flights.append(flight)
