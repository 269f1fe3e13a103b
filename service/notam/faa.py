"""FAA NOTAM API item (GeoJSON feature) → :class:`Notam`.

The ICAO translation (``formattedText``) is parsed when present, because it
carries the Q-line and items; the item's own fields (all strings, any of them
possibly missing) fill what the text lacks and give the stable FAA id.  A broken
item still becomes a NOTAM with problems, so nothing the FAA sent is silently
dropped.  The item's ``geometry`` member is ignored: the reference documents it
as absent or empty in practice.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from service.domain import AltitudeBand, Notam, NotamClass, ensure_utc
from service.geo.airspaces import AirspaceRegistry
from service.notam.geometry import GeometryReading, limits_to_band, qline_circle, read_geometry
from service.notam.outlines import area_dicts, fir_lookup
from service.notam.parser import parse_notam
from service.notam.problems import Problem as P
from service.notam.problems import ProblemCode as C
from service.notam.qcodes import classify
from service.notam.us_formats import US_INTL

WHOLE_FIR_SUBJECTS = ("QAF",)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip() or value.strip().upper() == "PERM":
        return None
    try:
        return ensure_utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError:
        return None


def _str(core: dict[str, Any], key: str) -> str | None:
    value = core.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _translation(notam_data: dict[str, Any], kind: str) -> str | None:
    for t in notam_data.get("notamTranslation") or []:
        if isinstance(t, dict) and t.get("type") == kind:
            text = t.get("formattedText") or t.get("simpleText")
            if isinstance(text, str) and text.strip():
                return text
    return None


def _flight_level(value: str | None) -> str | None:
    """``minimumFL``/``maximumFL`` ("000", "999") as limit text.

    >>> _flight_level("000"), _flight_level("180"), _flight_level("999"), _flight_level("x")
    ('SFC', 'FL180', 'UNL', None)
    """
    if value is None or not re.fullmatch(r"\d{1,3}", value):
        return None
    level = f"FL{int(value):03d}"
    return {"FL000": "SFC", "FL999": "UNL"}.get(level, level)


def _item_circle(core: dict[str, Any]) -> tuple[float, float, float] | None:
    coords, radius = _str(core, "coordinates"), _str(core, "radius")
    if not coords or not radius:
        return None
    try:
        return qline_circle(f"{coords}{int(float(radius)):03d}")
    except ValueError:
        return None


def _broken(item: Any, problem: str) -> Notam:
    raw = str(item)[:2000]
    digest = hashlib.sha256(raw.encode()).hexdigest()[:16]
    return Notam(
        id=f"FAA_BAD_{digest}", number="", raw_text=raw, problems=(P(C.FAA_ITEM, problem),)
    )


def notam_from_faa_item(item: dict[str, Any], airspaces: AirspaceRegistry | None) -> Notam:
    """One FAA item; never raises.

    >>> item = {"properties": {"coreNOTAMData": {"notam": {
    ...     "id": "NOTAM_1_1", "number": "A0012/25", "type": "N", "icaoLocation": "KICZ",
    ...     "affectedFIR": "SVZM", "classification": "INTL",
    ...     "effectiveStart": "2025-11-21T17:43:00.000Z",
    ...     "effectiveEnd": "2026-02-19T23:59:00.000Z",
    ...     "issued": "2025-11-21T18:08:00.000Z",
    ...     "text": "SECURITY...ADVISORY FOR POTENTIALLY HAZARDOUS SITUATION IN THE MAIQUETIA"
    ...             " FLIGHT INFORMATION REGION (SVZM)"}}}}
    >>> n = notam_from_faa_item(item, None)
    >>> n.id, n.number, n.fir, n.classification.value, n.valid_from.isoformat()
    ('NOTAM_1_1', 'A0012/25', 'SVZM', 'warning', '2025-11-21T17:43:00+00:00')
    >>> notam_from_faa_item({"properties": None}, None).problems
    ('faa.item: FAA item without properties.coreNOTAMData.notam.id',)
    """
    try:
        data = item["properties"]["coreNOTAMData"]
        core = data["notam"]
        faa_id = str(core["id"])
        if not isinstance(core, dict) or not isinstance(data, dict):
            raise TypeError("not an object")
    except (KeyError, TypeError, IndexError):
        return _broken(item, "FAA item without properties.coreNOTAMData.notam.id")
    try:
        return _from_core(data, core, faa_id, airspaces)
    except Exception as exc:  # one bad item must not stop the poll
        return _broken(item, f"FAA item not readable: {type(exc).__name__}: {exc}")


def _parse_text(
    data: dict[str, Any], core: dict[str, Any], faa_id: str, airspaces: AirspaceRegistry | None
) -> tuple[Notam, str | None]:
    """The item's ICAO (else local) translation parsed, else its bare text given the header
    the plain-text reader expects; returns the NOTAM and the translation used, if any."""
    issued = _time(core.get("issued"))
    year_hint = issued.year if issued else None
    source = _translation(data, "ICAO") or _translation(data, "LOCAL_FORMAT")
    if source:
        notam = parse_notam(source, airspaces=airspaces, notam_id=faa_id, year_hint=year_hint)
        return notam, source
    text = _str(core, "text") or ""
    header = f"{_str(core, 'icaoLocation') or 'ZZZZ'} {_str(core, 'number') or ''} NOTAM "
    if US_INTL.match(text):
        header = ""
    notam = parse_notam(header + text, airspaces=airspaces, notam_id=faa_id, year_hint=year_hint)
    kept = tuple(p for p in notam.problems if P.from_text(p).code is not C.FORMAT)
    return replace(notam, problems=kept), None


def _validity(
    core: dict[str, Any], notam: Notam, problems: list[P]
) -> tuple[datetime | None, datetime | None, bool, list[P]]:
    """(valid from, valid to, permanent, problems): the text's times, else the item's fields."""
    end = _str(core, "effectiveEnd")
    permanent = notam.permanent or (end is not None and end.upper() == "PERM")
    valid_from = notam.valid_from or _time(core.get("effectiveStart"))
    valid_to = notam.valid_to or (None if permanent else _time(end))
    if valid_from is None:
        problems.append(P(C.START_MISSING, "no start of validity (effectiveStart)"))
    elif notam.valid_from is None:  # the item's field filled what the text lacked
        problems = [p for p in problems if p.code is not C.START_MISSING]
    return valid_from, valid_to, permanent, problems


def _limits(
    core: dict[str, Any], notam: Notam, problems: list[P]
) -> tuple[str | None, str | None, AltitudeBand, list[P]]:
    """(lower, upper, band, problems): the text's limits, else the item's fields."""
    lower = notam.lower or _str(core, "lowerLimit") or _flight_level(_str(core, "minimumFL"))
    upper = notam.upper or _str(core, "upperLimit") or _flight_level(_str(core, "maximumFL"))
    band, limit_problems = limits_to_band(lower, upper)
    if (lower, upper) != (notam.lower, notam.upper):
        problems = [p for p in problems if p.code is not C.LIMIT] + limit_problems
    else:
        band = notam.band if not limit_problems else band
    return lower, upper, band, problems


def _item_areas(
    core: dict[str, Any],
    body: str,
    fir: str | None,
    qcode: str | None,
    classification: NotamClass,
    airspaces: AirspaceRegistry | None,
) -> GeometryReading:
    """The areas of a NOTAM whose text drew none: the item's circle, or its whole FIR.

    A whole-FIR area only for FIR subjects, 999 NM circles and FIR-wide warnings:
    a runway item must not paint its whole FIR.
    """
    circle = _item_circle(core)
    fir_geometry = airspaces.get(fir).geometry if airspaces and fir and fir in airspaces else None
    whole_fir = (
        (qcode or "").startswith(WHOLE_FIR_SUBJECTS)
        or (circle is not None and circle[2] >= 999)
        or (circle is None and classification == NotamClass.WARNING)
    )
    return read_geometry(
        body,
        qline=circle,
        fir_geometry=fir_geometry,
        whole_fir=whole_fir,
        fir_lookup=fir_lookup(airspaces),
    )


def _from_core(
    data: dict[str, Any], core: dict[str, Any], faa_id: str, airspaces: AirspaceRegistry | None
) -> Notam:
    """The parsed text, with the item's own fields filling what the text lacks."""
    notam, source = _parse_text(data, core, faa_id, airspaces)
    problems = [P.from_text(p) for p in notam.problems]
    problems = [p for p in problems if p.code is not C.NO_FIR]
    fir = _str(core, "affectedFIR") or notam.fir
    qcode = _str(core, "selectionCode") or notam.qcode
    valid_from, valid_to, permanent, problems = _validity(core, notam, problems)
    lower, upper, band, problems = _limits(core, notam, problems)
    body = notam.text or _str(core, "text") or ""
    classification, reason = notam.classification, notam.classification_reason
    if qcode != notam.qcode:
        classification, reason = classify(qcode, body)
    geometry, areas = notam.geometry, notam.areas
    if geometry is None:
        reading = _item_areas(core, body, fir, qcode, classification, airspaces)
        geometry, areas = reading.geometry, area_dicts(reading)
        problems += [p for p in reading.problems if p not in problems]
    kind = (_str(core, "type") or notam.kind)[:1].upper()
    return replace(
        notam,
        id=faa_id,
        number=_str(core, "number") or notam.number,
        kind=kind if kind in ("N", "R", "C") else notam.kind,
        fir=fir,
        locations=notam.locations or tuple(filter(None, [_str(core, "icaoLocation")])),
        qcode=qcode,
        traffic=notam.traffic or _str(core, "traffic"),
        purpose=notam.purpose or _str(core, "purpose"),
        scope=notam.scope or _str(core, "scope"),
        valid_from=valid_from,
        valid_to=valid_to,
        permanent=permanent,
        schedule=notam.schedule or _str(core, "schedule"),
        lower=lower,
        upper=upper,
        band=band,
        text=body,
        raw_text=source or _str(core, "text") or "",
        classification=classification,
        classification_reason=reason,
        geometry=geometry,
        areas=areas,
        source_classification=_str(core, "classification") or notam.source_classification,
        issued_at=_time(core.get("issued")) or notam.issued_at,
        problems=tuple(dict.fromkeys(problems)),
    )
