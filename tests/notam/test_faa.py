"""FAA NOTAM API items (§3.2 shape) → Notam, including broken items."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
import shapely

from service.domain import NotamClass
from service.geo.airspaces import AirspaceRegistry
from service.geo.geodesy import distance_km
from service.notam.faa import notam_from_faa_item
from service.notam.geometry import parse_coordinate, vertices
from service.notam.problems import ProblemCode, codes
from tests.conftest import ROOT

KICZ_TEXT = "\n".join(
    line
    for line in (ROOT / "seeds" / "notams" / "kicz_a0012_25.txt").read_text().splitlines()
    if not line.startswith("#")
)
TFR_ITEM = {
    "type": "Feature",
    "properties": {
        "coreNOTAMData": {
            "notamEvent": {"scenario": "6000"},
            "notam": {
                "id": "NOTAM_1_80000001",
                "series": "A",
                "number": "A0417/26",
                "type": "N",
                "issued": "2026-06-01T12:05:00.000Z",
                "affectedFIR": "KZJX",
                "selectionCode": "QRTCA",
                "traffic": "IV",
                "purpose": "BO",
                "scope": "W",
                "minimumFL": "000",
                "maximumFL": "180",
                "location": "ZJX",
                "effectiveStart": "2026-06-02T14:00:00.000Z",
                "effectiveEnd": "2026-06-02T20:00:00.000Z",
                "text": "AIRSPACE TEMPORARY FLIGHT RESTRICTIONS WI AREA BOUNDED BY\n"
                "302000N0813000W-302000N0810000W-295000N0810000W-295000N0813000W-\n"
                "302000N0813000W SFC-17999FT",
                "classification": "INTL",
                "accountId": "KZJX",
                "lastUpdated": "2026-06-01T12:05:00.000Z",
                "icaoLocation": "KZJX",
                "coordinates": "3005N08115W",
                "radius": "020",
                "lowerLimit": "SFC",
                "upperLimit": "17999FT",
            },
            "notamTranslation": [
                {
                    "type": "ICAO",
                    "formattedText": "A0417/26 NOTAMN\n"
                    "Q) KZJX/QRTCA/IV/BO/W/000/180/3005N08115W020\nA) KZJX\nB) 2606021400\n"
                    "C) 2606022000\nE) AIRSPACE TEMPORARY FLIGHT RESTRICTIONS WI AREA BOUNDED BY\n"
                    "302000N0813000W-302000N0810000W-295000N0810000W-295000N0813000W-\n"
                    "302000N0813000W\nF) SFC\nG) 17999FT",
                }
            ],
        }
    },
    "geometry": {"type": "GeometryCollection", "geometries": []},
}
DOMESTIC_ITEM = {
    "type": "Feature",
    "properties": {
        "coreNOTAMData": {
            "notamEvent": {"scenario": "6000"},
            "notam": {
                "id": "NOTAM_1_80000002",
                "number": "06/012",
                "type": "N",
                "issued": "2026-06-01T09:30:00.000Z",
                "location": "JAX",
                "effectiveStart": "2026-06-01T09:30:00.000Z",
                "effectiveEnd": "2026-06-03T22:00:00.000Z",
                "text": "RWY 08/26 CLSD",
                "classification": "DOM",
                "accountId": "JAX",
                "lastUpdated": "2026-06-01T09:30:00.000Z",
                "icaoLocation": "KJAX",
                "coordinates": "3029N08141W",
                "radius": "5",
            },
            "notamTranslation": [
                {
                    "type": "LOCAL_FORMAT",
                    "simpleText": "!JAX 06/012 JAX RWY 08/26 CLSD 2606010930-2606032200",
                }
            ],
        }
    },
    "geometry": None,
}


def kicz_item(text: str = KICZ_TEXT) -> dict:
    return {
        "type": "Feature",
        "properties": {
            "coreNOTAMData": {
                "notam": {
                    "id": "NOTAM_1_75120012",
                    "series": "A",
                    "number": "A0012/25",
                    "type": "N",
                    "icaoLocation": "KICZ",
                    "affectedFIR": "SVZM",
                    "classification": "INTL",
                    "issued": "2025-11-21T18:08:00.000Z",
                    "effectiveStart": "2025-11-21T17:43:00.000Z",
                    "effectiveEnd": "2026-02-19T23:59:00.000Z",
                    "text": text,
                }
            }
        },
    }


@pytest.fixture(scope="module")
def airspaces():
    return AirspaceRegistry.from_geojson(ROOT / "seeds" / "firs.geojson")


def test_tfr_item_prefers_icao_translation(airspaces):
    n = notam_from_faa_item(TFR_ITEM, airspaces)
    assert (n.id, n.number, n.kind, n.fir, n.qcode) == (
        "NOTAM_1_80000001",
        "A0417/26",
        "N",
        "KZJX",
        "QRTCA",
    )
    assert n.classification == NotamClass.RESTRICTED
    assert n.valid_from == datetime(2026, 6, 2, 14, 0, tzinfo=UTC)
    assert n.valid_to == datetime(2026, 6, 2, 20, 0, tzinfo=UTC)
    assert n.issued_at == datetime(2026, 6, 1, 12, 5, tzinfo=UTC)
    assert (n.lower, n.upper, n.band.floor_ft, n.band.ceiling_ft) == ("SFC", "17999FT", 0, 17999)
    assert n.source_classification == "INTL" and n.raw_text.startswith("A0417/26 NOTAMN")
    assert n.geometry["type"] == "Polygon" and n.problems == ()
    for corner in ("302000N0813000W", "302000N0810000W", "295000N0810000W", "295000N0813000W"):
        lon, lat = parse_coordinate(corner)
        assert min(distance_km(x, y, lon, lat) for x, y in vertices(n.geometry)) < 0.001


def test_domestic_item_uses_local_format_and_item_circle(airspaces):
    n = notam_from_faa_item(DOMESTIC_ITEM, airspaces)
    assert (n.id, n.number, n.locations, n.source_classification) == (
        "NOTAM_1_80000002",
        "06/012",
        ("JAX",),
        "DOM",
    )
    assert n.classification == NotamClass.OTHER and "aerodrome" not in n.text
    assert n.valid_to == datetime(2026, 6, 3, 22, 0, tzinfo=UTC)
    # a runway closure gets the 5 NM circle of the item, never a whole FIR
    shape = shapely.geometry.shape(n.geometry)
    lon, lat = parse_coordinate("3029N08141W")
    assert shape.geom_type == "Polygon"
    radii_km = [distance_km(lon, lat, x, y) for x, y in vertices(n.geometry)]
    assert all(abs(r - 5 * 1.852) < 0.01 for r in radii_km)


def test_kicz_item_is_a_warning_over_all_of_svzm(airspaces):
    svzm = airspaces.get("SVZM").geometry
    for text in (KICZ_TEXT, "SECURITY...EXERCISE CAUTION DUE TO HEIGHTENED MILITARY ACTIVITY"):
        n = notam_from_faa_item(kicz_item(text), airspaces)
        assert (n.id, n.number, n.fir, n.locations) == (
            "NOTAM_1_75120012",
            "A0012/25",
            "SVZM",
            ("KICZ",),
        )
        assert n.classification == NotamClass.WARNING
        assert "SECURITY" in n.classification_reason
        assert "HEIGHTENED MILITARY ACTIVITY" in n.classification_reason
        assert shapely.equals_exact(shapely.geometry.shape(n.geometry), svzm, tolerance=1e-9)
        assert n.valid_from == datetime(2025, 11, 21, 17, 43, tzinfo=UTC)
        assert n.valid_to == datetime(2026, 2, 19, 23, 59, tzinfo=UTC)
        assert n.issued_at == datetime(2025, 11, 21, 18, 8, tzinfo=UTC)
        assert n.source_classification == "INTL" and n.problems == ()


def test_perm_and_flight_levels_from_fields():
    item = copy.deepcopy(kicz_item("AIRSPACE RESERVATION"))
    core = item["properties"]["coreNOTAMData"]["notam"]
    core.update(effectiveEnd="PERM", selectionCode="QRACA", minimumFL="050", maximumFL="999")
    n = notam_from_faa_item(item, None)
    assert n.permanent and n.valid_to is None
    assert n.classification == NotamClass.RESTRICTED and n.qcode == "QRACA"
    assert (n.lower, n.upper, n.band.floor_ft, n.band.ceiling_ft) == ("FL050", "UNL", 5000, None)


@pytest.mark.parametrize(
    "item",
    [
        {},
        {"properties": None},
        {"properties": {"coreNOTAMData": {"notam": {}}}},
        {"properties": {"coreNOTAMData": "x"}},
        [],
        None,
    ],
)
def test_broken_items_give_problems(item):
    n = notam_from_faa_item(item, None)
    assert n.problems and n.number == "" and n.id.startswith("FAA_BAD_")


def test_sparse_and_odd_items_never_raise(airspaces):
    odd_values = [None, "", "garbage", "2025-13-45T99:00:00Z", "PERM", "999999", "-1"]
    keys = list(TFR_ITEM["properties"]["coreNOTAMData"]["notam"])
    for i, key in enumerate(keys):
        item = copy.deepcopy(TFR_ITEM)
        item["properties"]["coreNOTAMData"]["notam"][key] = odd_values[i % len(odd_values)]
        if i % 2:
            item["properties"]["coreNOTAMData"]["notamTranslation"] = None
        n = notam_from_faa_item(item, airspaces)
        assert n.id
    minimal = {"properties": {"coreNOTAMData": {"notam": {"id": "NOTAM_X"}}}}
    n = notam_from_faa_item(minimal, airspaces)
    assert n.id == "NOTAM_X" and codes(n.problems) == {ProblemCode.START_MISSING}
