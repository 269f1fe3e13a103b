"""Entries between two reports: the path bends where the reported tracks meet."""

import itertools

import numpy as np
import pytest
import shapely

from service.detect.crossings import entry_point, segments_crossing
from service.detect.reroute import track_length_km, turn_point
from service.geo.geodesy import distance_km

AREA = shapely.box(0.0, 0.0, 2.0, 2.0)


def test_a_flight_going_around_a_corner_between_reports_did_not_enter():
    """South of the area heading east, then east of it heading north: the chord between the
    reports cuts the area's corner, the two legs meeting where the tracks cross do not."""
    a, b = (1.0, -0.3, 90.0), (2.3, 1.0, 0.0)
    turn = turn_point(*a, *b)
    assert turn == pytest.approx((2.3, -0.3), abs=1e-3)
    args = [np.array([a[0]]), np.array([a[1]]), np.array([b[0]]), np.array([b[1]])]
    straight = segments_crossing([AREA], *args, np.array([True]))
    bent = segments_crossing([AREA], *args, np.array([True]), np.array([turn]))
    assert straight[0, 0]
    assert not bent[0, 0]


def test_a_straight_crossing_between_reports_is_still_found():
    a, b = (-0.5, 1.0, 90.0), (2.5, 1.0, 90.0)  # same track: no turn, the straight leg
    assert turn_point(*a, *b) is None
    found = segments_crossing(
        [AREA],
        np.array([a[0]]),
        np.array([a[1]]),
        np.array([b[0]]),
        np.array([b[1]]),
        np.array([True]),
        np.full((1, 2), np.nan),
    )
    assert found[0, 0]
    lon, lat, fraction = entry_point(AREA, a[0], a[1], b[0], b[1], None)
    assert (lon, lat) == pytest.approx((0.0, 1.0)) and fraction == pytest.approx(1 / 6)


def test_two_turns_between_reports_are_measured_by_the_ground_speed():
    """Around two corners between reports 30 min apart: the two tracks' crossing lies far
    outside the path flown; the distance the ground speed covers in 30 min is the flown one."""
    path = [(0.0, 0.0), (1.0, 1.0), (2.0, 1.0), (3.0, 0.0)]
    flown = sum(distance_km(*p, *q) for p, q in itertools.pairwise(path))
    speed_kt = flown / 0.5 / 1.852
    reports = [(0.0, 0.0, 45.0, speed_kt, 0.0), (3.0, 0.0, 135.0, speed_kt, 1800.0)]
    corner = track_length_km([(0.0, 0.0, 45.0, None, 0.0), (3.0, 0.0, 135.0, None, 1800.0)])
    assert corner > flown * 1.05  # the corner path overshoots
    assert track_length_km(reports) == pytest.approx(flown, rel=1e-6)
    chord = distance_km(0.0, 0.0, 3.0, 0.0)
    slow = [(0.0, 0.0, 45.0, 100.0, 0.0), (3.0, 0.0, 135.0, 100.0, 1800.0)]
    assert track_length_km(slow) == pytest.approx(chord)  # never shorter than the chord
