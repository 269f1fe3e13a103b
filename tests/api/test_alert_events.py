"""Alert events tell opened / updated / resolved apart, on both ways out: signed webhooks
delivered over real HTTP to a loopback receiver, and the SSE stream read through the API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from standardwebhooks import Webhook

from service.domain import AlertEvent, AlertType, Severity
from service.store.alerts import save_alert_events
from service.store.models import AlertChangeRow, WebhookRow
from service.webhooks.delivery import deliver_due
from service.webhooks.signing import new_secret

T0 = datetime(2025, 11, 21, 18, 0, tzinfo=UTC)
KEY = "route.disrupted:SKBO-TNCC:20251121T1800Z"


def route_event(minutes: int, flights: int, *, resolved: bool = False) -> AlertEvent:
    """The route alert as detection raises it: its title and evidence follow the figures."""
    return AlertEvent(
        type=AlertType.ROUTE_DISRUPTED,
        severity=Severity.WARNING,
        dedup_key=KEY,
        observed_at=T0 + timedelta(minutes=minutes),
        title=f"Route SKBO–TNCC disrupted: {flights} of 5 flights rerouted",
        origin="SKBO",
        destination="TNCC",
        resolved=resolved,
        evidence={"disrupted_flights": flights},
    )


def play(sessions) -> None:
    """open; update (new figures); the same figures again (no change); an older observation
    (no change); resolve; come back after the resolution (a reopening)."""
    steps = [
        route_event(0, 2),
        route_event(10, 3),
        route_event(20, 3),
        route_event(5, 4),
        route_event(30, 0, resolved=True),
        route_event(40, 4),
    ]
    for i, event in enumerate(steps):
        with sessions.begin() as s:
            save_alert_events(s, [event], T0 + timedelta(minutes=i))


async def test_webhooks_send_opened_updated_resolved(sessions, settings, receiver):
    app, server = receiver
    secret = new_secret()
    with sessions.begin() as s:
        s.add(
            WebhookRow(
                id="wh_ev",
                url=f"{server.url}/hook",
                secret=secret,
                event_types=[],
                filters={},
                created_at=T0,
                consecutive_failures=0,
            )
        )
    play(sessions)
    async with httpx.AsyncClient(timeout=5, trust_env=False) as http:
        for _ in range(8):  # one message per round and subscriber: in order
            await deliver_due(sessions, http, datetime.now(UTC), settings.webhooks)
    bodies = [Webhook(secret).verify(r.body, r.headers) for r in app.requests]
    assert [b["event"] for b in bodies] == [
        "alert.opened",
        "alert.updated",
        "alert.resolved",
        "alert.opened",  # a reopening is sent as an opening (README)
    ]
    assert {b["type"] for b in bodies} == {"route.disrupted"}
    opened, updated, resolved, reopened = (b["data"] for b in bodies)
    assert opened["evidence"] == {"disrupted_flights": 2} and "2 of 5" in opened["title"]
    # the update carries the alert as it stood right after it: new figures, still open
    assert updated["evidence"] == {"disrupted_flights": 3} and "3 of 5" in updated["title"]
    assert updated["status"] == "open" and updated["resolved_at"] is None
    assert updated["observed_at"] == "2025-11-21T18:10:00Z"
    assert updated["updated_at"] == "2025-11-21T18:01:00Z" != opened["updated_at"]
    assert resolved["status"] == "resolved" and resolved["resolved_at"] == "2025-11-21T18:30:00Z"
    assert reopened["status"] == "open" and reopened["evidence"] == {"disrupted_flights": 4}
    assert len({r.headers["webhook-id"] for r in app.requests}) == 4


def test_stream_names_every_change(client, sessions):
    play(sessions)
    with sessions() as s:
        logged = [c.change for c in s.scalars(select(AlertChangeRow).order_by(AlertChangeRow.id))]
    assert logged == ["opened", "updated", "resolved", "reopened"]
    with client.stream("GET", "/api/v1/alerts/stream?since_id=0&once=true") as response:
        text = "".join(response.iter_text())
    events = [
        dict(line.split(": ", 1) for line in block.splitlines())
        for block in text.split("\n\n")
        if block.startswith("id: ")
    ]
    assert [e["event"] for e in events] == [
        "alert.opened",
        "alert.updated",
        "alert.resolved",
        "alert.reopened",
    ]
    data = [json.loads(e["data"]) for e in events]
    assert len({d["id"] for d in data}) == 1  # one alert, four changes
    # each event carries the alert as that change left it, not as it is when read
    assert [d["status"] for d in data] == ["open", "open", "resolved", "open"]
    assert [d["evidence"]["disrupted_flights"] for d in data] == [2, 3, 3, 4]
    assert data[1]["resolved_at"] is None and data[2]["resolved_at"] == "2025-11-21T18:30:00Z"
    # a client that saw the update resumes after it and gets only what followed
    after = events[1]["id"]
    with client.stream(
        "GET", "/api/v1/alerts/stream?once=true", headers={"Last-Event-ID": after}
    ) as response:
        rest = "".join(response.iter_text())
    assert "event: alert.updated" not in rest and rest.count("event: alert.") == 2
