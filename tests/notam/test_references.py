"""Positions and areas given by reference: navaid bearing/distance, states by name, signed degrees.

The corpus (tests/notam/corpus/references.json) scores the areas; these tests pin the
rules behind them: which words make a navaid a position, how bearings are turned true,
when an ident is ambiguous or unknown, which phrases make a state the area, and which
number pairs are signed decimal degrees.
"""

from __future__ import annotations

import pytest
import shapely

from service.geo.airspaces import AirspaceRegistry
from service.notam.coordinates import coordinates
from service.notam.countries import bundled_countries
from service.notam.geometry import read_geometry
from service.notam.navaids import Navaid, NavaidIndex, bundled_navaids, navaid_positions
from service.notam.parser import parse_notam
from service.notam.problems import ProblemCode, codes
from service.notam.shapes import GEOD
from tests.conftest import ROOT

INDEX = NavaidIndex(
    [
        Navaid("ABC", "Alpha", "VOR-DME", -66.0, 10.0, "VE", -10.0),
        Navaid("ABC", "Alpha", "NDB", -66.004, 10.0, "VE", -12.0),
        Navaid("ABC", "Alpha Far", "VOR", 11.0, 48.0, "DE", 2.0),
        Navaid("TWN", "Twin One", "VOR", -65.0, 10.0, "VE", -10.0),
        Navaid("TWN", "Twin Two", "VOR", -65.5, 11.0, "VE", -10.0),
        Navaid("NOV", "No variation", "VOR", -66.0, 11.0, "VE", None),
    ]
)
NEAR = (-66.0, 10.2)


def positions(text: str, near=NEAR, states=frozenset()):
    found, problems, _ = coordinates(text)
    masked, found, more = navaid_positions(text, found, INDEX, near, states)
    return masked, [(round(c.lon, 4), round(c.lat, 4)) for c in found], problems + more


def point(lon, lat, azimuth, nm):
    x, y, _ = GEOD.fwd(lon, lat, azimuth, nm * 1852.0)
    return round(float(x), 4), round(float(y), 4)


@pytest.mark.parametrize(
    "text",
    [
        "WI ABC R045 D25 -",
        "WI ABC VOR R045/D25NM -",
        "WI ABC VOR/DME RADIAL 045 DME 25 -",
        "WI ABC R-045/25NM -",
        "WI ABC VOR/DME 045 DEGREE RADIAL AT 25NM -",
        "WI ABC045025 -",
        "WI 045 DEG MAG 25NM FROM VOR ABC -",
        "WI 045DEG MAG/25NM FM ABC VOR -",
        "WI 25NM 045 DEG MAG FROM ABC VOR -",
        "WI 045M 25NM FROM THE ABC VOR/DME -",
    ],
)
def test_radials_and_magnetic_bearings_are_turned_true_with_the_vor_variation(text):
    masked, found, problems = positions(text)
    assert found == [point(-66.0, 10.0, 35.0, 25)], (found, problems)
    assert problems == []
    assert "25" not in masked.replace("WI", "")  # the phrase is hidden from the shape readers


def test_true_bearing_and_bare_bearing():
    _, found, problems = positions("PSN 045 DEG TRUE 25NM FROM ABC VOR")
    assert found == [point(-66.0, 10.0, 45.0, 25)] and problems == []
    # a bare bearing is read as magnetic, and the assumption is said when it moves > 1 km
    _, found, problems = positions("PSN 045 DEG 25NM FROM ABC VOR")
    assert found == [point(-66.0, 10.0, 35.0, 25)]
    assert codes(problems) == {ProblemCode.NAVAID_BEARING}


def test_navaid_position_written_in_the_text_wins_over_the_list():
    text = "CENTRED ON 090 DEG TRUE 10NM FROM ABC VOR (103000N0653000W)"
    masked, found, problems = positions(text)
    assert found == [point(-65.5, 10.5, 90.0, 10)] and problems == []
    assert "103000N" not in masked


