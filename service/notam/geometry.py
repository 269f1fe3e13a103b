"""Coordinates, areas and vertical limits written in NOTAM text → GeoJSON (lon/lat).

Order of preference, most specific first: a polygon written in item E, a circle
written in item E, a whole-FIR reference, a list of positions (obstacles), and
last the Q-line circle (coarse by design: minutes and whole NM).  What cannot be
read becomes a problem string, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import shapely
from pyproj import Geod

from service.domain import AltitudeBand

GEOD = Geod(ellps="WGS84")
KM_PER_NM = 1.852
CIRCLE_POINTS = 64

# DDMM[SS[.ss]]N DDDMM[SS]W, optionally with the hemisphere first (N230636E1162812)
COORD = re.compile(
    r"(?<![A-Z0-9])(?:"
    r"(?P<lat>\d{4}(?:\d{2}(?:\.\d+)?)?)(?P<ns>[NS])\s?"
    r"(?P<lon>\d{5}(?:\d{2}(?:\.\d+)?)?)(?P<ew>[EW])"
    r"|(?P<ns2>[NS])(?P<lat2>\d{4}(?:\d{2}(?:\.\d+)?)?)\s?(?P<ew2>[EW])(?P<lon2>\d{5,7}(?:\.\d+)?)"
    r")(?![A-Z0-9])"
)
# decimal degrees, hemisphere letters after (10.6N 066.98W) or before (N10.6 W066.98)
DECIMAL = re.compile(
    r"(?<![\w.])(?:(?P<lat>\d{1,2}\.\d+)\s?(?P<ns>[NS])[\s,/]*(?P<lon>\d{1,3}\.\d+)\s?(?P<ew>[EW])"
    r"|(?P<ns2>[NS])\s?(?P<lat2>\d{1,2}\.\d+)[\s,/]*(?P<ew2>[EW])\s?(?P<lon2>\d{1,3}\.\d+))"
    r"(?![\w.])"
)
RADIUS = re.compile(
    r"(?P<value>\d+(?:\.\d+)?)\s?(?P<unit>NM|KM|MTR|M)\b\s*(?:RADIUS|RDS|CENTERED|CENTRED)"
    r"|(?:RADIUS|RDS)\s*(?:OF\s*)?(?P<value2>\d+(?:\.\d+)?)\s?(?P<unit2>NM|KM|MTR|M)\b"
)
POLYGON_HINT = re.compile(
    r"BOUNDED BY|AREA\s+(?:WI|WITHIN)|\bWI\b\s+[NS]?\d{4}|\bWITHIN\b\s+[NS]?\d{4}", re.IGNORECASE
)


def _dms(digits: str, degree_digits: int) -> float:
    deg = int(digits[:degree_digits])
    rest = digits[degree_digits:]
    minutes = int(rest[:2]) if len(rest) >= 2 else 0
    seconds = float(rest[2:]) if len(rest) > 2 else 0.0
    if minutes >= 60 or seconds >= 60:
        raise ValueError(f"minutes/seconds out of range in {digits}")
    return deg + minutes / 60.0 + seconds / 3600.0


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
    ValueError: latitude 95.0 out of range in '9500N01000E'
    """
    m = COORD.fullmatch(token.strip().upper())
    if m:
        return _from_match(m, token)
    found, problems = find_coordinates(token)
    if len(found) == 1 and DECIMAL.fullmatch(token.strip().upper()):
        return found[0][0], found[0][1]
    raise ValueError(problems[0] if problems else f"not a coordinate: {token!r}")


def _from_match(m: re.Match[str], token: str) -> tuple[float, float]:
    if m.group("lat"):
        lat_d, ns, lon_d, ew = m.group("lat"), m.group("ns"), m.group("lon"), m.group("ew")
        lon = _dms(lon_d, 3)
    else:
        lat_d, ns, lon_d, ew = m.group("lat2"), m.group("ns2"), m.group("lon2"), m.group("ew2")
        # hemisphere-first longitudes are written with 2 or 3 degree digits
        whole = lon_d.split(".")[0]
        lon = _dms(lon_d, 3 if len(whole) in (5, 7) else 2)
    lat = _dms(lat_d, 2)
    if lat > 90:
        raise ValueError(f"latitude {round(lat, 6)} out of range in {token!r}")
    if lon > 180:
        raise ValueError(f"longitude {round(lon, 6)} out of range in {token!r}")
    lat = round(-lat if ns == "S" else lat, 6)
    lon = round(-lon if ew == "W" else lon, 6)
    return lon, lat


