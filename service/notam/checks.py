"""Self-checks on every geometry read from a NOTAM: valid, near the Q-line circle, complete.

A polygon that fails a check is kept (it is the best reading there is) and the
failure is named in ``problems``, so a wrong area is never silent.  The checks
are cheap and independent of how the area was read.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from service.notam.coordinates import Coordinate
from service.notam.problems import Problem, ProblemCode
from service.notam.shapes import GEOD, KM_PER_NM

# the Q-line centre is rounded to whole minutes and the radius up to whole NM
QLINE_SLACK_FRACTION = 0.10
QLINE_SLACK_NM = 2.0


def valid(geometry: BaseGeometry) -> tuple[BaseGeometry, list[Problem]]:
    """A valid version of ``geometry`` and, when it had to be repaired, why.

    >>> bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    >>> fixed, problems = valid(bowtie)
    >>> fixed.is_valid, [p.code.value for p in problems]
    (True, ['geometry.invalid'])
    """
    if shapely.is_valid(geometry):
        return geometry, []
    reason = shapely.is_valid_reason(geometry)
    return shapely.make_valid(geometry), [
        Problem(ProblemCode.GEOMETRY_INVALID, f"area as written is not valid ({reason}); repaired")
    ]


def all_used(coords: list[Coordinate], used: set[int]) -> list[Problem]:
    """Every written position must be a vertex, a centre or a point of the area."""
    unused = [c for c in coords if c.start not in used]
    if not unused:
        return []
    listed = ", ".join(f"{c.lat:.4f},{c.lon:.4f}" for c in unused[:5])
    return [
        Problem(
            ProblemCode.GEOMETRY_UNUSED,
            f"{len(unused)} of {len(coords)} written positions not in the area (lat,lon {listed})",
        )
    ]


def near_qline(geometry: BaseGeometry, qline: tuple[float, float, float] | None) -> list[Problem]:
    """Every vertex within the Q-line circle, with slack for its rounding (999 NM: no check).

    >>> square = shapely.Polygon([(-67, 10), (-66.9, 10), (-66.9, 10.1), (-67, 10.1)])
    >>> near_qline(square, (-66.95, 10.05, 5.0))
    []
    >>> [p.code.value for p in near_qline(square, (-60.0, 10.05, 5.0))]
    ['geometry.outside_qline']
    """
    if qline is None or geometry.is_empty:
        return []
    lon, lat, radius_nm = qline
    if radius_nm >= 999:
        return []
    xy = shapely.get_coordinates(geometry)
    _, _, metres = GEOD.inv(np.full(len(xy), lon), np.full(len(xy), lat), xy[:, 0], xy[:, 1])
    farthest_nm = float(np.max(metres)) / 1000.0 / KM_PER_NM
    limit_nm = radius_nm * (1 + QLINE_SLACK_FRACTION) + QLINE_SLACK_NM
    if farthest_nm <= limit_nm:
        return []
    return [
        Problem(
            ProblemCode.GEOMETRY_OUTSIDE_QLINE,
            f"area reaches {farthest_nm:.0f} NM from the Q-line centre (radius {radius_nm:.0f} NM)",
        )
    ]
