"""Everything the status page draws, as one GeoJSON FeatureCollection (lon/lat).

FIR boundaries, watched airports, the latest position of each aircraft seen in the
last minutes of data, and the tracks of recently rerouted, diverted or turned-back flights.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select

from service.api.auth import require_read
from service.api.deps import SessionDep
from service.api.problems import responses
from service.domain import is_venezuelan
from service.store.alerts import rfc3339
from service.store.models import AlertRow, PositionRow

router = APIRouter(
    prefix="/api/v1",
    tags=["map"],
    dependencies=[Depends(require_read)],
    responses=responses(401, 429),
)

RECENT = timedelta(minutes=10)
TRACK_TYPES = ("flight.rerouted", "flight.diverted", "flight.turned_back")


@router.get("/map")
def map_features(request: Request, session: SessionDep) -> dict[str, Any]:
    state = request.app.state
    watched = set(state.settings.watch.airspaces)
    features: list[dict[str, Any]] = [
        {"type": "Feature", "geometry": a.geojson(),
         "properties": {"kind": "fir", "icao": a.icao, "name": a.name, "watched": a.icao in watched}}
        for a in state.airspaces
    ]  # fmt: skip
    for code in state.settings.watch.airports:
        if code in state.airports:
            ap = state.airports.get(code)
            features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [ap.lon, ap.lat]},
                             "properties": {"kind": "airport", "icao": code, "name": ap.name}})  # fmt: skip
    newest = session.scalar(select(func.max(PositionRow.observed_at)))
    if newest is not None:
        latest = (
            select(PositionRow.icao24, func.max(PositionRow.observed_at).label("at"))
            .where(PositionRow.observed_at >= newest - RECENT)
            .group_by(PositionRow.icao24)
            .subquery()
        )
        rows = session.execute(
            select(PositionRow).join(
                latest,
                (PositionRow.icao24 == latest.c.icao24) & (PositionRow.observed_at == latest.c.at),
            )
        ).scalars()
        for p in rows:
            if p.on_ground:
                continue
            features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                             "properties": {"kind": "aircraft", "icao24": p.icao24, "callsign": p.callsign,
                                            "domestic": is_venezuelan(p.icao24), "altitude_ft": p.altitude_ft,
                                            "observed_at": rfc3339(p.observed_at)}})  # fmt: skip
    alerts = session.scalars(
        select(AlertRow)
        .where(AlertRow.type.in_(TRACK_TYPES))
        .order_by(AlertRow.id.desc())
        .limit(20)
    ).all()
    for alert in alerts:
        if not alert.flight_id:
            continue
        coords = session.execute(
            select(PositionRow.lon, PositionRow.lat)
            .where(PositionRow.flight_id == alert.flight_id, PositionRow.on_ground.is_(False))
            .order_by(PositionRow.observed_at)
        ).all()
        if len(coords) >= 2:
            features.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [list(c) for c in coords]},
                             "properties": {"kind": "track", "alert": alert.type, "callsign": alert.callsign,
                                            "route": f"{alert.origin}-{alert.destination}"}})  # fmt: skip
    return {"type": "FeatureCollection", "features": features, "data_time": rfc3339(newest)}
