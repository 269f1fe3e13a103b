"""The scenario's NOTAMs as FAA NOTAM API v1 items (GeoJSON features, all values strings).

KICZ A0012/25 carries the real FAA text (seeds/notams); the routine Curaçao and
Caracas items and the INAC danger area are synthetic and say so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _kicz_text() -> str:
    lines = (SEEDS / "notams" / "kicz_a0012_25.txt").read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith("#")).strip()


def _item(
    *,
    faa_id: str,
    number: str,
    location: str,
    fir: str,
    issued: datetime,
    start: datetime,
    end: datetime | str,
    text: str,
    classification: str,
    icao_text: str | None = None,
    selection: str | None = None,
    kind: str = "N",
    coordinates: str | None = None,
    radius: str | None = None,
) -> dict[str, Any]:
    notam: dict[str, Any] = {
        "id": faa_id,
        "series": number[0] if number[0].isalpha() else "",
        "number": number,
        "type": kind,
        "issued": _iso(issued),
        "affectedFIR": fir,
        "location": location[1:] if location.startswith("K") else location,
        "effectiveStart": _iso(start),
        "effectiveEnd": end if isinstance(end, str) else _iso(end),
        "text": text,
        "classification": classification,
        "accountId": location,
        "lastUpdated": _iso(issued),
        "icaoLocation": location,
    }
    if selection:
        notam["selectionCode"] = selection
    if coordinates:
        notam["coordinates"] = coordinates
    if radius:
        notam["radius"] = radius
    translations = []
    if icao_text:
        translations.append({"type": "ICAO", "formattedText": icao_text})
    return {
        "type": "Feature",
        "properties": {
            "coreNOTAMData": {
                "notamEvent": {"scenario": "6000"},
                "notam": notam,
                "notamTranslation": translations,
            }
        },
        "geometry": {"type": "GeometryCollection", "geometries": []},
        "_visible_from": issued,
    }


def _t(day: int, hour: int, minute: int) -> datetime:
    return datetime(2025, 11, day, hour, minute, tzinfo=UTC)


def _kicz_warning() -> dict[str, Any]:
    """The FAA's KICZ A0012/25 warning for SVZM: the scenario's onset."""
    return _item(
        faa_id="NOTAM_1_75120012",
        number="A0012/25",
        location="KICZ",
        fir="SVZM",
        issued=_t(21, 18, 8),
        start=_t(21, 17, 43),
        end=datetime(2026, 2, 19, 23, 59, tzinfo=UTC),
        text=_kicz_text(),
        classification="INTL",
    )


def _background_notams() -> list[dict[str, Any]]:
    """NOTAMs of the region that say nothing about a closure (a taxiway, a VOR, drones)."""
    return [
        _item(
            faa_id="NOTAM_1_75110431",
            number="A0431/25",
            location="TNCC",
            fir="TNCF",
            issued=_t(18, 9, 0),
            start=_t(18, 9, 0),
            end=_t(28, 23, 59),
            classification="INTL",
            text="TWY B BTN TWY A AND TWY C CLSD DUE TO WIP. (SYNTHETIC SCENARIO NOTAM)",
            selection="QMXLC",
            icao_text="A0431/25 NOTAMN\nQ) TNCF/QMXLC/IV/BO/A/000/999/1211N06857W005\n"
            "A) TNCC B) 2511180900 C) 2511282359\n"
            "E) TWY B BTN TWY A AND TWY C CLSD DUE TO WIP. (SYNTHETIC SCENARIO NOTAM)",
        ),
        _item(
            faa_id="NOTAM_1_75110477",
            number="A0477/25",
            location="SVMI",
            fir="SVZM",
            issued=_t(20, 14, 0),
            start=_t(20, 14, 0),
            end=_t(30, 23, 59),
            classification="INTL",
            text="VOR/DME MIQ 114.80MHZ U/S. (SYNTHETIC SCENARIO NOTAM)",
            selection="QNMAS",
            icao_text="A0477/25 NOTAMN\nQ) SVZM/QNMAS/IV/BO/AE/000/999/1036N06659W025\n"
            "A) SVMI B) 2511201400 C) 2511302359 EST\n"
            "E) VOR/DME MIQ 114.80MHZ U/S. (SYNTHETIC SCENARIO NOTAM)",
        ),
        _item(
            faa_id="NOTAM_1_75110502",
            number="A0502/25",
            location="TNCF",
            fir="TNCF",
            issued=_t(19, 8, 0),
            start=_t(19, 8, 0),
            end=_t(26, 20, 0),
            classification="INTL",
            text="UNMANNED ACFT ACT WI 5NM RADIUS OF 121200N0685800W. SFC-1500FT AMSL. "
            "(SYNTHETIC SCENARIO NOTAM)",
            selection="QWULW",
            icao_text="A0502/25 NOTAMN\nQ) TNCF/QWULW/IV/BO/W/000/015/1212N06858W005\n"
            "A) TNCF B) 2511190800 C) 2511262000\nD) DAILY 1200-2000\n"
            "E) UNMANNED ACFT ACT WI 5NM RADIUS OF 121200N0685800W. "
            "(SYNTHETIC SCENARIO NOTAM)\nF) SFC G) 1500FT AMSL",
        ),
    ]


def _danger_area() -> dict[str, Any]:
    """Venezuela's danger area after the warning (modelled on INAC A0483/25)."""
    return _item(
        faa_id="NOTAM_1_75130483",
        number="A0483/25",
        location="SVZM",
        fir="SVZM",
        issued=_t(21, 22, 30),
        start=_t(21, 22, 30),
        end=_t(30, 23, 59),
        classification="INTL",
        text="DANGER AREA ACTIVATED WI AREA BOUNDED BY 113000N0680000W-113000N0660000W-"
        "103000N0660000W-103000N0680000W-113000N0680000W. MIL EXER. "
        "(SYNTHETIC SCENARIO NOTAM MODELLED ON INAC A0483/25, COORDINATES INVENTED)",
        selection="QRDCA",
        icao_text="A0483/25 NOTAMN\nQ) SVZM/QRDCA/IV/BO/W/000/999/1100N06700W060\n"
        "A) SVZM B) 2511212230 C) 2511302359\n"
        "E) DANGER AREA ACTIVATED WI AREA BOUNDED BY 113000N0680000W-113000N0660000W-"
        "103000N0660000W-103000N0680000W-113000N0680000W. MIL EXER. "
        "(SYNTHETIC SCENARIO NOTAM MODELLED ON INAC A0483/25, COORDINATES INVENTED)\n"
        "F) SFC G) UNL",
    )


