"""A new leader (or a restarted process) judges traffic from the same baseline: the
traffic model is rebuilt from the traffic_samples the old one stored."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from service.detect.engine import DetectionEngine
from service.domain import AirspaceStatus, Position, Snapshot
from service.geo.airspaces import load_seed_registries
from service.ingest import persist
from service.store.engine_state import restore_engine
from tests.conftest import ROOT

T0 = datetime(2025, 11, 17, 0, 0, tzinfo=UTC)
POLL = timedelta(minutes=10)


def engine(settings) -> DetectionEngine:
    seeds = ROOT / "seeds"
    return DetectionEngine(settings, *load_seed_registries(seeds), [])


class Sky:
    """Foreign (12 an hour) and domestic (3 an hour) aircraft crossing SVZM in 45 minutes,
    and 30 aircraft elsewhere in the box."""

    def __init__(self) -> None:
        self.rng = random.Random(15)
        self.inside: dict[str, datetime] = {}
        self.n = 0

    def snapshot(self, at: datetime, foreign: bool = True) -> Snapshot:
        self.inside = {k: v for k, v in self.inside.items() if v > at}
        for rate, block in ((12.0 if foreign else 0.0, 0x400000), (3.0, 0x0D8000)):
            for _ in range(sum(self.rng.random() < rate / 60 for _ in range(10))):
                self.n += 1
                self.inside[f"{block + self.n:06x}"] = at + timedelta(minutes=45)
        positions = [
            Position(icao, None, at, -66.0 + i * 1e-3, 8.0, 35000.0, False)
            for i, icao in enumerate(sorted(self.inside))
        ]
        positions += [
            Position(f"a{i:05x}", None, at, -75.0, 20.0 + i * 0.01, 35000.0, False)
            for i in range(30)
        ]
        return Snapshot("opensky", at, tuple(positions))


def play_then_restart(settings, sessions) -> tuple[Sky, DetectionEngine, DetectionEngine, datetime]:
    """30 hours of Sky polled every 10 minutes and stored; then the leader dies and a new
    engine is restored from the database.  Returns the sky, both engines and the data time."""
    sky = Sky()
    old = engine(settings)
    at = T0
    while at < T0 + timedelta(hours=30):
        result = old.ingest(sky.snapshot(at))
        with sessions.begin() as s:
            persist(s, old, result, at)
        at += POLL
    new = engine(settings)
    with sessions() as s:
        restore_engine(s, new)
    return sky, old, new, at


@pytest.mark.parametrize("world", [False, True], ids=["per-fir", "all-firs-at-once"])
def test_new_leader_decides_from_the_same_baseline(settings, sessions, world):
    # world: the traffic models judged together as arrays (watch.airspaces: all)
    settings = settings.model_copy(
        update={"watch": settings.watch.model_copy(update={"world": world})}
    )
    sky, old, new, at = play_then_restart(settings, sessions)
    before, after = old.trackers["SVZM"], new.trackers["SVZM"]
    assert (old.batch is not None) == (new.batch is not None) == world
    if old.batch is not None:
        old.batch.flush()  # the hour being learned, summed in arrays, into its bin
    assert before.model.baseline.bins and after.model.baseline.bins == before.model.baseline.bins
    for hour in range(24):
        when = at + timedelta(hours=hour)
        assert after.model.baseline.expect(when) == before.model.baseline.expect(when)
    assert after.baseline(at)[1].startswith("learned days")
    # foreign carriers stop: both flag the collapse, from the same expectation, within a poll
    flagged = []
    for tracker, eng in ((before, old), (after, new)):
        replay = Sky()
        replay.rng, replay.inside, replay.n = random.Random(16), dict(sky.inside), sky.n
        t, first = at, None
        while t < at + timedelta(hours=3):
            eng.ingest(replay.snapshot(t, foreign=False))
            if first is None and tracker.status == AirspaceStatus.RESTRICTED:
                first = t
            t += POLL
        flagged.append(first)
    assert flagged[0] is not None and flagged[1] is not None
    assert abs(flagged[0] - flagged[1]) <= POLL, flagged


def test_after_a_restart_another_feed_takes_over_after_a_gap(settings, sessions):
    """OpenSky judged SVZM before the restart; afterwards only ADS-B polls arrive (OpenSky
    out of credits): ADS-B takes over once OpenSky has been silent for a data gap, and the
    collapse is still found."""
    sky, _old, new, at = play_then_restart(settings, sessions)
    tracker = new.trackers["SVZM"]
    assert tracker.source == "opensky"

    def adsbx(snapshot: Snapshot) -> Snapshot:
        return Snapshot("adsbx", snapshot.fetched_at, snapshot.positions, bbox=(-80, 0, -55, 20))

    new.ingest(adsbx(sky.snapshot(at)))
    assert tracker.source == "opensky"  # within the gap: OpenSky may still come back
    t, first = at + POLL, None
    while t < at + timedelta(hours=4):
        new.ingest(adsbx(sky.snapshot(t, foreign=t < at + timedelta(hours=1))))
        if first is None and tracker.status == AirspaceStatus.RESTRICTED:
            first = t
        t += POLL
    assert tracker.source == "adsbx"
    assert first is not None and first > at + timedelta(hours=1), first
