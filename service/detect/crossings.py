"""Airspaces crossed between two consecutive reports of the same aircraft.

At a 5-minute poll an aircraft covers 70 km: a small restricted area (or the corner of a
FIR) can be entered and left between two reports, and no sampled position is inside it.
The path between the two reports is estimated from them: a straight segment when they fly
the same track, and two legs meeting where their reported tracks cross when the aircraft
turned in between (at a 15-minute poll the chord of a turn around a FIR's corner is 200 km
long and cuts the corner the flight went around).  Entries are also found where that path
crosses an airspace.  All paths of a snapshot are tested at once per airspace
(bounding-box mask, then shapely 2's vectorized ``intersects`` against the prepared
geometry).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry


def segments_crossing(
    geometries: Sequence[BaseGeometry],
    lon0: np.ndarray,
    lat0: np.ndarray,
    lon1: np.ndarray,
    lat1: np.ndarray,
    judge: np.ndarray,
    turns: np.ndarray | None = None,
) -> np.ndarray:
    """Boolean matrix ``[airspace, segment]``: True where path (0 → 1) meets the airspace.

    Only segments where ``judge`` is True are tested (the others are False).  ``turns``
    (``[segment, 2]`` lon/lat, NaN where none) bends a path at the turn point between
    its two reports.

    >>> import shapely
    >>> area = shapely.box(0.0, 0.0, 1.0, 1.0)
    >>> segments_crossing([area], np.array([-1.0, -1.0]), np.array([0.5, 2.0]),
    ...                   np.array([2.0, 2.0]), np.array([0.5, 2.0]), np.array([True, True]))
    array([[ True, False]])
    """
    out = np.zeros((len(geometries), len(lon0)), dtype=bool)
    if not judge.any():
        return out
    if turns is None:
        turns = np.full((len(lon0), 2), np.nan)
    bent = ~np.isnan(turns[:, 0])
    mid_lon = np.where(bent, turns[:, 0], lon0)  # a straight path repeats its first point
    mid_lat = np.where(bent, turns[:, 1], lat0)
    xmin = np.minimum(np.minimum(lon0, lon1), mid_lon)
    xmax = np.maximum(np.maximum(lon0, lon1), mid_lon)
    ymin = np.minimum(np.minimum(lat0, lat1), mid_lat)
    ymax = np.maximum(np.maximum(lat0, lat1), mid_lat)
    for k, geometry in enumerate(geometries):
        shapely.prepare(geometry)
        x0, y0, x1, y1 = shapely.bounds(geometry)
        near = judge & (xmax >= x0) & (xmin <= x1) & (ymax >= y0) & (ymin <= y1)
        if not near.any():
            continue
        idx = np.flatnonzero(near)
        coords = np.stack(
            [
                np.stack([lon0[idx], lat0[idx]], axis=1),
                np.stack([mid_lon[idx], mid_lat[idx]], axis=1),
                np.stack([lon1[idx], lat1[idx]], axis=1),
            ],
            axis=1,
        )
        out[k, idx] = shapely.intersects(geometry, shapely.linestrings(coords))
    return out


def entry_point(
    geometry: BaseGeometry,
    lon0: float,
    lat0: float,
    lon1: float,
    lat1: float,
    turn: tuple[float, float] | None = None,
) -> tuple[float, float, float]:
    """Where the path first enters the airspace: (lon, lat, fraction of the way).

    >>> import shapely
    >>> entry_point(shapely.box(0.0, 0.0, 1.0, 1.0), -1.0, 0.5, 2.0, 0.5)
    (0.0, 0.5, 0.3333333333333333)
    """
    middle = [turn] if turn is not None else []
    segment = shapely.LineString([(lon0, lat0), *middle, (lon1, lat1)])
    inside = shapely.intersection(geometry, segment)
    start = shapely.Point(lon0, lat0)
    parts = getattr(inside, "geoms", [inside])
    coords = [c for part in parts for c in shapely.get_coordinates(part).tolist()]
    if not coords:
        return lon0, lat0, 0.0
    first = min(coords, key=lambda c: shapely.distance(start, shapely.Point(c)))
    fraction = segment.project(shapely.Point(first), normalized=True)
    return float(first[0]), float(first[1]), float(fraction)
