"""SIGKILL the service in the middle of ingest and webhook delivery, restart it:
the database is intact, polling resumes, and every alert is delivered under one stable id."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import select

from service.sim.clock import ScenarioClock
from service.sim.emulator import create_emulator_app
from service.sim.scenario import load_scenario
from service.store.db import make_engine, make_sessionmaker, upgrade
from service.store.models import AlertRow, WebhookDeliveryRow, WebhookRow
from service.webhooks.signing import new_secret
from tests.support import Receiver, ThreadedServer, free_port, serve_env, start_serve, wait_for

CRED = "crash-test"


class SlowReceiver(Receiver):
    """Answers after a pause, so a kill lands while a delivery is in flight."""

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            await asyncio.sleep(0.4)
        await super().__call__(scope, receive, send)


def test_sigkill_during_ingest_and_delivery(tmp_path):
    db = tmp_path / "crash.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    scenario = load_scenario("venezuela-2025-11")
    clock = ScenarioClock(scenario.start, scenario.end, speed=900.0)
    clock.set(datetime(2025, 11, 21, 18, 0, tzinfo=UTC))
    emulator = create_emulator_app(
        scenario,
        clock,
        faa_client_id=CRED,
        faa_client_secret=CRED,
        opensky_client_id=CRED,
        opensky_client_secret=CRED,
    )
    receiver = SlowReceiver()
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with ThreadedServer(emulator) as emu, ThreadedServer(receiver) as hook:
        with sessions.begin() as s:
            s.add(
                WebhookRow(
                    id="wh_crash",
                    url=f"{hook.url}/hook",
                    secret=new_secret(),
                    event_types=[],
                    filters={},
                    created_at=datetime.now(UTC),
                    consecutive_failures=0,
                )
            )
        env = serve_env(
            url,
            emu.url,
            CRED,
            FIRWATCH_FEEDS__OPENSKY__INTERVAL_S="0.2",
            FIRWATCH_FEEDS__ADSBX__INTERVAL_S="0.2",
            FIRWATCH_FEEDS__FAA_NOTAM__INTERVAL_S="0.5",
            FIRWATCH_WEBHOOKS__ALLOW_PRIVATE_TARGETS="true",
            FIRWATCH_WEBHOOKS__INTERVAL_S="0.2",
            FIRWATCH_WEBHOOKS__LEASE_S="1",
        )

        def count(model):
            with sessions() as s:
                return len(s.scalars(select(model)).all())

        port = free_port()
        first = start_serve(env, port, tmp_path)
        try:
            wait_for(
                lambda: count(AlertRow) >= 3 and len(receiver.requests) >= 1,
                60,
                "alerts and a delivery",
            )
            first.send_signal(signal.SIGKILL)  # polling every 0.2 s, a delivery in flight
            first.wait(timeout=10)
        finally:
            if first.poll() is None:
                first.kill()
        check = sqlite3.connect(db)
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        check.close()
        alerts_before = count(AlertRow)
        second = start_serve(env, port, tmp_path)
        try:
            # polling resumes: more alerts as the scenario goes on
            wait_for(lambda: count(AlertRow) > alerts_before, 60, "polling to resume")
            clock.speed = 0.0  # freeze the sky, let the outbox drain

            def drained():
                with sessions() as s:
                    rows = s.scalars(select(WebhookDeliveryRow)).all()
                    return rows and all(r.status == "delivered" for r in rows) and rows

            rows = wait_for(drained, 60, "every message delivered")
        finally:
            second.terminate()
            second.wait(timeout=10)
    engine.dispose()
    received_ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert {r.id for r in rows} <= received_ids  # everything stored was delivered
    ids_per_change: dict[tuple, set[str]] = defaultdict(set)
    for r in receiver.requests:
        data = json.loads(r.body)["data"]
        ids_per_change[(data["id"], data["status"])].add(r.headers["webhook-id"])
    assert all(len(ids) == 1 for ids in ids_per_change.values())  # duplicates share one id