def scenario_notams(
    *, warning: bool = True, cancelled_at: datetime | None = None
) -> list[dict[str, Any]]:
    """The scenario's NOTAMs: the warning and the danger area unless ``warning`` is False;
    with ``cancelled_at`` the warning is cancelled then and no danger area is published."""
    items = [_kicz_warning(), *_background_notams(), _danger_area()]
    if not warning:
        items = [
            i
            for i in items
            if i["properties"]["coreNOTAMData"]["notam"]["number"] not in ("A0012/25", "A0483/25")
        ]
    if warning and cancelled_at is not None:
        # reopening: the danger area is not published either
        items = [
            i for i in items if i["properties"]["coreNOTAMData"]["notam"]["number"] != "A0483/25"
        ]
        items.append(
            _item(
                faa_id="NOTAM_1_75120013",
                number="A0013/25",
                location="KICZ",
                fir="SVZM",
                issued=cancelled_at,
                start=cancelled_at,
                end=cancelled_at,
                classification="INTL",
                kind="C",
                text="A0012/25 CANCELLED. (SYNTHETIC SCENARIO NOTAM)",
                icao_text=f"A0013/25 NOTAMC A0012/25\nQ) SVZM/QAFXX/IV/NBO/E/000/999/0700N06600W999\n"
                f"A) SVZM B) {cancelled_at:%y%m%d%H%M}\nE) A0012/25 CANCELLED. (SYNTHETIC SCENARIO NOTAM)",
            )
        )
    return items
