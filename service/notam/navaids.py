"""Positions given from a radio navaid: ``045 DEG 25NM FROM VOR ABC``, ``ABC R045 D25``.

NOTAMs often place a vertex or a centre by bearing and distance from a VOR, DME, NDB or
TACAN instead of by coordinates.  The navaid's own position comes from the text when it
is written there (``ABC VOR (103600N0665900W)``), else from the bundled OurAirports
navaid list (``seeds/world/navaids.csv``, public domain, a 2022 snapshot: not an AIP).

Bearings: a radial (``R045``, ``RADIAL 045``, ``ABC045025``) is magnetic, as VOR radials
are; ``045 DEG MAG``/``045M`` is magnetic and ``045 DEG TRUE``/``045T`` true.  A bare
``045 DEG`` is read as magnetic (the convention for bearings from a navaid), and when the
station's variation would move the position by more than 1 km the assumption is named in
``problems``.  Magnetic bearings are turned true with the station's declination (slaved
variation when the list gives it, else the magnetic variation at the site).

An ident shared by several navaids (``MIQ`` is a VOR in Venezuela and an NDB in Germany)
is narrowed by the kind written in the text, then by distance to the NOTAM's Q-line
centre (or FIR); what stays ambiguous or unknown becomes a problem, never a guess.
"""

from __future__ import annotations

import csv
import functools
import math
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from service.notam.coordinates import Coordinate
from service.notam.problems import Problem, ProblemCode
from service.notam.shapes import GEOD, KM_PER_NM

NAVAIDS_CSV = Path(__file__).resolve().parents[2] / "seeds" / "world" / "navaids.csv"
# a second navaid of the same ident this much farther than the nearest is not a rival
AMBIGUOUS_RATIO = 3.0
# the nearest navaid of an ident must lie this close to the NOTAM's reference point
MAX_DISTANCE_KM = 1500.0

_KIND = r"D?VOR\s?[/-]?\s?DME|VORDME|VORTAC|D?VOR|TACAN|NDB\s?[/-]?\s?DME|NDB|DME"
_IDENT = r"[A-Z]{2,3}"
_NAVAID = (
    rf"(?:THE\s+)?(?:(?P<k1>{_KIND})\s+['\"]?(?P<i1>{_IDENT})['\"]?"
    rf"|(?P<i2>{_IDENT})\s+(?P<k2>{_KIND}))(?![A-Z\d])"
)
_NUM = r"\d+(?:\.\d+)?"
_BEARING = r"(?P<brg>\d{3})(?:\s?°|\s?DEG(?:REES?)?\b|(?=[MT]\b))?\s*(?P<ref>MAG\b|TRUE\b|M\b|T\b)?"
# "045 DEG 25NM FROM VOR ABC", "045DEG/25NM FM ABC VOR", "045 DEG MAG 25 NM OF THE ABC VOR"
BEARING_FROM = re.compile(
    rf"(?<![\d.]){_BEARING}\s*[/,]?\s*(?P<dist>{_NUM})\s?(?P<unit>NM|KM)\s+"
    rf"(?:FROM|FM|OF)\s+{_NAVAID}"
)
# "25NM 045 DEG FROM ABC VOR"
DISTANCE_BEARING_FROM = re.compile(
    rf"(?<![\d.])(?P<dist>{_NUM})\s?(?P<unit>NM|KM)\s*[/,]?\s*{_BEARING}\s+(?:FROM|FM|OF)\s+"
    rf"{_NAVAID}"
)
# "CCA R045 D25", "CCA VOR R045/D25NM", "ABC VOR/DME RADIAL 045 DME 25", "ABC R-045/25NM",
# "ABC VOR/DME 045 DEGREE RADIAL AT 10NM"
RADIAL = re.compile(
    rf"(?<![A-Z\d])(?:(?P<k1>{_KIND})\s+(?P<i1>{_IDENT})|(?P<i2>{_IDENT})(?:\s+(?P<k2>{_KIND}))?)"
    r"\s*[,/]?\s*(?:(?:R|RDL|RADIAL)\s?-?\s?(?P<brg>\d{3})|(?P<brg2>\d{3})\s?(?:DEG(?:REES?)?\s+)?"
    r"(?:RADIAL|RDL))"
    rf"\s*(?:[/,]\s*|\s+)(?:(?:AT|DME|D)\s?)?(?P<dist>{_NUM})\s?(?P<unit>NM|KM)?(?![A-Z\d])"
)
# FAA fix-radial-distance: "ORL045010" (ident, radial, distance in NM)
FRD = re.compile(r"(?<![A-Z\d])(?P<i2>[A-Z]{3})(?P<brg>\d{3})(?P<dist>\d{3})(?![A-Z\d])")
# a navaid alone as a centre or vertex: "CENTRED ON THE ABC VOR", "RADIUS OF VOR ABC"
ALONE = re.compile(rf"(?<![A-Z\d]){_NAVAID}")
# ...and only where the text uses it as one: "CENTRED ON", "RADIUS OF", "5NM OF", a vertex
# list ("- ABC VOR -", "TO ABC VOR"); "CALL CTL ABM ZFR VOR" names a navaid, not an area
ALONE_BEFORE = re.compile(
    r"(?:\b(?:CENTRED|CENTERED|CENTRE|CENTER|CTR|AROUND|RADIUS|RDS|CIRCLE)\s*(?:ON|AT|OF)?"
    r"|\d\s?(?:NM|KM)\s+(?:OF|FROM|FM|AROUND)|\bRADIUS\s+\d+(?:\.\d+)?\s?(?:NM|KM)\s+(?:OF|ON)?"
    r"|-|\bTO|\bWI|\bBY|:)\s*(?:PSN\s+)?$"
)
ALONE_AFTER = re.compile(r"^\s*(?:-|TO\b)")
NOT_IDENTS = frozenset(
    [
        "THE",
        "AND",
        "OF",
        "FROM",
        "FM",
        "TO",
        "AT",
        "ON",
        "BY",
        "IN",
        "ITS",
        "NEW",
        "OLD",
        "ALL",
        "ANY",
        "FOR",
        "WITH",
        "WI",
        "NOT",
        "OUT",
        "ARE",
        "IS",
        "BE",
        "VOR",
        "NDB",
        "DME",
        "RWY",
        "TWY",
        "APN",
        "ACFT",
    ]
)


