"""Polling rounds and their scheduling.

:class:`Poller` owns the feed clients and the detection engine; each method is
one thin job: fetch, detect, persist in one transaction, log counts.  A failed
fetch is recorded in feed health and never propagates: the scheduler must
survive any feed.  Nor does a database outage: each poll's write goes through
:class:`~service.pending_writes.PendingWrites` (held and written in order when
the database is back), and every job logs an outage once when it starts and
once when it ends (:mod:`service.outage`).  The APScheduler 3.x
``AsyncIOScheduler`` runs one job per feed at its own interval with
``max_instances=1`` and coalescing, so a slow feed never piles up runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings
from service.detect.engine import DetectionEngine
from service.domain import FeedName, Notam, Route, Snapshot
from service.feeds.adsbx import AdsbxClient
from service.feeds.base import FeedError
from service.feeds.callsign_routes import RouteClient
from service.feeds.faa_notam import FaaNotamClient
from service.feeds.opensky import OpenSkyClient
from service.geo.airspaces import AirportRegistry, AirspaceRegistry
from service.housekeeping import RetentionReport, apply_retention
from service.ingest import restore_engine
from service.leader import LeaderElector
from service.metrics import Metrics
from service.notam.faa import notam_from_faa_item
from service.notam.lifecycle import Withdrawals
from service.notam.problems import count_problems
from service.outage import OutageLog, first_line, is_outage
from service.pending_writes import FeedHealth, PendingWrite, PendingWrites
from service.seeds import load_local_routes, load_route_schedules, load_watched_routes
from service.webhooks.delivery import deliver_due

log = logging.getLogger("firwatch.jobs")

Clock = Callable[[], datetime]
Recorder = Callable[[dict[str, Any]], None]


@dataclass(slots=True)
class PollReport:
    feed: str
    ok: bool
    positions: int = 0
    rejected: int = 0
    alerts: int = 0
    error: str | None = None
    alert_types: dict[str, int] = field(default_factory=dict)
    data_time: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def system_clock() -> datetime:
    return datetime.now(UTC)


class Poller:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        http: httpx.AsyncClient,
        airspaces: AirspaceRegistry,
        airports: AirportRegistry,
        *,
        clock: Clock = system_clock,
        webhook_http: httpx.AsyncClient | None = None,
        recorder: Recorder | None = None,
        metrics: Metrics | None = None,
        restore: bool = True,
    ):
        self.settings = settings
        self.metrics = metrics
        self.sessions = sessions
        self.http = http
        self.webhook_http = webhook_http
        self.airspaces = airspaces
        self.clock = clock
        feeds = settings.feeds
        self.opensky = OpenSkyClient(feeds.opensky, http, clock, recorder=recorder)
        self.adsbx = AdsbxClient(feeds.adsbx, http, clock, recorder=recorder)
        self.faa = FaaNotamClient(feeds.faa_notam, http, clock, recorder=recorder)
        self.withdrawals = Withdrawals(
            timedelta(minutes=settings.detection.notam_withdrawal_grace_minutes)
        )
        self.routes = RouteClient(feeds.routes, http, clock, recorder=recorder)
        self.engine = DetectionEngine(
            settings,
            airspaces,
            airports,
            load_watched_routes(settings.path(settings.watch.routes_file)),
            load_route_schedules(settings.path(settings.watch.routes_file)),
            route_cache=self.routes.cache,
        )
        local = settings.feeds.routes.local_file
        self.local_routes = load_local_routes(settings.path(local)) if local else {}
        self._lock = asyncio.Lock()
        self.writes = PendingWrites(sessions, clock, metrics)
        self.outages: dict[str, OutageLog] = {}
        if restore:  # a replay starts from its own first record instead
            with sessions() as session:
                restore_engine(session, self.engine)

    # -- feeds ------------------------------------------------------------------------
    async def poll_positions(self, feed: str) -> PollReport:
        started = time.perf_counter()
        report = await self._poll_positions(feed)
        self._observe(report, time.perf_counter() - started)
        return report

    async def poll_notams(self) -> PollReport:
        started = time.perf_counter()
        report = await self._poll_notams()
        self._observe(report, time.perf_counter() - started)
        return report

    def outage(self, job: str) -> OutageLog:
        """The job's outage log (one line when the database goes, one when it is back)."""
        if job not in self.outages:
            self.outages[job] = OutageLog(job, self.metrics, logger=log)
        return self.outages[job]

    async def flush_writes(self) -> int:
        """Try the held writes now (a leader stepping down, a command exiting); how many wait."""
        async with self._lock:
            await asyncio.to_thread(self.writes.flush, self.outage("poll"))
        return len(self.writes)

    def _observe(self, report: PollReport, seconds: float) -> None:
        if self.metrics is None:
            return
        m = self.metrics
        m.poll_duration.labels(report.feed).observe(seconds)
        m.polls.labels(report.feed, "ok" if report.ok else "failed").inc()
        m.rejected.labels(report.feed).inc(report.rejected)
        m.positions.labels(report.feed).inc(report.positions)
        for alert_type, n in report.alert_types.items():
            m.alerts.labels(alert_type).inc(n)
        stats = getattr(self.opensky, "stats", None)
        if report.feed == FeedName.OPENSKY and stats and stats.credits_remaining is not None:
            m.credits.labels(report.feed).set(stats.credits_remaining)

    async def _poll_positions(self, feed: str) -> PollReport:
        client = self.opensky if feed == FeedName.OPENSKY else self.adsbx
        try:
            snapshot: Snapshot = await client.fetch()
        except FeedError as exc:
            return await self._failed(feed, exc)
        except Exception as exc:  # a bug in a parser must not kill the scheduler
            log.exception("unexpected error polling %s", feed)
            return await self._failed(feed, exc)
        try:
            return await self.ingest_positions(snapshot, client)
        except Exception as exc:  # a bug in detection must not kill the scheduler either
            log.exception("unexpected error ingesting a %s snapshot", feed)
            return PollReport(feed=feed, ok=False, error=f"ingest failed: {first_line(exc)}")

    async def ingest_positions(self, snapshot: Snapshot, client: Any = None) -> PollReport:
        """Routes, detection and the commit of one snapshot (a fetched one, or one that a
        replay built from a recorded exchange).  A bug in detection raises: the scheduled
        poll logs it, a replay reports it for its round."""
        feed = snapshot.source
        if self.settings.feeds.routes.enabled or self.local_routes:
            await self._resolve_routes(snapshot)
        async with self._lock:
            report = await asyncio.to_thread(self._ingest_snapshot, snapshot, client)
        log.info(
            "poll %s: %d positions, %d rejected, %d alerts, data time %s%s",
            feed,
            report.positions,
            report.rejected,
            report.alerts,
            snapshot.fetched_at.isoformat(),
            f", {len(self.writes)} write(s) held for the database" if self.writes else "",
        )
        return report

    async def _resolve_routes(self, snapshot: Snapshot) -> None:
        """Route source first, then the local table; unknown callsigns fall back to the track."""
        async with self._lock:  # the engine's route cache is also read by ingest's thread
            wanted = self.engine.unknown_callsigns(snapshot)
        if not wanted:
            return
        routes: dict[str, Route | None] = {}
        if self.settings.feeds.routes.enabled:
            try:
                routes = await self.routes.lookup(wanted)
            except FeedError as exc:
                log.warning("route look-up failed: %s", exc)
            except Exception:
                log.exception("unexpected error in route look-up")
        for callsign, _lat, _lon in wanted:
            if routes.get(callsign) is None and callsign in self.local_routes:
                origin, destination = self.local_routes[callsign]
                routes[callsign] = Route(callsign, origin, destination, source="local")
        if routes:
            async with self._lock:
                self.engine.set_routes(routes)

    def _ingest_snapshot(self, snapshot: Snapshot, client: Any) -> PollReport:
        """Detect, then store the result in order behind any writes still held (an outage)."""
        result = self.engine.ingest(snapshot)
        stats = getattr(client, "stats", None)
        health = FeedHealth(
            snapshot.source,
            self.clock(),
            rejected=snapshot.rejected,
            credits_remaining=getattr(stats, "credits_remaining", None),
            error=None if snapshot.complete else "partial snapshot: some queries failed",
        )
        self.writes.add(PendingWrite(health, result=result, engine=self.engine))
        alerts = self.writes.flush(self.outage(f"poll_{snapshot.source}"))
        return PollReport(
            feed=snapshot.source,
            ok=True,
            positions=len(result.positions),
            rejected=snapshot.rejected,
            alerts=len(alerts),
            alert_types=dict(Counter(a.type for a in alerts)),
            data_time=snapshot.fetched_at,
        )

    async def _poll_notams(self) -> PollReport:
        feed = FeedName.FAA_NOTAM.value
        try:
            items = await self.faa.fetch()
        except FeedError as exc:
            return await self._failed(feed, exc)
        except Exception as exc:
            log.exception("unexpected error polling %s", feed)
            return await self._failed(feed, exc)
        full = self.faa.last_round_ids if self.faa.last_round_full else None
        return await self.ingest_notams(items, full)

    async def ingest_notams(
        self, items: list[dict[str, Any]], full_round: dict[str, set[str]] | None = None
    ) -> PollReport:
        """NOTAM items (fetched, or replayed from a recording) into detection and the store.

        ``full_round`` (location → ids it returned) when the round asked for everything, not
        only what changed: only then can a NOTAM's absence mean it was withdrawn.
        """
        feed = FeedName.FAA_NOTAM.value
        notams = [notam_from_faa_item(item, self.airspaces) for item in items]
        write = PendingWrite(
            FeedHealth(feed, self.clock(), rejected=self.faa.stats.rejected_last), notams=notams
        )
        async with self._lock:
            self.engine.set_notams(notams)
            withdrawn: list[Notam] = []
            if full_round is not None:
                withdrawn = self.withdrawals.full_round(
                    self.clock(), full_round, list(self.engine.notams.values())
                )
                self.engine.set_notams(withdrawn)
            if self.metrics is not None:
                count_problems(self.metrics.notam_problems, self.engine.notams.values())
            write.withdrawn = withdrawn
            self.writes.add(write)
            await asyncio.to_thread(self.writes.flush, self.outage(f"poll_{feed}"))
        new = write.new_notams
        log.info(
            "poll %s: %d NOTAMs (%d new, %d withdrawn)", feed, len(notams), new, len(withdrawn)
        )
        return PollReport(
            feed=feed,
            ok=True,
            rejected=self.faa.stats.rejected_last,
            extra={"notams": len(notams), "new": new, "withdrawn": len(withdrawn)},
        )

    async def _failed(self, feed: str, exc: Exception) -> PollReport:
        reason = str(exc) or type(exc).__name__
        log.warning("poll %s failed: %s", feed, reason)
        async with self._lock:
            self.writes.add(PendingWrite(FeedHealth(feed, self.clock(), error=reason)))
            await asyncio.to_thread(self.writes.flush, self.outage(f"poll_{feed}"))
        return PollReport(feed=feed, ok=False, error=reason)

    async def deliver_webhooks(self) -> Any:
        if self.webhook_http is None:
            return None
        outage = self.outage("deliver_webhooks")
        try:
            report = await deliver_due(
                self.sessions, self.webhook_http, self.clock(), self.settings.webhooks
            )
        except Exception as exc:
            if is_outage(exc):
                outage.failed(exc)  # one line per outage, not a traceback per round
            else:
                log.exception("webhook delivery round failed")
            return None
        outage.ok()
        if self.metrics is not None:
            self.metrics.deliveries.labels("delivered").inc(report.delivered)
            self.metrics.deliveries.labels("retry").inc(report.failed)
            self.metrics.deliveries.labels("dead").inc(report.dead)
        return report

    async def housekeeping(self) -> RetentionReport | None:
        outage = self.outage("housekeeping")
        try:
            report = await asyncio.to_thread(
                apply_retention, self.sessions, self.engine.data_time, self.settings.retention
            )
        except Exception as exc:
            if is_outage(exc):
                outage.failed(exc)
            else:
                log.exception("housekeeping failed")
            return None
        outage.ok()
        return report

    async def poll_once(self) -> list[PollReport]:
        """One round of every enabled feed (NOTAMs first: they are the earliest signal)."""
        feeds = self.settings.feeds
        reports = []
        if feeds.faa_notam.enabled:
            reports.append(await self.poll_notams())
        if feeds.opensky.enabled:
            reports.append(await self.poll_positions(FeedName.OPENSKY))
        if feeds.adsbx.enabled:
            reports.append(await self.poll_positions(FeedName.ADSBX))
        if await self.flush_writes():  # a one-shot round cannot hold writes for later
            for report in reports:
                report.ok = False
                report.error = f"database unreachable: {len(self.writes)} write(s) not stored"
        await self.deliver_webhooks()
        return reports


