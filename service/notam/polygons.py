"""A ring of written vertices, where an arc or a boundary leg may join two of them.

Arcs pass through both written ends (the radius runs from one end's distance to
the other's); a boundary leg can go either way round an outline, and the way that
keeps the area inside the FIR named (outside a state it borders) is taken.
"""

from __future__ import annotations

import re

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from service.notam.area_text import ARC, BOUNDARY, RADIUS, boundary_name, stated_radius_km
from service.notam.coordinates import Coordinate
from service.notam.problems import Problem, ProblemCode
from service.notam.shapes import (
    GEOD,
    KM_PER_NM,
    Area,
    AreaKind,
    FirLookup,
    arc_points,
    boundary_paths,
)


def _after(coords: list[Coordinate], offset: int) -> list[Coordinate]:
    return [c for c in coords if c.start >= offset]


ArcCentre = tuple[bool, Coordinate, float | None]  # clockwise, centre, stated radius km


def _arc_centres(text: str, coords: list[Coordinate]) -> dict[int, ArcCentre]:
    """Each arc's centre (the first position after the arc words), by its offset."""
    centres: dict[int, ArcCentre] = {}
    for m in ARC.finditer(text):
        direction = m["dir"] or m["dir2"]
        clockwise = not direction.startswith(("ANTI", "COUNTER", "CCW"))
        following = _after(coords, m.end())
        if not following:
            continue
        centre = following[0]
        stated = RADIUS.search(text, m.start(), centre.start)
        stated_km = None
        if stated:
            stated_km = stated_radius_km(stated)
        centres[centre.start] = (clockwise, centre, stated_km)
    return centres


def _boundary_legs(text: str, coords: list[Coordinate]) -> tuple[dict[int, str | None], set[int]]:
    """Boundary legs by the offset of the position they lead to → whose boundary; and which
    legs run along a border *with* a state (the area is not in that state)."""
    outside: set[int] = set()
    legs: dict[int, str | None] = {}
    for m in BOUNDARY.finditer(text):
        following = _after(coords, m.end())
        if following:
            legs[following[0].start] = boundary_name(m)
            if m["post"] and re.match(r"\s+WITH\b", m["post"]):
                outside.add(following[0].start)
    return legs, outside


def _arc_mismatch(r0: float, r1: float, stated_km: float | None) -> list[Problem]:
    """A problem when an arc's ends (or its stated radius) differ by more than 1 km."""
    spread = max(abs(r0 - r1), abs(r0 - stated_km) if stated_km else 0.0)
    if spread <= 1.0:
        return []
    return [
        Problem(
            ProblemCode.GEOMETRY_ARC,
            f"arc ends are {r0:.1f} km and {r1:.1f} km from its centre"
            + (f", stated radius {stated_km:.1f} km" if stated_km else ""),
        )
    ]


def polygon_area(
    text: str,
    coords: list[Coordinate],
    fir_lookup: FirLookup,
    qline: tuple[float, float, float] | None = None,
) -> Area:
    """A ring of vertices, where an arc or a boundary leg may join two of them."""
    area = Area(None, AreaKind.POLYGON)
    centres = _arc_centres(text, coords)
    legs, outside = _boundary_legs(text, coords)
    ring: list[tuple[float, float]] = []
    options: list[tuple[int, list[list[tuple[float, float]]]]] = []
    pending_arc: ArcCentre | None = None
    for c in coords:
        if c.start in centres:
            pending_arc = centres[c.start]
            area.used.add(c.start)
            continue
        point = (c.lon, c.lat)
        if pending_arc is not None and ring:
            clockwise, centre, stated_km = pending_arc
            points, r0, r1 = arc_points((centre.lon, centre.lat), ring[-1], point, clockwise)
            ring.extend(points)
            area.problems += _arc_mismatch(r0, r1, stated_km)
            pending_arc = None
        elif c.start in legs and ring:
            fir = fir_lookup(legs[c.start])
            if fir is None:
                area.problems.append(
                    Problem(
                        ProblemCode.GEOMETRY_UNKNOWN_FIR,
                        f"boundary of {legs[c.start] or 'the FIR'} not known; straight leg used",
                    )
                )
            else:
                options.append((len(ring), boundary_paths(fir, ring[-1], point)))
        ring.append(point)
        area.used.add(c.start)
    if pending_arc is not None and ring:  # an arc back to the first vertex
        clockwise, centre, _ = pending_arc
        ring.extend(arc_points((centre.lon, centre.lat), ring[-1], ring[0], clockwise)[0])
    if len(set(ring)) < (2 if options else 3):  # a boundary leg adds its own vertices
        area.problems.append(
            Problem(ProblemCode.GEOMETRY_FEW_VERTICES, f"{len(set(ring))} distinct vertices")
        )
        return area
    area.geometry = _with_boundary_legs(ring, options, fir_lookup, legs, outside, qline)
    if options:
        area.kind = AreaKind.ALONG_BOUNDARY
    elif centres:
        area.kind = AreaKind.POLYGON_WITH_ARC
    return area


def _beyond_qline(polygon: BaseGeometry, qline: tuple[float, float, float] | None) -> bool:
    """Whether a vertex lies beyond the Q-line circle (with the slack the self-check allows)."""
    if qline is None or qline[2] >= 999:
        return False
    xy = shapely.get_coordinates(polygon)
    n = len(xy)
    _, _, metres = GEOD.inv(np.full(n, qline[0]), np.full(n, qline[1]), xy[:, 0], xy[:, 1])
    return float(np.max(metres)) / 1000.0 / KM_PER_NM > qline[2] * 1.1 + 2.0


def _with_boundary_legs(
    ring: list[tuple[float, float]],
    options: list[tuple[int, list[list[tuple[float, float]]]]],
    fir_lookup: FirLookup,
    legs: dict[int, str | None],
    outside: set[int],
    qline: tuple[float, float, float] | None,
) -> BaseGeometry:
    """The ring with each boundary leg taken the way that keeps the area inside the FIR.

    Inside the outline named (``ALONG THE SVZM FIR BOUNDARY``), outside it for a border
    *with* a state (``ALONG THE BORDER WITH COLOMBIA``), and within the Q-line circle when
    one way leaves it; the shorter way breaks ties.
    """
    if not options:
        return shapely.Polygon(ring)
    inner = [g for k, n in legs.items() if k not in outside and (g := fir_lookup(n)) is not None]
    outer = [g for k, n in legs.items() if k in outside and (g := fir_lookup(n)) is not None]
    fir = shapely.union_all(inner) if inner else None
    other = shapely.union_all(outer) if outer else None
    best: tuple[float, BaseGeometry] | None = None
    for choice in range(2 ** len(options)):
        points: list[tuple[float, float]] = []
        last = 0
        for bit, (index, paths) in enumerate(options):
            points.extend(ring[last:index])
            points.extend(paths[(choice >> bit) & 1])
            last = index
        points.extend(ring[last:])
        polygon = shapely.make_valid(shapely.Polygon(points))
        if polygon.is_empty or polygon.area == 0:
            continue
        inside = polygon.intersection(fir).area / polygon.area if fir is not None else 1.0
        if other is not None:
            inside -= polygon.intersection(other).area / polygon.area
        score = inside - 2.0 * _beyond_qline(polygon, qline) - 1e-6 * polygon.length
        if best is None or score > best[0]:
            best = (score, polygon)
    return best[1] if best else shapely.Polygon(ring)
