"""Alerts: list with filters and keyset pagination, and one alert by id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select

from service.api.auth import SCOPE_KEY, is_admin, require_read
from service.api.deps import SessionDep
from service.api.pagination import (
    ALERT_CURSOR,
    CursorQuery,
    alert_cursor,
    decode_alert_cursor,
    next_link,
)
from service.api.params import TEXT, IdPath, TimeQuery, UtcTime
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

# evidence only admins may see: a webhook URL can carry a capability token
ADMIN_EVIDENCE = {"webhook.disabled": ("url",)}


def visible(alert: dict[str, Any], admin: bool) -> dict[str, Any]:
    """The alert as this caller may see it (admin-only evidence removed for everyone else).

    >>> a = {"type": "webhook.disabled", "evidence": {"webhook_id": "wh_1", "url": "https://x/t0k"}}
    >>> visible(a, admin=False)["evidence"]
    {'webhook_id': 'wh_1'}
    """
    hidden = ADMIN_EVIDENCE.get(alert.get("type", ""), ())
    if admin or not hidden or not any(k in (alert.get("evidence") or {}) for k in hidden):
        return alert
    evidence = {k: v for k, v in alert["evidence"].items() if k not in hidden}
    return {**alert, "evidence": evidence}


def caller_is_admin(request: Request) -> bool:
    return is_admin(request.scope.get(SCOPE_KEY))


@router.get("", response_model=AlertPage, responses=responses(400))
def list_alerts(
    request: Request,
    session: SessionDep,
    type: Annotated[AlertType | None, Query(description="Only alerts of this type")] = None,
    airspace: Annotated[
        str | None, Query(pattern="^[A-Z]{4}$", description="Only alerts on this FIR (ICAO code)")
    ] = None,
    severity: Annotated[Severity | None, Query(description="Only this severity")] = None,
    status: Annotated[AlertStatus | None, Query(description="open or resolved")] = None,
    callsign: Annotated[
        str | None,
        Query(max_length=16, pattern=TEXT, description="Only this flight's callsign (any case)"),
    ] = None,
    flight_id: Annotated[
        str | None, Query(max_length=64, pattern=TEXT, description="Only this flight")
    ] = None,
    route: Annotated[
        str | None,
        Query(
            pattern="^[A-Za-z]{4}-[A-Za-z]{4}$", description="Origin-destination, e.g. EHAM-TNCC"
        ),
    ] = None,
    since: Annotated[UtcTime | None, TimeQuery("Opened at or after this data time.")] = None,
    until: Annotated[UtcTime | None, TimeQuery("Opened before this data time.")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size")] = 100,
    cursor: Annotated[str | None, CursorQuery(ALERT_CURSOR)] = None,
) -> Response:
    """Alerts, newest first, one page at a time (follow `next`)."""
    before = decode_alert_cursor(cursor) if cursor else None
    admin = caller_is_admin(request)

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
        if since is not None:
            stmt = stmt.where(AlertRow.opened_at >= since)
        if until is not None:
            stmt = stmt.where(AlertRow.opened_at < until)
        if before is not None:
            stmt = stmt.where(AlertRow.id < before)
        rows = list(session.scalars(stmt))
        more = len(rows) > limit
        rows = rows[:limit]
        return {
            "items": [visible(alert_to_dict(r), admin) for r in rows],
            "next": next_link(request, alert_cursor(rows[-1].id)) if more else None,
        }

    return request.app.state.cache.respond(request, build)


@router.get("/{alert_id}", response_model=Alert, responses=responses(400, 404))
def get_alert(
    alert_id: Annotated[int, IdPath("The alert's id")], request: Request, session: SessionDep
) -> dict:
    """One alert by id, open or resolved."""
    row = session.get(AlertRow, alert_id)
    if row is None:
        raise ProblemError(404, f"no alert with id {alert_id}")
    return visible(alert_to_dict(row), caller_is_admin(request))
