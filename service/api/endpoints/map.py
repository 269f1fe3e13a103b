"""Everything the status page draws, as GeoJSON (lon/lat).

``/map``: FIR boundaries, watched airports, the latest position of each aircraft seen in
the last minutes of data, the tracks of recently rerouted, diverted or turned-back flights,
and the view (the watched airspaces' bounds, padded).  ``/map/basemap``: land from the
bundled Natural Earth data, clipped to that view, fetched once by the page.
``/map/firs``: the FIR boundaries and watched airports alone, the same for the life of the
process, with an ETag: with every FIR watched they are 1.7 MB, so the page fetches them
once and then asks ``/map?firs=false`` every few seconds for what changes.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import timedelta
from functools import lru_cache
from typing import Annotated, Any

import shapely
from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import func, select

from service.api.auth import require_read
from service.api.deps import SessionDep
from service.api.geojson import GeoJSONResponse, fir_geojson, oriented
from service.api.problems import responses
from service.api.schemas import Feature, FeatureCollection
from service.detect.domestic import DomesticAddresses
from service.geo.basemap import land_within
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
VIEW_PAD_DEG = 4.0
BASEMAP_SOURCE = "Natural Earth 1:50m land (public domain), via world-atlas 2.0.2"


def view_bbox(state: Any) -> list[float]:
    """The watched airspaces' bounds padded by a few degrees: what the page frames."""
    watched = [a for a in state.airspaces if a.icao in set(state.settings.watch.airspaces)]
    if not watched:
        return [-180.0, -60.0, 180.0, 75.0]
    bounds = [a.geometry.bounds for a in watched]
    return [
        max(-180.0, min(b[0] for b in bounds) - VIEW_PAD_DEG),
        max(-90.0, min(b[1] for b in bounds) - VIEW_PAD_DEG),
        min(180.0, max(b[2] for b in bounds) + VIEW_PAD_DEG),
        min(90.0, max(b[3] for b in bounds) + VIEW_PAD_DEG),
    ]


# Four decimal numbers within range: the pattern is the whole rule, so every bbox it admits
# gets land (RFC 7946 §5.2: west > east is a box across the antimeridian; the two latitudes
# may come in either order; a box thinner than a degree is widened to one).
_LON = r"-?(180(\.0{1,12})?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]{1,12})?)"
_LAT = r"-?(90(\.0{1,12})?|[1-8]?[0-9](\.[0-9]{1,12})?)"
BBOX_PATTERN = f"^{_LON},{_LAT},{_LON},{_LAT}$"
Box = tuple[float, float, float, float]


def _span(low: float, high: float, top: int) -> tuple[float, float]:
    """``low``..``high`` widened to whole degrees, at least one wide, within ±``top``."""
    a, b = math.floor(low), math.ceil(high)
    if a == b:
        a, b = (a, a + 1) if a < top else (a - 1, a)
    return float(a), float(b)


def parse_bbox(text: str) -> Box:
    """``west,south,east,north``, widened to whole degrees (what the land cache is keyed by:
    a few hundred boxes at most, instead of one render per distinct float).  West > east
    crosses the antimeridian and stays so; a crossing box that widening makes whole-world is
    -180..180.

    >>> parse_bbox("-86.5,-11,-49,28.2")
    (-87.0, -11.0, -49.0, 29.0)
    >>> parse_bbox("170.5,28,-170,-11"), parse_bbox("5,90,5,90")
    ((170.0, -11.0, -170.0, 28.0), (5.0, 89.0, 6.0, 90.0))
    """
    west, south, east, north = (float(v) for v in text.split(","))
    south, north = _span(min(south, north), max(south, north), 90)
    if west <= east:
        west, east = _span(west, east, 180)
    else:
        west, east = float(math.floor(west)), float(math.ceil(east))
        if west <= east:  # the gap closed: every longitude
            west, east = -180.0, 180.0
        elif (west, east) == (180.0, -180.0):  # no width at all: one degree across the line
            west, east = 179.0, -179.0
    return west, south, east, north


@router.get(
    "/map/basemap",
    response_class=GeoJSONResponse,
    responses={200: {"model": Feature, "description": "A GeoJSON Feature"}, **responses(400)},
)
def basemap(
    request: Request,
    bbox: Annotated[
        str | None,
        Query(
            description="west,south,east,north in decimal degrees (default: the map's view), "
            "widened to whole degrees, at least one wide; west > east crosses the antimeridian "
            "(RFC 7946 §5.2); the latitudes may come in either order",
            pattern=BBOX_PATTERN,
            examples=["-86,-11,-49,28"],
        ),
    ] = None,
) -> GeoJSONResponse:
    """Land polygons (a light coastline background), simplified to about 1 km."""
    box = parse_bbox(bbox) if bbox else tuple(view_bbox(request.app.state))
    seeds = request.app.state.settings.path(request.app.state.settings.seeds_dir)
    return GeoJSONResponse(
        {
            "type": "Feature",
            "bbox": list(box),
            "geometry": land_geojson(seeds, box),
            "properties": {"kind": "land", "source": BASEMAP_SOURCE},
        }
    )


