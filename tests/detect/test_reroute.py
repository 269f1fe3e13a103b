import pytest
from shapely import box

from service.detect.reroute import assess_reroute, estimate_flown_km
from service.geo.geodesy import distance_km, great_circle_points, path_length_km


def test_track_on_great_circle_has_no_extra_distance():
    origin, dest = (-80.29, 25.80), (-70.02, 12.50)  # KMIA -> TNCA
    track = great_circle_points(*origin, *dest, step_km=100)[3:-3]
    a = assess_reroute(origin, dest, track, {"BOX": box(-60, 0, -59, 1)})
    assert a.extra_km == pytest.approx(0, abs=0.5)
    assert a.crossed == () and a.avoided == ()


def test_detour_around_box_is_measured_exactly_on_great_circle_legs():
    origin, dest = (-61.34, 10.60), (-68.96, 12.19)  # TTPP -> TNCC
    waypoint = (-65.0, 14.5)
    leg1 = great_circle_points(*origin, *waypoint, step_km=50)
    leg2 = great_circle_points(*waypoint, *dest, step_km=50)
    track = leg1[2:] + leg2[1:-2]  # first and last observations on the first and last legs
    area = box(-66.0, 9.0, -64.0, 12.5)
    a = assess_reroute(origin, dest, track, {"AREA": area})
    truth = (
        distance_km(*origin, *waypoint)
        + distance_km(*waypoint, *dest)
        - distance_km(*origin, *dest)
    )
    assert a.avoided == ("AREA",)
    assert a.extra_km == pytest.approx(truth, rel=0.01)
    assert a.extra_nm == pytest.approx(a.extra_km / 1.852)
    assert a.extra_minutes > 0


def test_track_crossing_the_area_is_not_avoidance():
    origin, dest = (-61.34, 10.60), (-68.96, 12.19)
    track = great_circle_points(*origin, *dest, step_km=50)[1:-1]
    a = assess_reroute(origin, dest, track, {"AREA": box(-66.0, 9.0, -64.0, 12.5)})
    assert a.crossed == ("AREA",)
    assert a.avoided == ()


def test_flown_estimate_is_never_above_the_path_length():
    origin, dest = (0.0, 0.0), (10.0, 0.0)
    path = [(2.0, 1.0), (5.0, 3.0), (8.0, 1.0)]
    full = path_length_km([0.0, 2.0, 5.0, 8.0, 10.0], [0.0, 1.0, 3.0, 1.0, 0.0])
    assert estimate_flown_km(origin, dest, path[1:2]) <= full + 1e-6
    assert estimate_flown_km(origin, dest, path) == pytest.approx(full)
