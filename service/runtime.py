"""The composition root: what a firwatch process runs on, built in one place.

Every command that polls or serves (``serve``, ``poll``, ``record``, ``replay``, ``demo``,
``eval``), the tests and the benchmarks get their database, registries, HTTP clients, feed
clients, detection engine and poller from :func:`build_runtime`, so a new dependency is
threaded through here once instead of through every command.  A caller that already has a
part (a test's sessions, an HTTP client on an in-process emulator, a replay's clock) passes
it in; the runtime closes only what it made itself.

Also here: the garbage collector thresholds every ``firwatch`` command applies.  Every poll
of a global feed allocates some 50,000 container objects (positions, track points,
per-flight updates) that stay alive for the whole poll, so CPython's default thresholds
(700, 10, 10) promote them to the oldest generation and then run a full collection over the
entire heap every other poll, at 100-170 ms each once a few hundred thousand track points
are in memory.  In the ingest benchmark that was 10.2 s of collection in 120 polls; with the
thresholds below it is 0.6 s, and peak memory did not change (most garbage here is freed by
reference counting; full collections still run, just about fifty times less often).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI imports this module for tune_gc: the rest loads when built
    import httpx
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from service.config import Settings
    from service.detect.engine import DetectionEngine
    from service.feeds.adsbx import AdsbxClient
    from service.feeds.callsign_routes import RouteClient
    from service.feeds.faa_notam import FaaNotamClient
    from service.feeds.opensky import OpenSkyClient
    from service.geo.airspaces import AirportRegistry, AirspaceRegistry
    from service.metrics import Metrics
    from service.poll_scheduler import PollScheduler
    from service.poller import Poller

GC_THRESHOLDS = (50_000, 20, 20)

Clock = Callable[[], datetime]
Recorder = Callable[[dict[str, Any]], None]


def tune_gc() -> None:
    """Freeze what start-up built (imports, seeds) and collect young objects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class FeedClients:
    """One client per feed, sharing the runtime's HTTP client, clock and recorder."""

    opensky: OpenSkyClient
    adsbx: AdsbxClient
    faa: FaaNotamClient
    routes: RouteClient


