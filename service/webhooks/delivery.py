"""Outbox delivery: at-least-once, signed, retried with backoff, never lost.

Rows are claimed with a short lease (``next_attempt_at`` pushed forward, and on
PostgreSQL ``FOR UPDATE SKIP LOCKED``) in one short transaction, sent with no
transaction open, and the outcome written in another; a crash mid-send leaves a
row whose lease expires and is sent again under the same ``webhook-id``, which
receivers use to drop duplicates.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
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
    with sessions.begin() as session:
        stmt = (
            select(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.status == "pending",
                WebhookDeliveryRow.next_attempt_at <= now,
            )
            .order_by(WebhookDeliveryRow.next_attempt_at)
            .limit(BATCH)
        )
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        claims = []
        for row in session.scalars(stmt):
            hook = session.get(WebhookRow, row.webhook_id)
            if hook is None or not hook.enabled:
                row.status = "cancelled"
                row.last_error = "subscription disabled or deleted"
                continue
            row.next_attempt_at = now + lease
            keys = [hook.secret]
            if hook.previous_secret and (
                hook.previous_secret_until is None or hook.previous_secret_until > now
            ):
                keys.append(hook.previous_secret)
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
            "POST", target.url, content=claim.payload.encode(), headers=headers,
            extensions=extensions,
        )  # fmt: skip
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
    report: DeliveryReport,
) -> bool:
    """Store one attempt's outcome; True when the subscription got disabled."""
    status_code, error, latency_ms = outcome
    with sessions.begin() as session:
        row = session.get(WebhookDeliveryRow, claim.id)
        hook = session.get(WebhookRow, claim.webhook_id)
        if row is None or hook is None:
            return False
        row.attempts += 1
        row.last_status_code = status_code
        row.latency_ms = round(latency_ms, 1)
        if status_code is not None and 200 <= status_code < 300:
            row.status = "delivered"
            row.delivered_at = now
            row.last_error = None
            hook.consecutive_failures = 0
            report.delivered += 1
            return False
        hook.consecutive_failures = (hook.consecutive_failures or 0) + 1
        row.last_error = error or f"HTTP {status_code}"
        if status_code == 410:
            _disable(session, hook, "receiver answered 410 Gone", now)
            row.status = "dead"
            report.dead += 1
            return True
        if hook.consecutive_failures >= settings.disable_after_failures:
            _disable(
                session, hook, f"{hook.consecutive_failures} consecutive failed deliveries", now
            )
        if row.attempts >= settings.max_attempts:
            row.status = "dead"
            report.dead += 1
        else:
            row.next_attempt_at = now + timedelta(seconds=backoff_s(row.attempts))
            report.failed += 1
        return not hook.enabled


def disabled_notice(hook: WebhookRow, at: datetime, reason: str | None) -> AlertEvent:
    """The ``webhook.disabled`` notice; the same dedup key resolves it on re-enabling."""
    return AlertEvent(
        type=AlertType.WEBHOOK_DISABLED,
        severity=Severity.WARNING,
        dedup_key=f"webhook.disabled:{hook.id}",
        observed_at=at,
        title=f"Webhook {hook.id} disabled: {reason}"
        if reason
        else f"Webhook {hook.id} re-enabled",
        resolved=reason is None,
        # no URL: the alert reaches read-scope users and other subscribers, and a webhook URL
        # can carry a capability token (admins look it up by webhook_id)
        evidence={"webhook_id": hook.id, "reason": reason},
    )


def _disable(session: Session, hook: WebhookRow, reason: str, now: datetime) -> None:
    """Switch the subscription off and say so where operators look: the alert list, the
    SSE stream and other subscribers (the disabled one cannot be told)."""
    hook.enabled = False
    hook.disabled_reason = reason
    log.warning("webhook.disabled %s: %s", hook.id, reason)
    save_alert_events(session, [disabled_notice(hook, now, reason)], now)


async def deliver_due(
    sessions: sessionmaker[Session],
    http: httpx.AsyncClient,
    now: datetime,
    settings: WebhookSettings,
) -> DeliveryReport:
    """Send every due message once; failures are rescheduled, never dropped."""
    report = DeliveryReport()
    claims = await asyncio.to_thread(_claim, sessions, now, timedelta(seconds=settings.lease_s))
    disabled: set[str] = set()
    for claim in claims:
        if claim.webhook_id in disabled:
            continue  # switched off during this round; the next claim cancels the rest
        outcome = await send_one(http, claim, now, settings)
        report.attempted += 1
        if await asyncio.to_thread(_record, sessions, claim, outcome, now, settings, report):
            disabled.add(claim.webhook_id)
    if claims:
        log.info(
            "webhooks: %d attempted, %d delivered, %d to retry, %d dead",
            report.attempted, report.delivered, report.failed, report.dead,
        )  # fmt: skip
    return report
