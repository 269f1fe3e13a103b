"""Webhook latency: alert committed → signed POST received by a loopback receiver.

Runs the delivery job as the service does (every ``webhooks.interval_s``, 1 s as in
config.yaml) against a receiver on loopback, commits 200 alerts at random moments, and prints
p50/p95 of commit-to-receipt time.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.config import load_settings
from service.domain import AlertEvent, AlertType, Severity
from service.store.alerts import save_alert_events
from service.store.db import make_engine, make_sessionmaker, upgrade
from service.store.models import WebhookRow
from service.webhooks.delivery import deliver_due
from service.webhooks.signing import new_secret
from tests.support import Receiver, ThreadedServer

ROOT = Path(__file__).resolve().parents[1]
COUNT = 200


async def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    settings = load_settings(
        ROOT / "config.yaml",
        database_url=f"sqlite:///{tmp / 'w.db'}",
        webhooks={"allow_private_targets": True, "interval_s": 1.0},
    )
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    sessions = make_sessionmaker(engine)
    received: dict[str, float] = {}

    class Timed(Receiver):
        async def __call__(self, scope, receive, send):
            await super().__call__(scope, receive, send)
            if scope["type"] == "http":
                received[self.requests[-1].body.decode().split('"title":"')[1].split('"')[0]] = (
                    time.perf_counter()
                )

    app = Timed()
    committed: dict[str, float] = {}
    with ThreadedServer(app) as server:
        with sessions.begin() as s:
            s.add(
                WebhookRow(
                    id="wh_bench",
                    url=f"{server.url}/hook",
                    secret=new_secret(),
                    event_types=[],
                    filters={},
                    created_at=datetime.now(UTC),
                    consecutive_failures=0,
                )
            )

        async def deliveries() -> None:
            async with httpx.AsyncClient(trust_env=False, follow_redirects=False) as http:
                while len(received) < COUNT:
                    await deliver_due(sessions, http, datetime.now(UTC), settings.webhooks)
                    await asyncio.sleep(settings.webhooks.interval_s)

        async def alerts() -> None:
            for i in range(COUNT):
                await asyncio.sleep(random.uniform(0, 0.1))
                title = f"bench {i}"

                def commit(title=title, i=i) -> None:
                    with sessions.begin() as s:
                        save_alert_events(
                            s,
                            [
                                AlertEvent(
                                    type=AlertType.FLIGHT_DIVERTED,
                                    severity=Severity.WARNING,
                                    dedup_key=f"b{i}",
                                    observed_at=datetime.now(UTC),
                                    title=title,
                                )
                            ],
                            datetime.now(UTC),
                        )

                await asyncio.to_thread(commit)
                committed[title] = time.perf_counter()

        await asyncio.gather(deliveries(), alerts())
    latencies = [(received[k] - committed[k]) * 1000 for k in committed]
    q = statistics.quantiles(latencies, n=20)
    print(
        f"webhooks: {COUNT} alerts, delivery job every {settings.webhooks.interval_s:g} s: "
        f"commit → receipt p50 {statistics.median(latencies):.0f} ms, p95 {q[18]:.0f} ms"
    )
    engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
