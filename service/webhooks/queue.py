"""A subscription's message queue: resume it, or discard it on purpose.

Switching a subscription off (by an admin, or automatically after repeated failures)
never drops what was queued for it, and alert changes keep being queued while it is off.
Two admin actions end the wait: :func:`resume` (delivery restarts with the oldest message)
and :func:`discard` (every waiting message is cancelled, and each says who discarded it
and when, so the loss is on record rather than silent).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from service.store.alerts import rfc3339, save_alert_events
from service.store.models import WebhookDeliveryRow, WebhookRow
from service.webhooks.delivery import disabled_notice, pending_messages

log = logging.getLogger("firwatch.webhooks")


def resume(session: Session, hook: WebhookRow, now: datetime) -> int:
    """Enable the subscription and make its whole queue due now; returns how many wait.

    Backoff delays from before are dropped (the receiver is back, by the admin's word) and
    the queue goes out in the order the changes happened.  The ``webhook.disabled`` notice,
    if one is open, resolves.
    """
    hook.enabled = True
    hook.disabled_reason = None
    hook.consecutive_failures = 0
    hook.updated_at = now
    session.execute(
        update(WebhookDeliveryRow)
        .where(WebhookDeliveryRow.webhook_id == hook.id, WebhookDeliveryRow.status == "pending")
        .values(next_attempt_at=now)
    )
    waiting = pending_messages(session, hook.id)
    save_alert_events(session, [disabled_notice(hook, now, None, waiting)], now)
    log.warning("webhook %s resumed: %d waiting message(s) due now", hook.id, waiting)
    return waiting


def discard(session: Session, hook: WebhookRow, now: datetime, by: str) -> int:
    """Cancel every message waiting for the subscription; returns how many.

    Each cancelled row keeps its payload and records the action (``last_error``: who, when),
    visible in the delivery log with ``status=cancelled``; a redelivery can still revive
    one.
    """
    reason = f"discarded by {by} at {rfc3339(now)}"
    result = session.execute(
        update(WebhookDeliveryRow)
        .where(WebhookDeliveryRow.webhook_id == hook.id, WebhookDeliveryRow.status == "pending")
        .values(status="cancelled", last_error=reason)
    )
    count = int(result.rowcount or 0)
    hook.updated_at = now
    log.warning("webhook %s: %d waiting message(s) %s", hook.id, count, reason)
    return count