def test_unknown_ambiguous_and_variation_problems():
    _, found, problems = positions("RADIUS 5NM CENTRED ON 090 DEG MAG 20NM FROM QZW VOR")
    assert found == [] and codes(problems) == {ProblemCode.NAVAID_UNKNOWN}
    # two navaids of one ident, both near: no guess
    _, found, problems = positions("CENTRED ON TWN R090 D10", near=(-65.2, 10.5))
    assert found == [] and codes(problems) == {ProblemCode.NAVAID_AMBIGUOUS}
    # no reference point at all: an ident used in two countries is ambiguous
    _, found, problems = positions("CENTRED ON ABC VOR R090 D10", near=None)
    assert found == [] and codes(problems) == {ProblemCode.NAVAID_AMBIGUOUS}
    # ...unless the NOTAM's country is known (a US FDC NOTAM prefers US navaids)
    _, found, problems = positions("CENTRED ON ABC VOR R090 D10", near=None, states={"DE"})
    assert found == [point(11.0, 48.0, 92.0, 10)] and problems == []
    _, found, problems = positions("CENTRED ON NOV R090 D10")
    assert found == [point(-66.0, 11.0, 90.0, 10)]
    assert codes(problems) == {ProblemCode.NAVAID_VARIATION}


def test_a_radial_is_measured_from_the_vor_not_the_ndb_beside_it():
    _, found, _ = positions("CENTRED ON ABC R090 D20")
    assert found == [point(-66.0, 10.0, 80.0, 20)]
    _, found, _ = positions("CENTRED ON 090 DEG MAG 20NM FROM NDB ABC")
    assert found == [point(-66.004, 10.0, 78.0, 20)]


def test_a_navaid_named_in_passing_is_not_a_position():
    text = "FLT SB CALL CTL ABM ABC VOR, ON 132.70MHZ. ABC VOR U/S."
    masked, found, problems = positions(text)
    assert (masked, found, problems) == (text, [], [])
    # nine characters that merely look like a fix-radial-distance
    assert positions("REF XYZ123456 APPLIES")[1:] == ([], [])


def test_navaid_centre_and_vertices_make_areas():
    text = "DANGER AREA RADIUS 5NM CENTRED ON THE ABC VOR/DME."
    reading = read_geometry(text, qline=(-66.0, 10.0, 10.0), navaids=INDEX)
    shape = shapely.geometry.shape(reading.geometry)
    assert abs(shape.centroid.x + 66.0) < 0.01 and abs(shape.centroid.y - 10.0) < 0.01
    assert reading.problems == []
    text = "DANGER AREA WI ABC R000 D20 - ABC R090 D20 - ABC R180 D20 - BACK TO START."
    reading = read_geometry(text, qline=(-66.0, 10.0, 30.0), navaids=INDEX)
    shape = shapely.geometry.shape(reading.geometry)
    assert reading.how == "polygon" and len(shape.exterior.coords) == 4, reading
    assert reading.problems == []


def test_bundled_navaid_list_is_read():
    index = bundled_navaids()
    assert len(index.by_ident) > 5000
    miq = {n.kind: n for n in index.by_ident["MIQ"] if n.country == "VE"}
    assert miq["VOR-DME"].variation_deg == -10.0  # slaved "-10" kept as whole degrees


# -- signed decimal degrees ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WI -10.5 -66.9 - -10.6 -66.8", [(-66.9, -10.5), (-66.8, -10.6)]),
        ("PSN 10.5,-66.9.", [(-66.9, 10.5)]),
        ("PSN 10.50, -66.90; 10.60, -66.80", [(-66.9, 10.5), (-66.8, 10.6)]),
        ("PSN +10.25 -066.75", [(-66.75, 10.25)]),
        ("PSN -33.95° 151.18°", [(151.18, -33.95)]),
        ("RADIUS 2.5 -3.5NM", []),  # a distance, not a longitude
        ("FREQ 10.5 66.9", []),  # neither a sign nor a comma: not read as a position
        ("WI 3913N10025E -10.5 -66.9", [(100.416667, 39.216667), (-66.9, -10.5)]),
    ],
)
def test_signed_decimal_degrees(text, expected):
    found, problems, _ = coordinates(text)
    assert [(c.lon, c.lat) for c in found] == expected
    assert problems == []


def test_signed_pair_out_of_range_is_a_problem():
    found, problems, _ = coordinates("PSN 95.5,-66.9")
    assert found == [] and codes(problems) == {ProblemCode.COORDINATE_RANGE}
    found, problems, _ = coordinates("PSN 10.5,-196.9")
    assert found == [] and codes(problems) == {ProblemCode.COORDINATE_RANGE}


