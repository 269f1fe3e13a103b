"""Flights and their tracks (GeoJSON)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy import select

from service.api.auth import require_read
from service.api.deps import SessionDep
from service.api.geojson import GeoJSONResponse
from service.api.pagination import (
    TIME_ID_CURSOR,
    CursorQuery,
    decode_time_id_cursor,
    next_link,
    time_id_cursor,
)
from service.api.params import NON_EMPTY_TEXT, TEXT, TimeQuery, UtcTime
from service.api.problems import ProblemError, responses
from service.api.schemas import Feature, Flight, FlightPage
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


ICAO = "^[A-Za-z]{4}$"


@router.get("", response_model=FlightPage, responses=responses(400))
def list_flights(
    request: Request,
    session: SessionDep,
    callsign: Annotated[
        str | None, Query(max_length=16, pattern=TEXT, description="Only this callsign (any case)")
    ] = None,
    icao24: Annotated[
        str | None, Query(pattern="^[0-9a-fA-F]{6}$", description="Only this transponder address")
    ] = None,
    origin: Annotated[str | None, Query(pattern=ICAO, description="Planned origin (ICAO)")] = None,
    destination: Annotated[
        str | None, Query(pattern=ICAO, description="Planned destination (ICAO)")
    ] = None,
    route: Annotated[
        str | None,
        Query(
            pattern="^[A-Za-z]{4}-[A-Za-z]{4}$",
            description="Origin-destination, e.g. SKBO-TNCC (with origin/destination: all must hold)",
        ),
    ] = None,
    airspace: Annotated[
        str | None, Query(pattern=ICAO, description="Only flights that crossed this FIR")
    ] = None,
    state: Annotated[
        str | None,
        Query(pattern="^(airborne|landed|lost)$", description="airborne, landed or lost"),
    ] = None,
    since: Annotated[UtcTime | None, TimeQuery("Last seen at or after this data time.")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size")] = 100,
    cursor: Annotated[str | None, CursorQuery(TIME_ID_CURSOR)] = None,
) -> dict:
    """Flights, most recently seen first, one page at a time (follow `next`)."""
    stmt = select(FlightRow).order_by(FlightRow.last_seen.desc(), FlightRow.id.desc())
    if route:  # filters combine: route=A-B&origin=C asks for origin A and C (no flight)
        route_origin, route_destination = route.upper().split("-")
        stmt = stmt.where(
            FlightRow.origin == route_origin, FlightRow.destination == route_destination
        )
    if callsign:
        stmt = stmt.where(FlightRow.callsign == callsign.upper())
    if icao24:
        stmt = stmt.where(FlightRow.icao24 == icao24.lower())
    if origin:
        stmt = stmt.where(FlightRow.origin == origin.upper())
    if destination:
        stmt = stmt.where(FlightRow.destination == destination.upper())
    if state:
        stmt = stmt.where(FlightRow.state == state)
    if since is not None:
        stmt = stmt.where(FlightRow.last_seen >= since)
    if cursor:
        at, last_id = decode_time_id_cursor(cursor)
        stmt = stmt.where(
            (FlightRow.last_seen < at) | ((FlightRow.last_seen == at) & (FlightRow.id < last_id))
        )
    airspace = airspace.upper() if airspace else None
    rows = list(session.scalars(stmt.limit(limit + 1 if not airspace else 5000)))
    if airspace:  # JSON list column: filtered here to stay portable across SQLite/PostgreSQL
        rows = [r for r in rows if airspace in (r.airspaces or [])][: limit + 1]
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    return {
        "items": [flight_to_dict(r) for r in rows],
        "next": next_link(request, time_id_cursor(last.last_seen, last.id))
        if more and last
        else None,
    }


def _flight(session, flight_id: str) -> FlightRow:
    row = session.get(FlightRow, flight_id)
    if row is None:
        raise ProblemError(404, f"no flight with id {flight_id}")
    return row


FlightId = Annotated[
    str, Path(max_length=64, pattern=NON_EMPTY_TEXT, description="The flight's id")
]


@router.get("/{flight_id}", response_model=Flight, responses=responses(404))
def get_flight(flight_id: FlightId, session: SessionDep) -> dict:
    """One flight by id."""
    return flight_to_dict(_flight(session, flight_id))


@router.get(
    "/{flight_id}/track",
    response_class=GeoJSONResponse,
    responses={200: {"model": Feature, "description": "A GeoJSON Feature"}, **responses(404)},
)
def get_track(flight_id: FlightId, session: SessionDep) -> GeoJSONResponse:
    """The observed track as a GeoJSON Feature: a LineString (lon/lat) with per-point data
    times, altitudes, ground flags and sources in its properties."""
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
    return GeoJSONResponse(
        {
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
    )
