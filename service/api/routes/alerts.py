"""Alerts: list with filters and keyset pagination, and one alert by id."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select

from service.api.auth import require_read
from service.api.deps import SessionDep
from service.api.pagination import decode_cursor, next_link
from service.api.problems import ProblemError, responses
from service.api.schemas import Alert, AlertPage
from service.domain import AlertStatus, AlertType, Severity
from service.store.alerts import alert_to_dict
from service.store.models import AlertRow

router = APIRouter(
    prefix="/api/v1/alerts",
    tags=["alerts"],
    dependencies=[Depends(require_read)],
    responses=responses(401, 429),
)


def aware(value: datetime | None, name: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ProblemError(422, f"{name} needs a time zone, e.g. 2025-11-21T00:00:00Z")
    return value


@router.get("", response_model=AlertPage, responses=responses(400, 422))
def list_alerts(
    request: Request,
    session: SessionDep,
    type: Annotated[AlertType | None, Query(description="Alert type")] = None,
    airspace: Annotated[str | None, Query(pattern="^[A-Z]{4}$")] = None,
    severity: Severity | None = None,
    status: AlertStatus | None = None,
    callsign: str | None = None,
    flight_id: str | None = None,
    route: Annotated[
        str | None, Query(pattern="^[A-Za-z]{4}-[A-Za-z]{4}$", description="e.g. EHAM-TNCC")
    ] = None,
    since: Annotated[datetime | None, Query(description="Opened at or after (RFC 3339)")] = None,
    until: Annotated[datetime | None, Query(description="Opened before (RFC 3339)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> Response:
    """Newest first."""

    def build() -> dict:
        stmt = select(AlertRow).order_by(AlertRow.id.desc()).limit(limit + 1)
        if type is not None:
            stmt = stmt.where(AlertRow.type == type.value)
        if airspace:
            stmt = stmt.where(AlertRow.airspace == airspace)
        if severity is not None:
            stmt = stmt.where(AlertRow.severity == severity.value)
        if status is not None:
            stmt = stmt.where(AlertRow.status == status.value)
        if callsign:
            stmt = stmt.where(AlertRow.callsign == callsign.upper())
        if flight_id:
            stmt = stmt.where(AlertRow.flight_id == flight_id)
        if route:
            origin, destination = route.upper().split("-")
            stmt = stmt.where(AlertRow.origin == origin, AlertRow.destination == destination)
        if aware(since, "since") is not None:
            stmt = stmt.where(AlertRow.opened_at >= since)
        if aware(until, "until") is not None:
            stmt = stmt.where(AlertRow.opened_at < until)
        if cursor:
            before = decode_cursor(cursor)
            if not isinstance(before, int):
                raise ProblemError(400, "cursor is not an alert cursor", kind="invalid-cursor")
            stmt = stmt.where(AlertRow.id < before)
        rows = list(session.scalars(stmt))
        more = len(rows) > limit
        rows = rows[:limit]
        return {
            "items": [alert_to_dict(r) for r in rows],
            "next": next_link(request, rows[-1].id) if more else None,
        }

    return request.app.state.cache.respond(request, build)


@router.get("/{alert_id}", response_model=Alert, responses=responses(404, 422))
def get_alert(alert_id: int, session: SessionDep) -> dict:
    row = session.get(AlertRow, alert_id)
    if row is None:
        raise ProblemError(404, f"no alert with id {alert_id}")
    return alert_to_dict(row)
