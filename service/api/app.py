"""FastAPI application factory.

The lifespan builds what every request and job shares — settings, one engine,
the airspace and airport registries, one outgoing HTTP client — and, unless
asked not to (tests that drive polling themselves), starts the scheduler.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request

from service import jobs
from service.api import problems
from service.api.auth import RateLimiter
from service.api.routes import (
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
from service.config import Settings
from service.geo.airspaces import load_registries
from service.logs import request_id
from service.metrics import Metrics
from service.store.db import ensure_migrated, make_engine, make_sessionmaker

DESCRIPTION = """
firwatch watches flight-tracking feeds (OpenSky, ADS-B Exchange v2 APIs) and FAA NOTAMs
for airspace closures, traffic collapse, reroutes, diversions and turn-backs.

* Timestamps are RFC 3339 in UTC; distances carry their unit (`_km`, `_nm`, `_ft`);
  geometries are GeoJSON (lon/lat).
* Errors are RFC 9457 problem details (`application/problem+json`) with a stable `type`.
* Lists are paginated with opaque cursors: follow `next` until it is null.
* Webhooks are signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`,
  `webhook-signature`).
"""


def create_app(settings: Settings, *, start_scheduler: bool = True, role: str = "all") -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = app.state
        engine = make_engine(settings.resolved_database_url)
        ensure_migrated(engine, settings.auto_migrate)
        seeds = settings.path(settings.seeds_dir)
        state.settings = settings
        state.engine = engine
        state.sessionmaker = make_sessionmaker(engine)
        state.airspaces, state.airports = load_registries(seeds)
        state.clock = jobs.system_clock
        state.http = httpx.AsyncClient(headers={"user-agent": "firwatch/0.1"})
        state.rate_limiter = RateLimiter(settings.api.rate_limit_per_minute)
        state.metrics = Metrics()
        try:
            if start_scheduler:
                await jobs.start_scheduler(state, role)
            yield
        finally:
            await jobs.stop_scheduler(state)
            await state.http.aclose()
            engine.dispose()

    app = FastAPI(
        title="firwatch",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    problems.install(app)

    @app.middleware("http")
    async def with_request_id(request: Request, call_next):
        """Tag the request (and every log line written for it) with an id, echoed back."""
        rid = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
        token = request_id.set(rid)
        try:
            response = await call_next(request)
        finally:
            request_id.reset(token)
        response.headers["X-Request-ID"] = rid
        return response

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        """Refuse oversized bodies before reading them (413 problem)."""
        length = request.headers.get("content-length")
        if length and (not length.isdigit() or int(length) > settings.api.max_body_bytes):
            return problems.problem_response(
                request, 413, "Payload too large",
                f"request bodies are limited to {settings.api.max_body_bytes} bytes",
            )  # fmt: skip
        return await call_next(request)

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
