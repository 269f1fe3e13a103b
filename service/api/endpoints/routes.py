"""Watched routes: detection's figures (flights seen, share flying around a watched airspace,
median extra distance, diversions, turn-backs, service against its baseline), as stored by
ingest from :class:`service.detect.route_disruption.RouteDisruptionTracker`.

The API computes nothing here: the figures are the ones a ``route.disrupted`` alert carries,
so the two can never disagree.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy import select

from service.api.auth import require_read
from service.api.deps import SessionDep
from service.api.endpoints.flights import flight_to_dict
from service.api.problems import responses
from service.seeds import load_watched_routes
from service.store.alerts import alert_to_dict, rfc3339
from service.store.models import AlertRow, FlightRow, RouteFiguresRow

router = APIRouter(
    prefix="/api/v1/routes",
    tags=["routes"],
    dependencies=[Depends(require_read)],
    responses=responses(401, 429),
)
RECENT_FLIGHTS = 50


def _watched(request: Request) -> list[tuple[str, str]]:
    settings = request.app.state.settings
    return load_watched_routes(settings.path(settings.watch.routes_file))


def _figures(origin: str, destination: str, row: RouteFiguresRow | None) -> dict[str, Any]:
    """One route's stored figures; a route detection has not evaluated yet has none."""
    return {
        "origin": origin,
        "destination": destination,
        "route": f"{origin}-{destination}",
        "updated_at": rfc3339(row.updated_at) if row else None,
        **(row.figures if row else {}),
    }


@router.get("")
def list_routes(request: Request, session: SessionDep) -> list[dict]:
    """Every watched route with detection's latest figures for it."""
    rows = {(r.origin, r.destination): r for r in session.scalars(select(RouteFiguresRow))}
    return [_figures(o, d, rows.get((o, d))) for o, d in _watched(request)]


@router.get("/{route}", responses=responses(404))
def get_route(
    route: Annotated[
        str,
        Path(pattern="^[A-Za-z]{4}-[A-Za-z]{4}$", description="Origin-destination, e.g. EHAM-TNCC"),
    ],
    request: Request,
    session: SessionDep,
) -> dict:
    """One route (``EHAM-TNCC``, any case): detection's figures, recent flights, alerts (a
    route no flight took answers with empty lists, not a 404)."""
    origin, destination = route.upper().split("-")
    flights = session.scalars(
        select(FlightRow)
        .where(FlightRow.origin == origin, FlightRow.destination == destination)
        .order_by(FlightRow.last_seen.desc())
        .limit(RECENT_FLIGHTS)
    ).all()
    alerts = session.scalars(
        select(AlertRow)
        .where(AlertRow.origin == origin, AlertRow.destination == destination)
        .order_by(AlertRow.id.desc())
        .limit(100)
    ).all()
    return {
        **_figures(origin, destination, session.get(RouteFiguresRow, (origin, destination))),
        "watched": (origin, destination) in _watched(request),
        "recent_flights": [flight_to_dict(f) for f in flights],
        "alerts": [alert_to_dict(a) for a in alerts],
    }
