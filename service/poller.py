"""Poll rounds: fetch a feed, detect, store.

:class:`Poller` holds the feed clients and the detection engine (both built by
:class:`service.runtime.Runtime`); each method is one thin job: fetch, detect, persist in
one transaction, log counts.  A failed fetch is recorded in feed health and never
propagates: the scheduler must survive any feed.  Nor does a database outage: each poll's
write goes through :class:`~service.pending_writes.PendingWrites` (held and written in
order when the database is back), and every job logs an outage once when it starts and
once when it ends (:mod:`service.outage`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings
from service.detect.engine import DetectionEngine
from service.domain import FeedName, Notam, Route, Snapshot
from service.feeds.base import FeedError
from service.feeds.callsign_routes import RouteClient
from service.housekeeping import RetentionReport, apply_retention
from service.metrics import Metrics
from service.notam.faa import notam_from_faa_item
from service.notam.lifecycle import Withdrawals
from service.notam.problems import count_problems
from service.outage import OutageLog, first_line, is_outage
from service.pending_writes import FeedHealth, PendingWrite, PendingWrites
from service.runtime import Clock, FeedClients, system_clock
from service.webhooks.delivery import deliver_due

log = logging.getLogger("firwatch.jobs")


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


class Poller:
    """The poll rounds: feed clients and a detection engine, built by
    :meth:`service.runtime.Runtime.new_poller` (restored from the database there)."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        feeds: FeedClients,
        engine: DetectionEngine,
        *,
        clock: Clock = system_clock,
        webhook_http: httpx.AsyncClient | None = None,
        metrics: Metrics | None = None,
        local_routes: dict[str, tuple[str, str]] | None = None,
    ):
        self.settings = settings
        self.metrics = metrics
        self.sessions = sessions
        self.webhook_http = webhook_http
        self.airspaces = engine.airspaces
        self.clock = clock
        self.opensky = feeds.opensky
        self.adsbx = feeds.adsbx
        self.faa = feeds.faa
        self.routes: RouteClient | Any = feeds.routes  # a replay answers from its recording
        self.withdrawals = Withdrawals(
            timedelta(minutes=settings.detection.notam_withdrawal_grace_minutes)
        )
        self.engine = engine
        self.local_routes = local_routes or {}
        self._lock = asyncio.Lock()
        self.writes = PendingWrites(sessions, clock, metrics)
        self.outages: dict[str, OutageLog] = {}

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
        watch = self.settings.watch
        if watch.world:  # ask for the NOTAMs of the FIRs whose status changed lately
            async with self._lock:  # the status log is appended to by ingest's thread
                self.faa.extra_locations = self.engine.disrupted_airspaces(watch.max_notam_firs)
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
