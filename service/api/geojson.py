"""GeoJSON as RFC 7946 wants it: ``application/geo+json``, lon/lat, counter-clockwise outer rings.

Shapely keeps whatever winding the source had (VAT-Spy and Natural Earth rings run both
ways); ``orient_polygons`` fixes exteriors counter-clockwise and holes clockwise.
"""

from __future__ import annotations

from typing import Any

import shapely
from fastapi.responses import JSONResponse
from shapely.geometry.base import BaseGeometry

MEDIA_TYPE = "application/geo+json"


class GeoJSONResponse(JSONResponse):
    media_type = MEDIA_TYPE


def oriented(geometry: BaseGeometry | dict[str, Any] | None) -> dict[str, Any] | None:
    """A geometry as a GeoJSON dict with RFC 7946 ring orientation.

    >>> cw = {"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]]}
    >>> ring = oriented(cw)["coordinates"][0]
    >>> shapely.LinearRing(ring).is_ccw
    True
    """
    if geometry is None:
        return None
    shape = geometry if isinstance(geometry, BaseGeometry) else shapely.geometry.shape(geometry)
    if shape.geom_type in ("Polygon", "MultiPolygon", "GeometryCollection"):
        shape = shapely.orient_polygons(shape)
    return shapely.geometry.mapping(shape)  # type: ignore[return-value]


def fir_geojson(state: Any, icao: str) -> dict[str, Any]:
    """A FIR's boundary, oriented once per process (the map asks for every FIR every 3 s)."""
    cache: dict[str, dict[str, Any]] | None = getattr(state, "fir_geojson", None)
    if cache is None:
        cache = state.fir_geojson = {}
    hit = cache.get(icao)
    if hit is None:
        hit = cache[icao] = oriented(state.airspaces.get(icao).geometry) or {}
    return hit
