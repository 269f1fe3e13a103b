from datetime import UTC, datetime, timedelta

from service.detect.tracks import TrackAssembler
from service.domain import Position

T0 = datetime(2025, 11, 21, 18, 0, tzinfo=UTC)


def pos(
    minutes: float, lon=-66.0, lat=10.0, alt=35000.0, ground=False, cs="KLM123", hexid="484abc"
):
    return Position(hexid, cs, T0 + timedelta(minutes=minutes), lon, lat, alt, ground)


def assembler() -> TrackAssembler:
    return TrackAssembler(gap=timedelta(minutes=30), landing_max_altitude_ft=2000, max_flights=100)


def test_out_of_order_and_duplicates_are_merged_in_time_order():
    a = assembler()
    for m in (0, 10, 5, 10, 15):
        a.add(pos(m, lon=-66 + m / 10), None)
    (flight,) = a.flights()
    assert [p.observed_at for p in flight.points] == [
        T0 + timedelta(minutes=m) for m in (0, 5, 10, 15)
    ]


def test_gap_splits_flights_and_ids_are_deterministic():
    a = assembler()
    a.add(pos(0), None)
    f2, ended, _ = a.add(pos(45), None)
    assert ended is not None and ended.id == "484abc-20251121T180000Z"
    assert f2.id == "484abc-20251121T184500Z"


def test_takeoff_after_landing_starts_new_flight_with_inferred_origin():
    a = assembler()
    a.add(pos(0, lon=-66.6, alt=12000), None)
    flight, _, _ = a.add(pos(10, lon=-66.0, ground=True, alt=0), "SVZM")
    flight.landed_at, flight.landed_time = "TNCC", T0 + timedelta(minutes=10)
    late, ended, _ = a.add(pos(8, lon=-66.1, alt=1500), None)  # late report from before the landing
    assert ended is None and late is flight
    new, ended, _ = a.add(pos(20, lon=-65.9, alt=5000), None)
    assert ended is flight and new is not flight
    assert new.origin_inferred == "TNCC"
    assert flight.airspaces == {"SVZM"}


def test_expiry_and_memory_bound():
    a = TrackAssembler(gap=timedelta(minutes=30), landing_max_altitude_ft=2000, max_flights=2)
    for i in range(3):
        a.add(pos(i, hexid=f"48400{i}"), None)
    evicted = a.expire(T0 + timedelta(minutes=3))  # nothing stale: only the bound applies
    assert len(a) == 2 and [f.icao24 for f in evicted] == ["484000"]
    expired = a.expire(T0 + timedelta(hours=2))
    assert len(a) == 0 and len(expired) == 2


def test_track_length_is_extended_incrementally_and_remeasured_after_a_late_report():
    from service.geo.geodesy import path_length_km

    def full(flight) -> float:
        air = flight.airborne_points()
        return path_length_km([p.lon for p in air], [p.lat for p in air])

    a = assembler()
    steps = [(0, False), (5, False), (10, True), (15, False), (20, False), (12, False), (25, False)]
    for k, (m, ground) in enumerate(steps):
        flight, _, _ = a.add(pos(m, lon=-66 + m / 7, lat=10 + (k % 2) / 3, ground=ground), None)
        assert abs(flight.airborne_km() - full(flight)) < 1e-6  # same as measuring it all
    assert flight.airborne_km() > 300.0


def test_frozen_and_impossible_reports_are_dropped():
    """After touchdown a feed repeats an airborne position with garbage altitudes, and
    single reports jump hundreds of km: neither may start a flight or bend a track."""
    a = assembler()
    for m, lon, alt in ((0, -66.6, 9000), (5, -66.3, 4000), (10, -66.05, 900)):
        flight, _, added = a.add(pos(m, lon=lon, alt=alt), None)
        assert added
    flight, _, _ = a.add(pos(14, lon=-66.0, alt=0, ground=True), None)
    flight.landed_at, flight.landed_time = "TNCC", T0 + timedelta(minutes=14)
    for m, alt in ((19, 31000), (24, -400), (29, 12000)):  # frozen at the last airborne fix
        same, ended, added = a.add(pos(m, lon=-66.05, alt=alt), None)
        assert (same, ended, added) == (flight, None, False)
    spike, ended, added = a.add(pos(30, lon=-60.0, alt=0, ground=True), None)
    assert (spike, ended, added) == (flight, None, False)  # 650 km in a minute
    assert flight.rejected == 4 and len(flight.points) == 4 and len(a) == 1


def test_a_spike_accepted_first_is_replaced_by_consistent_reports():
    a = assembler()
    a.add(pos(0, lon=-60.0), None)  # a bad first fix, 650 km off
    for m in range(1, 6):
        flight, _, _ = a.add(pos(m, lon=-66.0 + m * 0.1), None)
    assert [round(p.lon, 1) for p in flight.points] == [-65.6, -65.5]
