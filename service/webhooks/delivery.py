"""Outbox delivery: at-least-once, signed, retried with backoff, never lost.

Rows are claimed with a short lease (``next_attempt_at`` pushed forward, and on
PostgreSQL ``FOR UPDATE SKIP LOCKED``) in one short transaction, sent with no
transaction open, and the outcome written in another; a crash mid-send leaves a
row whose lease expires and is sent again under the same ``webhook-id``, which
receivers use to drop duplicates.

Messages go out per subscription in the order they were queued: the first failure to a
subscriber in a round ends that subscriber's round, and its other claimed messages wait
for the failed one's retry, so a dead receiver costs one attempt per retry, not one per
message.  A disabled or paused subscription's messages are not claimed at all: they stay
queued until it is resumed or an admin discards them (:mod:`service.webhooks.queue`).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from service.config import WebhookSettings
from service.domain import AlertEvent, AlertType, Severity
from service.store.alerts import save_alert_events
from service.store.models import WebhookDeliveryRow, WebhookRow
from service.webhooks.signing import signature_headers
from service.webhooks.ssrf import UnsafeTarget, check_target

log = logging.getLogger("firwatch.webhooks")

LEASE = timedelta(seconds=60)
BATCH = 50
RESPONSE_CAP_BYTES = 4096
BACKOFF_BASE_S = 5.0
BACKOFF_FACTOR = 3.0
BACKOFF_CAP_S = 12 * 3600.0


def backoff_s(attempt: int, rng: random.Random | None = None) -> float:
    """Delay before retry number ``attempt`` (1-based): 5 s, 15 s, 45 s ... capped at 12 h, ±20 %.

    With the default 12 attempts the schedule spans more than 24 hours.

    >>> [round(backoff_s(n, random.Random(0)) / backoff_s(n, random.Random(0))) for n in (1, 2)]
    [1, 1]
    >>> sum(BACKOFF_BASE_S * BACKOFF_FACTOR ** (n - 1) if n < 10 else BACKOFF_CAP_S
    ...     for n in range(1, 12)) > 24 * 3600
    True
    """
    base = min(BACKOFF_BASE_S * BACKOFF_FACTOR ** (attempt - 1), BACKOFF_CAP_S)
    return base * (rng or random).uniform(0.8, 1.2)


@dataclass(slots=True)
class DeliveryReport:
    attempted: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0


@dataclass(slots=True)
class _Claim:
    id: str
    webhook_id: str
    url: str
    payload: str
    secrets: list[str]


def _claim(
    sessions: sessionmaker[Session], now: datetime, lease: timedelta = LEASE
) -> list[_Claim]:
    """Lease the due messages of every enabled subscription, each in queue order.

    A subscription's queue is walked in the order its changes happened and stops at the
    first message that is not due (backing off, or leased by another replica): a later
    message never overtakes an earlier one.  On PostgreSQL the subscription rows are locked
    (``FOR UPDATE SKIP LOCKED``) for the claim, so two replicas never claim from one queue
    at once.
    """
    due = (
        select(WebhookDeliveryRow.id)
        .where(
            WebhookDeliveryRow.webhook_id == WebhookRow.id,
            WebhookDeliveryRow.status == "pending",
            WebhookDeliveryRow.next_attempt_at <= now,
        )
        .exists()
    )
    with sessions.begin() as session:
        hooks_stmt = select(WebhookRow).where(WebhookRow.enabled.is_(True), due)
        if session.get_bind().dialect.name == "postgresql":
            hooks_stmt = hooks_stmt.with_for_update(skip_locked=True)
        claims: list[_Claim] = []
        for hook in session.scalars(hooks_stmt.order_by(WebhookRow.id)).all():
            keys = [hook.secret]
            if hook.previous_secret and (
                hook.previous_secret_until is None or hook.previous_secret_until > now
            ):
                keys.append(hook.previous_secret)
            queue = session.scalars(
                select(WebhookDeliveryRow)
                .where(
                    WebhookDeliveryRow.webhook_id == hook.id,
                    WebhookDeliveryRow.status == "pending",
                )
                .order_by(
                    WebhookDeliveryRow.created_at,
                    WebhookDeliveryRow.alert_id,
                    WebhookDeliveryRow.id,
                )
                .limit(BATCH)
            )
            for row in queue:
                if row.next_attempt_at > now:
                    break  # the queue's head waits: so does everything behind it
                row.next_attempt_at = now + lease
                claims.append(_Claim(row.id, hook.id, hook.url, row.payload, keys))
        return claims


async def send_one(
    http: httpx.AsyncClient, claim: _Claim, now: datetime, settings: WebhookSettings
) -> tuple[int | None, str | None, float]:
    """POST one message; returns (status code or None, error, latency ms)."""
    started = time.perf_counter()
    try:
        target = await check_target(claim.url, allow_private=settings.allow_private_targets)
    except UnsafeTarget as exc:
        return None, f"refused: {exc}", 0.0
    headers = signature_headers(claim.id, now, claim.payload, claim.secrets)
    headers["host"] = target.host_header
    extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
    try:
        request = http.build_request(
            "POST",
            target.url,
            content=claim.payload.encode(),
            headers=headers,
            extensions=extensions,
        )
        response = await http.send(request, stream=True, follow_redirects=False)
        try:
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read >= RESPONSE_CAP_BYTES:
                    break
        finally:
            await response.aclose()
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300], (time.perf_counter() - started) * 1e3
    latency = (time.perf_counter() - started) * 1e3
    if 300 <= response.status_code < 400:
        location = response.headers.get("location", "?")[:200]
        return response.status_code, f"refused: redirect to {location} not followed", latency
    return response.status_code, None, latency


def _record(
    sessions: sessionmaker[Session],
    claim: _Claim,
    outcome: tuple[int | None, str | None, float],
    now: datetime,
    settings: WebhookSettings,
    waiting: Sequence[str] = (),
) -> str | None:
    """Store one attempt's outcome: delivered, retry or dead (None: row or hook gone).

    ``waiting`` are the subscriber's other messages claimed in this round: after a failure
    they are released to wait for the failed message's retry (queue order kept).
    """
    status_code, error, latency_ms = outcome
    with sessions.begin() as session:
        row = session.get(WebhookDeliveryRow, claim.id)
        hook = session.get(WebhookRow, claim.webhook_id)
        if row is None or hook is None:
            return None
        row.attempts += 1
        row.last_status_code = status_code
        row.latency_ms = round(latency_ms, 1)
        if status_code is not None and 200 <= status_code < 300:
            row.status = "delivered"
            row.delivered_at = now
            row.last_error = None
            hook.consecutive_failures = 0
            return "delivered"
        hook.consecutive_failures = (hook.consecutive_failures or 0) + 1
        row.last_error = error or f"HTTP {status_code}"
        if status_code == 410:
            row.status = "dead"
            _release(session, waiting, now)
            _disable(session, hook, "receiver answered 410 Gone", now)
            return "dead"
        if row.attempts >= settings.max_attempts:
            row.status = "dead"
            resume_at = now
        else:
            row.next_attempt_at = now + timedelta(seconds=backoff_s(row.attempts))
            resume_at = row.next_attempt_at
        _release(session, waiting, resume_at)
        if hook.consecutive_failures >= settings.disable_after_failures:
            _disable(
                session, hook, f"{hook.consecutive_failures} consecutive failed deliveries", now
            )
        return "dead" if row.status == "dead" else "retry"


def _release(session: Session, ids: Sequence[str], at: datetime) -> None:
    """Hand claimed-but-unsent messages back to the queue, due at ``at``."""
    if ids:
        session.execute(
            update(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.id.in_(list(ids)), WebhookDeliveryRow.status == "pending")
            .values(next_attempt_at=at)
        )


def disabled_notice(
    hook: WebhookRow, at: datetime, reason: str | None, waiting: int = 0
) -> AlertEvent:
    """The ``webhook.disabled`` notice; the same dedup key resolves it on re-enabling."""
    if reason:
        title = (
            f"Webhook {hook.id} disabled: {reason}; {waiting} message(s) wait for it "
            "(resume or discard)"
        )
    else:
        title = f"Webhook {hook.id} re-enabled; {waiting} waiting message(s) resume"
    return AlertEvent(
        type=AlertType.WEBHOOK_DISABLED,
        severity=Severity.WARNING,
        dedup_key=f"webhook.disabled:{hook.id}",
        observed_at=at,
        title=title,
        resolved=reason is None,
        # no URL: the alert reaches read-scope users and other subscribers, and a webhook URL
        # can carry a capability token (admins look it up by webhook_id)
        evidence={"webhook_id": hook.id, "reason": reason, "pending_messages": waiting},
    )


def pending_messages(session: Session, webhook_id: str) -> int:
    """Messages queued for a subscription and not yet delivered, dead or discarded."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.webhook_id == webhook_id,
                WebhookDeliveryRow.status == "pending",
            )
        )
        or 0
    )


