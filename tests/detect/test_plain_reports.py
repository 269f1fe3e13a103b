"""The bulk path of a wide poll decides exactly as the per-report one.

Detection judges the usual report of an airborne flight for the whole poll on arrays
(``TrackAssembler.plain_reports``) and appends runs of them in bulk; every other report
takes ``add_report``.  Random polls with spikes, frozen repeats, landings, callsign changes,
gaps and duplicates must leave the same flights, in the same memory order, as
``add_report`` for every report.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np

from service.detect.tracks import ActiveFlight, TrackAssembler, airborne_km_many
from service.position_batch import PositionBatch

T0 = datetime(2025, 11, 21, 12, 0, tzinfo=UTC)


def assembler() -> TrackAssembler:
    return TrackAssembler(
        gap=timedelta(minutes=30), landing_max_altitude_ft=2000, max_flights=10**6
    )


def random_polls(seed: int, aircraft: int = 60, polls: int = 40) -> list[PositionBatch]:
    rng = random.Random(seed)
    state = {
        f"{i:06x}": [rng.uniform(-70, -60), rng.uniform(5, 15), 30000.0] for i in range(aircraft)
    }
    out = []
    for k in range(polls):
        rows = []
        for hexid, (lon, lat, alt) in state.items():
            if rng.random() < 0.1:
                continue  # not in this poll
            step = rng.choice([0.02, 0.02, 0.02, 0.0, 5.0])  # moving, frozen, spike
            lon, lat = lon + step, lat + step / 2
            alt = rng.choice([alt, alt, alt + 3000, 0.0, None])
            ground = alt == 0.0 and rng.random() < 0.5
            callsign = rng.choice([f"C{hexid}", f"C{hexid}", None, "OTHER1"])
            seconds = 10 * k + rng.choice([0, 0, 0, 3, -20]) + (3000 if rng.random() < 0.01 else 0)
            rows.append((hexid, callsign, T0 + timedelta(seconds=seconds), lon, lat, alt, ground))
            if rng.random() < 0.02:  # the same aircraft twice in one poll
                rows.append(
                    (hexid, callsign, T0 + timedelta(seconds=seconds + 5), lon, lat, alt, ground)
                )
            if step != 5.0:
                state[hexid] = [lon, lat, alt if alt is not None else 30000.0]
        cols = list(zip(*rows, strict=True))
        n = len(rows)
        batch = PositionBatch(
            list(cols[0]),
            list(cols[1]),
            list(cols[2]),
            list(cols[3]),
            list(cols[4]),
            list(cols[5]),
            list(cols[6]),
            [None] * n,
            [90.0] * n,
            ["opensky"] * n,
        )
        out.append(batch.sorted_by_time())
    return out


def one_by_one(batch: PositionBatch, tracks: TrackAssembler) -> None:
    for i in range(len(batch)):
        tracks.add_report(
            batch.icao24[i],
            batch.callsign[i],
            batch.observed_at[i],
            batch.lon[i],
            batch.lat[i],
            batch.altitude_ft[i],
            batch.on_ground[i],
            batch.track_deg[i],
            None,
            batch.ground_speed_kt[i],
        )


def in_bulk(batch: PositionBatch, tracks: TrackAssembler) -> int:
    plain = tracks.plain_reports(
        batch.icao24,
        batch.callsign,
        batch.observed_at,
        batch.lons,
        batch.lats,
        batch.altitude_ft,
        batch.on_ground,
    )
    for i, flight in enumerate(plain):
        if flight is None:
            one_by_one(batch.take([i]), tracks)
        else:
            tracks.append_plain(
                [flight],
                [batch.icao24[i]],
                [batch.observed_at[i]],
                [batch.lon[i]],
                [batch.lat[i]],
                [batch.altitude_ft[i]],
                [batch.track_deg[i]],
                [batch.ground_speed_kt[i]],
            )
    return sum(f is not None for f in plain)


def snapshot(tracks: TrackAssembler) -> list[tuple]:
    def flight(f: ActiveFlight) -> tuple:
        return (
            f.id,
            f.callsign,
            f.first_seen,
            f.last_seen,
            f.airborne_seen,
            f.rejected,
            f.rejected_in_a_row,
            [(p.observed_at, p.lon, p.lat, p.altitude_ft, p.on_ground) for p in f.points],
        )

    return [flight(f) for f in tracks.flights()]  # in memory (eviction) order


def test_bulk_path_leaves_the_same_flights_as_add_report():
    plain_total = total = 0
    for seed in range(3):
        reference, bulk = assembler(), assembler()
        for batch in random_polls(seed):
            one_by_one(batch, reference)
            plain_total += in_bulk(batch, bulk)
            total += len(batch)
            assert snapshot(bulk) == snapshot(reference)
    # both paths were really taken (the noisy polls make most reports doubtful)
    assert 300 < plain_total < total


def test_track_lengths_in_one_call_equal_one_flight_at_a_time():
    reference, bulk = assembler(), assembler()
    for k, batch in enumerate(random_polls(5, aircraft=30)):
        one_by_one(batch, reference)
        one_by_one(batch, bulk)
        if k % 7 == 3:  # trimmed tails re-measure from scratch, as far flights do
            for tracks in (reference, bulk):
                for f in tracks.flights():
                    del f.points[:-3]
        if k % 3 == 0:
            expected = [f.airborne_km() for f in reference.flights()]
            assert airborne_km_many(bulk.flights()) == expected
    assert any(km > 0 for km in expected)


def test_batch_rows_are_the_positions_they_hold():
    (batch,) = random_polls(1, aircraft=5, polls=1)
    rows = list(batch)
    assert PositionBatch.from_positions(rows) == batch == tuple(rows)
    assert batch[1:3] == tuple(rows[1:3]) and len(batch) == len(rows)
    assert np.array_equal(batch.lons, [p.lon for p in rows])


def test_a_route_written_later_reaches_a_flight_seen_without_one(settings):
    """Plain reports skip the route look-up while the route cache has not been written since
    the flight's callsign had no route; a later answer still reaches the flight."""
    from service.detect.engine import DetectionEngine
    from service.domain import Position, Route, Snapshot
    from service.feeds.callsign_routes import CallsignRouteCache
    from service.geo.airspaces import AirportRegistry, AirspaceRegistry
    from tests.conftest import ROOT

    cache = CallsignRouteCache(ttl_s=3600, timer=lambda: 0.0)
    engine = DetectionEngine(
        settings,
        AirspaceRegistry.from_geojson(ROOT / "seeds" / "firs.geojson"),
        AirportRegistry.from_csv(ROOT / "seeds" / "airports.csv"),
        [],
        route_cache=cache,
    )

    def poll(k: int) -> None:
        at = T0 + timedelta(seconds=60 * k)
        position = Position("a00001", "KLM1", at, 20.0 + 0.1 * k, 40.0, 35000.0, False)
        engine.ingest(Snapshot("opensky", at, (position,)))

    cache["KLM1"] = None  # asked: the source does not know it
    for k in range(3):
        poll(k)
    (flight,) = engine.tracks.flights()
    assert flight.route is None and flight.route_checked == (cache.writes, "KLM1")
    cache["KLM1"] = Route("KLM1", "EHAM", "TNCC")  # a later answer
    poll(3)
    assert flight.route == Route("KLM1", "EHAM", "TNCC") and len(flight.points) == 4
