"""What every NOTAM format shares: the cleaned text, ``YYMMDDhhmm`` times, a fallback id,
the fields read from the body (classification, areas), and the NOTAM kept when no format fits.

Kept apart from the format readers (:mod:`service.notam.parser` for ICAO,
:mod:`service.notam.us_formats` for the US texts) so each reader is only its format.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from service.domain import Notam
from service.geo.airspaces import AirspaceRegistry
from service.notam.geometry import GeometryReading
from service.notam.outlines import area_dicts, fir_named_in
from service.notam.problems import Problem
from service.notam.qcodes import classify


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


def clean_text(text: str) -> str:
    """NFKC, ASCII ellipsis, no carriage returns, stripped: one spelling for every feed."""
    text = unicodedata.normalize("NFKC", text).replace("…", "...").replace("\r", "")
    return text.strip()


def fallback_id(text: str) -> str:
    """A stable id for a text without a NOTAM number (a hash, so re-reads dedupe)."""
    return "TXT_" + hashlib.sha256(text.encode()).hexdigest()[:16]


def body_fields(qcode: str | None, body: str, reading: GeometryReading) -> dict[str, Any]:
    """The :class:`Notam` fields read from the body: classification and the areas drawn."""
    classification, reason = classify(qcode, body)
    return {
        "classification": classification,
        "classification_reason": reason,
        "geometry": reading.geometry,
        "areas": area_dicts(reading),
    }


def unparsed(
    raw: str, notam_id: str | None, problem: Problem, airspaces: AirspaceRegistry | None
) -> Notam:
    """A text no format fits: kept with its classification and FIR, and the problem saying why."""
    text = clean_text(raw)
    classification, reason = classify(None, text)
    return Notam(
        id=notam_id or fallback_id(text),
        number="",
        raw_text=raw,
        fir=fir_named_in(text, airspaces),
        text=text,
        classification=classification,
        classification_reason=reason,
        problems=(problem,),
    )
