"""Poll results waiting for the database: written in order, exactly as detection produced them.

Detection runs in memory and its state moves on with every snapshot; the database must
follow it exactly, or a poll's alerts are lost (the state has moved past them, so they are
never detected again).  So each poll's write is queued here first and the queue is written
in order, one transaction per poll:

- a write that fails is undone in memory (the flights' "written at" marks) and stays at
  the head of the queue, to be retried on the next round with the very same result — the
  same positions, flights, statuses and alert events;
- during a database outage polling goes on: results pile up here and are written in order
  when the database is back;
- the queue is bounded: a newer result supersedes an older one's flight rows (a flight row
  is written with its current values anyway), and past ``max_positions`` buffered
  positions the oldest results' positions are dropped and counted.  Alert events, traffic
  samples, statuses and feed health are never dropped for space.

Why not snapshot the detection state before each poll and restore it on a failed write?
Copying the tracks of a 12,000-aircraft global feed (``copy.deepcopy``) took 3.9 s against
30 ms for the ingest itself; keeping the result costs nothing.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from service.detect.engine import DetectionEngine, IngestResult
from service.domain import Notam
from service.ingest import mark_notams_withdrawn, persist, record_feed_health, save_notams
from service.outage import OutageLog, is_outage
from service.store.alerts import save_alert_events

if TYPE_CHECKING:
    from service.metrics import Metrics

log = logging.getLogger("firwatch.jobs")

MAX_BUFFERED_POSITIONS = 500_000  # ~0.5 GB of position rows; minutes of a global feed
GIVE_UP_AFTER = 3  # failures of one write that are not an outage (a bug, bad data)


@dataclass(slots=True)
class FeedHealth:
    feed: str
    at: datetime
    error: str | None = None
    rejected: int = 0
    credits_remaining: int | None = None

    def write(self, session: Session) -> None:
        record_feed_health(
            session,
            self.feed,
            self.at,
            error=self.error,
            rejected=self.rejected,
            credits_remaining=self.credits_remaining,
        )


@dataclass(slots=True)
class PendingWrite:
    """One poll's write: a snapshot's ingest result, a NOTAM batch, or only feed health."""

    health: FeedHealth
    result: IngestResult | None = None
    engine: DetectionEngine | None = None
    notams: Sequence[Notam] = ()
    withdrawn: Sequence[Notam] = ()  # NOTAMs the source stopped publishing
    new_notams: int = 0
    failures: int = 0
    _marks: dict[str, Any] = field(default_factory=dict)

    @property
    def positions(self) -> int:
        return len(self.result.positions) if self.result is not None else 0

    def apply(self, session: Session, now: datetime) -> list:
        """Write everything in the caller's transaction; returns the alert rows that changed."""
        alerts: list = []
        if self.result is not None and self.engine is not None:
            # persist() marks flights as written; a rollback must take the marks back too
            self._marks = {fid: u.flight.persisted for fid, u in self.result.flights.items()}
            alerts = persist(session, self.engine, self.result, now)
        if self.notams:
            self.new_notams = save_notams(session, self.notams, self.health.at)
        if self.withdrawn:
            mark_notams_withdrawn(session, self.withdrawn)
        self.health.write(session)
        return alerts

    def undo(self) -> None:
        """The transaction rolled back: the flights were not written after all."""
        if self.result is not None:
            for fid, mark in self._marks.items():
                update = self.result.flights.get(fid)
                if update is not None:
                    update.flight.persisted = mark
        self._marks = {}

    def salvage(self, session: Session, now: datetime) -> list:
        """Last resort for a write that keeps failing: its alert events and feed health only."""
        self.health.write(session)
        if self.result is None:
            return []
        return save_alert_events(session, self.result.alerts, now)


class PendingWrites:
    """The ordered, bounded queue of writes (see the module docstring)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        metrics: Metrics | None = None,
        max_positions: int = MAX_BUFFERED_POSITIONS,
    ):
        self.sessions = sessions
        self.clock = clock
        self.metrics = metrics
        self.max_positions = max_positions
        self.queue: deque[PendingWrite] = deque()
        self.positions_dropped = 0

    def __len__(self) -> int:
        return len(self.queue)

    def add(self, write: PendingWrite) -> None:
        if write.result is not None and self.queue:
            newer = write.result.flights
            for older in self.queue:
                if older.result is None:
                    continue
                flights = older.result.flights
                for fid in [f for f, u in flights.items() if f in newer and u.assessment is None]:
                    del flights[fid]  # the newer write stores this flight's current row
        self.queue.append(write)
        buffered = sum(w.positions for w in self.queue)
        for older in self.queue:
            if buffered <= self.max_positions or older is write:
                break
            if older.positions:
                dropped = older.positions
                older.result.positions = []  # type: ignore[union-attr]
                buffered -= dropped
                self.positions_dropped += dropped
                if self.metrics is not None:
                    self.metrics.writes_dropped.labels("positions").inc(dropped)
        self._gauge()

    def flush(self, outage: OutageLog) -> list:
        """Write the queue in order until it is empty or the database fails; never raises.

        Returns the alert rows written (this round's and any that waited)."""
        written: list = []
        stored = 0
        while self.queue:
            write = self.queue[0]
            try:
                with self.sessions.begin() as session:
                    written.extend(write.apply(session, self.clock()))
            except Exception as exc:
                write.undo()
                if is_outage(exc):
                    outage.failed(exc)
                    break
                write.failures += 1
                log.exception(
                    "storing the %s poll of %s failed (%d of %d tries)",
                    write.health.feed,
                    write.health.at.isoformat(),
                    write.failures,
                    GIVE_UP_AFTER,
                )
                if write.failures < GIVE_UP_AFTER:
                    break
                self.queue.popleft()
                written.extend(self._salvage(write))
                continue
            self.queue.popleft()
            stored += 1
        if not self.queue:
            outage.ok(f"{stored} held write(s) stored in order")
            if self.positions_dropped:
                log.warning("%d buffered positions were dropped for space", self.positions_dropped)
                self.positions_dropped = 0
        self._gauge()
        return written

    def _salvage(self, write: PendingWrite) -> list:
        try:
            with self.sessions.begin() as session:
                alerts = write.salvage(session, self.clock())
            log.error("stored only the alerts of the %s poll that kept failing", write.health.feed)
            return alerts
        except Exception:
            log.exception("gave up storing a %s poll", write.health.feed)
            if self.metrics is not None:
                self.metrics.writes_dropped.labels("write").inc()
            return []

    def _gauge(self) -> None:
        if self.metrics is not None:
            self.metrics.pending_writes.set(len(self.queue))
