"""Record a stretch of the scenario over real HTTP, replay it: same alerts, no duplicates."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import httpx
from sqlalchemy import func, select

from service.geo.airspaces import load_seed_registries
from service.recording_format import scan
from service.replay import JsonlRecorder, replay
from service.runtime import build_runtime
from service.sim.clock import ScenarioClock
from service.sim.emulator import create_emulator_app
from service.sim.scenario import load_scenario
from service.store.db import make_engine, make_sessionmaker, upgrade
from service.store.models import AlertRow
from tests.support import CRED, ThreadedServer, scenario_settings


def alert_keys(url: str) -> dict[str, str]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        out = {r.dedup_key: r.status for r in s.scalars(select(AlertRow))}
        total = s.scalar(select(func.count()).select_from(AlertRow))
    engine.dispose()
    assert total == len(out)
    return out


async def test_record_then_replay_twice(tmp_path, database_url):
    scenario = load_scenario("venezuela-2025-11")
    clock = ScenarioClock(scenario.start, scenario.end)
    app = create_emulator_app(
        scenario,
        clock,
        faa_client_id=CRED,
        faa_client_secret=CRED,
        opensky_client_id=CRED,
        opensky_client_secret=CRED,
    )
    recording = tmp_path / "day.jsonl"
    with ThreadedServer(app) as emu:
        settings = scenario_settings(tmp_path, emu.url, database_url)
        upgrade(settings.resolved_database_url)
        seeds = settings.path(settings.seeds_dir)
        airspaces, airports = load_seed_registries(seeds)
        at = datetime(2025, 11, 21, 17, 30, tzinfo=scenario.start.tzinfo)
        with recording.open("w", encoding="utf-8") as handle:
            async with (
                httpx.AsyncClient(timeout=10) as http,
                build_runtime(
                    settings,
                    http=http,
                    registries=(airspaces, airports),
                    recorder=JsonlRecorder(handle),
                    clock=clock.now,
                ) as runtime,
            ):
                poller = runtime.poller
                assert poller is not None
                while at <= datetime(2025, 11, 21, 21, 0, tzinfo=at.tzinfo):
                    clock.set(at)
                    assert all(r.ok for r in await poller.poll_once())
                    at += timedelta(minutes=5)
    live = alert_keys(settings.resolved_database_url)
    assert any(k.startswith("flight.rerouted") for k in live)
    assert any(k.startswith("airspace.status_changed") for k in live)

    lines = recording.read_text().splitlines()
    sources = {json.loads(line)["source"] for line in lines}
    assert sources == {"opensky", "adsbx", "faa_notam", "routes"}
    for line in lines:
        record = json.loads(line)
        assert set(record) == {"source", "fetched_at", "request", "status", "headers", "body"}
        assert record["fetched_at"].endswith("Z") and CRED not in line
    with recording.open("a") as handle:  # damage the file: counted, not fatal
        handle.write("{not json\n")
        handle.write(json.dumps({"source": "radar", "fetched_at": "2025-11-21T18:00:00Z"}) + "\n")

    replay_url = f"sqlite:///{tmp_path / 'replay.db'}"
    upgrade(replay_url)
    replay_settings = settings.model_copy(update={"database_url": replay_url})
    engine = make_engine(replay_url)
    first = await replay(recording, replay_settings, make_sessionmaker(engine), airspaces, airports)
    after_first = alert_keys(replay_url)
    second = await replay(
        recording, replay_settings, make_sessionmaker(engine), airspaces, airports
    )
    engine.dispose()
    n = len(lines)
    assert first.skipped == [(n + 1, "invalid JSON"), (n + 2, "unknown source 'radar'")]
    assert first.failed_rounds == 0 and second.failed_rounds == 0
    assert first.rounds == second.rounds > 100
    assert alert_keys(replay_url) == after_first  # no duplicates from the second replay
    # the replayed day raises the same alerts as the live one
    assert set(after_first) == set(live)
    assert scan(recording).routes