class PollScheduler(AsyncIOScheduler):
    """An ``AsyncIOScheduler`` that can stop without cutting a job in half.

    APScheduler 3's asyncio executor cancels running coroutine jobs on ``shutdown()`` (it
    cannot wait, not being a coroutine).  A poll cancelled between its HTTP exchange and its
    commit, or left running while the HTTP client it uses is closed, ends in a traceback and
    a lost poll.  :meth:`stop` pauses the schedule, lets the running jobs finish (up to a
    limit), and only then shuts down.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._running_jobs: set[asyncio.Task[Any]] = set()

    def add_job(self, func: Callable[..., Any], *args: Any, **kwargs: Any):  # type: ignore[override]
        if asyncio.iscoroutinefunction(func):
            func = self._tracked(func)
        return super().add_job(func, *args, **kwargs)

    def _tracked(self, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        async def run(*args: Any, **kwargs: Any) -> Any:
            task = asyncio.current_task()
            assert task is not None
            self._running_jobs.add(task)
            try:
                return await func(*args, **kwargs)
            finally:
                self._running_jobs.discard(task)

        return run

    async def stop(self, timeout_s: float = 30.0) -> None:
        if not self.running:
            return
        self.pause()
        await asyncio.sleep(0)  # jobs submitted just before the pause register on their first step
        pending = [t for t in self._running_jobs if not t.done()]
        if pending:
            _, late = await asyncio.wait(pending, timeout=timeout_s)
            if late:
                log.warning("%d job(s) still running after %g s: cancelled", len(late), timeout_s)
        self.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler.shutdown takes effect on the loop's next turn


def build_scheduler(poller: Poller, *, feeds: bool = True, delivery: bool = True) -> PollScheduler:
    """One job per feed at its own interval (leader only); webhook delivery (every replica)."""
    cfg = poller.settings.feeds
    scheduler = PollScheduler(timezone=UTC)
    common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    now = datetime.now(UTC)
    if feeds and cfg.faa_notam.enabled:
        scheduler.add_job(
            poller.poll_notams,
            "interval",
            seconds=cfg.faa_notam.interval_s,
            id="poll_faa_notam",
            next_run_time=now,
            **common,
        )
    for name, feed in ((FeedName.OPENSKY, cfg.opensky), (FeedName.ADSBX, cfg.adsbx)):
        if feeds and feed.enabled:
            scheduler.add_job(
                poller.poll_positions,
                "interval",
                args=[name.value],
                seconds=feed.interval_s,
                id=f"poll_{name.value}",
                next_run_time=now,
                **common,
            )
    if feeds:
        scheduler.add_job(
            poller.housekeeping,
            "interval",
            seconds=poller.settings.retention.interval_s,
            id="housekeeping",
            **common,
        )
    if delivery:
        scheduler.add_job(
            poller.deliver_webhooks,
            "interval",
            seconds=poller.settings.webhooks.interval_s,
            id="deliver_webhooks",
            **common,
        )
    return scheduler


def make_webhook_client(settings: Settings) -> httpx.AsyncClient:
    """Webhook POSTs: no proxy from the environment, no redirects (SSRF guard)."""
    return httpx.AsyncClient(
        timeout=settings.webhooks.timeout_s, follow_redirects=False, trust_env=False
    )


def _make_poller(state: Any) -> Poller:
    return Poller(
        state.settings,
        state.sessionmaker,
        state.http,
        state.airspaces,
        state.airports,
        clock=state.clock,
        webhook_http=state.webhook_http,
        metrics=getattr(state, "metrics", None),
    )


async def start_scheduler(state: Any, role: str = "all") -> None:
    """Called from the API lifespan with ``app.state``.

    Every replica delivers webhooks (claims are leased, so they never collide);
    with role ``all`` or ``scheduler`` the replica also competes for leadership
    and, while leader, polls the feeds.
    """
    state.webhook_http = make_webhook_client(state.settings)
    state.role = role
    state.delivery = build_scheduler(_make_poller(state), feeds=False)
    state.delivery.start()
    state.scheduler = None
    state.elector = None
    if role in ("all", "scheduler"):
        state.elector = LeaderElector(state.engine)
        state.leadership = asyncio.create_task(_lead(state))


async def _lead(state: Any) -> None:
    """Compete for leadership; while leader, poll.  A database outage does not stop polling.

    The leader's lock lives on a database session, so an outage takes the lock with it.
    The leader then keeps polling (its writes wait in memory) and retries the lock often;
    when the database answers again it takes the lock back and writes what it held, or,
    if another replica got there first, writes what it held and stands down.  A standby
    that saw the database down waits one more round before competing, which gives the
    leader holding unwritten results the first try.
    """
    interval = state.settings.leader_check_s
    outage = OutageLog("leader_election", getattr(state, "metrics", None), logger=log)
    saw_outage = False
    while True:
        pause = interval
        try:
            elector = state.elector
            if state.scheduler is None:
                if saw_outage:  # the leader holding unwritten results goes first
                    saw_outage = not await asyncio.to_thread(elector.probe)
                elif await asyncio.to_thread(elector.try_acquire):
                    # a fresh poller restores what the previous leader stored
                    state.poller = await asyncio.to_thread(_make_poller, state)
                    state.scheduler = build_scheduler(state.poller, delivery=False)
                    state.scheduler.start()
                    log.info("leader: polling %s", [j.id for j in state.scheduler.get_jobs()])
                else:
                    saw_outage = elector.unreachable is not None
                if elector.unreachable is not None:
                    outage.failed(elector.unreachable)
                else:
                    outage.ok()
            elif not await asyncio.to_thread(elector.still_leader):
                if await asyncio.to_thread(elector.try_acquire):
                    outage.ok("leader lock taken back; polling went on")
                elif elector.unreachable is not None:
                    outage.failed(elector.unreachable)  # keep polling, writes held
                    pause = interval / 4
                else:
                    # another replica leads now: store what we held, finish the round in
                    # hand, start no more
                    held = await state.poller.flush_writes()
                    await state.scheduler.stop()
                    state.scheduler = None
                    outage.ok(f"another replica leads; standing by ({held} write(s) unstored)")
        except Exception:  # leadership must survive any one bad round
            log.exception("leader election round failed")
        await asyncio.sleep(pause)


async def stop_scheduler(state: Any) -> None:
    task = getattr(state, "leadership", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    for name in ("scheduler", "delivery"):
        scheduler = getattr(state, name, None)
        if scheduler is not None:
            await scheduler.stop()
    elector = getattr(state, "elector", None)
    if elector is not None:
        await asyncio.to_thread(elector.release)
    client = getattr(state, "webhook_http", None)
    if client is not None:
        await client.aclose()