# -- states by name -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def airspaces():
    return AirspaceRegistry.from_geojson(ROOT / "seeds" / "firs.geojson")


def notam(e: str, fir: str = "SVZM", q: str = "0800N06600W999") -> str:
    return (
        f"(A0001/26 NOTAMN\nQ) {fir}/QAFLC/IV/NBO/E/000/999/{q}\nA) {fir} "
        f"B) 2601010000 C) 2602010000\nE) {e}\nF) SFC G) UNL)"
    )


@pytest.mark.parametrize(
    ("phrase", "firs"),
    [
        ("ALL FLIGHTS PROHIBITED WITHIN VENEZUELA", ("SVZM",)),
        ("FLIGHTS OVER THE TERRITORY OF THE ISLAMIC REPUBLIC OF IRAN SUSPENDED", ("OIIX", "TEH")),
        ("IRAQI AIRSPACE CLOSED", ("ORBB",)),
        ("THE AIRSPACE OF JORDAN IS CLOSED", ("OJAC",)),
    ],
)
def test_a_state_named_as_the_area_is_drawn_from_its_firs_and_says_so(airspaces, phrase, firs):
    n = parse_notam(notam(phrase), airspaces=airspaces)
    countries = bundled_countries()
    expected = shapely.union_all([countries.geometries[f] for f in firs])
    assert (
        shapely.geometry.shape(n.geometry).equals_exact(expected, 1e-9)
        or shapely.geometry.shape(n.geometry).symmetric_difference(expected).area < 1e-9
    )
    assert codes(n.problems) == {ProblemCode.COUNTRY_BY_FIRS}
    assert all(f in " ".join(n.problems) for f in firs)
    assert n.areas[0]["kind"] == "whole country"


def test_a_state_named_in_passing_is_not_the_area(airspaces):
    n = parse_notam(
        notam("FLIGHTS TO VENEZUELA REQUIRE PPR", q="1036N06659W010"), airspaces=airspaces
    )
    assert n.areas[0]["kind"] == "Q-line"
    assert ProblemCode.COUNTRY_BY_FIRS not in codes(n.problems)


def test_a_named_fir_wins_over_a_named_state(airspaces):
    n = parse_notam(notam("WITHIN SVZM FIR OVER THE TERRITORY OF VENEZUELA"), airspaces=airspaces)
    assert n.areas[0]["kind"] == "whole FIR"
    assert ProblemCode.COUNTRY_BY_FIRS not in codes(n.problems)


def test_an_unknown_fir_or_state_boundary_is_reported(airspaces):
    e = "AREA: 0800N07200W THENCE ALONG THE ATLANTIS BORDER TO 0700N07200W TO 0730N07130W."
    n = parse_notam(notam(e, q="0730N07145W060"), airspaces=airspaces)
    assert ProblemCode.GEOMETRY_UNKNOWN_FIR in codes(n.problems)


def test_a_border_with_a_state_keeps_the_area_on_this_side(airspaces):
    """The way along Colombia's outline that encloses Colombia would be 'inside' it: wrong."""
    e = "AREA WI 0800N07200W - 0700N07200W THEN ALONG THE BORDER WITH COLOMBIA TO 0800N07200W."
    n = parse_notam(notam(e, q="0730N07200W060"), airspaces=airspaces)
    shape = shapely.geometry.shape(n.geometry)
    colombia = bundled_countries().area("COLOMBIA")
    assert shape.intersection(colombia.geometry).area / shape.area < 0.01
    assert shape.bounds[0] > -73.0 and shape.bounds[1] >= 6.99  # near the two written points
    assert codes(n.problems) == {ProblemCode.COUNTRY_BY_FIRS}


def test_within_a_distance_of_a_navaid_is_a_circle():
    reading = read_geometry(
        "UAS PROHIBITED WITHIN 5NM OF ABC VOR.", qline=(-66.0, 10.0, 6.0), navaids=INDEX
    )
    assert reading.how == "circle" and reading.problems == []
    shape = shapely.geometry.shape(reading.geometry)
    assert abs((shape.bounds[3] - shape.bounds[1]) * 60 / 2 - 5.0) < 0.05  # 5 NM radius
