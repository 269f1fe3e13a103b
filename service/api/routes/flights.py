"""Flights and their tracks (GeoJSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from service.api.auth import require_read
from service.api.deps import SessionDep
from service.api.pagination import decode_cursor, next_link
from service.api.problems import ProblemError, responses
from service.api.schemas import Flight, FlightPage
from service.store.alerts import rfc3339
from service.store.models import FlightRow, PositionRow

router = APIRouter(
    prefix="/api/v1/flights",
    tags=["flights"],
    dependencies=[Depends(require_read)],
    responses=responses(401, 429),
)


def flight_to_dict(row: FlightRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "icao24": row.icao24,
        "callsign": row.callsign,
        "domestic": row.domestic,
        "first_seen": rfc3339(row.first_seen),
        "last_seen": rfc3339(row.last_seen),
        "origin": row.origin,
        "destination": row.destination,
        "actual_destination": row.actual_destination,
        "route_source": row.route_source,
        "state": row.state,
        "position_count": row.position_count,
        "track_km": row.track_km,
        "great_circle_km": row.great_circle_km,
        "extra_distance_km": row.extra_distance_km,
        "airspaces": row.airspaces or [],
    }


@router.get("", response_model=FlightPage, responses=responses(400, 422))
def list_flights(
    request: Request,
    session: SessionDep,
    callsign: str | None = None,
    icao24: Annotated[str | None, Query(pattern="^[0-9a-fA-F]{6}$")] = None,
    origin: Annotated[str | None, Query(pattern="^[A-Z]{4}$")] = None,
    destination: Annotated[str | None, Query(pattern="^[A-Z]{4}$")] = None,
    airspace: Annotated[str | None, Query(pattern="^[A-Z]{4}$")] = None,
    state: Annotated[str | None, Query(pattern="^(airborne|landed|lost)$")] = None,
    since: Annotated[datetime | None, Query(description="Last seen at or after")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> dict:
    """Most recently seen first."""
    stmt = select(FlightRow).order_by(FlightRow.last_seen.desc(), FlightRow.id.desc())
    if callsign:
        stmt = stmt.where(FlightRow.callsign == callsign.upper())
    if icao24:
        stmt = stmt.where(FlightRow.icao24 == icao24.lower())
    if origin:
        stmt = stmt.where(FlightRow.origin == origin)
    if destination:
        stmt = stmt.where(FlightRow.destination == destination)
    if state:
        stmt = stmt.where(FlightRow.state == state)
    if since is not None:
        if since.tzinfo is None:
            raise ProblemError(422, "since needs a time zone")
        stmt = stmt.where(FlightRow.last_seen >= since)
    if cursor:
        last = decode_cursor(cursor)
        if not (isinstance(last, list) and len(last) == 2):
            raise ProblemError(400, "cursor is not a flight cursor", kind="invalid-cursor")
        at = datetime.fromisoformat(last[0])
        stmt = stmt.where(
            (FlightRow.last_seen < at) | ((FlightRow.last_seen == at) & (FlightRow.id < last[1]))
        )
    rows = list(session.scalars(stmt.limit(limit + 1 if not airspace else 5000)))
    if airspace:  # JSON list column: filtered here to stay portable across SQLite/PostgreSQL
        rows = [r for r in rows if airspace in (r.airspaces or [])][: limit + 1]
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    return {
        "items": [flight_to_dict(r) for r in rows],
        "next": next_link(request, [last.last_seen.isoformat(), last.id])
        if more and last
        else None,
    }


def _flight(session, flight_id: str) -> FlightRow:
    row = session.get(FlightRow, flight_id)
    if row is None:
        raise ProblemError(404, f"no flight with id {flight_id}")
    return row


@router.get("/{flight_id}", response_model=Flight, responses=responses(404))
def get_flight(flight_id: str, session: SessionDep) -> dict:
    return flight_to_dict(_flight(session, flight_id))


@router.get("/{flight_id}/track", responses=responses(404))
def get_track(flight_id: str, session: SessionDep) -> dict:
    """The observed track as a GeoJSON Feature: a LineString (lon/lat) with per-point times."""
    row = _flight(session, flight_id)
    points = list(
        session.scalars(
            select(PositionRow)
            .where(PositionRow.flight_id == flight_id)
            .order_by(PositionRow.observed_at)
        )
    )
    coords = [[p.lon, p.lat] for p in points]
    geometry: dict[str, Any]
    if len(coords) >= 2:
        geometry = {"type": "LineString", "coordinates": coords}
    elif coords:
        geometry = {"type": "Point", "coordinates": coords[0]}
    else:
        geometry = {"type": "GeometryCollection", "geometries": []}
    return {
        "type": "Feature",
        "id": flight_id,
        "geometry": geometry,
        "properties": {
            **flight_to_dict(row),
            "times": [rfc3339(p.observed_at) for p in points],
            "altitudes_ft": [p.altitude_ft for p in points],
            "on_ground": [p.on_ground for p in points],
            "sources": [p.source for p in points],
        },
    }
