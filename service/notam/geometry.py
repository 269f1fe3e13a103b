"""Areas written in NOTAM text → GeoJSON (lon/lat), checked; and vertical limits.

Reading order, most specific first: the areas written in item E (polygons with
arcs and boundary legs, circles, corridors — see :mod:`service.notam.area_reading`),
a whole-FIR reference, positions (obstacles), and last the Q-line circle
(coarse by design: minutes and whole NM).  The text is normalised first
(:mod:`service.notam.normalise`); when the unwrapped and the plain reading
differ, the one that passes more self-checks (:mod:`service.notam.checks`)
wins, and whatever check the chosen reading fails is named in ``problems``.
What cannot be read becomes a problem, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from service.domain import AltitudeBand
from service.notam import checks
from service.notam.area_reading import build_area
from service.notam.coordinates import Coordinate, coordinates
from service.notam.countries import CountryArea
from service.notam.navaids import NavaidIndex, bundled_navaids, navaid_positions
from service.notam.normalise import basic, normalise
from service.notam.problems import Problem, ProblemCode
from service.notam.shapes import CIRCLE_POINTS, GEOD, KM_PER_NM, Area, AreaKind, circle

__all__ = ["CIRCLE_POINTS", "GEOD", "KM_PER_NM", "circle"]

AREA_LABEL = re.compile(
    r"(?:^|(?<=[\s.,;:]))(?P<label>(?:AREA|SECTOR|ZONE|PART|SEGMENT)\s+"
    r"(?:[A-Z]{1,2}\d{0,3}|\d{1,3}|ALPHA|BRAVO|CHARLIE|DELTA|ECHO|FOXTROT))\s*[:.)\-]"
)


def parse_coordinate(token: str) -> tuple[float, float]:
    """One NOTAM coordinate → (lon, lat); ValueError when out of range or unreadable.

    >>> parse_coordinate("302000N0813000W")
    (-81.5, 30.333333)
    >>> parse_coordinate("3005N08115W")
    (-81.25, 30.083333)
    >>> parse_coordinate("N230636E1162812")
    (116.47, 23.11)
    >>> parse_coordinate("10.6N 66.99W")
    (-66.99, 10.6)
    >>> parse_coordinate("9500N01000E")
    Traceback (most recent call last):
    ...
    ValueError: coordinate ignored: lat 95.0 out of range in '9500N'
    """
    text = basic(token).strip()
    found, problems, _ = coordinates(text)
    if len(found) == 1 and not problems and found[0].start == 0 and found[0].end == len(text):
        return found[0].lon, found[0].lat
    raise ValueError(problems[0].message if problems else f"not a coordinate: {token!r}")


def find_coordinates(text: str) -> tuple[list[tuple[float, float, int]], list[Problem]]:
    """Every coordinate in ``text`` as (lon, lat, offset in the normalised text), plus problems.

    Out-of-range positions are reported, not clamped: a typo must not move an area.

    >>> found, problems = find_coordinates("WI 1036N06659W - 9100N06600W - N10.5 W066.5")
    >>> found
    [(-66.983333, 10.6, 3), (-66.5, 10.5, 31)]
    >>> [p.code.value for p in problems]
    ['coordinate.out_of_range']
    """
    found, problems, _ = coordinates(normalise(text))
    return [(c.lon, c.lat, c.start) for c in found], problems


def qline_circle(field: str) -> tuple[float, float, float] | None:
    """Q-line ``DDMMNDDDMMWRRR`` → (lon, lat, radius NM).

    >>> qline_circle("1036N06659W999")
    (-66.983333, 10.6, 999.0)
    """
    m = re.fullmatch(r"(\d{4}[NS]\d{5}[EW])(\d{3})", field.strip().upper())
    if not m:
        return None
    lon, lat = parse_coordinate(m.group(1))
    return lon, lat, float(m.group(2))


@dataclass(slots=True)
class GeometryReading:
    """What item E says about where: the union for storage, and each area for display."""

    geometry: dict[str, Any] | None
    problems: list[Problem]
    how: str
    areas: list[tuple[str | None, dict[str, Any], AreaKind]] = field(default_factory=list)

    def has(self, kind: AreaKind) -> bool:
        """Whether an area of this kind was drawn."""
        return any(k is kind for _, _, k in self.areas)


NUMBERED = re.compile(r"(?:^|(?<=\s))(?P<n>\d{1,2})\.\s")


def _segments(text: str) -> list[tuple[str | None, int, int]]:
    """Where each area's text starts: ``AREA 1:`` labels, else a numbered list ``1. … 2. …``.

    A numbered list counts only as 1, 2, 3… in order (the first such run), so decimals and
    stray numbers do not cut an area; parts without positions are dropped by the caller.

    >>> t = "X 1. A 2. B 3. C 1. D"
    >>> [(lb, t[a:b]) for lb, a, b in _segments(t)]
    [('1', '1. A '), ('2', '2. B '), ('3', '3. C 1. D')]
    """
    labels = [(m["label"], m.start()) for m in AREA_LABEL.finditer(text)]
    if len(labels) < 2:
        labels = []
        for m in NUMBERED.finditer(text):
            if int(m["n"]) == len(labels) + 1:
                labels.append((m["n"], m.start()))
            elif labels and int(m["n"]) == 1:
                break
    if len(labels) < 2:
        return [(None, 0, len(text))]
    ends = [start for _, start in labels[1:]] + [len(text)]
    return [(label, start, end) for (label, start), end in zip(labels, ends, strict=True)]


def _read(
    text: str,
    join_wrapped: bool,
    fir_lookup: Callable[[str | None], BaseGeometry | None],
    navaids: NavaidIndex | None,
    near: tuple[float, float] | None,
    states: frozenset[str],
    qline: tuple[float, float, float] | None,
) -> tuple[list[Area], list[Coordinate], list[Problem]]:
    norm = normalise(text, join_wrapped=join_wrapped)
    coords, problems, _ = coordinates(norm)
    norm, coords, navaid_problems = navaid_positions(norm, coords, navaids, near, states)
    problems += navaid_problems
    areas: list[Area] = []
    for label, start, end in _segments(norm):
        inside = [
            Coordinate(c.lon, c.lat, c.start - start, c.end - start)
            for c in coords
            if start <= c.start < end
        ]
        area = build_area(norm[start:end], inside, fir_lookup, qline)
        if area is None:
            continue
        area.used = {offset + start for offset in area.used}
        area.label = label
        areas.append(area)
    return areas, coords, problems


def _checked(
    areas: list[Area],
    coords: list[Coordinate],
    problems: list[Problem],
    qline: tuple[float, float, float] | None,
) -> list[Problem]:
    out = list(problems)
    used: set[int] = set()
    for area in areas:
        out += area.problems
        used |= area.used
        if area.geometry is not None:
            area.geometry, repaired = checks.valid(area.geometry)
            out += repaired
            out += checks.near_qline(area.geometry, qline)
    out += checks.all_used(coords, used)
    return out


def _mapping(geometry: BaseGeometry) -> dict[str, Any]:
    return shapely.geometry.mapping(geometry)  # type: ignore[return-value]


def _union(areas: list[Area]) -> BaseGeometry:
    shapes = [a.geometry for a in areas if a.geometry is not None]
    if len(shapes) == 1:
        return shapes[0]
    parts: list[BaseGeometry] = []
    for s in shapes:
        parts.extend(getattr(s, "geoms", [s]))
    if all(p.geom_type == "Polygon" for p in parts):
        return shapely.MultiPolygon(parts)
    return shapely.GeometryCollection(parts)


def _best_reading(
    text: str,
    fir_lookup: Callable[[str | None], BaseGeometry | None],
    navaids: NavaidIndex,
    near: tuple[float, float] | None,
    states: frozenset[str],
    qline: tuple[float, float, float] | None,
) -> tuple[list[Area], list[Problem]]:
    """The unwrapped reading, unless the plain one fails fewer self-checks."""
    readings = []
    for join_wrapped in (True, False):
        areas, coords, problems = _read(
            text, join_wrapped, fir_lookup, navaids, near, states, qline
        )
        problems = _checked(areas, coords, problems, qline)
        failed = {p.code for p in problems if p.code is not None}
        readings.append((len(failed), areas, problems))
        if not failed:
            break
    _, areas, problems = min(readings, key=lambda r: r[0])
    return areas, problems


def _undrawn(
    areas: list[Area],
    problems: list[Problem],
    whole_fir: bool,
    fir_geometry: BaseGeometry | None,
    country: CountryArea | None,
    qline: tuple[float, float, float] | None,
) -> GeometryReading:
    """When the text draws no area: the whole FIR, the state named, the positions written,
    else the Q-line (its FIR at 999 NM, its circle otherwise)."""
    if whole_fir and fir_geometry is not None:
        shape = _mapping(fir_geometry)
        return GeometryReading(shape, problems, "whole FIR", [(None, shape, AreaKind.WHOLE_FIR)])
    if country is not None:
        shape = _mapping(country.geometry)
        return GeometryReading(
            shape,
            [*problems, country.problem()],
            "whole country (its FIRs)",
            [(None, shape, AreaKind.WHOLE_COUNTRY)],
        )
    if areas:
        areas_out = [(a.label, _mapping(a.geometry), a.kind) for a in areas if a.geometry]
        if areas_out:
            return GeometryReading(
                _mapping(_union(areas)), problems, "positions in text", areas_out
            )
    if qline is not None:
        lon, lat, radius_nm = qline
        if radius_nm >= 999 and fir_geometry is not None:
            shape = _mapping(fir_geometry)
            return GeometryReading(
                shape, problems, "whole FIR (Q-line 999)", [(None, shape, AreaKind.QLINE_FIR)]
            )
        if radius_nm < 999:
            shape = _mapping(circle(lon, lat, max(radius_nm, 1.0) * KM_PER_NM))
            return GeometryReading(
                shape, problems, "Q-line circle", [(None, shape, AreaKind.QLINE_CIRCLE)]
            )
    return GeometryReading(None, problems, "none")


def read_geometry(
    text: str,
    *,
    qline: tuple[float, float, float] | None = None,
    fir_geometry: BaseGeometry | None = None,
    whole_fir: bool = False,
    fir_lookup: Callable[[str | None], BaseGeometry | None] | None = None,
    country: CountryArea | None = None,
    navaids: NavaidIndex | None = None,
    navaid_states: frozenset[str] = frozenset(),
) -> GeometryReading:
    """Every area item E describes, checked (see the module docstring for the order).

    ``country``: a state the text names as its area, drawn when nothing more specific is
    written.  ``navaids``: where navaid idents are looked up (None: the bundled list);
    ``navaid_states``: countries to prefer among navaids sharing an ident (a US FDC NOTAM).
    """

    def lookup(name: str | None) -> BaseGeometry | None:
        found = fir_lookup(name) if fir_lookup is not None else None
        return found if found is not None or name is not None else fir_geometry

    index = navaids if navaids is not None else bundled_navaids()
    near = None
    if qline is not None:
        near = (qline[0], qline[1])
    elif fir_geometry is not None:
        point = fir_geometry.representative_point()
        near = (point.x, point.y)
    areas, problems = _best_reading(text, lookup, index, near, navaid_states, qline)
    drawn = [a for a in areas if a.geometry is not None and a.kind is not AreaKind.POSITIONS]
    if drawn:
        areas_out = [(a.label, _mapping(a.geometry), a.kind) for a in drawn]
        kinds = sorted({a.kind for a in drawn})
        return GeometryReading(_mapping(_union(drawn)), problems, ", ".join(kinds), areas_out)
    return _undrawn(areas, problems, whole_fir, fir_geometry, country, qline)


def geometry_from_text(
    text: str,
    *,
    qline: tuple[float, float, float] | None = None,
    fir_geometry: Any = None,
    whole_fir: bool = False,
    fir_lookup: Callable[[str | None], BaseGeometry | None] | None = None,
) -> tuple[dict[str, Any] | None, list[Problem], str]:
    """(GeoJSON or None, problems, how it was found) — :func:`read_geometry` in short."""
    r = read_geometry(
        text, qline=qline, fir_geometry=fir_geometry, whole_fir=whole_fir, fir_lookup=fir_lookup
    )
    return r.geometry, r.problems, r.how


def vertices(geometry: dict[str, Any]) -> Iterable[tuple[float, float]]:
    shape = shapely.geometry.shape(geometry)
    return [tuple(c) for c in shapely.get_coordinates(shape)]


LIMIT = re.compile(
    r"^(?:(?P<sfc>SFC|GND)|(?P<unl>UNL)|FL\s?(?P<fl>\d{1,3})"
    r"|(?P<num>[\d ,]+)\s?(?P<unit>FT|M)\b\s*(?P<ref>AMSL|MSL|AGL|SFC)?)"
)


def limit_ft(text: str | None) -> tuple[float | None, bool]:
    """A vertical limit → (feet, readable?). Feet are AMSL, or AGL taken as-is; None = unlimited.

    >>> limit_ft("FL245"), limit_ft("SFC"), limit_ft("UNL"), limit_ft("3000FT AGL")
    ((24500.0, True), (0.0, True), (None, True), (3000.0, True))
    >>> limit_ft("12 200 m (40 000 ft) MSL.")
    (40026.25, True)
    """
    if text is None:
        return None, False
    t = text.strip().upper().rstrip(".")
    m = LIMIT.match(t)
    if not m:
        return None, False
    if m.group("sfc"):
        return 0.0, True
    if m.group("unl"):
        return None, True
    if m.group("fl"):
        return float(m.group("fl")) * 100.0, True
    number = float(m.group("num").replace(" ", "").replace(",", ""))
    return (round(number * 3.28084, 2) if m.group("unit") == "M" else number), True


def limits_to_band(lower: str | None, upper: str | None) -> tuple[AltitudeBand, list[Problem]]:
    problems: list[Problem] = []
    floor, ok_floor = limit_ft(lower) if lower else (0.0, True)
    ceiling, ok_ceiling = limit_ft(upper) if upper else (None, True)
    if not ok_floor:
        problems.append(Problem(ProblemCode.LIMIT, f"lower limit not understood: {lower!r}"))
        floor = 0.0
    if not ok_ceiling:
        problems.append(Problem(ProblemCode.LIMIT, f"upper limit not understood: {upper!r}"))
        ceiling = None
    try:
        return AltitudeBand(floor or 0.0, ceiling), problems
    except ValueError as exc:
        return AltitudeBand(), [*problems, Problem(ProblemCode.LIMIT, str(exc))]
