"""NOTAM text (one or many) → GeoJSON FeatureCollection, one feature per area.

Shared by ``firwatch notam parse`` and ``POST /api/v1/notams/parse`` so both
give the same answer.  A NOTAM without any area still gets one feature (with a
``null`` geometry, as GeoJSON allows) so that its fields and problems are shown.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from service.domain import Notam
from service.geo.airspaces import AirspaceRegistry
from service.notam.parser import parse_notam
from service.notam.problems import Problem

START = re.compile(
    r"^\s*(?:\(?\s*[A-Z]\d{4}/\d{2}\s+NOTAM[NRC]\b|!\w{3,4}\s|[A-Z]{4}\s+[A-Z]\d{4}/\d{2}\b)"
)


def split_notams(text: str) -> list[str]:
    """Cut a pasted text into NOTAMs at each line that starts one; ``#`` lines are comments.

    >>> split_notams("# a comment\\n(A0001/26 NOTAMN\\nE) X)\\n\\n!FDC 6/1 ZMA Y 2601011200-2601021200")
    ['(A0001/26 NOTAMN\\nE) X)', '!FDC 6/1 ZMA Y 2601011200-2601021200']
    >>> split_notams("RWY 09 CLSD")  # no header: one text, the parser says what is missing
    ['RWY 09 CLSD']
    """
    lines = [ln for ln in text.replace("\r", "").split("\n") if not ln.lstrip().startswith("#")]
    chunks: list[list[str]] = []
    for line in lines:
        if START.match(line) or not chunks:
            chunks.append([])
        chunks[-1].append(line)
    return [t for c in chunks if (t := "\n".join(c).strip())]


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def properties(notam: Notam) -> dict[str, Any]:
    return {
        "id": notam.id,
        "number": notam.number,
        "kind": notam.kind,
        "ref": notam.ref,
        "fir": notam.fir,
        "locations": list(notam.locations),
        "qcode": notam.qcode,
        "classification": notam.classification.value,
        "lower": notam.lower,
        "upper": notam.upper,
        "floor_ft": notam.band.floor_ft,
        "ceiling_ft": notam.band.ceiling_ft,
        "valid_from": _time(notam.valid_from),
        "valid_to": _time(notam.valid_to),
        "valid_to_estimated": notam.valid_to_estimated,
        "permanent": notam.permanent,
        "schedule": notam.schedule,
        "problems": [Problem.from_text(p).as_dict() for p in notam.problems],
    }


def features(notam: Notam) -> list[dict[str, Any]]:
    props = properties(notam)
    if not notam.areas:
        return [
            {
                "type": "Feature",
                "geometry": notam.geometry,
                "properties": {**props, "area": None, "area_kind": None},
            }
        ]
    return [
        {
            "type": "Feature",
            "geometry": area["geometry"],
            "properties": {**props, "area": area["label"], "area_kind": area["kind"]},
        }
        for area in notam.areas
    ]


def parse_to_geojson(
    text: str, airspaces: AirspaceRegistry | None, year_hint: int | None = None
) -> dict[str, Any]:
    """Every NOTAM in ``text`` as one FeatureCollection (``notams``: how many were read)."""
    notams = [
        parse_notam(chunk, airspaces=airspaces, year_hint=year_hint) for chunk in split_notams(text)
    ]
    return {
        "type": "FeatureCollection",
        "features": [f for n in notams for f in features(n)],
        "notams": len(notams),
    }
