"""A database outage as the scheduled jobs see it: one line when it starts, one when it ends.

Every job (each feed's poll, webhook delivery, housekeeping, leader election) keeps its
own :class:`OutageLog`.  While the database is unreachable a job fails every round, so a
traceback per round would bury everything else in the log; instead the first failure logs
one warning, later ones are counted silently, and the first success logs the outage's
length.  The same transitions are counted in ``/metrics``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import exc as sa_exc

if TYPE_CHECKING:
    from service.metrics import Metrics

log = logging.getLogger("firwatch.outage")


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means "the database cannot be reached now" rather than a bug.

    Connection refused or dropped, a pool timeout, SQLite's "database is locked": all
    worth retrying later.  An integrity or programming error is not.

    >>> is_outage(sa_exc.OperationalError("SELECT 1", {}, ConnectionRefusedError()))
    True
    >>> is_outage(sa_exc.IntegrityError("INSERT", {}, ValueError()))
    False
    """
    if isinstance(
        exc,
        sa_exc.OperationalError
        | sa_exc.InterfaceError
        | sa_exc.TimeoutError
        | sa_exc.DisconnectionError
        | ConnectionError
        | TimeoutError,
    ):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


class OutageLog:
    """One job's view of the database's availability (see the module docstring)."""

    def __init__(
        self,
        job: str,
        metrics: Metrics | None = None,
        *,
        logger: logging.Logger = log,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.job = job
        self.metrics = metrics
        self.logger = logger
        self.monotonic = monotonic
        self.since: float | None = None
        self.failures = 0

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException) -> None:
        """A round failed on the database: the first one of an outage logs, the rest count."""
        self.failures += 1
        if self.since is not None:
            return
        self.since = self.monotonic()
        self.failures = 1
        self.logger.warning(
            "%s: database unreachable, riding through the outage (%s)", self.job, first_line(exc)
        )
        if self.metrics is not None:
            self.metrics.db_outages.labels(self.job).inc()
            self.metrics.db_unreachable.labels(self.job).set(1)

    def ok(self, detail: str = "") -> float | None:
        """A round reached the database: ends an outage (logged with its length, in seconds)."""
        if self.since is None:
            return None
        seconds = self.monotonic() - self.since
        self.since = None
        self.logger.warning(
            "%s: database back after %.1f s (%d failed round(s))%s",
            self.job,
            seconds,
            self.failures,
            f"; {detail}" if detail else "",
        )
        if self.metrics is not None:
            self.metrics.db_outage_seconds.labels(self.job).inc(seconds)
            self.metrics.db_unreachable.labels(self.job).set(0)
        return seconds
