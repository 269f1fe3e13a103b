"""NOTAM text → :class:`Notam`: ICAO format, US domestic/FDC, and US international plain text.

Table-driven and forgiving: each field is read on its own, and what cannot be
read is listed in ``problems`` while the rest is kept, because a NOTAM with a
bad date still carries a warning a dispatcher must see.  Existing Python
parsers were considered: PyNotam (slavak/PyNotam, a parsimonious grammar, ICAO
only, "tested on Python 3.5") knows neither the US domestic/FDC one-liners nor
the FAA plain text, and ``aviconv-notam`` is announced but not yet released;
hence this small table-driven parser.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from service.domain import Notam
from service.geo.airspaces import AirspaceRegistry
from service.notam.countries import bundled_countries
from service.notam.geometry import GeometryReading, limits_to_band, qline_circle, read_geometry
from service.notam.problems import Problem as P
from service.notam.problems import ProblemCode as C
from service.notam.problems import codes
from service.notam.qcodes import classify

HEADER = re.compile(
    r"^\(?\s*(?P<series>[A-Z])(?P<num>\d{4})/(?P<yy>\d{2})\s+NOTAM(?P<kind>[NRC])"
    r"(?:\s+(?P<ref>[A-Z]\d{4}/\d{2}))?"
)
ITEM = re.compile(r"(?:^|(?<=\s))(?P<key>[A-GQ])\)\s?")
DOMESTIC = re.compile(
    r"^!(?P<acct>[A-Z0-9]{3,4})\s+(?P<num>\d{1,2}/\d{1,4})\s+(?P<loc>[A-Z0-9]{2,5})\s+(?P<body>.*?)"
    r"\s*(?P<start>\d{10})-(?P<end>\d{10}|PERM)(?P<est>EST)?\s*$",
    re.DOTALL,
)
US_INTL = re.compile(r"^(?P<acct>[A-Z]{4})\s+(?P<series>[A-Z])(?P<num>\d{4})/(?P<yy>\d{2})\b")
# a US domestic/FDC NOTAM's navaids are in the US or its territories
US_STATES = frozenset({"US", "PR", "VI", "GU", "AS", "MP", "UM"})
MONTHS = {
    m: i
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}
PLAIN_TIME = re.compile(
    r"(?P<d>\d{1,2})\s+(?P<m>[A-Z]{3})\s+(?P<t>\d{2}:?\d{2})\s+UTC(?:\s+(?P<y>\d{4}))?"
)
PLAIN_LIMITS = re.compile(
    r"\b(?P<lower>SFC|GND|FL\d{3}|\d+FT)\s*-\s*(?P<upper>UNL|FL\d{3}|\d+FT)\b"
)


def notam_time(text: str, year_hint: int | None = None) -> datetime:
    """``YYMMDDhhmm`` (UTC) → aware datetime.

    The century is the one nearest ``year_hint`` (e.g. the year the text was
    fetched) when given, else 1970–2069.

    >>> notam_time("2511211743").isoformat()
    '2025-11-21T17:43:00+00:00'
    >>> notam_time("9104030730").year, notam_time("9104030730", year_hint=2085).year
    (1991, 2091)
    """
    if not re.fullmatch(r"\d{10}", text):
        raise ValueError(f"not YYMMDDhhmm: {text!r}")
    yy = int(text[:2])
    if year_hint is None:
        year = 2000 + yy if yy < 70 else 1900 + yy
    else:
        year = min(
            (c + yy for c in range(year_hint // 100 * 100 - 100, year_hint + 101, 100)),
            key=lambda y: abs(y - year_hint),
        )
    return datetime(
        year, int(text[2:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), tzinfo=UTC
    )


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("…", "...").replace("\r", "")
    return text.strip()


def _fallback_id(text: str) -> str:
    return "TXT_" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _fir_reference(text: str, airspaces: AirspaceRegistry | None) -> str | None:
    """The FIR a text names: ``(SVZM)``, ``SVZM FIR`` or its name (``MAIQUETIA ... REGION``)."""
    if airspaces is None:
        return None
    return airspaces.named_in(text.upper())


class BoundaryLookup:
    """FIR code, FIR name or state name → outline, for boundary legs; notes what it approximated.

    A state's outline is the union of its FIRs (:mod:`service.notam.countries`); each time
    one is used, :attr:`notes` gets the ``geometry.country_by_firs`` problem to report.
    """

    def __init__(self, airspaces: AirspaceRegistry | None):
        self.airspaces = airspaces
        self.notes: list[P] = []

    def __call__(self, name: str | None):
        if not name:
            return None
        key = name.strip().upper()
        airspaces = self.airspaces
        if airspaces is not None:
            if key in airspaces:
                return airspaces.get(key).geometry
            for airspace in airspaces:
                plain = unicodedata.normalize("NFKD", airspace.name).encode("ascii", "ignore")
                if plain.decode().upper() == key:
                    return airspace.geometry
            codes = [w for w in re.findall(r"\b[A-Z]{4}\b", key) if w in airspaces]
            if codes:
                return airspaces.get(codes[0]).geometry
        countries = bundled_countries()
        written = countries.named_in(key)
        area = countries.area(written) if written else None
        if area is None:
            return None
        if area.problem() not in self.notes:
            self.notes.append(area.problem())
        return area.geometry


def fir_lookup(airspaces: AirspaceRegistry | None) -> BoundaryLookup:
    """A function: FIR code or name (``SVZM``, ``MAIQUETIA``) or state → its outline, or None."""
    return BoundaryLookup(airspaces)


def _geometry(
    text: str,
    qline: tuple[float, float, float] | None,
    fir: str | None,
    whole_fir: bool,
    airspaces: AirspaceRegistry | None,
    navaid_states: frozenset[str] = frozenset(),
) -> GeometryReading:
    fir_geometry = None
    if fir and airspaces is not None and fir in airspaces:
        fir_geometry = airspaces.get(fir).geometry
    # a state named as the area ("WITHIN VENEZUELA") when no FIR is named
    country = None if whole_fir else bundled_countries().named_as_area(text.upper())
    lookup = fir_lookup(airspaces)
    reading = read_geometry(
        text,
        qline=qline,
        fir_geometry=fir_geometry,
        whole_fir=whole_fir,
        fir_lookup=lookup,
        country=country,
        navaid_states=navaid_states,
    )
    if "boundary" in reading.how:
        reading.problems += [n for n in lookup.notes if n not in reading.problems]
    return reading


def area_dicts(reading: GeometryReading) -> tuple[dict[str, Any], ...]:
    return tuple({"label": label, "kind": kind, "geometry": g} for label, g, kind in reading.areas)


def parse_icao(
    text: str,
    *,
    airspaces: AirspaceRegistry | None = None,
    notam_id: str | None = None,
    year_hint: int | None = None,
) -> Notam:
    """An ICAO-format NOTAM (header, Q-line, items A–G)."""
    raw = text
    text = _clean(text)
    problems: list[P] = []
    header = HEADER.match(text)
    number, kind, ref = "", "N", None
    if header:
        number = f"{header['series']}{header['num']}/{header['yy']}"
        kind, ref = header["kind"], header["ref"]
    else:
        problems.append(P(C.HEADER, "no NOTAM header (e.g. 'A1234/25 NOTAMN')"))
    if text.startswith("(") and not text.endswith(")"):
        problems.append(P(C.TRUNCATED, "text looks truncated (no closing parenthesis)"))
    items: dict[str, str] = {}
    matches = list(ITEM.finditer(text))
    order = "QABCDEFG"
    last = -1
    accepted = []
    for m in matches:
        position = order.index(m["key"])
        if position > last:
            accepted.append(m)
            last = position
    for i, m in enumerate(accepted):
        end = accepted[i + 1].start() if i + 1 < len(accepted) else len(text)
        items[m["key"]] = text[m.end() : end].strip()
    if items.get("G", items.get("F", items.get("E", ""))).endswith(")"):
        key = "G" if "G" in items else ("F" if "F" in items else "E")
        items[key] = items[key][:-1].rstrip()
    if (
        "E" in items
        and items["E"].endswith(")")
        and not items["E"].count("(") >= items["E"].count(")")
    ):
        items["E"] = items["E"][:-1]

    fir = qcode = traffic = purpose = scope = None
    qline = None
    lower_fl = upper_fl = None
    if "Q" in items:
        parts = [p.strip() for p in items["Q"].split("\n")[0].split("/")]
        parts += [""] * (8 - len(parts))
        fir, qcode, traffic, purpose, scope = (p or None for p in parts[:5])
        lower_fl, upper_fl = parts[5] or None, parts[6] or None
        if parts[7]:
            try:
                qline = qline_circle(parts[7])
            except ValueError as exc:
                problems.append(P(C.QLINE, f"Q-line position: {exc}"))
            if qline is None and C.QLINE not in codes(problems):
                problems.append(P(C.QLINE, f"Q-line position not understood: {parts[7]!r}"))
        if qcode and not re.fullmatch(r"Q[A-Z]{4}", qcode):
            problems.append(P(C.QCODE, f"Q-code not understood: {qcode!r}"))
    else:
        problems.append(P(C.ITEM_MISSING, "no Q-line"))

    valid_from = valid_to = None
    estimated = permanent = False
    if "B" in items:
        try:
            valid_from = notam_time(items["B"].split()[0], year_hint)
        except (ValueError, IndexError) as exc:
            problems.append(P(C.TIME, f"item B: {exc}"))
    elif kind != "C":
        problems.append(P(C.START_MISSING, "no item B (start of validity)"))
    if "C" in items:
        c = items["C"].replace(" ", "")
        if c.startswith("PERM"):
            permanent = True
        else:
            estimated = c.endswith("EST")
            try:
                valid_to = notam_time(c.removesuffix("EST"), year_hint)
            except ValueError as exc:
                problems.append(P(C.TIME, f"item C: {exc}"))
    if valid_from and valid_to and valid_to < valid_from:
        problems.append(P(C.TIME_ORDER, "item C is before item B"))
    locations = tuple(re.findall(r"\b[A-Z]{4}\b", items.get("A", "")))
    if "A" not in items:
        problems.append(P(C.ITEM_MISSING, "no item A (location)"))
    body = items.get("E", "")
    if not body:
        problems.append(P(C.ITEM_MISSING, "no item E (text)"))
    lower = items.get("F") or (None if lower_fl is None else f"FL{lower_fl}")
    upper = items.get("G") or (None if upper_fl is None else f"FL{upper_fl}")
    if upper == "FL999":
        upper = "UNL"
    if lower == "FL000":
        lower = "SFC"
    band, limit_problems = limits_to_band(lower, upper)
    problems += limit_problems
    named_fir = _fir_reference(body, airspaces)
    fir_code = named_fir or (fir if fir and not fir.endswith("XX") else None)
    reading = _geometry(body, qline, fir_code, named_fir is not None, airspaces)
    problems += reading.problems
    classification, reason = classify(qcode, body)
    return Notam(
        id=notam_id or number or _fallback_id(text),
        number=number,
        raw_text=raw,
        kind=kind,
        ref=ref,
        fir=fir_code or fir,
        locations=locations,
        qcode=qcode,
        traffic=traffic,
        purpose=purpose,
        scope=scope,
        valid_from=valid_from,
        valid_to=valid_to,
        valid_to_estimated=estimated,
        permanent=permanent,
        schedule=items.get("D"),
        text=body,
        lower=lower,
        upper=upper,
        band=band,
        classification=classification,
        classification_reason=reason,
        geometry=reading.geometry,
        areas=area_dicts(reading),
        problems=tuple(problems),
    )


def parse_faa_text(
    text: str,
    *,
    airspaces: AirspaceRegistry | None = None,
    notam_id: str | None = None,
    year_hint: int | None = None,
) -> Notam:
    """US domestic / FDC one-liner: ``!FDC 5/9106 ZJX ... 2511250429-2604302200EST``."""
    raw = text
    text = " ".join(_clean(text).split())
    m = DOMESTIC.match(text)
    if not m:
        return _unparsed(raw, notam_id, P(C.FORMAT, "US domestic format not recognised"), airspaces)
    problems: list[P] = []
    valid_from = valid_to = None
    try:
        valid_from = notam_time(m["start"], year_hint)
    except ValueError as exc:
        problems.append(P(C.TIME, f"start: {exc}"))
    permanent = m["end"] == "PERM"
    if not permanent:
        try:
            valid_to = notam_time(m["end"], year_hint)
        except ValueError as exc:
            problems.append(P(C.TIME, f"end: {exc}"))
    body = m["body"]
    fir = _fir_reference(body, airspaces)
    reading = _geometry(body, None, fir, fir is not None, airspaces, US_STATES)
    classification, reason = classify(None, body)
    number = f"{m['acct']} {m['num']}"
    return Notam(
        id=notam_id or number,
        number=number,
        raw_text=raw,
        fir=fir,
        locations=(m["loc"],),
        valid_from=valid_from,
        valid_to=valid_to,
        valid_to_estimated=bool(m["est"]),
        permanent=permanent,
        text=body,
        classification=classification,
        classification_reason=reason,
        geometry=reading.geometry,
        areas=area_dicts(reading),
        source_classification="FDC" if m["acct"] == "FDC" else "DOM",
        problems=tuple(problems + reading.problems),
    )


def _plain_time(m: re.Match[str], year_hint: int | None) -> datetime:
    month = MONTHS.get(m["m"])
    if month is None:
        raise ValueError(f"unknown month {m['m']!r}")
    year = int(m["y"]) if m["y"] else year_hint
    if year is None:
        raise ValueError(f"no year in {m.group(0)!r} and no year hint")
    hhmm = m["t"].replace(":", "")
    return datetime(year, month, int(m["d"]), int(hhmm[:2]), int(hhmm[2:]), tzinfo=UTC)


def parse_us_international(
    text: str,
    *,
    airspaces: AirspaceRegistry | None = None,
    notam_id: str | None = None,
    year_hint: int | None = None,
) -> Notam:
    """US international plain text (``KICZ A0012/25 NOTAM…SECURITY…``), as the FAA publishes it."""
    raw = text
    text = " ".join(line for line in _clean(text).splitlines() if not line.startswith("#"))
    text = " ".join(text.split())
    m = US_INTL.match(text)
    if not m:
        return _unparsed(
            raw, notam_id, P(C.FORMAT, "US international format not recognised"), airspaces
        )
    problems: list[P] = []
    number = f"{m['series']}{m['num']}/{m['yy']}"
    times = list(PLAIN_TIME.finditer(text))
    valid_from = valid_to = issued = None
    created = re.search(r"CREATED:\s*", text)
    try:
        validity = [t for t in times if not created or t.start() < created.start()]
        if len(validity) >= 1:
            valid_from = _plain_time(validity[0], year_hint)
        if len(validity) >= 2:
            valid_to = _plain_time(validity[1], year_hint)
        after = [t for t in times if created and t.start() >= created.end()]
        if after:
            issued = _plain_time(after[0], year_hint)
    except ValueError as exc:
        problems.append(P(C.TIME, f"dates: {exc}"))
    if valid_from is None:
        problems.append(P(C.START_MISSING, "no start of validity found"))
    limits = PLAIN_LIMITS.search(text)
    lower, upper = (limits["lower"], limits["upper"]) if limits else (None, None)
    band, limit_problems = limits_to_band(lower, upper)
    fir = _fir_reference(text, airspaces)
    if fir is None:
        problems.append(P(C.NO_FIR, "no FIR named in the text"))
    reading = _geometry(text, None, fir, fir is not None, airspaces)
    classification, reason = classify(None, text)
    return Notam(
        id=notam_id or number,
        number=number,
        raw_text=raw,
        fir=fir,
        locations=(m["acct"],),
        valid_from=valid_from,
        valid_to=valid_to,
        text=text,
        lower=lower,
        upper=upper,
        band=band,
        classification=classification,
        classification_reason=reason,
        geometry=reading.geometry,
        areas=area_dicts(reading),
        source_classification="INTL",
        issued_at=issued,
        problems=tuple(problems + limit_problems + reading.problems),
    )


def _unparsed(
    raw: str, notam_id: str | None, problem: P, airspaces: AirspaceRegistry | None
) -> Notam:
    text = _clean(raw)
    classification, reason = classify(None, text)
    fir = _fir_reference(text, airspaces)
    return Notam(
        id=notam_id or _fallback_id(text),
        number="",
        raw_text=raw,
        fir=fir,
        text=text,
        classification=classification,
        classification_reason=reason,
        problems=(problem,),
    )


def parse_notam(
    text: str,
    *,
    airspaces: AirspaceRegistry | None = None,
    notam_id: str | None = None,
    year_hint: int | None = None,
) -> Notam:
    """Any NOTAM text; never raises.

    >>> n = parse_notam("(A0001/25 NOTAMN\\nQ) SVZM/QRTCA/IV/BO/W/000/999/1036N06659W010\\n"
    ...     "A) SVZM B) 2511211800 C) 2511222359 EST\\nE) TEMPORARY RESTRICTED AREA\\n"
    ...     "F) SFC G) UNL)")
    >>> n.number, n.kind, n.classification.value, n.valid_to_estimated, n.band.ceiling_ft
    ('A0001/25', 'N', 'restricted', True, None)
    >>> parse_notam("").problems
    ('text.empty: empty text',)
    """
    try:
        stripped = _clean(text or "")
        if not stripped:
            return Notam(id=notam_id or _fallback_id(""), number="", raw_text=text or "",
                         problems=(P(C.EMPTY, "empty text"),))  # fmt: skip
        body = "\n".join(line for line in stripped.splitlines() if not line.startswith("#"))
        options: dict[str, Any] = {
            "airspaces": airspaces,
            "notam_id": notam_id,
            "year_hint": year_hint,
        }
        if body.lstrip().startswith("!"):
            return parse_faa_text(body, **options)
        if US_INTL.match(body.lstrip()) and "Q)" not in body:
            return parse_us_international(body, **options)
        if HEADER.match(body.lstrip()) or "Q)" in body or "E)" in body:
            return parse_icao(body, **options)
        return _unparsed(body, notam_id, P(C.FORMAT, "not a recognised NOTAM format"), airspaces)
    except Exception as exc:  # a parser bug must cost one NOTAM's fields, not the ingest
        return Notam(
            id=notam_id or _fallback_id(text or ""),
            number="",
            raw_text=text or "",
            text=text or "",
            problems=(P(C.PARSER_ERROR, f"parser error: {type(exc).__name__}: {exc}"),),
        )
