"""The shapes an item E describes: polygons (with arcs and boundary legs), circles, corridors.

Each builder takes the normalised text of one area and its coordinates, and
returns the shape plus which coordinates it used, so the self-checks
(:mod:`service.notam.checks`) can tell when a written position was left out.
Distances are geodesic on WGS84 (pyproj ``Geod``); a corridor is buffered in a
local azimuthal equidistant projection, so its width is true in km.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from service.notam.coordinates import Coordinate
from service.notam.problems import Problem, ProblemCode

GEOD = Geod(ellps="WGS84")
KM_PER_NM = 1.852
CIRCLE_POINTS = 64
ARC_STEP_DEG = 3.0

FirLookup = Callable[[str | None], BaseGeometry | None]

_NUM = r"\d+(?:\.\d+)?"
_UNIT = r"NM|KM|MTR|M|FT"
RADIUS = re.compile(
    rf"(?:RADIUS|RDS|RAD)\s*(?:OF\s*)?(?P<v1>{_NUM})\s?(?P<u1>{_UNIT})\b"
    rf"|(?P<v2>{_NUM})\s?(?P<u2>{_UNIT})\b\s*(?:RADIUS|RDS|CIRCLE|CENTRED|CENTERED|AROUND)"
    rf"|CIRCLE\s+(?:WITH\s+)?(?:A\s+)?(?:RADIUS\s+)?(?:OF\s+)?(?P<v3>{_NUM})\s?(?P<u3>{_UNIT})\b"
    rf"|(?:WITHIN|WI)\s+(?P<v4>{_NUM})\s?(?P<u4>{_UNIT})\s+(?:OF|FROM|FM|AROUND)\b(?!\s+(?:A|THE)\s+"
    r"(?:LINE|ROUTE|CENTRE ?LINE|AXIS))"
)


def stated_radius_km(m: re.Match[str]) -> float:
    """The radius a :data:`RADIUS` match states, in km.

    >>> stated_radius_km(RADIUS.search("UAS PROHIBITED WITHIN 5NM OF MIQ VOR"))
    9.26
    """
    for k in "1234":
        if m[f"v{k}"]:
            return radius_km(m[f"v{k}"], m[f"u{k}"])
    raise ValueError(f"no radius in {m.group(0)!r}")


ARC = re.compile(
    r"(?P<dir>ANTI\s*-?\s*CLOCKWISE|COUNTER\s*-?\s*CLOCKWISE|CLOCKWISE|CCW|CW)\s+"
    r"(?:BY\s+|ON\s+|ALONG\s+)?(?:AN?\s+|THE\s+)?(?:ARC|ALONG)"
    r"|ARC\s+(?:\S+\s+){0,3}?(?P<dir2>ANTI\s*-?\s*CLOCKWISE|COUNTER\s*-?\s*CLOCKWISE|CLOCKWISE)"
)
# "ALONG THE SVZM FIR BOUNDARY", "ALONG THE BOUNDARY OF MAIQUETIA FIR", "ALONG THE
# VENEZUELA/COLOMBIA BORDER", "ALONG THE BORDER WITH COLOMBIA", "ALONG THE BOUNDARY"
BOUNDARY = re.compile(
    r"ALONG\s+(?:THE\s+)?(?P<pre>(?:[A-Z]+[ /-]+){0,5}?)(?:BOUNDARY|BORDER)(?![A-Z])"
    r"(?P<post>\s+(?:OF|WITH|BETWEEN)\s+(?:THE\s+)?[A-Z][A-Z /-]{2,60}?"
    r"(?=\s*(?:\bTO\b|\bTHEN|\bUNTIL\b|\bUP\b|[-,.;:(]|\d|$)))?"
)
# words that say which kind of boundary, not whose
_GENERIC = re.compile(
    r"\b(?:THE|FIR|UIR|STATE|NATIONAL|INTERNATIONAL|COUNTRY|COMMON|OF|WITH|BETWEEN|AND"
    r"|FLIGHT|INFORMATION|REGION)\b"
)


def boundary_name(m: re.Match[str]) -> str | None:
    """Whose boundary a match names (code, FIR name or states), None for "the FIR" itself.

    >>> [boundary_name(m) for m in BOUNDARY.finditer(
    ...     "ALONG THE SVZM FIR BOUNDARY TO 1000N ALONG THE BOUNDARY OF THE MAIQUETIA FIR TO 1000N "
    ...     "ALONG THE FIR BOUNDARY TO 1 ALONG THE VENEZUELA/COLOMBIA BORDER TO 1")]
    ['SVZM', 'MAIQUETIA', None, 'VENEZUELA/COLOMBIA']
    """
    words = f"{m['pre']} {m['post'] or ''}"
    rest = " ".join(_GENERIC.sub(" ", words).split()).strip(" /-")
    return rest or None


HALF_WIDTH = re.compile(rf"(?P<v>{_NUM})\s?(?P<u>NM|KM)\s+(?:ON\s+)?(?:EITHER|EACH|BOTH)\s+SIDES?")
FULL_WIDTH = re.compile(
    rf"(?:WIDTH|WIDE)\s+(?:OF\s+)?(?P<v1>{_NUM})\s?(?P<u1>NM|KM)"
    rf"|(?P<v2>{_NUM})\s?(?P<u2>NM|KM)\s+(?:WIDE|WIDTH)"
)
LINE_WORDS = re.compile(r"\bLINE\b|\bCORRIDOR\b|\bALONG\b|\bAXIS\b|\bROUTE\b|\bCENTRE ?LINE\b")
CENTRE_WORDS = re.compile(
    r"(?:CENTRED|CENTERED|CENTRE|CENTER|CTR|AROUND)\s*(?:ON|AT)?\s*(?:PSN)?\s*$"
)
AREA_WORDS = re.compile(
    r"\bAREA\b|\bWI\b|\bWITHIN\b|BOUNDED|POLYGON|JOINING|CONNECTING|BACK TO|POINT OF ORIGIN"
    r"|\bSTART\b|\bSECTOR\b|\bZONE\b|LATERAL LIMITS|VERTICES|\bTHEN(?:CE)?\b|\bBOUNDARY\b"
)
POINT_WORDS = re.compile(r"\bOBST|\bCRANE|\bMAST|\bTURBINE|\bANTENNA|\bTOWER|\bLGT\b|\bBUOY")


def radius_km(value: str, unit: str) -> float:
    """A written radius or width in km.

    >>> radius_km("5", "NM"), radius_km("500", "MTR"), radius_km("2", "KM")
    (9.26, 0.5, 2.0)
    """
    v = float(value)
    return {"NM": v * KM_PER_NM, "KM": v, "MTR": v / 1000.0, "M": v / 1000.0, "FT": v * 0.0003048}[
        unit
    ]


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


@dataclass(slots=True)
class Area:
    """One area of a NOTAM: its shape, how it was read, and what it used."""

    geometry: BaseGeometry | None
    kind: str
    used: set[int] = field(default_factory=set)  # start offsets of the coordinates used
    problems: list[Problem] = field(default_factory=list)
    label: str | None = None


def _after(coords: list[Coordinate], offset: int) -> list[Coordinate]:
    return [c for c in coords if c.start >= offset]


def _before(coords: list[Coordinate], offset: int) -> list[Coordinate]:
    return [c for c in coords if c.end <= offset]


def polygon_area(
    text: str,
    coords: list[Coordinate],
    fir_lookup: FirLookup,
    qline: tuple[float, float, float] | None = None,
) -> Area:
    """A ring of vertices, where an arc or a boundary leg may join two of them."""
    area = Area(None, "polygon")
    centres: dict[int, tuple[bool, Coordinate, float | None]] = {}
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
    outside: set[int] = set()  # legs along a border *with* a state: the area is not in it
    legs: dict[int, str | None] = {}  # offset of the coordinate after a boundary leg → FIR text
    for m in BOUNDARY.finditer(text):
        following = _after(coords, m.end())
        if following:
            legs[following[0].start] = boundary_name(m)
            if m["post"] and re.match(r"\s+WITH\b", m["post"]):
                outside.add(following[0].start)

    ring: list[tuple[float, float]] = []
    options: list[tuple[int, list[list[tuple[float, float]]]]] = []
    pending_arc: tuple[bool, Coordinate, float | None] | None = None
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
            spread = max(abs(r0 - r1), abs(r0 - stated_km) if stated_km else 0.0)
            if spread > 1.0:
                area.problems.append(
                    Problem(
                        ProblemCode.GEOMETRY_ARC,
                        f"arc ends are {r0:.1f} km and {r1:.1f} km from its centre"
                        + (f", stated radius {stated_km:.1f} km" if stated_km else ""),
                    )
                )
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
        area.kind = "polygon along boundary"
    elif centres:
        area.kind = "polygon with arc"
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


def circle_area(text: str, coords: list[Coordinate]) -> Area | None:
    """One or several circles: ``RADIUS 5NM CENTRED ON …``, ``A CIRCLE OF 2KM RADIUS …``."""
    radii = list(RADIUS.finditer(text))
    if not radii or not coords:
        return None
    area = Area(None, "circle")
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
    return Area(corridor(line, half_km), "corridor", {c.start for c in coords})


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
    return Area(shape, "positions", {c.start for c in coords})
