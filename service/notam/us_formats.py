"""The two US NOTAM texts: domestic/FDC one-liners and the FAA's international plain text.

Neither has a Q-line or items: validity, limits and the FIR are found in the
prose, so what is missing is reported as a problem and the rest is kept.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from service.domain import Notam
from service.geo.airspaces import AirspaceRegistry
from service.notam.geometry import limits_to_band
from service.notam.outlines import fir_named_in, read_body_areas
from service.notam.problems import Problem as P
from service.notam.problems import ProblemCode as C
from service.notam.text_fields import body_fields, clean_text, notam_time, unparsed

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


def parse_faa_text(
    text: str,
    *,
    airspaces: AirspaceRegistry | None = None,
    notam_id: str | None = None,
    year_hint: int | None = None,
) -> Notam:
    """US domestic / FDC one-liner: ``!FDC 5/9106 ZJX ... 2511250429-2604302200EST``."""
    raw = text
    text = " ".join(clean_text(text).split())
    m = DOMESTIC.match(text)
    if not m:
        return unparsed(raw, notam_id, P(C.FORMAT, "US domestic format not recognised"), airspaces)
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
    fir = fir_named_in(body, airspaces)
    reading = read_body_areas(body, None, fir, fir is not None, airspaces, US_STATES)
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
        **body_fields(None, body, reading),
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


def _plain_validity(
    text: str, year_hint: int | None, problems: list[P]
) -> tuple[datetime | None, datetime | None, datetime | None]:
    """(valid from, valid to, issued): the first two times before ``CREATED:``, the one after."""
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
    return valid_from, valid_to, issued


def parse_us_international(
    text: str,
    *,
    airspaces: AirspaceRegistry | None = None,
    notam_id: str | None = None,
    year_hint: int | None = None,
) -> Notam:
    """US international plain text (``KICZ A0012/25 NOTAM…SECURITY…``), as the FAA publishes it."""
    raw = text
    text = " ".join(line for line in clean_text(text).splitlines() if not line.startswith("#"))
    text = " ".join(text.split())
    m = US_INTL.match(text)
    if not m:
        return unparsed(
            raw, notam_id, P(C.FORMAT, "US international format not recognised"), airspaces
        )
    problems: list[P] = []
    number = f"{m['series']}{m['num']}/{m['yy']}"
    valid_from, valid_to, issued = _plain_validity(text, year_hint, problems)
    limits = PLAIN_LIMITS.search(text)
    lower, upper = (limits["lower"], limits["upper"]) if limits else (None, None)
    band, limit_problems = limits_to_band(lower, upper)
    fir = fir_named_in(text, airspaces)
    if fir is None:
        problems.append(P(C.NO_FIR, "no FIR named in the text"))
    reading = read_body_areas(text, None, fir, fir is not None, airspaces)
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
        **body_fields(None, text, reading),
        source_classification="INTL",
        issued_at=issued,
        problems=tuple(problems + limit_problems + reading.problems),
    )
