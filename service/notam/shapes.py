"""Geodesic shapes a NOTAM area is made of: circles, arcs, corridors, paths along a boundary,
and the :class:`Area` record every builder returns.

Distances are geodesic on WGS84 (pyproj ``Geod``); a corridor is buffered in a
local azimuthal equidistant projection, so its width is true in km.  Which shape
a text describes is decided in :mod:`service.notam.area_reading`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from service.notam.problems import Problem

GEOD = Geod(ellps="WGS84")
KM_PER_NM = 1.852
CIRCLE_POINTS = 64
ARC_STEP_DEG = 3.0

FirLookup = Callable[[str | None], BaseGeometry | None]


def circle(lon: float, lat: float, radius_km: float, n: int = CIRCLE_POINTS) -> shapely.Polygon:
    """A geodesic circle (polygon of ``n`` points) around a centre.

    >>> c = circle(-66.99, 10.6, 10.0)
    >>> round(GEOD.inv(-66.99, 10.6, *c.exterior.coords[0])[2] / 1000, 3)
    10.0
    """
    azimuths = np.linspace(0.0, 360.0, n, endpoint=False)
    lons, lats, _ = GEOD.fwd(
        np.full(n, lon), np.full(n, lat), azimuths, np.full(n, radius_km * 1000.0)
    )
    return shapely.Polygon(zip(lons, lats, strict=True))


def arc_points(
    centre: tuple[float, float],
    start: tuple[float, float],
    end: tuple[float, float],
    clockwise: bool,
) -> tuple[list[tuple[float, float]], float, float]:
    """Points strictly between ``start`` and ``end`` on an arc around ``centre``.

    The radius runs from the start's distance to the end's, so the arc passes
    through both written points even when they are not quite equidistant.
    Returns (points, start radius km, end radius km).

    >>> pts, r0, r1 = arc_points((0.0, 0.0), (0.0, 0.1), (0.1, 0.0), clockwise=True)
    >>> len(pts), round(r0, 2), round(r1, 2)
    (29, 11.06, 11.13)
    """
    az0, _, d0 = GEOD.inv(centre[0], centre[1], start[0], start[1])
    az1, _, d1 = GEOD.inv(centre[0], centre[1], end[0], end[1])
    sweep = (az1 - az0) % 360.0 if clockwise else -((az0 - az1) % 360.0)
    if abs(sweep) < 1e-9:
        sweep = 360.0 if clockwise else -360.0
    steps = max(int(abs(sweep) // ARC_STEP_DEG), 1)
    fractions = np.arange(1, steps) / steps
    if len(fractions) == 0:
        return [], d0 / 1000.0, d1 / 1000.0
    azimuths = az0 + sweep * fractions
    distances = d0 + (d1 - d0) * fractions
    lons, lats, _ = GEOD.fwd(
        np.full(len(fractions), centre[0]), np.full(len(fractions), centre[1]), azimuths, distances
    )
    return list(zip(lons.tolist(), lats.tolist(), strict=True)), d0 / 1000.0, d1 / 1000.0


def _local(lon: float, lat: float) -> tuple[Callable, Callable]:
    """Vectorised (N×2 array → N×2 array) transforms to and from a local equidistant frame.

    A PROJ pipeline, not a CRS-to-CRS transformer: no operation search (30 ms each).
    """
    pipeline = Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=WGS84"
    )

    def to_local(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(pipeline.transform(xy[:, 0], xy[:, 1]))

    def to_lonlat(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(pipeline.transform(xy[:, 0], xy[:, 1], direction="INVERSE"))

    return to_local, to_lonlat


def corridor(line: list[tuple[float, float]], half_width_km: float) -> BaseGeometry:
    """Every point within ``half_width_km`` of the line (a buffer in a local equidistant frame).

    >>> c = corridor([(-66.0, 10.0), (-65.0, 10.0)], 9.26)
    >>> round(c.bounds[1], 3), round(c.bounds[3], 3)
    (9.916, 10.084)
    """
    centre = shapely.LineString(line).centroid
    to_local, to_lonlat = _local(centre.x, centre.y)
    local = shapely.transform(shapely.LineString(line), to_local)
    buffered = local.buffer(half_width_km * 1000.0, quad_segs=16)
    return shapely.transform(buffered, to_lonlat)


def boundary_paths(
    fir: BaseGeometry, start: tuple[float, float], end: tuple[float, float]
) -> list[list[tuple[float, float]]]:
    """The two ways along a FIR's boundary from near ``start`` to near ``end`` (interior points)."""
    polygons = list(getattr(fir, "geoms", [fir]))
    point = shapely.Point(start)
    polygon = min(polygons, key=lambda p: p.exterior.distance(point))
    ring = shapely.LineString(polygon.exterior.coords)
    a = ring.project(shapely.Point(start))
    b = ring.project(shapely.Point(end))
    length = ring.length
    if a <= b:
        forward = substring(ring, a, b)
        backward = shapely.LineString(
            list(substring(ring, a, 0).coords) + list(substring(ring, length, b).coords)
        )
    else:
        forward = shapely.LineString(
            list(substring(ring, a, length).coords) + list(substring(ring, 0, b).coords)
        )
        backward = substring(ring, a, b)
    return [list(forward.coords)[1:-1], list(backward.coords)[1:-1]]


class AreaKind(StrEnum):
    """How an area was read; the value is what ``Notam.areas`` and the API show."""

    POLYGON = "polygon"
    POLYGON_WITH_ARC = "polygon with arc"
    ALONG_BOUNDARY = "polygon along boundary"
    CIRCLE = "circle"
    CORRIDOR = "corridor"
    POSITIONS = "positions"
    WHOLE_FIR = "whole FIR"
    WHOLE_COUNTRY = "whole country"
    QLINE_FIR = "FIR"
    QLINE_CIRCLE = "Q-line"


@dataclass(slots=True)
class Area:
    """One area of a NOTAM: its shape, how it was read, and what it used."""

    geometry: BaseGeometry | None
    kind: AreaKind
    used: set[int] = field(default_factory=set)  # start offsets of the coordinates used
    problems: list[Problem] = field(default_factory=list)
    label: str | None = None
