"""When the poll rounds run: one APScheduler 3.x job per feed at its own interval.

``max_instances=1`` and coalescing, so a slow feed never piles up runs; housekeeping and
webhook delivery are jobs of their own.  :class:`PollScheduler` stops without cutting a
running job in half.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from service.domain import FeedName
from service.poller import Poller

log = logging.getLogger("firwatch.jobs")


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