@dataclass(frozen=True, slots=True)
class Navaid:
    ident: str
    name: str
    kind: str  # VOR, VOR-DME, VORTAC, TACAN, DME, NDB, NDB-DME
    lon: float
    lat: float
    country: str
    variation_deg: float | None  # east positive; the station's declination when known


class NavaidIndex:
    """Navaids by ident (several per ident)."""

    def __init__(self, navaids: list[Navaid]):
        self.by_ident: dict[str, list[Navaid]] = {}
        for n in navaids:
            self.by_ident.setdefault(n.ident, []).append(n)

    @classmethod
    def from_csv(cls, path: Path) -> NavaidIndex:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = csv.DictReader(line for line in handle if not line.startswith("#"))
            return cls([_row(r) for r in rows])

    def __contains__(self, ident: str) -> bool:
        return ident in self.by_ident


def _row(r: dict[str, str]) -> Navaid:
    variation = float(r["variation_deg"]) if r["variation_deg"] else None
    lon, lat = float(r["lon"]), float(r["lat"])
    return Navaid(r["ident"], r["name"], r["type"], lon, lat, r["country"], variation)


_LOCK = threading.Lock()


@functools.cache
def _bundled() -> NavaidIndex:
    return NavaidIndex.from_csv(NAVAIDS_CSV)


def bundled_navaids() -> NavaidIndex:
    """The bundled list, read on first use (11,000 rows, ~50 ms) and kept."""
    with _LOCK:
        return _bundled()


def _family(kind: str | None) -> set[str] | None:
    """Data kinds a written kind may stand for (a VOR/DME is found under "VOR DME" too)."""
    if not kind:
        return None
    k = re.sub(r"[\s/-]", "", kind)
    k = k[1:] if k.startswith("DVOR") else k
    return {
        "VOR": {"VOR", "VOR-DME", "VORTAC", "TACAN"},
        "VORDME": {"VOR-DME", "VORTAC", "VOR"},
        "VORTAC": {"VORTAC", "VOR-DME"},
        "TACAN": {"TACAN", "VORTAC"},
        "NDB": {"NDB", "NDB-DME"},
        "NDBDME": {"NDB-DME", "NDB"},
        "DME": {"DME", "VOR-DME", "VORTAC", "NDB-DME", "TACAN"},
    }.get(k)


@dataclass(slots=True)
class Reference:
    """Where positions are measured from: the text's own navaid positions, the list, a point."""

    index: NavaidIndex | None
    near: tuple[float, float] | None  # Q-line centre or FIR point (lon, lat)
    given: dict[str, tuple[float, float]]  # ident → position written in the text
    states: frozenset[str] = frozenset()  # countries the NOTAM is known to be about (US FDC)


def _distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2] / 1000.0


