"""Liveness and readiness: database reachable, feeds' last success and failure."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import func, select, text

from service.api.deps import SessionDep
from service.api.schemas import Health, Live, Ready
from service.store.alerts import rfc3339
from service.store.models import FeedHealthRow, WebhookDeliveryRow

router = APIRouter(tags=["health"])


def _scheduler_state(request: Request) -> str:
    """leader (polling the feeds), standby (waiting for the lock) or off (api role, tests)."""
    replica = (
        request.app.state.replica
    )  # service.replica_jobs.ReplicaJobs, None outside the lifespan
    return replica.state if replica is not None else "off"


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


@router.get("/health/live", response_model=Live)
def live() -> dict:
    """The process answers: nothing else is checked (restart me only if this fails)."""
    return {"status": "alive"}


@router.get("/health/ready", response_model=Ready, responses={503: {"model": Ready}})
def ready(request: Request, response: Response) -> dict:
    """Ready = database reachable, schema at the code's revision, scheduler state known."""
    from service.store.db import migration_state

    checks: dict[str, str] = {}
    try:
        current, head = migration_state(request.app.state.engine)
        checks["database"] = "ok"
        checks["migrations"] = "ok" if current == head else f"at {current}, code needs {head}"
    except Exception as exc:  # report, never raise, from a probe
        checks["database"] = f"error: {str(exc).splitlines()[0][:200]}"
        checks["migrations"] = "unknown"
    checks["scheduler"] = _scheduler_state(request)
    ok = checks["database"] == "ok" and checks["migrations"] == "ok"
    if not ok:
        response.status_code = 503
    return {"status": "ready" if ok else "not ready", "checks": checks}


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request, session: SessionDep) -> PlainTextResponse:
    """Prometheus text format."""
    state = request.app.state
    m = state.metrics
    try:
        pending = session.scalar(
            select(func.count())
            .select_from(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.status == "pending")
        )
        m.outbox_pending.set(pending or 0)
    except Exception:  # the database being down must not hide the other metrics
        pass
    m.scheduler_leader.set(1 if _scheduler_state(request) == "leader" else 0)
    return PlainTextResponse(m.render(), media_type=CONTENT_TYPE_LATEST)
