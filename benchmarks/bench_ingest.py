"""Snapshot ingest: a 12,000-state OpenSky body parsed, classified, tracked, detected, committed.

Aircraft move between polls like real traffic (10 s apart), so the track assembler
and the database see what a global poll at 10 s produces.  Prints p50/p95 per
snapshot on SQLite and on PostgreSQL, and the peak RSS after one simulated hour.
Usage: python benchmarks/bench_ingest.py [--snapshots 360] [--pg URL]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text

from service.config import load_settings
from service.detect.engine import DetectionEngine
from service.feeds.opensky import OpenSkyClient
from service.geo.airspaces import AirportRegistry, AirspaceRegistry
from service.ingest import persist
from service.runtime import tune_gc
from service.store.db import make_engine, make_sessionmaker, upgrade

ROOT = Path(__file__).resolve().parents[1]
N = 12_000
T0 = datetime(2025, 11, 21, 12, 0, tzinfo=UTC)


def bodies(count: int):
    rng = np.random.default_rng(3)
    lons = rng.uniform(-180, 180, N)
    lats = np.degrees(np.arcsin(rng.uniform(-0.95, 0.95, N)))
    heading = rng.uniform(0, 2 * np.pi, N)
    hexes = [f"{a:06x}" for a in rng.choice(0xFFFFFF, N, replace=False)]
    callsigns = [f"TST{i:05d}" for i in range(N)]
    for k in range(count):
        t = int((T0 + timedelta(seconds=10 * k)).timestamp())
        step = 0.02 * k  # ~2 km per 10 s
        x = (lons + step * np.sin(heading) + 180) % 360 - 180
        y = np.clip(lats + step * np.cos(heading), -85, 85)
        states = [
            [
                hexes[i],
                callsigns[i],
                "X",
                t,
                t,
                float(x[i]),
                float(y[i]),
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
            for i in range(N)
        ]
        yield {"time": t, "states": states}


def run(url: str, count: int) -> list[float]:
    upgrade(url)
    settings = load_settings(
        ROOT / "config.yaml",
        database_url=url,
        seeds_dir=str(ROOT / "seeds"),
        watch={"routes_file": str(ROOT / "seeds" / "watched_routes.yaml")},
    )
    seeds = ROOT / "seeds"
    engine = DetectionEngine(
        settings,
        AirspaceRegistry.from_geojson(seeds / "firs.geojson"),
        AirportRegistry.from_csv(seeds / "airports.csv"),
        [],
    )
    client = OpenSkyClient(settings.feeds.opensky, None, lambda: T0)  # type: ignore[arg-type]
    db = make_engine(url)
    sessions = make_sessionmaker(db)
    timings = []
    for body in bodies(count):
        started = time.perf_counter()
        snapshot = client._snapshot(body, (-180, -90, 180, 90))
        result = engine.ingest(snapshot)
        with sessions.begin() as session:
            persist(session, engine, result, datetime.now(UTC))
        timings.append((time.perf_counter() - started) * 1000)
    db.dispose()
    return timings


def report(name: str, timings: list[float]) -> None:
    q = statistics.quantiles(timings, n=20)
    print(
        f"{name}: {len(timings)} snapshots of {N:,} states: p50 {statistics.median(timings):.0f} ms, "
        f"p95 {q[18]:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--snapshots", type=int, default=360)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    tune_gc()  # as every firwatch command does (service/runtime.py)
    path = Path("/tmp") / f"firwatch-bench-{uuid.uuid4().hex[:6]}.db"
    report("SQLite", run(f"sqlite:///{path}", args.snapshots))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak RSS after {args.snapshots} snapshots ({args.snapshots * 10 / 3600:.1f} h at 10 s): {rss_mb:.0f} MB"
    )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    name = f"firwatch_bench_{uuid.uuid4().hex[:6]}"
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        report("PostgreSQL", run(args.pg.rsplit("/", 1)[0] + f"/{name}", min(args.snapshots, 60)))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    asyncio.run(asyncio.sleep(0))
    main()