def _disable(session: Session, hook: WebhookRow, reason: str, now: datetime) -> None:
    """Switch the subscription off and say so where operators look: the alert list, the
    SSE stream and other subscribers (the disabled one cannot be told).  Its messages stay
    queued; the notice says how many wait."""
    hook.enabled = False
    hook.disabled_reason = reason
    session.flush()
    waiting = pending_messages(session, hook.id)
    log.warning("webhook.disabled %s: %s; %d message(s) wait", hook.id, reason, waiting)
    save_alert_events(session, [disabled_notice(hook, now, reason, waiting)], now)


async def deliver_due(
    sessions: sessionmaker[Session],
    http: httpx.AsyncClient,
    now: datetime,
    settings: WebhookSettings,
) -> DeliveryReport:
    """Send every due message once; failures are rescheduled, never dropped."""
    report = DeliveryReport()
    claims = await asyncio.to_thread(_claim, sessions, now, timedelta(seconds=settings.lease_s))
    queues: dict[str, list[_Claim]] = {}
    for claim in claims:
        queues.setdefault(claim.webhook_id, []).append(claim)

    async def send_queue(queue: list[_Claim]) -> None:
        """One subscriber's messages in order; its round ends at the first failure."""
        for i, claim in enumerate(queue):
            outcome = await send_one(http, claim, now, settings)
            report.attempted += 1
            waiting = [c.id for c in queue[i + 1 :]]
            result = await asyncio.to_thread(
                _record, sessions, claim, outcome, now, settings, waiting
            )
            if result == "delivered":
                report.delivered += 1
            elif result is not None:
                report.dead += result == "dead"
                report.failed += result == "retry"
                return

    # subscribers are independent: a slow one does not hold up the others' rounds
    errors = await asyncio.gather(*(send_queue(q) for q in queues.values()), return_exceptions=True)
    for error in errors:
        if isinstance(error, BaseException):
            raise error  # e.g. the database went away mid-round: the jobs report it once
    if claims:
        log.info(
            "webhooks: %d attempted, %d delivered, %d to retry, %d dead",
            report.attempted,
            report.delivered,
            report.failed,
            report.dead,
        )
    return report