@lru_cache(maxsize=64)
def land_geojson(seeds: Any, box: Box) -> dict[str, Any] | None:
    """Land in ``box``; across the antimeridian, the two sides' polygons side by side (no
    overlay: the world polygons are not valid enough for one)."""
    west, south, east, north = box
    if west <= east:
        return oriented(land_within(seeds, box))
    parts: list[shapely.Polygon] = []
    for side in ((west, south, 180.0, north), (-180.0, south, east, north)):
        if side[0] < side[2]:
            shape = shapely.geometry.shape(land_within(seeds, side))
            parts += [g for g in getattr(shape, "geoms", [shape]) if g.geom_type == "Polygon"]
    return oriented(shapely.MultiPolygon(parts))


def _static_features(state: Any) -> list[dict[str, Any]]:
    """FIR boundaries in the view and the watched airports (they change only with config)."""
    watched = set(state.settings.watch.airspaces)
    west, south, east, north = view_bbox(state)
    # the world has 435 FIRs: only those the view shows
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": fir_geojson(state, a.icao),
            "properties": {
                "kind": "fir",
                "icao": a.icao,
                "name": a.name,
                "watched": a.icao in watched,
            },
        }
        for a in state.airspaces
        if a.geometry.bounds[0] <= east
        and a.geometry.bounds[2] >= west
        and a.geometry.bounds[1] <= north
        and a.geometry.bounds[3] >= south
    ]
    for code in state.settings.watch.airports:
        if code in state.airports:
            ap = state.airports.get(code)
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [ap.lon, ap.lat]},
                    "properties": {"kind": "airport", "icao": code, "name": ap.name},
                }
            )
    return features


def _firs_body(state: Any) -> tuple[bytes, str]:
    """The encoded /map/firs body and its ETag, built once per process."""
    cached = getattr(state, "map_firs", None)
    if cached is None:
        body = json.dumps(
            {
                "type": "FeatureCollection",
                "bbox": view_bbox(state),
                "features": _static_features(state),
            },
            separators=(",", ":"),
        ).encode()
        cached = state.map_firs = (body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
    return cached


@router.get(
    "/map/firs",
    response_class=GeoJSONResponse,
    responses={
        200: {"model": FeatureCollection, "description": "A GeoJSON FeatureCollection"},
        304: {"description": "Not modified (If-None-Match matched the ETag)"},
    },
)
def map_firs(request: Request) -> Response:
    """FIR boundaries in the view and the watched airports; fetch once, revalidate by ETag."""
    body, etag = _firs_body(request.app.state)
    headers = {"ETag": etag, "Cache-Control": "private, max-age=3600"}
    asked = request.headers.get("if-none-match", "")
    if etag in {t.strip() for t in asked.split(",")} or asked.strip() == "*":
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/geo+json", headers=headers)


@router.get(
    "/map",
    response_class=GeoJSONResponse,
    responses={200: {"model": FeatureCollection, "description": "A GeoJSON FeatureCollection"}},
)
def map_features(
    request: Request,
    session: SessionDep,
    firs: Annotated[
        bool,
        Query(
            description="include FIR boundaries and airports (false: only what changes; "
            "the rest is /map/firs, fetched once)"
        ),
    ] = True,
) -> GeoJSONResponse:
    """FIR boundaries, watched airports, aircraft seen in the last 10 minutes of data and the
    tracks of the last 20 rerouted, diverted or turned-back flights."""
    state = request.app.state
    domestic = DomesticAddresses(state.settings.watch.domestic_addresses)
    features: list[dict[str, Any]] = list(_static_features(state)) if firs else []
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
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                    "properties": {
                        "kind": "aircraft",
                        "icao24": p.icao24,
                        "callsign": p.callsign,
                        "domestic": domestic.of_any(p.icao24),
                        "altitude_ft": p.altitude_ft,
                        "observed_at": rfc3339(p.observed_at),
                    },
                }
            )
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
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": [list(c) for c in coords]},
                    "properties": {
                        "kind": "track",
                        "alert": alert.type,
                        "callsign": alert.callsign,
                        "route": f"{alert.origin}-{alert.destination}",
                    },
                }
            )
    return GeoJSONResponse(
        {
            "type": "FeatureCollection",
            "bbox": view_bbox(state),
            "features": features,
            "data_time": rfc3339(newest),
        }
    )