@dataclass(slots=True)
class Runtime:
    """The parts a process runs on.  ``poller`` is the current one: the API builds a fresh
    one (restored from the database) each time its replica takes the lead."""

    settings: Settings
    database: Engine
    sessions: sessionmaker[Session]
    airspaces: AirspaceRegistry
    airports: AirportRegistry
    http: httpx.AsyncClient
    clock: Clock = system_clock
    metrics: Metrics | None = None
    recorder: Recorder | None = None
    webhook_http: httpx.AsyncClient | None = None
    poller: Poller | None = None
    scheduler: PollScheduler | None = None
    # what this runtime made, and so closes: clients and the database engine
    owned: list[Any] = field(default_factory=list)

    def feed_clients(self) -> FeedClients:
        from service.feeds.adsbx import AdsbxClient
        from service.feeds.callsign_routes import RouteClient
        from service.feeds.faa_notam import FaaNotamClient
        from service.feeds.opensky import OpenSkyClient

        feeds, args = self.settings.feeds, (self.http, self.clock)
        return FeedClients(
            OpenSkyClient(feeds.opensky, *args, recorder=self.recorder),
            AdsbxClient(feeds.adsbx, *args, recorder=self.recorder),
            FaaNotamClient(feeds.faa_notam, *args, recorder=self.recorder),
            RouteClient(feeds.routes, *args, recorder=self.recorder),
        )

    def detection_engine(self, route_cache: Any = None) -> DetectionEngine:
        """A detection engine watching what the settings name (airspaces, routes)."""
        from service.detect.engine import DetectionEngine
        from service.seeds import load_route_schedules, load_watched_routes

        routes_file = self.settings.path(self.settings.watch.routes_file)
        return DetectionEngine(
            self.settings,
            self.airspaces,
            self.airports,
            load_watched_routes(routes_file),
            load_route_schedules(routes_file),
            route_cache=route_cache,
        )

    def new_poller(self, *, restore: bool = True) -> Poller:
        """A new poller (not kept: see ``poller``) with its own feed clients and engine; ``restore`` rebuilds the engine's
        state from the database (a restart, a new leader), which a replay does not want:
        it starts from its own first record."""
        from service.poller import Poller
        from service.seeds import load_local_routes
        from service.store.engine_state import restore_engine

        feeds = self.feed_clients()
        engine = self.detection_engine(route_cache=feeds.routes.cache)
        if restore:
            with self.sessions() as session:
                restore_engine(session, engine)
        local = self.settings.feeds.routes.local_file
        return Poller(
            self.settings,
            self.sessions,
            feeds,
            engine,
            clock=self.clock,
            webhook_http=self.webhook_http,
            metrics=self.metrics,
            local_routes=load_local_routes(self.settings.path(local)) if local else {},
        )

    def new_scheduler(self, *, feeds: bool = True, delivery: bool = True) -> PollScheduler:
        """The poller's jobs on a scheduler (not started): feeds, housekeeping, delivery."""
        from service.poll_scheduler import build_scheduler

        if self.poller is None:
            self.poller = self.new_poller()
        poller = self.poller
        self.scheduler = build_scheduler(poller, feeds=feeds, delivery=delivery)
        return self.scheduler

    async def aclose(self) -> None:
        """Close what this runtime made (never a client or database it was given)."""
        for part in reversed(self.owned):
            if hasattr(part, "aclose"):
                await part.aclose()
            else:
                part.dispose()
        self.owned.clear()

    async def __aenter__(self) -> Runtime:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def make_webhook_client(settings: Settings) -> httpx.AsyncClient:
    """Webhook POSTs: no proxy from the environment, no redirects (SSRF guard)."""
    import httpx

    return httpx.AsyncClient(
        timeout=settings.webhooks.timeout_s, follow_redirects=False, trust_env=False
    )


def build_runtime(
    settings: Settings,
    *,
    sessions: sessionmaker[Session] | None = None,
    http: httpx.AsyncClient | None = None,
    registries: tuple[AirspaceRegistry, AirportRegistry] | None = None,
    clock: Clock = system_clock,
    metrics: Metrics | None = None,
    recorder: Recorder | None = None,
    webhooks: bool | httpx.AsyncClient = False,
    poller: bool = True,
    restore: bool = True,
) -> Runtime:
    """The runtime for ``settings``: the database at its URL (unless ``sessions`` is given),
    the seeds' registries, one HTTP client for the feeds, a webhook client when ``webhooks``
    (or the one given), and a poller unless ``poller`` is false (the API builds its own when
    it leads).  Use it as ``async with build_runtime(...) as runtime:`` so that what it made
    is closed."""
    import httpx

    from service.geo.airspaces import load_registries
    from service.store.db import make_engine, make_sessionmaker

    owned: list[Any] = []
    if sessions is None:
        database = make_engine(settings.resolved_database_url)
        owned.append(database)
        sessions = make_sessionmaker(database)
    else:
        database = sessions.kw["bind"]
    if http is None:
        http = httpx.AsyncClient(headers={"user-agent": "firwatch/0.1"})
        owned.append(http)
    webhook_http: httpx.AsyncClient | None = None
    if isinstance(webhooks, httpx.AsyncClient):
        webhook_http = webhooks
    elif webhooks:
        webhook_http = make_webhook_client(settings)
        owned.append(webhook_http)
    runtime = Runtime(
        settings,
        database,
        sessions,
        *(registries or load_registries(settings.path(settings.seeds_dir))),
        http=http,
        clock=clock,
        metrics=metrics,
        recorder=recorder,
        webhook_http=webhook_http,
        owned=owned,
    )
    if poller:
        runtime.poller = runtime.new_poller(restore=restore)
    return runtime
