"""Watched routes: flights seen, share flying around a watched airspace, extra distance, diversions."""

from __future__ import annotations

import statistics
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from service.api.auth import require_read
from service.api.deps import SessionDep
from service.api.problems import ProblemError, responses
from service.api.routes.flights import flight_to_dict
from service.seeds import load_watched_routes
from service.store.alerts import alert_to_dict
from service.store.models import AlertRow, FlightRow

router = APIRouter(
    prefix="/api/v1/routes",
    tags=["routes"],
    dependencies=[Depends(require_read)],
    responses=responses(401, 429),
)


def route_stats(flights: list[FlightRow]) -> dict[str, Any]:
    finished = [f for f in flights if f.state != "airborne"]
    avoiding = [f for f in finished if (f.evaluation or {}).get("avoided")]
    extras = [f.extra_distance_km for f in avoiding if f.extra_distance_km is not None]
    diverted = [
        f for f in finished
        if f.actual_destination and f.destination and f.actual_destination not in (f.destination, f.origin)
    ]  # fmt: skip
    turned = [f for f in finished if f.actual_destination and f.actual_destination == f.origin]
    return {
        "flights": len(flights),
        "finished": len(finished),
        "avoiding": len(avoiding),
        "share_avoiding": round(len(avoiding) / len(finished), 3) if finished else None,
        "median_extra_km": round(statistics.median(extras), 1) if extras else None,
        "diversions": len(diverted),
        "turn_backs": len(turned),
    }


def _watched(request: Request) -> list[tuple[str, str]]:
    settings = request.app.state.settings
    return load_watched_routes(settings.path(settings.watch.routes_file))


@router.get("")
def list_routes(request: Request, session: SessionDep) -> list[dict]:
    """Every watched route with its statistics over the stored flights."""
    rows = session.scalars(select(FlightRow).where(FlightRow.origin.is_not(None))).all()
    by_route: dict[tuple[str, str], list[FlightRow]] = {}
    for row in rows:
        by_route.setdefault((row.origin, row.destination), []).append(row)
    return [
        {
            "origin": o,
            "destination": d,
            "route": f"{o}-{d}",
            **route_stats(by_route.get((o, d), [])),
        }
        for o, d in _watched(request)
    ]


@router.get("/{route}", responses=responses(404))
def get_route(route: str, request: Request, session: SessionDep) -> dict:
    """One route (``EHAM-TNCC``): statistics, recent flights, alerts."""
    parts = route.upper().split("-")
    if len(parts) != 2 or not all(len(p) == 4 for p in parts):
        raise ProblemError(404, f"{route!r} is not a route like EHAM-TNCC")
    origin, destination = parts
    flights = session.scalars(
        select(FlightRow)
        .where(FlightRow.origin == origin, FlightRow.destination == destination)
        .order_by(FlightRow.last_seen.desc())
    ).all()
    alerts = session.scalars(
        select(AlertRow)
        .where(AlertRow.origin == origin, AlertRow.destination == destination)
        .order_by(AlertRow.id.desc())
        .limit(100)
    ).all()
    return {
        "origin": origin,
        "destination": destination,
        "watched": (origin, destination) in _watched(request),
        **route_stats(list(flights)),
        "recent_flights": [flight_to_dict(f) for f in flights[:50]],
        "alerts": [alert_to_dict(a) for a in alerts],
    }
