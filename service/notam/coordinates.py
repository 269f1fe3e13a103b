"""Coordinate tokens in NOTAM text → positions (lon, lat), with every token accounted for.

A latitude token and a longitude token are read separately and then paired, so
that every written form reads the same way: ``391327N1002500E``,
``391327N 1002500E``, ``391327N-1002500E``, ``N3913E10025``,
``N391327.5 E1002500.5``, ``3913.5N 10025.5E`` (decimal minutes),
``39 13 27N 100 25 00E``, ``39°13'27"N 100°25'00"E`` and decimal degrees
(``39.2242N 100.4167E``, ``N39.2242 E100.4167``).  A token left without its
partner is reported (``coordinate.unpaired``), never silently dropped: it is
usually a coordinate broken by a line break or a typo.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from service.notam.problems import Problem, ProblemCode

_DEG = r"\d{1,3}\s?°\s?(?:\d{1,2}(?:\.\d+)?\s?['′]\s?(?:\d{1,2}(?:\.\d+)?\s?(?:\"|″|'')\s?)?)?"
_LAT_NUM = (
    r"\d{2}\s\d{2}(?:\s\d{2}(?:\.\d+)?)?(?=\s?[NS])"  # 39 13 27N
    r"|\d{4}(?:\d{2})?(?:\.\d+)?"  # 3913, 391327, 3913.5, 391327.5
    r"|\d{1,2}\.\d+\s?°?"  # decimal degrees
    rf"|{_DEG}"
)
_LON_NUM = (
    r"\d{3}\s\d{2}(?:\s\d{2}(?:\.\d+)?)?(?=\s?[EW])"
    r"|\d{5}(?:\d{2})?(?:\.\d+)?"
    r"|\d{1,3}\.\d+\s?°?"
    rf"|{_DEG}"
)
# "POINT E 1234N..." : a letter after such a word and before a space is a label, not a hemisphere
_NOT_LABEL = r"(?<!POINT .)(?<!PT .)(?<!AREA .)(?<!SECTOR .)(?<!ZONE .)"
TOKEN = re.compile(
    rf"(?<![\d.°'A-DF-VX-Z])(?P<lat>{_LAT_NUM})\s?(?P<ns>[NS])(?![A-DF-VX-Z])"
    rf"|(?<![A-Z.])(?P<ns2>[NS])(?:(?<!\d[NS]){_NOT_LABEL}\s)?(?P<lat2>{_LAT_NUM})(?!\.?\d)"
    rf"|(?<![\d.°'A-MO-RT-Z])(?P<lon>{_LON_NUM})\s?(?P<ew>[EW])(?![A-Z\d])"
    rf"|(?<![A-Z.])(?P<ew2>[EW])(?:(?<!\d[EW]){_NOT_LABEL}\s)?(?P<lon2>{_LON_NUM}|\d{{6}}|\d{{4}})(?!\.?\d)"
)
# digits that look like a coordinate (a hemisphere letter attached, or a long run)
RESIDUE = re.compile(r"(?<![A-Z\d])[NSEW]\d{4,}(?:\.\d+)?|\d{4,}(?:\.\d+)?[NSEW](?![A-Z])|\d{11,}")
# signed decimal degrees, latitude first: "-10.5 -66.9", "10.5,-66.9", "+10.5 -066.90";
# a sign or a comma is required (two bare decimals are too often something else), and a
# unit after the second number makes it a distance, not a longitude
SIGNED_PAIR = re.compile(
    r"(?<![\w.°+-])(?P<lat>[+-]?\d{1,2}\.\d+)°?(?P<sep>\s*,\s*|\s+)(?P<lon>[+-]?\d{1,3}\.\d+)°?"
    r"(?![\w°])(?!\.\d)(?!\s*(?:NM|KM|M|FT|MTR|DEG)\b)"
)
LONE_DECIMAL = re.compile(
    r"(?<![\w.°+-])(?:[+-]?\d{1,3}\.\d+|\.\d+)(?![\w°])(?!\.\d)"
    r"(?!\s*(?:NM|KM|M|FT|MTR|DEG|MHZ|KHZ|%)(?!\w))"
)
# what may stand between the latitude and the longitude of one position
PAIR_GAP = re.compile(r"[\s,/\-]{0,3}")


@dataclass(frozen=True, slots=True)
class Coordinate:
    """One position written in the text: (lon, lat) and where it was written."""

    lon: float
    lat: float
    start: int
    end: int


def _angle(text: str, degree_digits: int) -> float:
    """Digits of one axis → degrees.

    >>> _angle("391327", 2), _angle("3913.5", 2), _angle("10.5", 2), _angle("100 25 00", 3)
    (39.224167, 39.225, 10.5, 100.416667)
    >>> _angle("39°13'27\\"", 2)
    39.224167
    """
    text = text.strip().rstrip("°").strip()
    if "°" in text:
        parts = [p for p in re.split(r"[°'′\"″\s]+", text) if p]
        values = [float(p) for p in parts] + [0.0, 0.0]
        deg, minutes, seconds = values[0], values[1], values[2]
    elif " " in text:
        parts = [float(p) for p in text.split()] + [0.0]
        deg, minutes, seconds = parts[0], parts[1], parts[2]
    else:
        whole, _, fraction = text.partition(".")
        if len(whole) <= degree_digits:
            return round(float(text), 6)
        deg = float(whole[:degree_digits])
        rest = whole[degree_digits:]
        minutes = float(rest[:2])
        seconds = float(rest[2:4]) if len(rest) > 2 else 0.0
        if fraction:
            if len(rest) > 2:
                seconds += float("0." + fraction)
            else:
                minutes += float("0." + fraction)
    if minutes >= 60 or seconds >= 60:
        raise ValueError(f"minutes/seconds out of range in {text!r}")
    return round(deg + minutes / 60.0 + seconds / 3600.0, 6)


@dataclass(frozen=True, slots=True)
class Token:
    axis: str  # "lat" or "lon"
    value: float  # signed degrees
    start: int
    end: int


def tokens(text: str) -> tuple[list[Token], list[Problem]]:
    """Latitude and longitude tokens in text order; out-of-range ones become problems."""
    out: list[Token] = []
    problems: list[Problem] = []
    for m in TOKEN.finditer(text):
        if m["lat"] or m["lat2"]:
            digits, hemisphere, axis, limit = m["lat"] or m["lat2"], m["ns"] or m["ns2"], "lat", 90
            degree_digits = 2
        else:
            digits, hemisphere, axis, limit = m["lon"] or m["lon2"], m["ew"] or m["ew2"], "lon", 180
            whole = digits.strip().split(".")[0]
            # hemisphere-first longitudes are also written with 2 degree digits (E6600)
            degree_digits = 2 if m["lon2"] and len(whole) in (4, 6) else 3
        try:
            value = _angle(digits, degree_digits)
        except ValueError as exc:
            problems.append(Problem(ProblemCode.COORDINATE_RANGE, f"coordinate ignored: {exc}"))
            value = math.nan
        if value > limit:
            problems.append(
                Problem(
                    ProblemCode.COORDINATE_RANGE,
                    f"coordinate ignored: {axis} {value} out of range in {m.group(0)!r}",
                )
            )
            value = math.nan
        # an unreadable token still takes its place, so that its partner is not re-paired
        out.append(Token(axis, -value if hemisphere in "SW" else value, m.start(), m.end()))
    return out, problems


def _signed_pairs(
    text: str, taken: list[tuple[int, int]], problems: list[Problem]
) -> list[Coordinate]:
    """Signed decimal-degree pairs (lat, lon) outside the hemisphere tokens.

    >>> [(c.lon, c.lat) for c in _signed_pairs("WI -10.5 -66.9, 10.5,-66.9 AND 2.5 3.5NM", [], [])]
    [(-66.9, -10.5), (-66.9, 10.5)]
    """
    out: list[Coordinate] = []
    for m in SIGNED_PAIR.finditer(text):
        if any(a < m.end() and m.start() < b for a, b in taken):
            continue
        lat_text, lon_text = m["lat"], m["lon"]
        if "," not in m["sep"] and not (lat_text[0] in "+-" or lon_text[0] in "+-"):
            continue
        lat, lon = float(lat_text), float(lon_text)
        if abs(lat) > 90 or abs(lon) > 180:
            problems.append(
                Problem(
                    ProblemCode.COORDINATE_RANGE,
                    f"coordinate ignored: {m.group(0)!r} is not a latitude, longitude pair",
                )
            )
            taken.append(m.span())  # reported once, not again as a lone decimal
            continue
        out.append(Coordinate(round(lon, 6), round(lat, 6), m.start(), m.end()))
    return out


def _paired(text: str, toks: list[Token], problems: list[Problem]) -> list[Coordinate]:
    """A latitude token followed by a longitude token (only a separator between) is one
    position; a readable token left alone is reported as unpaired."""
    found: list[Coordinate] = []
    i = 0
    while i < len(toks):
        a = toks[i]
        b = toks[i + 1] if i + 1 < len(toks) else None
        if (
            b is not None
            and a.axis == "lat"
            and b.axis == "lon"
            and PAIR_GAP.fullmatch(text[a.end : b.start]) is not None
        ):
            if not (math.isnan(a.value) or math.isnan(b.value)):
                found.append(Coordinate(b.value, a.value, a.start, b.end))
            i += 2
            continue
        if math.isnan(a.value):
            i += 1
            continue
        problems.append(
            Problem(
                ProblemCode.COORDINATE_UNPAIRED,
                f"{a.axis} token {text[a.start : a.end]!r} without its partner",
            )
        )
        i += 1
    return found


def _unread(text: str, taken: list[tuple[int, int]], signed: bool) -> list[Problem]:
    """What looks like part of a position but was not read as one."""
    problems: list[Problem] = []
    # a signed decimal alone, or any lone decimal where positions are signed decimals, is
    # a position that lost its partner (a wrap, a typo)
    for m in LONE_DECIMAL.finditer(text):
        if (signed or m.group(0)[0] in "+-") and not any(
            a < m.end() and m.start() < b for a, b in taken
        ):
            problems.append(
                Problem(
                    ProblemCode.COORDINATE_UNREADABLE,
                    f"{m.group(0)!r} looks like part of a decimal position but has no partner",
                )
            )
    for m in RESIDUE.finditer(text):
        if not any(a < m.end() and m.start() < b for a, b in taken):
            problems.append(
                Problem(
                    ProblemCode.COORDINATE_UNREADABLE,
                    f"{m.group(0)!r} looks like a coordinate but cannot be read as one",
                )
            )
    return problems


def coordinates(text: str) -> tuple[list[Coordinate], list[Problem], int]:
    """Paired positions in text order, problems, and how many tokens were read at all.

    >>> found, problems, _ = coordinates("WI N3913E10025-391400N 1002600E-3915N-10027E BACK")
    >>> [(c.lon, c.lat) for c in found], problems
    ([(100.416667, 39.216667), (100.433333, 39.233333), (100.45, 39.25)], [])
    >>> found, problems, _ = coordinates("WI 3913N10025E 3914N")
    >>> len(found), [p.code.value for p in problems]
    (1, ['coordinate.unpaired'])
    >>> found, problems, _ = coordinates("WI 3913N10025E 3914100026E 3915N10027E")
    >>> len(found), [p.code.value for p in problems]
    (2, ['coordinate.unreadable'])
    """
    toks, problems = tokens(text)
    found = _paired(text, toks, problems)
    taken = [(t.start, t.end) for t in toks]
    signed = _signed_pairs(text, taken, problems)
    if signed:
        found = sorted(found + signed, key=lambda c: c.start)
        taken += [(c.start, c.end) for c in signed]
    problems += _unread(text, taken, bool(signed))
    return found, problems, len(toks)
