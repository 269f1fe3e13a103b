"""Server-Sent Events: alert openings, updates, resolutions and reopenings as they are stored.

The stream reads the append-only ``alert_changes`` log, so every replica can
serve it and a client that reconnects with ``Last-Event-ID`` resumes exactly
where it stopped, missing nothing that was committed in between.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from service.api.auth import SCOPE_KEY, is_admin, key_is_valid, require_read
from service.api.endpoints.alerts import visible
from service.api.params import INT64_MAX
from service.api.problems import responses
from service.store.alerts import alert_to_dict
from service.store.models import AlertChangeRow, AlertRow

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])

POLL_S = 1.0
KEEPALIVE_S = 15.0
BATCH = 200


class KeyRevoked(Exception):
    """The key that opened the stream was revoked or deleted: the stream ends."""


def _changes_after(sessions, last_id: int, kid: str | None) -> list[tuple[int, str, dict]]:
    with sessions() as session:
        if kid is not None and not key_is_valid(session, kid):
            raise KeyRevoked(kid)
        rows = session.execute(
            select(AlertChangeRow, AlertRow)
            .join(AlertRow, AlertRow.id == AlertChangeRow.alert_id)
            .where(AlertChangeRow.id > last_id)
            .order_by(AlertChangeRow.id)
            .limit(BATCH)
        ).all()
        # the alert as the change left it; rows from before that copy was kept: as it is now
        return [(c.id, c.change, c.data or alert_to_dict(a)) for c, a in rows]


def _latest_id(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(AlertChangeRow.id).order_by(AlertChangeRow.id.desc())) or 0


@router.get(
    "/stream",
    dependencies=[Depends(require_read)],
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "Server-Sent Events: `id` (change id), `event` (alert.opened, "
            "alert.updated, alert.resolved or alert.reopened) and `data` (the alert as JSON, "
            "as that change left it)",
        },
        **responses(400, 401, 429),
    },
    response_class=StreamingResponse,
)
async def stream_alerts(
    request: Request,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            # 18 digits: below 2**63 whatever they are, so every value the pattern admits is
            # a position in the log (19 digits could pass the 64-bit ids: a schema-valid 400)
            pattern="^[0-9]{1,18}$",
            description="The last event id received (browsers send it when they reconnect)",
        ),
    ] = None,
    since_id: Annotated[
        int | None,
        Query(ge=0, le=INT64_MAX, description="Resume after this event id (as Last-Event-ID)"),
    ] = None,
    once: Annotated[bool, Query(description="Send what is pending and close")] = False,
) -> StreamingResponse:
    """Alert changes as they are stored: `event:` is `alert.opened`, `alert.updated` (newer
    evidence changed an open alert: its `updated_at` moved), `alert.resolved` or
    `alert.reopened`.

    The stream ends when the key that opened it is revoked."""
    sessions = request.app.state.sessionmaker
    row = request.scope.get(SCOPE_KEY)
    kid, admin = (row.id if row is not None else None), is_admin(row)
    start = since_id
    if last_event_id is not None:
        start = int(last_event_id)
    if start is None:
        start = await asyncio.to_thread(_latest_id, sessions)

    async def events() -> AsyncIterator[str]:
        last = start
        idle = 0.0
        yield "retry: 2000\n\n"
        while True:
            try:
                changes = await asyncio.to_thread(_changes_after, sessions, last, kid)
            except KeyRevoked:
                yield "event: error\ndata: the API key was revoked\n\n"
                return
            for change_id, change, alert in changes:
                last = change_id
                data = json.dumps(visible(alert, admin))
                yield f"id: {change_id}\nevent: alert.{change}\ndata: {data}\n\n"
            if once and len(changes) < BATCH:
                return
            if changes:
                idle = 0.0
                continue
            if await request.is_disconnected():
                return
            await asyncio.sleep(POLL_S)
            idle += POLL_S
            if idle >= KEEPALIVE_S:
                idle = 0.0
                yield ": keep-alive\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