def find_coordinates(text: str) -> tuple[list[tuple[float, float, int]], list[str]]:
    """Every coordinate in ``text`` as (lon, lat, offset), plus problems for unreadable ones.

    Out-of-range positions are reported, not clamped: a typo must not move an area.

    >>> found, problems = find_coordinates("WI 1036N06659W - 9100N06600W - N10.5 W066.5")
    >>> found
    [(-66.983333, 10.6, 3), (-66.5, 10.5, 31)]
    >>> problems
    ["coordinate ignored: latitude 91.0 out of range in '9100N06600W'"]
    """
    found: list[tuple[float, float, int]] = []
    problems: list[str] = []
    for m in COORD.finditer(text.upper()):
        try:
            lon, lat = _from_match(m, m.group(0))
        except ValueError as exc:
            problems.append(f"coordinate ignored: {exc}")
            continue
        found.append((lon, lat, m.start()))
    for m in DECIMAL.finditer(text.upper()):
        lat_s, ns = m.group("lat") or m.group("lat2"), m.group("ns") or m.group("ns2")
        lon_s, ew = m.group("lon") or m.group("lon2"), m.group("ew") or m.group("ew2")
        lat, lon = float(lat_s), float(lon_s)
        if lat > 90 or lon > 180:
            problems.append(f"coordinate ignored: {m.group(0)!r} out of range")
            continue
        found.append((-lon if ew == "W" else lon, -lat if ns == "S" else lat, m.start()))
    found.sort(key=lambda c: c[2])
    return found, problems


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


def _radius_km(value: str, unit: str) -> float:
    v = float(value)
    return {"NM": v * KM_PER_NM, "KM": v, "MTR": v / 1000.0, "M": v / 1000.0}[unit]


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


def geometry_from_text(
    text: str,
    *,
    qline: tuple[float, float, float] | None = None,
    fir_geometry: Any = None,
    whole_fir: bool = False,
) -> tuple[dict[str, Any] | None, list[str], str]:
    """(GeoJSON or None, problems, how it was found)."""
    upper = text.upper()
    coords, problems = find_coordinates(upper)
    closed_ring = len(coords) >= 4 and coords[0][:2] == coords[-1][:2]
    if len(coords) >= 3 and (POLYGON_HINT.search(upper) or closed_ring):
        ring = [(lon, lat) for lon, lat, _ in coords]
        if ring[0] != ring[-1]:
            ring.append(ring[0])
        polygon = shapely.Polygon(ring)
        if not polygon.is_valid:
            polygon = shapely.make_valid(polygon)
        return shapely.geometry.mapping(polygon), problems, "polygon in text"
    radius = RADIUS.search(upper)
    if radius and coords:
        value = radius.group("value") or radius.group("value2")
        unit = radius.group("unit") or radius.group("unit2")
        # the centre is the coordinate written nearest to the radius phrase
        lon, lat, _ = min(coords, key=lambda c: abs(c[2] - radius.start()))
        shape = circle(lon, lat, _radius_km(value, unit))
        return shapely.geometry.mapping(shape), problems, "circle in text"
    if whole_fir and fir_geometry is not None:
        return shapely.geometry.mapping(fir_geometry), problems, "whole FIR"
    if coords:
        points = shapely.MultiPoint([(lon, lat) for lon, lat, _ in coords])
        if len(coords) == 1:
            points = shapely.Point(coords[0][0], coords[0][1])
        return shapely.geometry.mapping(points), problems, "positions in text"
    if qline is not None:
        lon, lat, radius_nm = qline
        if radius_nm >= 999 and fir_geometry is not None:
            return shapely.geometry.mapping(fir_geometry), problems, "whole FIR (Q-line 999)"
        if radius_nm < 999:
            shape = circle(lon, lat, max(radius_nm, 1.0) * KM_PER_NM)
            return shapely.geometry.mapping(shape), problems, "Q-line circle"
    return None, problems, "none"


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


def limits_to_band(lower: str | None, upper: str | None) -> tuple[AltitudeBand, list[str]]:
    problems = []
    floor, ok_floor = limit_ft(lower) if lower else (0.0, True)
    ceiling, ok_ceiling = limit_ft(upper) if upper else (None, True)
    if not ok_floor:
        problems.append(f"lower limit not understood: {lower!r}")
        floor = 0.0
    if not ok_ceiling:
        problems.append(f"upper limit not understood: {upper!r}")
        ceiling = None
    try:
        return AltitudeBand(floor or 0.0, ceiling), problems
    except ValueError as exc:
        return AltitudeBand(), [*problems, str(exc)]