def resolve(
    ident: str, kind: str | None, ref: Reference
) -> tuple[tuple[float, float] | None, float | None, list[Problem]]:
    """(lon, lat), variation and problems for a navaid ident as written."""
    if ident in ref.given:
        return ref.given[ident], None, []
    candidates = ref.index.by_ident.get(ident, []) if ref.index is not None else []
    family = _family(kind)
    if family is not None:
        candidates = [n for n in candidates if n.kind in family]
    if ref.states and any(n.country in ref.states for n in candidates):
        candidates = [n for n in candidates if n.country in ref.states]
    what = f"{ident} {kind}" if kind else ident
    if not candidates:
        return (
            None,
            None,
            [
                Problem(
                    ProblemCode.NAVAID_UNKNOWN,
                    f"navaid {what} not in the bundled navaid list and not positioned in the text",
                )
            ],
        )
    if ref.near is None:
        if len({(round(n.lon, 2), round(n.lat, 2)) for n in candidates}) > 1:
            return (
                None,
                None,
                [
                    Problem(
                        ProblemCode.NAVAID_AMBIGUOUS,
                        f"navaid {what}: {len(candidates)} navaids of that ident and no Q-line "
                        "to choose by",
                    )
                ],
            )
        best = candidates[0]
    else:
        ranked = sorted(candidates, key=lambda n: _distance_km(ref.near, (n.lon, n.lat)))
        best = ranked[0]
        d0 = _distance_km(ref.near, (best.lon, best.lat))
        if d0 > MAX_DISTANCE_KM:
            return (
                None,
                None,
                [
                    Problem(
                        ProblemCode.NAVAID_UNKNOWN,
                        f"navaid {what}: the nearest of that ident ({best.name}, {best.country}) "
                        f"is {d0:.0f} km from the NOTAM's position",
                    )
                ],
            )
        if len(ranked) > 1:
            d1 = _distance_km(ref.near, (ranked[1].lon, ranked[1].lat))
            if (
                d1 < AMBIGUOUS_RATIO * max(d0, 50.0)
                and _distance_km((best.lon, best.lat), (ranked[1].lon, ranked[1].lat)) > 1.0
            ):
                return (
                    None,
                    None,
                    [
                        Problem(
                            ProblemCode.NAVAID_AMBIGUOUS,
                            f"navaid {what}: {best.name} ({d0:.0f} km) and {ranked[1].name} "
                            f"({d1:.0f} km) both fit",
                        )
                    ],
                )
    return (best.lon, best.lat), best.variation_deg, []


@dataclass(slots=True)
class Found:
    start: int
    end: int
    position: tuple[float, float] | None
    problems: list[Problem]


def _from(
    m: re.Match[str], ref: Reference, radial: bool
) -> tuple[tuple[float, float] | None, list[Problem]]:
    """The position a bearing/distance match gives."""
    groups = m.groupdict()
    ident = groups.get("i1") or groups["i2"]
    kind = groups.get("k1") or groups.get("k2")
    # a radial is a VOR's (or TACAN's): without a kind written, the DME or NDB of the
    # same ident next to it is not the station meant
    station, variation, problems = resolve(ident, kind or ("VOR" if radial else None), ref)
    if station is None and radial and not kind:
        station, variation, problems = resolve(ident, None, ref)
    if station is None:
        return None, problems
    bearing = float(groups.get("brg") or groups["brg2"])
    unit = groups.get("unit") or "NM"
    distance_km = float(m["dist"]) * (KM_PER_NM if unit == "NM" else 1.0)
    stated = (groups.get("ref") or "").strip()
    magnetic = radial or stated not in ("TRUE", "T")
    if magnetic:
        if ident in ref.given and variation is None and ref.index is not None:
            # a position from the text, the station's declination from the list when it is there
            near = [
                n
                for n in ref.index.by_ident.get(ident, [])
                if _distance_km(station, (n.lon, n.lat)) < 5.0
            ]
            variation = near[0].variation_deg if near else None
        shift_km = 2 * distance_km * math.sin(math.radians(abs(variation or 0.0)) / 2)
        if variation is None:
            if distance_km > 0:
                problems.append(
                    Problem(
                        ProblemCode.NAVAID_VARIATION,
                        f"{ident}: magnetic variation unknown, bearing {bearing:03.0f} taken as true",
                    )
                )
        else:
            if not stated and not radial and shift_km > 1.0:
                problems.append(
                    Problem(
                        ProblemCode.NAVAID_BEARING,
                        f"{ident} bearing {bearing:03.0f} not stated magnetic or true: read as "
                        f"magnetic (variation {variation:+.1f} deg); as true it would be "
                        f"{shift_km:.1f} km away",
                    )
                )
            bearing += variation
    if distance_km == 0:
        return station, problems
    lon, lat, _ = GEOD.fwd(station[0], station[1], bearing % 360.0, distance_km * 1000.0)
    return (round(float(lon), 6), round(float(lat), 6)), problems


