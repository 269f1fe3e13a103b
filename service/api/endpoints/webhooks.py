"""Webhook subscriptions, their delivery log, redelivery, test messages and secret rotation."""

from __future__ import annotations

import ipaddress
import secrets
import socket
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import select

from service.api.auth import AdminAccess, require_admin
from service.api.deps import SessionDep, SettingsDep
from service.api.pagination import (
    TIME_ID_CURSOR,
    CursorQuery,
    decode_time_id_cursor,
    next_link,
    time_id_cursor,
)
from service.api.params import NON_EMPTY_TEXT
from service.api.problems import ProblemError, responses
from service.api.schemas import (
    Delivery,
    DeliveryPage,
    Webhook,
    WebhookCreate,
    WebhookUpdate,
    WebhookWithSecret,
)
from service.store.alerts import new_message_id, rfc3339
from service.store.models import WebhookDeliveryRow, WebhookRow
from service.webhooks import queue
from service.webhooks.signing import new_secret
from service.webhooks.ssrf import refusal

router = APIRouter(
    prefix="/api/v1/webhooks",
    tags=["webhooks"],
    dependencies=[Depends(require_admin)],
    responses=responses(401, 403, 429),
)

ROTATION_OVERLAP = timedelta(hours=24)


def webhook_to_dict(row: WebhookRow, *, secret: bool = False) -> dict[str, Any]:
    out = {
        "id": row.id,
        "url": row.url,
        "event_types": row.event_types or [],
        "filters": row.filters or {},
        "description": row.description,
        "enabled": row.enabled,
        "disabled_reason": row.disabled_reason,
        "created_at": rfc3339(row.created_at),
        "updated_at": rfc3339(row.updated_at),
    }
    if secret:
        out["secret"] = row.secret
    return out


def delivery_to_dict(row: WebhookDeliveryRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "webhook_id": row.webhook_id,
        "alert_id": row.alert_id,
        "event_type": row.event_type,
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": rfc3339(row.next_attempt_at) if row.status == "pending" else None,
        "last_status_code": row.last_status_code,
        "last_error": row.last_error,
        "latency_ms": row.latency_ms,
        "created_at": rfc3339(row.created_at),
        "delivered_at": rfc3339(row.delivered_at),
    }


