"""A subscription switched off keeps its queue: a receiver outage long enough to disable it,
then a resume, delivers every alert change once per id and in order; discarding is explicit.

Scenarios are drawn from seeds: how many changes, when the receiver goes down and for how
long, how it fails (500, 503, a stall past the timeout), and how soon it is disabled.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.api.app import create_app
from service.domain import AlertEvent, AlertType, Severity
from service.store.alerts import save_alert_events
from service.store.models import AlertChangeRow, AlertRow, WebhookDeliveryRow, WebhookRow
from service.webhooks.delivery import deliver_due
from service.webhooks.signing import new_secret
from tests.api.conftest import make_key
from tests.support import Receiver, ThreadedServer

TYPES = [AlertType.FLIGHT_DIVERTED, AlertType.FLIGHT_REROUTED, AlertType.AIRSPACE_STATUS_CHANGED]


class OutageReceiver(Receiver):
    """Answers 200, or while ``down`` fails the way ``mode`` says (500, 503 or a stall)."""

    down: bool = False
    mode: str = "500"

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.down:
            if self.mode == "stall":
                await asyncio.sleep(1.0)  # past the sender's timeout: an httpx error there
            await send(
                {
                    "type": "http.response.start",
                    "status": int(self.mode.replace("stall", "504")),
                    "headers": [],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await super().__call__(scope, receive, send)


def add_hook(sessions, hook_id: str, url: str, event_types: list[str] | None = None) -> None:
    with sessions.begin() as s:
        s.add(
            WebhookRow(
                id=hook_id,
                url=url,
                secret=new_secret(),
                event_types=event_types or [],
                filters={},
                created_at=datetime.now(UTC),
                consecutive_failures=0,
            )
        )


def change_alerts(sessions, rng: random.Random, now: datetime, open_keys: set[str], n: int) -> None:
    """Open some new alerts and resolve some open ones, in one poll's transaction."""
    events = []
    for _ in range(n):
        if open_keys and rng.random() < 0.4:
            key = rng.choice(sorted(open_keys))
            open_keys.discard(key)
            events.append(
                AlertEvent(
                    type=AlertType(key.split(":")[0]),
                    severity=Severity.WARNING,
                    dedup_key=key,
                    observed_at=now,
                    title=key,
                    resolved=True,
                )
            )
        else:
            kind = rng.choice(TYPES)
            key = f"{kind.value}:{rng.getrandbits(40):010x}"
            open_keys.add(key)
            events.append(
                AlertEvent(
                    type=kind, severity=Severity.WARNING, dedup_key=key, observed_at=now, title=key
                )
            )
    with sessions.begin() as s:
        save_alert_events(s, events, now)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_outage_disable_resume_delivers_every_change_once_in_order(sessions, settings, seed):
    rng = random.Random(seed)
    settings.webhooks.disable_after_failures = rng.randint(2, 4)
    settings.webhooks.timeout_s = 0.3
    app, ops = OutageReceiver(), Receiver()
    app.mode = rng.choice(["500", "503", "stall"])
    steps = rng.randint(14, 22)
    down_from = rng.randint(1, 4)
    up_at = down_from + rng.randint(7, 10)  # long enough to disable at 60 s a step
    with ThreadedServer(app) as server, ThreadedServer(ops) as ops_server:
        add_hook(sessions, "wh_test", f"{server.url}/hook")
        add_hook(sessions, "wh_ops", f"{ops_server.url}/ops", ["webhook.disabled"])
        now = datetime.now(UTC)
        open_keys: set[str] = set()
        async with httpx.AsyncClient(timeout=0.3, trust_env=False) as http:
            for step in range(steps):
                app.down = down_from <= step < up_at
                change_alerts(sessions, rng, now, open_keys, rng.randint(1, 6))
                await deliver_due(sessions, http, now, settings.webhooks)
                now += timedelta(seconds=60)
            with sessions() as s:
                hook = s.get(WebhookRow, "wh_test")
                assert hook.enabled is False  # the outage switched it off ...
                waiting = s.scalars(
                    select(WebhookDeliveryRow).where(
                        WebhookDeliveryRow.webhook_id == "wh_test",
                        WebhookDeliveryRow.status == "pending",
                    )
                ).all()
                assert waiting  # ... and its messages wait for it, none cancelled
                assert not s.scalars(
                    select(WebhookDeliveryRow).where(WebhookDeliveryRow.status == "cancelled")
                ).all()
                notice = s.scalar(select(AlertRow).where(AlertRow.type == "webhook.disabled"))
                assert notice.status == "open" and notice.evidence["pending_messages"] > 0
            sent_while_disabled = len(app.requests)
            await deliver_due(sessions, http, now, settings.webhooks)
            assert len(app.requests) == sent_while_disabled  # nothing goes out while off
            with TestClient(create_app(settings, start_scheduler=False)) as client:
                r = client.post(
                    "/api/v1/webhooks/wh_test/resume", headers=make_key(sessions, ["admin"])
                )
                assert r.status_code == 200, r.text
                assert r.json()["webhook"]["enabled"] is True
                assert r.json()["messages"] == len(waiting)
            for _ in range(12):  # drain; a few more changes arrive meanwhile
                if rng.random() < 0.5:
                    change_alerts(sessions, rng, now, open_keys, rng.randint(1, 3))
                await deliver_due(sessions, http, max(now, datetime.now(UTC)), settings.webhooks)
                now += timedelta(seconds=60)
            await deliver_due(sessions, http, max(now, datetime.now(UTC)), settings.webhooks)

    with sessions() as s:
        rows = s.scalars(
            select(WebhookDeliveryRow).where(WebhookDeliveryRow.webhook_id == "wh_test")
        ).all()
        assert {r.status for r in rows} == {"delivered"}
        kinds = {"opened": "open", "reopened": "open", "updated": "open", "resolved": "resolved"}
        changes = Counter(
            (c.alert_id, kinds[c.change])
            for c, a in s.execute(select(AlertChangeRow, AlertRow).join(AlertRow))
            if a.type != "webhook.disabled"
        )
        queued = sorted(rows, key=lambda r: (r.created_at, r.alert_id, r.id))
    # one message, so one id, per alert change: nothing lost, nothing under two ids
    sent = Counter(
        (json.loads(r.payload)["data"]["id"], json.loads(r.payload)["data"]["status"]) for r in rows
    )
    assert sent == changes
    delivered = [r for r in app.requests]
    ids = [r.headers["webhook-id"] for r in delivered]
    assert set(ids) == {r.id for r in rows}
    bodies: dict[str, set[bytes]] = {}
    for r in delivered:
        bodies.setdefault(r.headers["webhook-id"], set()).add(r.body)
    assert all(len(b) == 1 for b in bodies.values())  # a retry resends the identical body
    first_seen = list(dict.fromkeys(ids))
    assert first_seen == [r.id for r in queued]  # in the order the changes happened
    # the operators' subscription heard of the disabling; the disabled one never did
    assert any(json.loads(r.body)["type"] == "webhook.disabled" for r in ops.requests)
    assert not any(json.loads(r.body)["type"] == "webhook.disabled" for r in delivered)


