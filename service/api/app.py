"""FastAPI application factory.

The lifespan builds what every request and job shares — settings, one engine,
the airspace and airport registries, one outgoing HTTP client — and, unless
asked not to (tests that drive polling themselves), starts the scheduler.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from service.api import docs, problems
from service.api.auth import RateLimiter
from service.api.cache import CachedResponses, ResponseCache
from service.api.endpoints import (
    airspaces,
    alerts,
    flights,
    health,
    map,
    notams,
    routes,
    status_page,
    stream,
    webhooks,
)
from service.api.middleware import Guard, RequestId, SecurityHeaders
from service.config import Settings
from service.metrics import Metrics
from service.replica_jobs import ReplicaJobs
from service.runtime import build_runtime
from service.store.db import ensure_migrated

DESCRIPTION = """
firwatch watches flight-tracking feeds (OpenSky, ADS-B Exchange v2 APIs) and FAA NOTAMs
for airspace closures, traffic collapse, reroutes, diversions and turn-backs.

* Timestamps are RFC 3339 in UTC, always ending in `Z`. Fields named for what happened
  (`opened_at`, `observed_at`, `since`, `valid_from`...) are **data time**, the time in the
  feeds; `updated_at`, `created_at`, `fetched_at` and delivery times are **wall time**.
* Distances carry their unit (`_km`, `_nm`, `_ft`); geometries are GeoJSON (lon/lat,
  `application/geo+json`, counter-clockwise outer rings per RFC 7946).
* Errors are RFC 9457 problem details (`application/problem+json`) with a stable `type`:
  400 for a malformed or unknown parameter, 422 for a body that breaks the model's rules.
* Keys: `X-API-Key: fw_<id>_<secret>` or `Authorization: Bearer fw_<id>_<secret>`. Changes
  need the `admin` scope; reads need a `read` key unless the service listens on loopback.
* Lists are paginated with opaque cursors: follow `next` until it is null.
* Webhooks are signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`,
  `webhook-signature`).
"""


def create_app(settings: Settings, *, start_scheduler: bool = True, role: str = "all") -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = build_runtime(settings, metrics=Metrics(), webhooks=start_scheduler, poller=False)
        jobs = ReplicaJobs(runtime, role)
        try:
            ensure_migrated(runtime.database, settings.auto_migrate)
            state = app.state
            state.runtime, state.replica = runtime, jobs
            # what the endpoints read (all of it from the runtime)
            state.engine, state.sessionmaker = runtime.database, runtime.sessions
            state.airspaces, state.airports = runtime.airspaces, runtime.airports
            state.metrics = runtime.metrics
            if start_scheduler:
                await jobs.start()
            yield
        finally:
            await jobs.stop()
            await runtime.aclose()

    app = FastAPI(
        title="firwatch",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.replica = None  # ReplicaJobs while the lifespan runs
    problems.install(app)
    docs.install(app)

    # per app, not per lifespan: the middleware below holds them
    app.state.rate_limiter = RateLimiter(settings.api.rate_limit_per_minute)
    app.state.cache = ResponseCache(settings.api.cache_s)
    # outermost last: RequestId -> SecurityHeaders -> Guard (auth, limits, body) -> cache -> app
    app.add_middleware(CachedResponses, cache=app.state.cache)
    app.add_middleware(Guard, max_bytes=settings.api.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestId)

    # stream before alerts: /alerts/stream must not be read as /alerts/{alert_id}
    modules = (
        stream,
        alerts,
        airspaces,
        flights,
        routes,
        map,
        notams,
        webhooks,
        health,
        status_page,
    )
    for module in modules:
        app.include_router(module.router)
    return app
