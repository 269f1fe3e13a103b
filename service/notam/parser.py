"""NOTAM text → :class:`Notam`: ICAO format here, the US texts in :mod:`service.notam.us_formats`.

Table-driven and forgiving: each field is read on its own, and what cannot be
read is listed in ``problems`` while the rest is kept, because a NOTAM with a
bad date still carries a warning a dispatcher must see.  Existing Python
parsers were considered: PyNotam (slavak/PyNotam, a parsimonious grammar, ICAO
only, "tested on Python 3.5") knows neither the US domestic/FDC one-liners nor
the FAA plain text, and ``aviconv-notam`` is announced but not yet released;
hence this small table-driven parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.domain import Notam
from service.geo.airspaces import AirspaceRegistry
from service.notam.geometry import limits_to_band, qline_circle
from service.notam.outlines import fir_named_in, read_body_areas
from service.notam.problems import Problem as P
from service.notam.problems import ProblemCode as C
from service.notam.problems import codes
from service.notam.text_fields import body_fields, clean_text, fallback_id, notam_time, unparsed
from service.notam.us_formats import US_INTL, parse_faa_text, parse_us_international

HEADER = re.compile(
    r"^\(?\s*(?P<series>[A-Z])(?P<num>\d{4})/(?P<yy>\d{2})\s+NOTAM(?P<kind>[NRC])"
    r"(?:\s+(?P<ref>[A-Z]\d{4}/\d{2}))?"
)
ITEM = re.compile(r"(?:^|(?<=\s))(?P<key>[A-GQ])\)\s?")
ITEM_ORDER = "QABCDEFG"


def _header(text: str, problems: list[P]) -> tuple[str, str, str | None]:
    """(number, kind N/R/C, the NOTAM it replaces or cancels); a missing header is a problem."""
    header = HEADER.match(text)
    number, kind, ref = "", "N", None
    if header:
        number = f"{header['series']}{header['num']}/{header['yy']}"
        kind, ref = header["kind"], header["ref"]
    else:
        problems.append(P(C.HEADER, "no NOTAM header (e.g. 'A1234/25 NOTAMN')"))
    if text.startswith("(") and not text.endswith(")"):
        problems.append(P(C.TRUNCATED, "text looks truncated (no closing parenthesis)"))
    return number, kind, ref


def _items(text: str) -> dict[str, str]:
    """Items Q and A–G by letter, each only where it comes in order (so an ``E)`` inside the
    text of item E does not start a new item), without the NOTAM's closing parenthesis."""
    items: dict[str, str] = {}
    last = -1
    accepted = []
    for m in ITEM.finditer(text):
        position = ITEM_ORDER.index(m["key"])
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
    return items


@dataclass(slots=True)
class QLine:
    """Item Q's eight fields; the position and radius read as a circle (lon, lat, NM)."""

    fir: str | None = None
    qcode: str | None = None
    traffic: str | None = None
    purpose: str | None = None
    scope: str | None = None
    lower_fl: str | None = None
    upper_fl: str | None = None
    circle: tuple[float, float, float] | None = None


def _qline(item: str, problems: list[P]) -> QLine:
    parts = [p.strip() for p in item.split("\n")[0].split("/")]
    parts += [""] * (8 - len(parts))
    q = QLine(*(p or None for p in parts[:7]))
    if parts[7]:
        try:
            q.circle = qline_circle(parts[7])
        except ValueError as exc:
            problems.append(P(C.QLINE, f"Q-line position: {exc}"))
        if q.circle is None and C.QLINE not in codes(problems):
            problems.append(P(C.QLINE, f"Q-line position not understood: {parts[7]!r}"))
    if q.qcode and not re.fullmatch(r"Q[A-Z]{4}", q.qcode):
        problems.append(P(C.QCODE, f"Q-code not understood: {q.qcode!r}"))
    return q


@dataclass(slots=True)
class Validity:
    """Items B and C: start, end, whether the end is estimated (EST) or there is none (PERM)."""

    valid_from: datetime | None = None
    valid_to: datetime | None = None
    valid_to_estimated: bool = False
    permanent: bool = False