async def test_pause_keeps_queue_and_discard_is_explicit_and_recorded(sessions, settings):
    app = Receiver()
    with ThreadedServer(app) as server:
        add_hook(sessions, "wh_test", f"{server.url}/hook")
        rng = random.Random(7)
        keys: set[str] = set()
        headers = make_key(sessions, ["admin"])
        async with httpx.AsyncClient(timeout=2, trust_env=False) as http:
            with TestClient(create_app(settings, start_scheduler=False)) as client:
                assert (
                    client.patch(
                        "/api/v1/webhooks/wh_test", json={"enabled": False}, headers=headers
                    ).status_code
                    == 200
                )
                now = datetime.now(UTC)
                change_alerts(sessions, rng, now, keys, 5)
                await deliver_due(sessions, http, now + timedelta(seconds=1), settings.webhooks)
                assert app.requests == []  # paused: queued, not sent
                r = client.get(
                    "/api/v1/webhooks/wh_test/deliveries?status=pending", headers=headers
                )
                assert len(r.json()["items"]) == 5
                r = client.post("/api/v1/webhooks/wh_test/discard", headers=headers)
                assert r.status_code == 200 and r.json()["messages"] == 5
                r = client.get(
                    "/api/v1/webhooks/wh_test/deliveries?status=cancelled", headers=headers
                )
                items = r.json()["items"]
                assert len(items) == 5
                assert all(i["last_error"].startswith("discarded by API key") for i in items)
                assert (
                    client.post("/api/v1/webhooks/wh_test/resume", headers=headers).json()[
                        "messages"
                    ]
                    == 0
                )
                assert (
                    client.post("/api/v1/webhooks/wh_nope/discard", headers=headers).status_code
                    == 404
                )
                assert client.post("/api/v1/webhooks/wh_test/discard").status_code == 401
            change_alerts(sessions, rng, now, keys, 2)
            await deliver_due(
                sessions, http, datetime.now(UTC) + timedelta(seconds=1), settings.webhooks
            )
    assert len(app.requests) == 2  # only what changed after the resume


async def test_failure_stops_the_subscribers_round_and_keeps_order(sessions, settings):
    """A dead receiver costs one attempt per retry, not one per queued message."""
    app = Receiver(fail_first=3, fail_status=503)
    with ThreadedServer(app) as server:
        add_hook(sessions, "wh_test", f"{server.url}/hook")
        now = datetime.now(UTC)
        change_alerts(sessions, random.Random(3), now, set(), 20)
        async with httpx.AsyncClient(timeout=2, trust_env=False) as http:
            for _ in range(3):
                report = await deliver_due(sessions, http, now, settings.webhooks)
                assert report.attempted == 1 and report.failed == 1
                now += timedelta(hours=1)
            report = await deliver_due(sessions, http, now, settings.webhooks)
            assert report.delivered == 20
    with sessions() as s:
        rows = s.scalars(select(WebhookDeliveryRow)).all()
        order = [r.id for r in sorted(rows, key=lambda r: (r.created_at, r.alert_id, r.id))]
        assert sum(r.attempts for r in rows) == 23
    assert list(dict.fromkeys(r.headers["webhook-id"] for r in app.requests)) == order
