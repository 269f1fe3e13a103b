"""The column parser of well-typed ``/states/all`` bodies keeps parse_state's rules.

A body whose rows all have the documented types is parsed by column
(``_typed_positions``); any other body row by row by :func:`parse_state`.  The same rows
through both must give the same positions, rejections and skips: nulls, a zero
``time_position``, unusable addresses, coordinates out of range, a time no datetime holds.
"""

from __future__ import annotations

import json
import random

from service.feeds.base import FeedStats, decode_json
from service.feeds.opensky import StatesBody, decode_states, snapshot_from_states
from service.position_batch import PositionBatch


def row(rng: random.Random) -> list:
    def num(lo: float, hi: float):
        return rng.choice([None, 0, rng.randint(-3, 3), rng.uniform(lo, hi), rng.uniform(lo, hi)])

    seen = [None, 0, 1763747000, 1763747000.25, 1763747010, 10**14]  # 10**14 s: no datetime
    return [
        rng.choice(["4B1814", " abc123 ", "zzzzzz", "abc12", "0d8001"]),
        rng.choice([None, "", "   ", "SWR12A  ", "KLM1"]),
        "X",
        rng.choice(seen),
        rng.choice(seen),
        num(-200, 200),
        num(-95, 95),
        num(-500, 40000),
        rng.random() < 0.3,
        num(0, 300),
        num(0, 360),
        None,
        None,
        num(0, 40000),
        None,
        False,
        0,
    ]


def parsed(body: object) -> tuple:
    stats = FeedStats()
    snap = snapshot_from_states(body, None, stats)
    positions = [
        (
            p.icao24,
            p.callsign,
            p.observed_at,
            p.lon,
            p.lat,
            p.altitude_ft,
            p.on_ground,
            p.ground_speed_kt,
            p.track_deg,
            p.source,
        )
        for p in snap.positions
    ]
    return positions, snap.rejected, stats.rejected_last, stats.skipped_last


def test_columns_and_row_by_row_agree_on_every_rule():
    rng = random.Random(11)
    kept = rejected = 0
    for _ in range(200):
        text = json.dumps(
            {"time": 1763747000, "states": [row(rng) for _ in range(rng.randint(0, 30))]}
        )
        typed = decode_states(text.encode())
        assert isinstance(typed, StatesBody)  # the column path
        columns = parsed(typed)
        assert columns == parsed(decode_json(text.encode()))  # the row-by-row path
        kept, rejected = kept + len(columns[0]), rejected + columns[1]
    assert kept > 100 and rejected > 100


def test_a_typed_poll_is_a_batch_and_reads_as_positions():
    text = json.dumps(
        {
            "time": 1763747000,
            "states": [
                [
                    "4B1814",
                    "SWR12A  ",
                    "CH",
                    1763747000,
                    1763747001,
                    8.5,
                    47.4,
                    3345.18,
                    False,
                    152.4,
                    276.3,
                    None,
                    None,
                    None,
                    None,
                    False,
                    0,
                ]
            ],
        }
    )
    snap = snapshot_from_states(decode_states(text.encode()), None)
    assert isinstance(snap.positions, PositionBatch)
    (p,) = snap.positions
    assert (p.icao24, p.callsign, round(p.altitude_ft), round(p.ground_speed_kt)) == (
        "4b1814",
        "SWR12A",
        10975,
        296,
    )
