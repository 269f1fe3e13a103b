"""Coordinates, areas and limits read from NOTAM text."""

from __future__ import annotations

import pytest
import shapely

from service.geo.airspaces import AirspaceRegistry
from service.geo.geodesy import distance_km
from service.notam.geometry import (
    find_coordinates,
    geometry_from_text,
    limits_to_band,
    parse_coordinate,
    vertices,
)
from service.notam.parser import parse_notam
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def airspaces():
    return AirspaceRegistry.from_geojson(ROOT / "seeds" / "firs.geojson")


@pytest.mark.parametrize(
    ("token", "lon", "lat"),
    [
        ("302000N0813000W", -81.5, 30.333333),
        ("3005N08115W", -81.25, 30.083333),
        ("N230636E1162812", 116.47, 23.11),
        ("331330N0353616E", 35.604444, 33.225),
        ("4530S17000E", 170.0, -45.5),
        ("10.5N 066.25W", -66.25, 10.5),
        ("S33.5 W070.75", -70.75, -33.5),
    ],
)
def test_parse_coordinate(token, lon, lat):
    assert parse_coordinate(token) == pytest.approx((lon, lat), abs=1e-6)


@pytest.mark.parametrize("token", ["9500N01000E", "1000N19000E", "1060N06600W", "hello", ""])
def test_bad_coordinates_raise_value_error(token):
    with pytest.raises(ValueError):
        parse_coordinate(token)


def test_polygon_bounded_by():
    text = (
        "AIRSPACE TEMPORARY FLIGHT RESTRICTIONS WI AREA BOUNDED BY 302000N0813000W-"
        "302000N0810000W-295000N0810000W-295000N0813000W-302000N0813000W SFC-17999FT"
    )
    geometry, problems, how = geometry_from_text(text)
    assert how == "polygon" and problems == []
    shape = shapely.geometry.shape(geometry)
    assert shape.geom_type == "Polygon" and shape.is_valid
    assert shape.bounds == pytest.approx((-81.5, 29.833333, -81.0, 30.333333), abs=1e-6)


def test_polygon_hemisphere_first_and_open_ring():
    text = "DANGER AREA WI N230636E1162812 N230000E1170000 N223000E1163000"
    geometry, _, how = geometry_from_text(text)
    shape = shapely.geometry.shape(geometry)
    assert how == "polygon" and len(shape.exterior.coords) == 4  # closed for us


def test_closed_coordinate_list_is_a_polygon_without_keywords():
    text = "1000N06700W 1000N06600W 1100N06600W 1100N06700W 1000N06700W"
    assert geometry_from_text(text)[2] == "polygon"


@pytest.mark.parametrize(
    ("text", "radius_km"),
    [
        ("WI 5NM RADIUS OF 384500N0770200W", 5 * 1.852),
        ("AN AREA DEFINED AS 49NM RADIUS OF 322403N0781209W", 49 * 1.852),
        ("PSN 331330N0353616E RADIUS 500MTR", 0.5),
        ("THE AREA WI 1KM RADIUS CENTERED ON PSN N314705E0351414", 1.0),
        ("WITHIN 3NM CENTERED AT 1036N06659W", 3 * 1.852),
        ("CIRCLE 10.6N 66.98W RADIUS 2NM", 2 * 1.852),
    ],
)
def test_circles_are_geodesic(text, radius_km):
    geometry, problems, how = geometry_from_text(text)
    assert how == "circle" and problems == []
    (lon, lat, _), *_ = find_coordinates(text)[0]
    distances = [distance_km(lon, lat, x, y) for x, y in vertices(geometry)]
    assert min(distances) == pytest.approx(radius_km, rel=1e-4)
    assert max(distances) == pytest.approx(radius_km, rel=1e-4)


def test_out_of_range_coordinates_give_problems_and_no_geometry():
    geometry, problems, _ = geometry_from_text("WI 5NM RADIUS OF 9500N06600W")
    assert geometry is None and [p.code.value for p in problems] == ["coordinate.out_of_range"]
    geometry, problems, _ = geometry_from_text("AREA BOUNDED BY 95.0N 66.0W")
    assert geometry is None and problems


def test_qline_circle_and_whole_fir(airspaces):
    svzm = airspaces.get("SVZM").geometry
    qline = (-66.983333, 10.6, 25.0)
    geometry, _, how = geometry_from_text("RWY 09/27 CLSD", qline=qline)
    assert how == "Q-line circle"
    assert all(
        abs(distance_km(-66.983333, 10.6, x, y) - 25 * 1.852) < 0.01 for x, y in vertices(geometry)
    )
    geometry, _, how = geometry_from_text("X", qline=(-66.98, 10.6, 999.0), fir_geometry=svzm)
    assert how == "whole FIR (Q-line 999)" and shapely.geometry.shape(geometry).equals(svzm)
    assert geometry_from_text("X", qline=(-66.98, 10.6, 999.0))[0] is None


def test_fir_named_in_text(airspaces):
    for wording in ("MAIQUETIA FIR", "SVZM FIR", "MAIQUETIA FLIGHT INFORMATION REGION", "(SVZM)"):
        n = parse_notam(
            "(A0100/25 NOTAMN\nQ) SVZM/QAFXX/IV/NBO/E/000/999/0800N06600W999\n"
            f"A) SVZM B) 2511211800 C) 2511222359\nE) {wording} CLOSED TO ALL TRAFFIC)",
            airspaces=airspaces,
        )
        assert n.fir == "SVZM" and n.classification.value == "closure", wording
        assert shapely.geometry.shape(n.geometry).equals(airspaces.get("SVZM").geometry)


@pytest.mark.parametrize(
    ("lower", "upper", "floor_ft", "ceiling_ft"),
    [
        ("SFC", "UNL", 0.0, None),
        ("GND", "FL100", 0.0, 10000.0),
        ("2000FT AMSL", "14800FT", 2000.0, 14800.0),
        ("1000FT AGL", "FL245", 1000.0, 24500.0),
        ("FL100", "FL200", 10000.0, 20000.0),
        (None, None, 0.0, None),
    ],
)
def test_limits_to_band(lower, upper, floor_ft, ceiling_ft):
    band, problems = limits_to_band(lower, upper)
    assert (band.floor_ft, band.ceiling_ft, problems) == (floor_ft, ceiling_ft, [])


def test_bad_limits_are_problems():
    band, problems = limits_to_band("FL300", "FL100")
    assert band.ceiling_ft is None and problems
    band, problems = limits_to_band("BANANA", "UNL")
    assert (
        band.floor_ft == 0 and "limit.unreadable: lower limit not understood: 'BANANA'" in problems
    )
    assert {p.code.value for p in problems} == {"limit.unreadable"}
