"""Liveness and readiness: database reachable, feeds' last success and failure."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import select, text

from service.api.deps import SessionDep
from service.api.schemas import Health
from service.store.alerts import rfc3339
from service.store.models import FeedHealthRow

router = APIRouter(tags=["health"])


def _scheduler_state(request: Request) -> str:
    scheduler = getattr(request.app.state, "scheduler", None)
    if scheduler is None:
        return "off"
    return "running" if scheduler.running else "stopped"


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
def health(request: Request, response: Response, session: SessionDep) -> dict:
    """A feed failing shows here; the airspace status never reads a feed outage as empty sky."""
    try:
        session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # the point of a health check is to report, not to raise
        database = f"error: {str(exc).splitlines()[0][:200]}"
    feeds = {}
    degraded = database != "ok"
    if database == "ok":
        for row in session.scalars(select(FeedHealthRow)):
            feeds[row.feed] = {
                "last_success_at": rfc3339(row.last_success_at),
                "last_error_at": rfc3339(row.last_error_at),
                "last_error": row.last_error,
                "polls": row.polls,
                "failures": row.failures,
                "rejected": row.rejected,
                "credits_remaining": row.credits_remaining,
            }
            if row.last_error_at and (
                row.last_success_at is None or row.last_error_at > row.last_success_at
            ):
                degraded = True
    if database != "ok":
        response.status_code = 503
    return {
        "status": "degraded" if degraded else "ok",
        "database": database,
        "scheduler": _scheduler_state(request),
        "feeds": feeds,
    }
