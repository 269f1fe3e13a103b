"""Outbox delivery over real HTTP on loopback: retries, stable ids, 410, dead letters."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from standardwebhooks import Webhook

from service.domain import AlertEvent, AlertType, Severity
from service.store.alerts import save_alert_events
from service.store.models import AlertRow, WebhookDeliveryRow, WebhookRow
from service.webhooks.delivery import deliver_due
from service.webhooks.signing import new_secret
from tests.support import Receiver, ThreadedServer

T0 = datetime(2025, 11, 21, 18, 0, tzinfo=UTC)


def subscribe(sessions, url: str) -> str:
    secret = new_secret()
    with sessions.begin() as s:
        s.add(
            WebhookRow(
                id="wh_test",
                url=url,
                secret=secret,
                event_types=[],
                filters={},
                created_at=T0,
                consecutive_failures=0,
            )
        )
    return secret


def raise_alerts(sessions, n: int) -> None:
    with sessions.begin() as s:
        events = [
            AlertEvent(
                type=AlertType.FLIGHT_DIVERTED,
                severity=Severity.WARNING,
                dedup_key=f"flight.diverted:f{i}",
                observed_at=T0,
                title=f"flight {i} diverted",
            )
            for i in range(n)
        ]
        save_alert_events(s, events, T0)


async def drain(sessions, settings, start: datetime, rounds: int) -> datetime:
    now = start
    async with httpx.AsyncClient(timeout=5, trust_env=False) as http:
        for _ in range(rounds):
            await deliver_due(sessions, http, now, settings.webhooks)
            now += timedelta(hours=1)  # past any backoff of the first attempts
    return now


async def test_receiver_failing_then_recovering_gets_everything_once(sessions, settings, receiver):
    app, server = receiver
    app.fail_first = 4
    secret = subscribe(sessions, f"{server.url}/hook")
    raise_alerts(sessions, 3)
    await drain(sessions, settings, datetime.now(UTC), 6)
    ok = [r for r in app.requests]
    ids = [r.headers["webhook-id"] for r in ok]
    assert len(ok) == 3 + 4  # every failure was retried
    assert len(set(ids)) == 3  # ... under the same webhook-id
    with sessions() as s:
        rows = s.scalars(select(WebhookDeliveryRow)).all()
        assert {r.status for r in rows} == {"delivered"}
        assert sum(r.attempts for r in rows) == 7
        assert all(r.latency_ms is not None for r in rows)
    signer = Webhook(secret)
    bodies: dict[str, set[bytes]] = {}
    for r in ok:
        # the fake clock moved hours between retries, so check each signature against the
        # timestamp it was sent with (verify() would reject those as stale, by design)
        sent_at = datetime.fromtimestamp(int(r.headers["webhook-timestamp"]), UTC)
        expected = signer.sign(r.headers["webhook-id"], sent_at, r.body.decode())
        assert r.headers["webhook-signature"] == expected
        bodies.setdefault(r.headers["webhook-id"], set()).add(r.body)
    assert all(len(b) == 1 for b in bodies.values())  # retries resend the identical body
    fresh = app.requests[0]
    assert Webhook(secret).verify(fresh.body, fresh.headers)["type"] == "flight.diverted"


async def test_410_disables_subscription(sessions, settings):
    app = Receiver(fail_first=100, fail_status=410)
    with ThreadedServer(app) as server:
        subscribe(sessions, f"{server.url}/hook")
        raise_alerts(sessions, 2)
        await drain(sessions, settings, datetime.now(UTC), 3)
    assert len(app.requests) == 1  # the second message waits for a resume, not sent
    with sessions() as s:
        hook = s.get(WebhookRow, "wh_test")
        assert hook.enabled is False and "410" in hook.disabled_reason
        assert sorted(r.status for r in s.scalars(select(WebhookDeliveryRow))) == [
            "dead",
            "pending",
        ]
        # the webhook.disabled notice: an alert operators see in the API and the stream
        notice = s.scalar(select(AlertRow).where(AlertRow.type == "webhook.disabled"))
        assert notice.status == "open" and notice.evidence["webhook_id"] == "wh_test"
        assert "410" in notice.title and "410" in notice.evidence["reason"]
        assert notice.evidence["pending_messages"] == 1 and "1 message(s) wait" in notice.title


async def test_dead_letter_after_last_attempt(sessions, settings):
    settings.webhooks.max_attempts = 3
    app = Receiver(fail_first=100, fail_status=503)
    with ThreadedServer(app) as server:
        subscribe(sessions, f"{server.url}/hook")
        raise_alerts(sessions, 1)
        await drain(sessions, settings, datetime.now(UTC), 6)
    assert len(app.requests) == 3
    with sessions() as s:
        row = s.scalar(select(WebhookDeliveryRow))
        assert row.status == "dead" and row.last_status_code == 503 and row.attempts == 3


async def test_unsafe_target_is_refused_and_retried_later(sessions, settings):
    settings.webhooks.allow_private_targets = False
    subscribe(sessions, "http://127.0.0.1:9/hook")
    raise_alerts(sessions, 1)
    await drain(sessions, settings, datetime.now(UTC), 1)
    with sessions() as s:
        row = s.scalar(select(WebhookDeliveryRow))
        assert row.status == "pending" and "refused" in row.last_error
        assert "loopback" in row.last_error


async def test_redirect_to_loopback_is_not_followed(sessions, settings):
    class Redirector(Receiver):
        async def __call__(self, scope, receive, send):
            if scope["type"] != "http":
                return
            self.requests.append(None)
            await send(
                {
                    "type": "http.response.start",
                    "status": 307,
                    "headers": [(b"location", b"http://127.0.0.1:1/admin")],
                }
            )
            await send({"type": "http.response.body", "body": b""})

    app = Redirector()
    with ThreadedServer(app) as server:
        subscribe(sessions, f"{server.url}/hook")
        raise_alerts(sessions, 1)
        await drain(sessions, settings, datetime.now(UTC), 1)
    assert len(app.requests) == 1
    with sessions() as s:
        row = s.scalar(select(WebhookDeliveryRow))
        assert row.status == "pending" and row.last_status_code == 307
        assert "redirect to http://127.0.0.1:1/admin not followed" in row.last_error


async def test_repeated_failures_disable_with_a_notice_to_other_subscribers(sessions, settings):
    from fastapi.testclient import TestClient

    from service.api.app import create_app
    from tests.api.conftest import make_key

    settings.webhooks.disable_after_failures = 3
    failing, ops = Receiver(fail_first=100, fail_status=500), Receiver()
    with ThreadedServer(failing) as bad, ThreadedServer(ops) as good:
        subscribe(sessions, f"{bad.url}/hook")
        ops_secret = new_secret()
        with sessions.begin() as s:
            s.add(
                WebhookRow(
                    id="wh_ops",
                    url=f"{good.url}/ops",
                    secret=ops_secret,
                    event_types=["webhook.disabled"],
                    filters={},
                    created_at=T0,
                    consecutive_failures=0,
                )
            )
        raise_alerts(sessions, 1)
        await drain(sessions, settings, datetime.now(UTC), 5)
    assert len(failing.requests) == 3  # the third failure switched it off
    with sessions() as s:
        assert s.get(WebhookRow, "wh_test").enabled is False
    (notice,) = ops.requests  # the ops subscriber got the notice, and only it
    # signed for the round's clock, hours ahead of the wall clock: check the signature itself
    sent_at = datetime.fromtimestamp(int(notice.headers["webhook-timestamp"]), UTC)
    expected = Webhook(ops_secret).sign(notice.headers["webhook-id"], sent_at, notice.body.decode())
    assert expected in notice.headers["webhook-signature"].split()
    payload = json.loads(notice.body)
    assert payload["type"] == "webhook.disabled"
    assert payload["data"]["evidence"]["webhook_id"] == "wh_test"
    assert "3 consecutive failed deliveries" in payload["data"]["title"]
    # re-enabling through the API resolves the notice
    with TestClient(create_app(settings, start_scheduler=False)) as c:
        r = c.patch(
            "/api/v1/webhooks/wh_test",
            json={"enabled": True},
            headers=make_key(sessions, ["admin"]),
        )
        assert r.status_code == 200 and r.json()["enabled"] is True
        (alert,) = c.get("/api/v1/alerts?type=webhook.disabled").json()["items"]
        assert alert["status"] == "resolved"