def _validity(
    items: dict[str, str], kind: str, year_hint: int | None, problems: list[P]
) -> Validity:
    v = Validity()
    if "B" in items:
        try:
            v.valid_from = notam_time(items["B"].split()[0], year_hint)
        except (ValueError, IndexError) as exc:
            problems.append(P(C.TIME, f"item B: {exc}"))
    elif kind != "C":  # a cancellation needs no start
        problems.append(P(C.START_MISSING, "no item B (start of validity)"))
    if "C" in items:
        c = items["C"].replace(" ", "")
        if c.startswith("PERM"):
            v.permanent = True
        else:
            v.valid_to_estimated = c.endswith("EST")
            try:
                v.valid_to = notam_time(c.removesuffix("EST"), year_hint)
            except ValueError as exc:
                problems.append(P(C.TIME, f"item C: {exc}"))
    if v.valid_from and v.valid_to and v.valid_to < v.valid_from:
        problems.append(P(C.TIME_ORDER, "item C is before item B"))
    return v


def _limits(items: dict[str, str], q: QLine) -> tuple[str | None, str | None]:
    """Items F and G, else the Q-line's flight levels (FL000 is the surface, FL999 unlimited)."""
    lower = items.get("F") or (None if q.lower_fl is None else f"FL{q.lower_fl}")
    upper = items.get("G") or (None if q.upper_fl is None else f"FL{q.upper_fl}")
    if upper == "FL999":
        upper = "UNL"
    if lower == "FL000":
        lower = "SFC"
    return lower, upper


def parse_icao(
    text: str,
    *,
    airspaces: AirspaceRegistry | None = None,
    notam_id: str | None = None,
    year_hint: int | None = None,
) -> Notam:
    """An ICAO-format NOTAM (header, Q-line, items A–G)."""
    raw = text
    text = clean_text(text)
    problems: list[P] = []
    number, kind, ref = _header(text, problems)
    items = _items(text)
    if "Q" in items:
        q = _qline(items["Q"], problems)
    else:
        q = QLine()
        problems.append(P(C.ITEM_MISSING, "no Q-line"))
    validity = _validity(items, kind, year_hint, problems)
    if "A" not in items:
        problems.append(P(C.ITEM_MISSING, "no item A (location)"))
    body = items.get("E", "")
    if not body:
        problems.append(P(C.ITEM_MISSING, "no item E (text)"))
    lower, upper = _limits(items, q)
    band, limit_problems = limits_to_band(lower, upper)
    problems += limit_problems
    named_fir = fir_named_in(body, airspaces)
    fir_code = named_fir or (q.fir if q.fir and not q.fir.endswith("XX") else None)
    reading = read_body_areas(body, q.circle, fir_code, named_fir is not None, airspaces)
    problems += reading.problems
    return Notam(
        id=notam_id or number or fallback_id(text),
        number=number,
        raw_text=raw,
        kind=kind,
        ref=ref,
        fir=fir_code or q.fir,
        locations=tuple(re.findall(r"\b[A-Z]{4}\b", items.get("A", ""))),
        qcode=q.qcode,
        traffic=q.traffic,
        purpose=q.purpose,
        scope=q.scope,
        valid_from=validity.valid_from,
        valid_to=validity.valid_to,
        valid_to_estimated=validity.valid_to_estimated,
        permanent=validity.permanent,
        schedule=items.get("D"),
        text=body,
        lower=lower,
        upper=upper,
        band=band,
        **body_fields(q.qcode, body, reading),
        problems=tuple(problems),
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
        stripped = clean_text(text or "")
        if not stripped:
            return Notam(
                id=notam_id or fallback_id(""),
                number="",
                raw_text=text or "",
                problems=(P(C.EMPTY, "empty text"),),
            )
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
        return unparsed(body, notam_id, P(C.FORMAT, "not a recognised NOTAM format"), airspaces)
    except Exception as exc:  # a parser bug must cost one NOTAM's fields, not the ingest
        return Notam(
            id=notam_id or fallback_id(text or ""),
            number="",
            raw_text=text or "",
            text=text or "",
            problems=(P(C.PARSER_ERROR, f"parser error: {type(exc).__name__}: {exc}"),),
        )
