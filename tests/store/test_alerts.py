"""Alert lifecycle: dedup, update, resolve, reopen, and the outbox written with the alert."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from service.domain import AlertEvent, AlertType, Severity
from service.store.alerts import save_alert_events
from service.store.models import AlertRow, WebhookDeliveryRow, WebhookRow

T0 = datetime(2025, 11, 21, 18, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def event(at=T0, resolved=False, key="airspace.status_changed:SVZM:RESTRICTED:x", **kw):
    base = dict(
        type=AlertType.AIRSPACE_STATUS_CHANGED,
        severity=Severity.CRITICAL,
        dedup_key=key,
        observed_at=at,
        title="SVZM RESTRICTED",
        airspace="SVZM",
        resolved=resolved,
        evidence={"status": "RESTRICTED", "at": at.isoformat()},
    )
    base.update(kw)
    return AlertEvent(**base)


def add_hook(session, **kw) -> WebhookRow:
    hook = WebhookRow(
        id=kw.pop("id", "wh_1"),
        url="http://127.0.0.1:9/hook",
        secret="whsec_" + "A" * 44,
        created_at=NOW,
        consecutive_failures=0,
        **kw,
    )
    session.add(hook)
    session.flush()
    return hook


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_open_update_resolve_reopen(sessions):
    with sessions.begin() as s:
        assert len(save_alert_events(s, [event()], NOW)) == 1
        # the same event confirmed by a later poll: one row, no new "change"
        assert save_alert_events(s, [event(T0 + timedelta(minutes=5))], NOW) == []
        assert count(s, AlertRow) == 1
        row = s.scalar(select(AlertRow))
        assert row.status == "open" and row.opened_at == T0
        assert row.observed_at == T0 + timedelta(minutes=5)
        changed = save_alert_events(s, [event(T0 + timedelta(hours=1), resolved=True)], NOW)
        assert [r.status for r in changed] == ["resolved"]
        assert row.resolved_at == T0 + timedelta(hours=1)
        # replaying old data does not reopen ...
        assert save_alert_events(s, [event(T0)], NOW) == []
        assert row.status == "resolved"
        # ... but the event coming back later does
        assert len(save_alert_events(s, [event(T0 + timedelta(hours=2))], NOW)) == 1
        assert row.status == "open" and row.resolved_at is None


def test_resolving_unknown_alert_creates_nothing(sessions):
    with sessions.begin() as s:
        assert save_alert_events(s, [event(resolved=True)], NOW) == []
        assert count(s, AlertRow) == 0


def test_outbox_rows_follow_subscriptions_and_filters(sessions):
    with sessions.begin() as s:
        add_hook(s, id="wh_all", event_types=[], filters={})
        add_hook(s, id="wh_flights", event_types=["flight.rerouted"], filters={})
        add_hook(s, id="wh_tncc", event_types=[], filters={"routes": ["EHAM-TNCC"]})
        add_hook(s, id="wh_critical", event_types=[], filters={"min_severity": "critical"})
        add_hook(s, id="wh_off", event_types=[], filters={}, enabled=False)
        save_alert_events(s, [event()], NOW)
        rerouted = event(
            key="flight.rerouted:f1",
            type=AlertType.FLIGHT_REROUTED,
            severity=Severity.WARNING,
            origin="EHAM",
            destination="TNCC",
            extra_distance_km=400.0,
        )
        save_alert_events(s, [rerouted], NOW)
        rows = s.scalars(select(WebhookDeliveryRow)).all()
        by_hook = {}
        for r in rows:
            by_hook.setdefault(r.webhook_id, []).append(r.event_type)
        assert sorted(by_hook["wh_all"]) == ["airspace.status_changed", "flight.rerouted"]
        assert by_hook["wh_flights"] == ["flight.rerouted"]
        assert by_hook["wh_tncc"] == ["flight.rerouted"]
        assert by_hook["wh_critical"] == ["airspace.status_changed"]
        # a paused subscription keeps collecting: its messages wait for a resume
        assert sorted(by_hook["wh_off"]) == ["airspace.status_changed", "flight.rerouted"]
        body = json.loads(next(r.payload for r in rows if r.webhook_id == "wh_flights"))
        assert body["type"] == "flight.rerouted"
        assert body["data"]["extra_distance_km"] == 400.0
        assert body["data"]["extra_distance_nm"] == 216.0
        assert body["timestamp"].endswith("Z")
        assert len({r.id for r in rows}) == len(rows)


def test_rolled_back_transaction_loses_alert_and_outbox_together(sessions):
    with sessions.begin() as s:
        add_hook(s, event_types=[], filters={})
    try:
        with sessions.begin() as s:
            save_alert_events(s, [event()], NOW)
            raise RuntimeError("crash before commit")
    except RuntimeError:
        pass
    with sessions() as s:
        assert count(s, AlertRow) == 0
        assert count(s, WebhookDeliveryRow) == 0
