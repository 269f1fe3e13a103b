"""Replay: a recorded stretch of the SVZM region at a 10 s poll interval, replayed as fast as it goes.

Records two scenario hours (17:00–19:00Z, across the warning) through the loopback emulator
with OpenSky and ADSBx polled every 10 s and NOTAMs every 10 min, then replays the file
into a fresh SQLite database and prints the speed as a multiple of real time.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from service.config import load_settings
from service.domain import FeedName
from service.geo.airspaces import AirportRegistry, AirspaceRegistry
from service.jobs import Poller
from service.replay import JsonlRecorder, replay
from service.sim.clock import ScenarioClock
from service.sim.emulator import create_emulator_app
from service.sim.scenario import load_scenario
from service.store.db import make_engine, make_sessionmaker, upgrade

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2025, 11, 21, 17, 0, tzinfo=UTC)
HOURS = 2.0


async def main() -> None:
    scenario = load_scenario("venezuela-2025-11")
    clock = ScenarioClock(scenario.start, scenario.end)
    # authenticated: 4,000 credits a day, as a production deployment would have
    app = create_emulator_app(
        scenario, clock, opensky_client_id="bench", opensky_client_secret="bench"
    )
    tmp = Path(tempfile.mkdtemp())
    settings = load_settings(
        ROOT / "config.yaml", database_url=f"sqlite:///{tmp / 'record.db'}",
        seeds_dir=str(ROOT / "seeds"),
        watch={"routes_file": str(ROOT / "seeds" / "watched_routes.yaml")},
        feeds={"opensky": {"base_url": "http://emu/api", "client_id": "bench", "client_secret": "bench",
                           "token_url": "http://emu/auth/realms/opensky-network/protocol/openid-connect/token"},
               "adsbx": {"base_url": "http://emu"},
               "faa_notam": {"base_url": "http://emu/notamapi/v1"}, "routes": {"base_url": "http://emu"}},
    )  # fmt: skip
    seeds = ROOT / "seeds"
    airspaces = AirspaceRegistry.from_geojson(seeds / "firs.geojson")
    airports = AirportRegistry.from_csv(seeds / "airports.csv")
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    recording = tmp / "stretch.jsonl"
    steps = int(HOURS * 360)
    with recording.open("w") as handle:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://emu"
        ) as http:
            poller = Poller(settings, make_sessionmaker(engine), http, airspaces, airports,
                            recorder=JsonlRecorder(handle), clock=clock.now)  # fmt: skip
            for k in range(steps):
                clock.set(START + timedelta(seconds=10 * k))
                if k % 60 == 0:
                    await poller.poll_notams()
                await poller.poll_positions(FeedName.OPENSKY.value)
                await poller.poll_positions(FeedName.ADSBX.value)
    engine.dispose()
    size_mb = recording.stat().st_size / 1e6
    url = f"sqlite:///{tmp / 'replay.db'}"
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    report = await replay(recording, settings, make_sessionmaker(engine), airspaces, airports)
    seconds = time.perf_counter() - started
    engine.dispose()
    print(f"recording: {HOURS:g} h of the SVZM region at 10 s ({report.rounds} poll rounds, "
          f"{size_mb:.0f} MB JSONL, {report.positions:,} positions)")  # fmt: skip
    print(
        f"replay: {seconds:.1f} s wall = {HOURS * 3600 / seconds:.0f}x real time, "
        f"{report.alerts} alert changes, {report.failed_rounds} failed rounds"
    )


if __name__ == "__main__":
    asyncio.run(main())
