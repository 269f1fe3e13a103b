"""FAA NOTAM API item (GeoJSON feature) → :class:`Notam`.

The ICAO translation (``formattedText``) is parsed when present, because it
carries the Q-line and items; the item's own fields (all strings) fill what the
text lacks and give the stable FAA id.  A broken item still becomes a NOTAM
with problems, so nothing the FAA sent is silently dropped.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from service.domain import Notam, ensure_utc
from service.geo.airspaces import AirspaceRegistry
from service.notam.geometry import geometry_from_text, limits_to_band, qline_circle
from service.notam.parser import parse_notam
from service.notam.qcodes import classify


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value or value.upper() == "PERM":
        return None
    try:
        return ensure_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def _translation(notam_data: dict[str, Any], kind: str) -> str | None:
    for t in notam_data.get("notamTranslation") or []:
        if isinstance(t, dict) and t.get("type") == kind:
            text = t.get("formattedText") or t.get("simpleText")
            if isinstance(text, str) and text.strip():
                return text
    return None


def notam_from_faa_item(item: dict[str, Any], airspaces: AirspaceRegistry | None) -> Notam:
    """One FAA item; never raises.

    >>> item = {"properties": {"coreNOTAMData": {"notam": {
    ...     "id": "NOTAM_1_1", "number": "A0012/25", "type": "N", "icaoLocation": "KICZ",
    ...     "affectedFIR": "SVZM", "classification": "INTL",
    ...     "effectiveStart": "2025-11-21T17:43:00.000Z", "effectiveEnd": "2026-02-19T23:59:00.000Z",
    ...     "issued": "2025-11-21T18:08:00.000Z",
    ...     "text": "SECURITY...ADVISORY FOR POTENTIALLY HAZARDOUS SITUATION IN THE MAIQUETIA"
    ...             " FLIGHT INFORMATION REGION (SVZM)"}}}}
    >>> n = notam_from_faa_item(item, None)
    >>> n.id, n.number, n.fir, n.classification.value, n.valid_from.isoformat()
    ('NOTAM_1_1', 'A0012/25', 'SVZM', 'warning', '2025-11-21T17:43:00+00:00')
    """
    try:
        data = item["properties"]["coreNOTAMData"]
        core = data["notam"]
        faa_id = str(core["id"])
    except (KeyError, TypeError):
        return Notam(
            id=f"FAA_BAD_{abs(hash(str(item)[:500])):x}",
            number="",
            raw_text=str(item)[:2000],
            problems=("FAA item without properties.coreNOTAMData.notam.id",),
        )
    text = str(core.get("text") or "")
    icao_text = _translation(data, "ICAO")
    local_text = _translation(data, "LOCAL_FORMAT")
    source = icao_text or local_text
    if source:
        notam = parse_notam(source, airspaces=airspaces, notam_id=faa_id)
    else:
        header = f"{core.get('icaoLocation', '')} {core.get('number', '')} NOTAM "
        notam = parse_notam(header + text, airspaces=airspaces, notam_id=faa_id)
        notam = replace(notam, problems=tuple(p for p in notam.problems if "format" not in p))
    fir = core.get("affectedFIR") or notam.fir
    qcode = core.get("selectionCode") or notam.qcode
    valid_from = notam.valid_from or _time(core.get("effectiveStart"))
    end = core.get("effectiveEnd")
    valid_to = notam.valid_to or _time(end)
    permanent = notam.permanent or (isinstance(end, str) and end.upper() == "PERM")
    lower = notam.lower or (f"FL{core['minimumFL']}" if core.get("minimumFL") else None)
    upper = notam.upper or (f"FL{core['maximumFL']}" if core.get("maximumFL") else None)
    if upper == "FL999":
        upper = "UNL"
    if lower == "FL000":
        lower = "SFC"
    band, limit_problems = limits_to_band(lower, upper)
    body = notam.text or text
    classification, reason = notam.classification, notam.classification_reason
    if qcode and qcode != notam.qcode:
        classification, reason = classify(qcode, body)
    geometry = notam.geometry
    if geometry is None or (fir and notam.fir != fir):
        fir_geometry = airspaces.get(fir).geometry if airspaces and fir in airspaces else None
        qline = None
        coords, radius = core.get("coordinates"), core.get("radius")
        if coords and radius:
            try:
                qline = qline_circle(f"{coords}{int(float(radius)):03d}")
            except ValueError:
                qline = None
        named = geometry_from_text(body, qline=qline, fir_geometry=fir_geometry, whole_fir=True)
        geometry = named[0] or geometry
    problems = [p for p in notam.problems if not p.startswith("no FIR")] + limit_problems
    return replace(
        notam,
        id=faa_id,
        number=str(core.get("number") or notam.number),
        kind=str(core.get("type") or notam.kind)[:1],
        fir=fir,
        locations=notam.locations or tuple(filter(None, [core.get("icaoLocation")])),
        qcode=qcode,
        valid_from=valid_from,
        valid_to=valid_to,
        permanent=permanent,
        lower=lower,
        upper=upper,
        band=band,
        text=body,
        raw_text=source or text,
        classification=classification,
        classification_reason=reason,
        geometry=geometry,
        source_classification=core.get("classification") or notam.source_classification,
        issued_at=_time(core.get("issued")) or notam.issued_at,
        problems=tuple(dict.fromkeys(problems)),
    )
