"""Replay end to end: a global recording (12,000 states a poll, no bbox) from file to alerts
committed, per poll, next to ``json.loads`` of the same body measured in the same run.

The recording is what another tool might write for a global watch: one OpenSky poll
without parameters every 10 s, aircraft moving between polls, and the routeset answers
for every callsign.  ``firwatch replay``'s own function replays it into a fresh SQLite
database: reading the file, decoding, parsing, route look-ups, classification, tracks,
detection, the commit of every poll.
Usage: python benchmarks/bench_replay.py [--polls 360] [--states 12000] [--breakdown]
(360 polls = the issue's one-hour global recording; the default 60 keeps a run short.)
``--breakdown`` adds CPU milliseconds a poll per step (after the first poll, which creates
every flight), measured by wrapping the steps' functions: nested steps are included in
their callers' figures.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import functools
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from service.config import load_settings
from service.geo.airspaces import load_registries
from service.replay import replay
from service.runtime import tune_gc
from service.store.db import make_engine, make_sessionmaker, upgrade

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2025, 11, 21, 12, 0, tzinfo=UTC)


def write_recording(path: Path, polls: int, n: int) -> str:
    """The recording, and the text of one poll's body (for the json.loads reference)."""
    rng = np.random.default_rng(3)
    lons = rng.uniform(-180, 180, n)
    lats = np.degrees(np.arcsin(rng.uniform(-0.95, 0.95, n)))
    heading = rng.uniform(0, 2 * np.pi, n)
    hexes = [f"{a:06x}" for a in rng.choice(0xFFFFFF, n, replace=False)]
    callsigns = [f"TST{i:05d}" for i in range(n)]
    body_text = ""
    with path.open("w", encoding="utf-8") as handle:
        for k in range(polls):
            at = T0 + timedelta(seconds=10 * k)
            t = int(at.timestamp())
            step = 0.02 * k  # ~2 km per 10 s
            x = (lons + step * np.sin(heading) + 180) % 360 - 180
            y = np.clip(lats + step * np.cos(heading), -85, 85)
            states = [
                [
                    hexes[i],
                    callsigns[i].ljust(8),
                    "X",
                    t,
                    t,
                    round(float(x[i]), 4),
                    round(float(y[i]), 4),
                    10000.0,
                    False,
                    230.0,
                    90.0,
                    0.0,
                    None,
                    10050.0,
                    "2000",
                    False,
                    0,
                ]
                for i in range(n)
            ]
            body_text = json.dumps({"time": t, "states": states}, separators=(",", ":"))
            fetched = at.strftime("%Y-%m-%dT%H:%M:%SZ")
            handle.write(
                f'{{"source":"opensky","fetched_at":"{fetched}","request":{{"method":"GET",'
                f'"url":"https://opensky-network.org/api/states/all","params":{{}}}},'
                f'"status":200,"headers":{{"content-type":"application/json"}},'
                f'"body":{body_text}}}\n'
            )
            if k == 0:  # the first poll's route look-ups, 100 callsigns a request
                for start in range(0, n, 100):
                    chunk = callsigns[start : start + 100]
                    planes = [{"callsign": c, "lat": 0.0, "lng": 0.0} for c in chunk]
                    answers = [
                        {"callsign": c, "airport_codes": "unknown", "_airports": []} for c in chunk
                    ]
                    handle.write(
                        json.dumps(
                            {
                                "source": "routes",
                                "fetched_at": fetched,
                                "request": {
                                    "method": "POST",
                                    "url": "https://api.adsb.lol/api/0/routeset",
                                    "json": {"planes": planes},
                                },
                                "status": 200,
                                "headers": {},
                                "body": answers,
                            }
                        )
                        + "\n"
                    )
    return body_text


def json_loads_ms(text: str, repeats: int = 7) -> tuple[float, float]:
    """Median (CPU, wall) milliseconds of json.loads of the body."""
    cpu, wall = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        json.loads(text)
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return statistics.median(cpu), statistics.median(wall)


STEPS = collections.Counter()  # step -> CPU seconds (--breakdown)
POLLS_SEEN = [0]


