"""One area's text and positions → the most specific shape it describes.

A corridor or circle when the words say so, a polygon (:mod:`service.notam.polygons`)
when the positions are joined or the text names an area, else the positions
themselves (obstacles).  Each builder returns which coordinates it used, so the
self-checks (:mod:`service.notam.checks`) can tell when a written position was left out.
"""

from __future__ import annotations

import itertools
import re

import shapely

from service.notam.area_text import (
    ARC,
    AREA_WORDS,
    CENTRE_WORDS,
    FULL_WIDTH,
    HALF_WIDTH,
    LINE_WORDS,
    POINT_WORDS,
    RADIUS,
    radius_km,
    stated_radius_km,
)
from service.notam.coordinates import Coordinate
from service.notam.polygons import polygon_area
from service.notam.shapes import Area, AreaKind, FirLookup, circle, corridor


def circle_area(text: str, coords: list[Coordinate]) -> Area | None:
    """One or several circles: ``RADIUS 5NM CENTRED ON …``, ``A CIRCLE OF 2KM RADIUS …``."""
    radii = list(RADIUS.finditer(text))
    if not radii or not coords:
        return None
    area = Area(None, AreaKind.CIRCLE)
    shapes = []
    if len(radii) == len(coords) and len(coords) > 1:
        pairs = list(zip(radii, coords, strict=True))
    else:
        m = radii[0]
        centre_words = [c for c in coords if CENTRE_WORDS.search(text[: c.start])]
        centre = (
            centre_words[0] if centre_words else min(coords, key=lambda c: abs(c.start - m.start()))
        )
        pairs = [(m, centre)]
    for m, c in pairs:
        shapes.append(circle(c.lon, c.lat, stated_radius_km(m)))
        area.used.add(c.start)
    area.geometry = shapes[0] if len(shapes) == 1 else shapely.MultiPolygon(shapes)
    return area


def corridor_area(text: str, coords: list[Coordinate]) -> Area | None:
    """A band along a line: ``5NM EITHER SIDE OF A LINE …``, ``CORRIDOR 10KM WIDE ALONG …``."""
    if len(coords) < 2 or not LINE_WORDS.search(text):
        return None
    half = HALF_WIDTH.search(text)
    if half:
        half_km = radius_km(half["v"], half["u"])
    else:
        full = FULL_WIDTH.search(text)
        if not full:
            return None
        half_km = radius_km(full["v1"] or full["v2"], full["u1"] or full["u2"]) / 2.0
    line = [(c.lon, c.lat) for c in coords]
    return Area(corridor(line, half_km), AreaKind.CORRIDOR, {c.start for c in coords})


def build_area(
    text: str,
    coords: list[Coordinate],
    fir_lookup: FirLookup,
    qline: tuple[float, float, float] | None = None,
) -> Area | None:
    """The most specific reading of one area's text, or None when it describes no area."""
    if not coords:
        return None
    if not ARC.search(text):
        found = corridor_area(text, coords)
        if found is not None:
            return found
        found = circle_area(text, coords)
        if found is not None and (len(coords) <= 2 or len(found.used) == len(coords)):
            return found
    closed = len(coords) >= 4 and (coords[0].lon, coords[0].lat) == (coords[-1].lon, coords[-1].lat)
    joined = all(
        re.fullmatch(r"\s*-\s*", text[a.end : b.start]) for a, b in itertools.pairwise(coords)
    )
    if len(coords) >= 3 and (
        ARC.search(text)
        or closed
        or joined
        or (AREA_WORDS.search(text) and not POINT_WORDS.search(text))
    ):
        return polygon_area(text, coords, fir_lookup, qline)
    points = [(c.lon, c.lat) for c in coords]
    shape = shapely.Point(points[0]) if len(points) == 1 else shapely.MultiPoint(points)
    return Area(shape, AreaKind.POSITIONS, {c.start for c in coords})
