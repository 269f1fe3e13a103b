"""Alert lifecycle and the webhook outbox, written in the caller's transaction.

An alert is keyed by its ``dedup_key``: the same real-world event seen again
(a second feed, a replay of the same recording, a restart) updates one row
instead of creating another.  ``opened_at``/``resolved_at``/``observed_at`` are
data time (when it happened); ``updated_at`` is wall time of the last change.
Changes (``alert_changes``, the SSE stream) and outbox rows are written when an alert
opens, is updated (newer evidence that differs: what moves ``updated_at``), resolves or
reopens, so subscribers hear about changes, not about every poll that confirms them.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain import SEVERITY_ORDER, AlertEvent, AlertStatus, Severity, km_to_nm
from service.store.models import AlertChangeRow, AlertRow, WebhookDeliveryRow, WebhookRow


def rfc3339(value: datetime | None) -> str | None:
    """Aware UTC datetime as RFC 3339 with a ``Z`` suffix.

    >>> rfc3339(datetime(2025, 11, 21, 17, 43, tzinfo=UTC))
    '2025-11-21T17:43:00Z'
    """
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def alert_to_dict(row: AlertRow) -> dict[str, Any]:
    """The public alert object: API responses, webhook payloads and ``firwatch alerts``."""
    extra_km = row.extra_distance_km
    return {
        "id": row.id,
        "type": row.type,
        "severity": row.severity,
        "status": row.status,
        "title": row.title,
        "airspace": row.airspace,
        "flight_id": row.flight_id,
        "icao24": row.icao24,
        "callsign": row.callsign,
        "origin": row.origin,
        "destination": row.destination,
        "actual_destination": row.actual_destination,
        "extra_distance_km": extra_km,
        "extra_distance_nm": round(km_to_nm(extra_km), 1) if extra_km is not None else None,
        "opened_at": rfc3339(row.opened_at),
        "updated_at": rfc3339(row.updated_at),
        "resolved_at": rfc3339(row.resolved_at),
        "observed_at": rfc3339(row.observed_at),
        "evidence": row.evidence or {},
    }


def new_message_id() -> str:
    """A Standard Webhooks message id, stable across every retry of one delivery."""
    return "msg_" + secrets.token_hex(12)


def _apply(row: AlertRow, event: AlertEvent) -> None:
    row.severity = event.severity.value
    row.title = event.title
    row.observed_at = event.observed_at
    row.evidence = event.evidence
    for attr in ("airspace", "icao24", "callsign", "origin", "destination", "flight_id"):
        value = getattr(event, attr)
        if value is not None:
            setattr(row, attr, value)
    if event.actual_destination is not None:
        row.actual_destination = event.actual_destination
    if event.extra_distance_km is not None:
        row.extra_distance_km = event.extra_distance_km


def save_alert_events(
    session: Session, events: Sequence[AlertEvent], now: datetime
) -> list[AlertRow]:
    """Open, update or resolve alerts; returns the rows that opened, resolved or reopened
    (an update is logged and sent, but is not returned: callers count openings/resolutions)."""
    changed: list[AlertRow] = []
    # (row, change, the alert as it stood right after this change): an alert that opens and
    # resolves in one batch sends an "open" message and a "resolved" one, not two "resolved"
    changes: list[tuple[AlertRow, str, dict[str, Any]]] = []
    for event in events:
        row = session.scalar(select(AlertRow).where(AlertRow.dedup_key == event.dedup_key))
        if row is None:
            if event.resolved:
                continue  # nothing was open: e.g. the NORMAL status that held before
            row = AlertRow(
                dedup_key=event.dedup_key,
                type=event.type.value,
                status=AlertStatus.OPEN.value,
                opened_at=event.observed_at,
                updated_at=now,
            )
            _apply(row, event)
            session.add(row)
            changed.append(row)
            changes.append((row, "opened", alert_to_dict(row)))
        elif row.status == AlertStatus.OPEN.value:
            if event.resolved:
                row.status = AlertStatus.RESOLVED.value
                row.resolved_at = event.observed_at
                row.updated_at = now
                row.observed_at = event.observed_at
                changed.append(row)
                changes.append((row, "resolved", alert_to_dict(row)))
            elif event.observed_at >= row.observed_at and event.evidence != row.evidence:
                _apply(row, event)
                row.updated_at = now
                changes.append((row, "updated", alert_to_dict(row)))
        elif (
            not event.resolved
            and row.resolved_at is not None
            and event.observed_at > row.resolved_at
        ):
            # the same event came back after it had resolved (not a replay of old data)
            row.status = AlertStatus.OPEN.value
            row.resolved_at = None
            row.updated_at = now
            _apply(row, event)
            changed.append(row)
            changes.append((row, "reopened", alert_to_dict(row)))
    if changes:
        session.flush()
        for row, _, data in changes:
            data["id"] = row.id  # assigned by the flush for new alerts
        session.add_all(
            AlertChangeRow(alert_id=r.id, change=c, at=now, data=data) for r, c, data in changes
        )
        enqueue_deliveries(session, [(row, data, c) for row, c, data in changes], now)
    return changed


def webhook_matches(hook: WebhookRow, alert: AlertRow) -> bool:
    """Whether a subscription wants this alert (types, airspaces, routes, minimum severity).

    A subscription's own ``webhook.disabled`` notice is not sent to it: it cannot be told
    while switched off, and its queue waiting for it says the same once it is back.
    """
    if alert.type == "webhook.disabled" and (alert.evidence or {}).get("webhook_id") == hook.id:
        return False
    if hook.event_types and alert.type not in hook.event_types:
        return False
    filters = hook.filters or {}
    if filters.get("airspaces") and alert.airspace not in filters["airspaces"]:
        return False
    if filters.get("routes") and f"{alert.origin}-{alert.destination}" not in filters["routes"]:
        return False
    minimum = filters.get("min_severity")
    return (
        not minimum or SEVERITY_ORDER[Severity(alert.severity)] >= SEVERITY_ORDER[Severity(minimum)]
    )


# a change (alert_changes.change) as a webhook's ``event``: a reopening is sent as an opening
WEBHOOK_EVENTS = {
    "opened": "alert.opened",
    "reopened": "alert.opened",
    "updated": "alert.updated",
    "resolved": "alert.resolved",
}


def webhook_payload(
    alert: AlertRow, now: datetime, data: dict[str, Any] | None = None, change: str | None = None
) -> str:
    """The exact body that is signed and sent (kept verbatim so retries are identical).

    ``event`` is what happened to the alert (``alert.opened``, ``alert.updated``,
    ``alert.resolved``), ``type`` what kind of alert it is.  Without ``change`` (a test send,
    a redelivery built afresh) the alert's status decides between opened and resolved.
    """
    data = data or alert_to_dict(alert)
    if change is None:
        change = "resolved" if data["status"] == AlertStatus.RESOLVED.value else "opened"
    event = WEBHOOK_EVENTS[change]
    body = {"type": alert.type, "event": event, "timestamp": rfc3339(now), "data": data}
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


def enqueue_deliveries(
    session: Session,
    alerts: Sequence[AlertRow | tuple[AlertRow, dict[str, Any], str]],
    now: datetime,
) -> int:
    """Queue one message per (change, matching subscription), disabled ones included.

    A disabled or paused subscription keeps collecting its messages: they wait, in order,
    until it is resumed, or until an admin discards them explicitly
    (:mod:`service.webhooks.queue`).
    """
    hooks = session.scalars(select(WebhookRow)).all()
    count = 0
    for item in alerts:
        alert, data, change = item if isinstance(item, tuple) else (item, None, None)
        for hook in hooks:
            if not webhook_matches(hook, alert):
                continue
            session.add(
                WebhookDeliveryRow(
                    id=new_message_id(),
                    webhook_id=hook.id,
                    alert_id=alert.id,
                    event_type=alert.type,
                    payload=webhook_payload(alert, now, data, change),
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            count += 1
    return count
