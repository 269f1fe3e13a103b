"""Three real `firwatch serve` processes on one PostgreSQL: one leader polls; SIGKILL it and
another takes over within seconds, with no duplicate alerts."""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import UTC, datetime

import httpx
from sqlalchemy import text

from service.sim.clock import ScenarioClock
from service.sim.emulator import create_emulator_app
from service.sim.scenario import load_scenario
from service.store.db import make_engine
from tests.support import ThreadedServer, free_port, serve_env, start_serve, wait_for

CRED = "replica-test"


def health(port: int) -> dict | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).json()
    except (httpx.HTTPError, ValueError):
        return None


def test_leader_failover(pg_url, tmp_path):
    scenario = load_scenario("venezuela-2025-11")
    clock = ScenarioClock(scenario.start, scenario.end, speed=120.0)
    clock.set(datetime(2025, 11, 21, 17, 30, tzinfo=UTC))
    emulator = create_emulator_app(
        scenario,
        clock,
        faa_client_id=CRED,
        faa_client_secret=CRED,
        opensky_client_id=CRED,
        opensky_client_secret=CRED,
    )
    with ThreadedServer(emulator) as emu:
        env = serve_env(
            pg_url,
            emu.url,
            CRED,
            FIRWATCH_FEEDS__OPENSKY__INTERVAL_S="0.5",
            FIRWATCH_FEEDS__ADSBX__INTERVAL_S="0.5",
            FIRWATCH_FEEDS__FAA_NOTAM__INTERVAL_S="1",
        )
        ports = [free_port() for _ in range(3)]
        procs = {port: start_serve(env, port, tmp_path, subprocess.PIPE) for port in ports}
        try:

            def leaders(alive):
                states = {p: health(p) for p in alive}
                if any(s is None for s in states.values()):
                    return None
                found = [p for p, s in states.items() if s["scheduler"] == "leader"]
                return found if len(found) == 1 else None

            leader = wait_for(lambda: leaders(ports), 30, "exactly one leader")[0]
            standby = [p for p in ports if p != leader]
            assert all(health(p)["scheduler"] == "standby" for p in standby)
            polls_before = wait_for(
                lambda: (health(leader)["feeds"].get("opensky") or {}).get("polls"), 15, "polls"
            )
            procs[leader].send_signal(signal.SIGKILL)
            procs[leader].wait(timeout=10)
            killed_at = time.monotonic()
            new_leader = wait_for(lambda: leaders(standby), 15, "a new leader")[0]
            takeover_s = time.monotonic() - killed_at
            print(f"leader failover: {takeover_s:.1f} s after SIGKILL")
            assert new_leader in standby and takeover_s < 10
            wait_for(
                lambda: (health(new_leader)["feeds"]["opensky"]["polls"] or 0) > polls_before + 2,
                15,
                "polling to resume",
            )
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.terminate()
            for proc in procs.values():
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        dupes = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT dedup_key FROM alerts GROUP BY dedup_key "
                "HAVING count(*) > 1) d"
            )
        ).scalar()
        positions = conn.execute(text("SELECT count(*) FROM positions")).scalar()
    engine.dispose()
    assert dupes == 0 and positions > 0