def instrument() -> None:
    """Wrap the steps of a replayed poll to sum their CPU time (after the first poll)."""
    import service.detect.engine as engine
    import service.detect.tracks as tracks
    import service.ingest as ingest
    import service.pending_writes as pending
    import service.replay as replay_module

    def wrap(owner: object, name: str, label: str) -> None:
        inner = getattr(owner, name)

        @functools.wraps(inner)
        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                if POLLS_SEEN[0] > 1:
                    STEPS[label] += time.process_time() - started

        setattr(owner, name, timed)

    steps = [
        (replay_module, "read_body", "read the body from the file"),
        (replay_module, "decode_states", "decode (msgspec, typed)"),
        (replay_module, "snapshot_from_states", "parse to columns"),
        (engine.DetectionEngine, "unknown_callsigns", "callsigns to look up"),
        (engine.DetectionEngine, "ingest", "detection (engine.ingest)"),
        (tracks.TrackAssembler, "plain_reports", "  plain reports judged on arrays"),
        (engine.DetectionEngine, "_count_traffic", "  traffic counts"),
        (pending.PendingWrites, "flush", "storage (transaction, commit)"),
        (ingest, "insert_ignore", "  positions + samples insert"),
        (ingest, "upsert", "  flight rows upsert"),
        (ingest, "airborne_km_many", "  track lengths (geodesic)"),
    ]
    for owner, name, label in steps:
        wrap(owner, name, label)
        STEPS[label] = 0.0  # printed in this order
    read_body = replay_module.read_body

    def counted(*args, **kwargs):  # every poll of this recording is one body read
        POLLS_SEEN[0] += 1
        return read_body(*args, **kwargs)

    replay_module.read_body = counted


async def main(polls: int, n: int, breakdown: bool = False) -> None:
    tune_gc()  # as the firwatch command does
    if breakdown:
        instrument()
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as tmp:
        await measure(Path(tmp), polls, n)
    if breakdown and polls > 1:
        print(f"CPU ms a poll by step, polls 2-{polls}:")
        for label, seconds in STEPS.items():
            print(f"  {label:<36} {seconds * 1000 / (polls - 1):6.1f}")


async def measure(tmp: Path, polls: int, n: int) -> None:
    recording = tmp / "global.jsonl"
    body = write_recording(recording, polls, n)
    url = f"sqlite:///{tmp / 'replay.db'}"
    upgrade(url)
    settings = load_settings(
        ROOT / "config.yaml",
        database_url=url,
        seeds_dir=str(ROOT / "seeds"),
        watch={"routes_file": str(ROOT / "seeds" / "watched_routes.yaml")},
    )
    registries = load_registries(ROOT / "seeds")
    engine = make_engine(url)
    before = json_loads_ms(body)
    started, started_cpu = time.perf_counter(), time.process_time()
    report = await replay(recording, settings, make_sessionmaker(engine), *registries)
    seconds, cpu_s = time.perf_counter() - started, time.process_time() - started_cpu
    after = json_loads_ms(body)
    ref_cpu, ref_wall = min(before[0], after[0]), min(before[1], after[1])
    engine.dispose()
    opensky = report.sources["opensky"]
    assert opensky.used == polls and report.failed_rounds == 0 and not report.skipped, report
    per_poll_ms, per_poll_cpu_ms = seconds * 1000 / polls, cpu_s * 1000 / polls
    size_mb = recording.stat().st_size / 1e6
    print(
        f"recording: {polls} global polls x {n:,} states, no bbox ({size_mb:.0f} MB JSONL), "
        f"{report.sources['routes'].used} routeset answers"
    )
    print(
        f"replay end to end (file -> alerts committed): {seconds:.1f} s wall, {cpu_s:.1f} s "
        f"CPU; per poll {per_poll_ms:.0f} ms wall, {per_poll_cpu_ms:.0f} ms CPU; every poll "
        f"ingested ({opensky.used}/{polls})"
    )
    print(
        f"json.loads of one poll's body ({len(body) / 1e6:.1f} MB): {ref_wall:.1f} ms wall, "
        f"{ref_cpu:.1f} ms CPU"
    )
    # CPU time is the fair measure on a shared machine (wall time includes other processes)
    print(
        f"ratio: {per_poll_cpu_ms / ref_cpu:.1f}x json.loads per poll in CPU time "
        f"({per_poll_ms / ref_wall:.1f}x wall; target <= 4x)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--polls", type=int, default=60)
    parser.add_argument("--states", type=int, default=12_000)
    parser.add_argument("--breakdown", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.polls, args.states, args.breakdown))
