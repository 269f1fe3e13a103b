"""Distances and great circles on the WGS84 ellipsoid (pyproj ``Geod``).

Everything takes and returns lon/lat degrees and kilometres; callers convert to
NM with :func:`service.domain.km_to_nm` for display.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from pyproj import Geod
from shapely import LineString

_GEOD = Geod(ellps="WGS84")


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Ellipsoidal distance between two points in km.

    >>> round(distance_km(-70.0152, 12.5014, -68.9598, 12.1889), 1)  # TNCA-TNCC
    119.9
    """
    _, _, metres = _GEOD.inv(lon1, lat1, lon2, lat2)
    return float(metres) / 1000.0


def distances_km(lons1, lats1, lons2, lats2) -> np.ndarray:
    """Vectorized :func:`distance_km` over arrays."""
    _, _, metres = _GEOD.inv(
        np.asarray(lons1, dtype=float),
        np.asarray(lats1, dtype=float),
        np.asarray(lons2, dtype=float),
        np.asarray(lats2, dtype=float),
    )
    return np.asarray(metres) / 1000.0


def segment_lengths_m(
    lons1: Sequence[float], lats1: Sequence[float], lons2: Sequence[float], lats2: Sequence[float]
) -> list[float]:
    """Geodesic length of each segment in metres, in one vectorised call (what
    ``Geod.line_length`` sums, segment by segment).

    >>> round(segment_lengths_m([0.0], [0.0], [1.0], [0.0])[0])  # one degree on the equator
    111319
    """
    _, _, metres = _GEOD.inv(
        np.array(lons1, dtype=float),
        np.array(lats1, dtype=float),
        np.array(lons2, dtype=float),
        np.array(lats2, dtype=float),
    )
    return np.asarray(metres).tolist()


def path_length_km(lons: Sequence[float], lats: Sequence[float]) -> float:
    """Length of a polyline of lon/lat vertices along geodesic segments, in km.

    >>> path_length_km([0.0, 1.0, 2.0], [0.0, 0.0, 0.0]) == 2 * distance_km(0, 0, 1, 0)
    True
    """
    if len(lons) < 2:
        return 0.0
    return float(_GEOD.line_length(list(lons), list(lats))) / 1000.0


def great_circle_points(
    lon1: float, lat1: float, lon2: float, lat2: float, step_km: float = 25.0
) -> list[tuple[float, float]]:
    """Points along the geodesic from 1 to 2, endpoints included, about ``step_km`` apart.

    >>> pts = great_circle_points(0.0, 0.0, 10.0, 0.0, step_km=200)
    >>> pts[0], pts[-1], len(pts)
    ((0.0, 0.0), (10.0, 0.0), 6)
    """
    total = distance_km(lon1, lat1, lon2, lat2)
    inner = max(int(total // step_km), 1) - 1
    middle = _GEOD.npts(lon1, lat1, lon2, lat2, inner) if inner > 0 else []
    return [(lon1, lat1), *((float(x), float(y)) for x, y in middle), (lon2, lat2)]


@lru_cache(maxsize=4096)
def great_circle_line(lon1: float, lat1: float, lon2: float, lat2: float) -> LineString:
    """Densified great circle as a shapely LineString (cached: routes repeat)."""
    return LineString(great_circle_points(lon1, lat1, lon2, lat2))


def interpolate(
    lon1: float, lat1: float, lon2: float, lat2: float, fraction: float
) -> tuple[float, float]:
    """The point ``fraction`` of the way along the geodesic from 1 to 2.

    >>> interpolate(0.0, 0.0, 10.0, 0.0, 0.5)
    (5.0, 0.0)
    """
    if fraction <= 0:
        return lon1, lat1
    if fraction >= 1:
        return lon2, lat2
    azimuth, _, metres = _GEOD.inv(lon1, lat1, lon2, lat2)
    lon, lat, _ = _GEOD.fwd(lon1, lat1, azimuth, metres * fraction)
    return round(float(lon), 9), round(float(lat), 9)


def bearing_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Initial true bearing from 1 to 2 in degrees [0, 360).

    >>> round(bearing_deg(0.0, 0.0, 0.0, 1.0))
    0
    """
    azimuth, _, _ = _GEOD.inv(lon1, lat1, lon2, lat2)
    return float(azimuth) % 360.0


def geodesic_circle(lon: float, lat: float, radius_km: float, vertices: int = 64):
    """The points within ``radius_km`` of (lon, lat) on the ellipsoid, as a lon/lat polygon.

    Coverage circles (an ADS-B point query's radius) must hold the same ground distance at any
    latitude; scaling a degree circle by cos(latitude) drifts away from that toward the poles.

    >>> c = geodesic_circle(-66.9, 10.6, 250.0)
    >>> lon, lat = c.exterior.coords[0]
    >>> round(distance_km(-66.9, 10.6, lon, lat), 3)
    250.0
    """
    from shapely import Polygon

    azimuths = np.linspace(0.0, 360.0, vertices, endpoint=False)
    lons, lats, _ = _GEOD.fwd(
        np.full(vertices, lon),
        np.full(vertices, lat),
        azimuths,
        np.full(vertices, radius_km * 1000.0),
    )
    ring = list(zip(np.asarray(lons), np.asarray(lats), strict=True))
    return Polygon(ring[::-1])  # azimuths turn clockwise: reversed, the ring is counter-clockwise