def check_url(url: str, allow_private: bool) -> None:
    """Refuse at registration a URL that delivery would refuse (the same SSRF rules), so a
    subscriber hears 422 now rather than the service retrying a doomed target for a day.
    Delivery checks again: DNS may answer differently later."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise ProblemError(422, "credentials in the URL are not allowed", kind="unsafe-url")
    host = (parts.hostname or "").strip("[]")
    if allow_private or not host:
        return
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise ProblemError(422, f"{host} does not resolve", kind="unsafe-url") from None
        addresses = [ipaddress.ip_address(str(i[4][0]).split("%")[0]) for i in infos]
    for address in addresses:
        reason = refusal(address)
        if reason:
            raise ProblemError(
                422,
                f"{host} is a {reason}: webhooks only go to public addresses",
                kind="unsafe-url",
            )


def _unique_url(session, url: str, webhook_id: str | None = None) -> None:
    clash = session.scalar(select(WebhookRow.id).where(WebhookRow.url == url))
    if clash is not None and clash != webhook_id:
        raise ProblemError(409, f"a webhook for {url} already exists", kind="webhook-exists")


WebhookId = Annotated[
    str, Path(max_length=40, pattern=NON_EMPTY_TEXT, description="The webhook's id (wh_...)")
]
DeliveryId = Annotated[
    str, Path(max_length=40, pattern=NON_EMPTY_TEXT, description="The delivery's id (msg_...)")
]


def _hook(session, webhook_id: str) -> WebhookRow:
    row = session.get(WebhookRow, webhook_id)
    if row is None:
        raise ProblemError(404, f"no webhook with id {webhook_id}")
    return row


@router.post(
    "",
    status_code=201,
    response_model=WebhookWithSecret,
    responses=responses(409, 422),
)
def create_webhook(body: WebhookCreate, session: SessionDep, settings: SettingsDep) -> dict:
    """Subscribe; the response carries the signing secret, which is never shown again."""
    url = str(body.url)
    check_url(url, settings.webhooks.allow_private_targets)
    _unique_url(session, url)
    now = datetime.now(UTC)
    row = WebhookRow(
        id="wh_" + secrets.token_hex(8),
        url=url,
        event_types=[t.value for t in body.event_types],
        filters=body.filters.model_dump(mode="json", exclude_none=True),
        secret=new_secret(),
        description=body.description,
        enabled=body.enabled,
        consecutive_failures=0,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.commit()
    return webhook_to_dict(row, secret=True)


@router.get("", response_model=list[Webhook])
def list_webhooks(session: SessionDep) -> list[dict]:
    """Every subscription (secrets are never listed)."""
    return [webhook_to_dict(r) for r in session.scalars(select(WebhookRow).order_by(WebhookRow.id))]


@router.get("/{webhook_id}", response_model=Webhook, responses=responses(404))
def get_webhook(webhook_id: WebhookId, session: SessionDep) -> dict:
    """One subscription."""
    return webhook_to_dict(_hook(session, webhook_id))


@router.patch("/{webhook_id}", response_model=Webhook, responses=responses(404, 409, 422))
def update_webhook(
    webhook_id: WebhookId, body: WebhookUpdate, session: SessionDep, settings: SettingsDep
) -> dict:
    """Change some fields (absent ones stay); enabling again resets the failure count."""
    row = _hook(session, webhook_id)
    was_enabled = row.enabled
    changes = body.model_dump(mode="json", exclude_unset=True)
    if "url" in changes:
        check_url(changes["url"], settings.webhooks.allow_private_targets)
        _unique_url(session, changes["url"], webhook_id)
    for key, value in changes.items():
        if key == "filters" and value is not None:
            value = {k: v for k, v in value.items() if v is not None}
        setattr(row, key, value)
    now = datetime.now(UTC)
    if changes.get("enabled") and not was_enabled:
        queue.resume(session, row, now)  # its waiting messages go out, oldest first
    row.updated_at = now
    session.commit()
    return webhook_to_dict(row)


@router.delete("/{webhook_id}", status_code=204, responses=responses(404))
def delete_webhook(webhook_id: WebhookId, session: SessionDep) -> Response:
    """Unsubscribe; pending deliveries are dropped."""
    session.delete(_hook(session, webhook_id))
    session.commit()
    return Response(status_code=204)


@router.post(
    "/{webhook_id}/rotate-secret", response_model=WebhookWithSecret, responses=responses(404)
)
def rotate_secret(webhook_id: WebhookId, session: SessionDep) -> dict:
    """New secret; the old one keeps signing (both signatures sent) for 24 hours."""
    row = _hook(session, webhook_id)
    now = datetime.now(UTC)
    row.previous_secret = row.secret
    row.previous_secret_until = now + ROTATION_OVERLAP
    row.secret = new_secret()
    row.updated_at = now
    session.commit()
    return webhook_to_dict(row, secret=True)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryPage, responses=responses(400, 404))
def list_deliveries(
    webhook_id: WebhookId,
    request: Request,
    session: SessionDep,
    status: Annotated[
        str | None,
        Query(pattern="^(pending|delivered|dead|cancelled)$", description="Only this state"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size")] = 100,
    cursor: Annotated[str | None, CursorQuery(TIME_ID_CURSOR)] = None,
) -> dict:
    """The subscription's delivery log, newest first (follow `next`)."""
    _hook(session, webhook_id)
    stmt = (
        select(WebhookDeliveryRow)
        .where(WebhookDeliveryRow.webhook_id == webhook_id)
        .order_by(WebhookDeliveryRow.created_at.desc(), WebhookDeliveryRow.id.desc())
    )
    if status:
        stmt = stmt.where(WebhookDeliveryRow.status == status)
    if cursor:
        at, last_id = decode_time_id_cursor(cursor)
        stmt = stmt.where(
            (WebhookDeliveryRow.created_at < at)
            | ((WebhookDeliveryRow.created_at == at) & (WebhookDeliveryRow.id < last_id))
        )
    rows = list(session.scalars(stmt.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [delivery_to_dict(r) for r in rows],
        "next": next_link(request, time_id_cursor(rows[-1].created_at, rows[-1].id))
        if more
        else None,
    }


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=Delivery,
    responses=responses(404),
)
def redeliver(webhook_id: WebhookId, delivery_id: DeliveryId, session: SessionDep) -> dict:
    """Send a message again (same webhook-id, so receivers can still deduplicate)."""
    _hook(session, webhook_id)
    row = session.get(WebhookDeliveryRow, delivery_id)
    if row is None or row.webhook_id != webhook_id:
        raise ProblemError(404, f"no delivery {delivery_id} for webhook {webhook_id}")
    row.status = "pending"
    row.next_attempt_at = datetime.now(UTC)
    session.commit()
    return delivery_to_dict(row)


@router.post(
    "/{webhook_id}/test", status_code=202, response_model=Delivery, responses=responses(404)
)
def send_test(webhook_id: WebhookId, session: SessionDep) -> dict:
    """Queue a ``webhook.test`` message to check the receiver and its signature verification."""
    import json

    row = _hook(session, webhook_id)
    now = datetime.now(UTC)
    delivery = WebhookDeliveryRow(
        id=new_message_id(),
        webhook_id=row.id,
        alert_id=None,
        event_type="webhook.test",
        payload=json.dumps(
            {"type": "webhook.test", "timestamp": rfc3339(now), "data": {"webhook_id": row.id}},
            separators=(",", ":"),
            sort_keys=True,
        ),
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    session.commit()
    return delivery_to_dict(delivery)


class QueueAction(BaseModel):
    """The outcome of resuming a subscription or discarding its queue."""

    webhook: Webhook
    messages: int  # resumed: messages waiting to go out; discarded: messages cancelled


@router.post("/{webhook_id}/resume", response_model=QueueAction, responses=responses(404))
def resume_webhook(webhook_id: WebhookId, session: SessionDep) -> dict:
    """Enable a disabled or paused subscription; its waiting messages go out, oldest first."""
    row = _hook(session, webhook_id)
    waiting = queue.resume(session, row, datetime.now(UTC))
    session.commit()
    return {"webhook": webhook_to_dict(row), "messages": waiting}


@router.post("/{webhook_id}/discard", response_model=QueueAction, responses=responses(404))
def discard_queue(webhook_id: WebhookId, session: SessionDep, key: AdminAccess) -> dict:
    """Cancel every message waiting for this subscription: the only way queued messages are
    dropped.  Each keeps its row, marked with who discarded it and when."""
    row = _hook(session, webhook_id)
    by = f"API key {key.id} ({key.name})" if key is not None else "admin"
    count = queue.discard(session, row, datetime.now(UTC), by)
    session.commit()
    return {"webhook": webhook_to_dict(row), "messages": count}
