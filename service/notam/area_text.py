"""What one area's text says besides its positions: radii, arcs, boundary legs, widths, and
the words that tell an area from a line or a list of points.

The patterns are read by the shape builders (:mod:`service.notam.area_reading`,
:mod:`service.notam.polygons`); units become km here, once.
"""

from __future__ import annotations

import re

from service.notam.shapes import KM_PER_NM

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