def _given_positions(
    text: str, coords: list[Coordinate]
) -> tuple[dict[str, tuple[float, float]], set[int], list[tuple[int, int]]]:
    """Navaids positioned in the text: ``ABC VOR (103600N0665900W)`` or ``VOR ABC 1036N06659W``.

    Returns ident → position, the start offsets of the coordinates so consumed, and the
    spans to hide from the shape readers (the coordinate and its brackets).
    """
    given: dict[str, tuple[float, float]] = {}
    consumed: set[int] = set()
    spans: list[tuple[int, int]] = []
    by_start = {c.start: c for c in coords}
    for m in _matches(ALONE, text):
        ident = m["i1"] or m["i2"]
        after = re.match(r"\s*(\(\s*)?", text[m.end() :])
        at = m.end() + (after.end() if after else 0)
        c = by_start.get(at)
        if c is None:
            continue
        close = re.match(r"\s*\)", text[c.end :])
        end = c.end + (close.end() if close else 0)
        if not (after and after.group(1)) and close is None and not m["k1"] and not m["k2"]:
            continue
        given[ident] = (c.lon, c.lat)
        consumed.add(c.start)
        spans.append((m.end(), end))
    return given, consumed, spans


def _matches(pattern: re.Pattern[str], text: str):
    """Matches of ``pattern`` whose ident is not a common word; after such a word the
    search restarts one character on (``ON VOR ABC`` must still find ``VOR ABC``)."""
    pos = 0
    while (m := pattern.search(text, pos)) is not None:
        groups = m.groupdict()
        if (groups.get("i1") or groups.get("i2")) in NOT_IDENTS:
            pos = m.start() + 1
            continue
        yield m
        pos = m.end()


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(a < span[1] and span[0] < b for a, b in spans)


def navaid_positions(
    text: str,
    coords: list[Coordinate],
    index: NavaidIndex | None,
    near: tuple[float, float] | None,
    states: frozenset[str] = frozenset(),
) -> tuple[str, list[Coordinate], list[Problem]]:
    """Positions given from navaids, merged into ``coords``, and the text with them hidden.

    Each navaid phrase becomes one :class:`Coordinate` spanning the phrase, so polygons,
    circles, arcs and corridors use it like a written coordinate; the phrase (and a
    navaid position written in brackets) is masked with ``~`` so that no other reader
    takes its numbers for a radius or a width.

    >>> from service.notam.coordinates import coordinates
    >>> index = NavaidIndex([Navaid("ABC", "Alpha", "VOR-DME", -66.0, 10.0, "VE", -10.0)])
    >>> text = "WI 10NM RADIUS OF ABC R090 D20"
    >>> masked, found, problems = navaid_positions(text, [], index, (-66.0, 10.0))
    >>> masked, [(round(c.lon, 3), round(c.lat, 3)) for c in found], problems
    ('WI 10NM RADIUS OF ~~~~~~~~~~~~', [(-65.667, 10.058)], [])
    """
    given, consumed, hidden = _given_positions(text, coords)
    ref = Reference(index, near, given, states)
    found: list[Found] = []
    taken: list[tuple[int, int]] = []
    for pattern, radial in (
        (RADIAL, True),
        (FRD, True),
        (BEARING_FROM, False),
        (DISTANCE_BEARING_FROM, False),
    ):
        for m in _matches(pattern, text):
            ident = m.groupdict().get("i1") or m["i2"]
            if _overlaps(m.span(), taken):
                continue
            if pattern is FRD and ident not in given and (index is None or ident not in index):
                continue  # nine characters that merely look like a fix-radial-distance
            # a bearing form's own "NM" and bearing words belong to it; "RADIAL" forms say so
            position, problems = _from(m, ref, radial or "RADIAL" in m.group(0))
            found.append(Found(m.start(), m.end(), position, problems))
            taken.append(m.span())
    for m in _matches(ALONE, text):
        ident = m["i1"] or m["i2"]
        if _overlaps(m.span(), taken):
            continue
        used = ALONE_BEFORE.search(text[max(0, m.start() - 40) : m.start()]) or ALONE_AFTER.match(
            text[m.end() :]
        )
        if not used:
            continue
        position, _, problems = resolve(ident, m["k1"] or m["k2"], ref)
        found.append(Found(m.start(), m.end(), position, problems))
        taken.append(m.span())
    if not found:
        return text, coords, []
    chars = list(text)
    for a, b in [(f.start, f.end) for f in found] + hidden:
        chars[a:b] = "~" * (b - a)
    kept = [c for c in coords if c.start not in consumed and not _overlaps((c.start, c.end), taken)]
    made = [Coordinate(f.position[0], f.position[1], f.start, f.end) for f in found if f.position]
    problems = [p for f in found for p in f.problems]
    return "".join(chars), sorted(kept + made, key=lambda c: c.start), problems
