"""What an API replica runs beside the API: webhook delivery on every replica, and the
leader loop (with role ``all`` or ``scheduler``) that competes for the feed-polling lock
(:mod:`service.leader`) and polls while it holds it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from service.leader import LeaderElector
from service.outage import OutageLog
from service.poll_scheduler import PollScheduler, build_scheduler
from service.runtime import Runtime

log = logging.getLogger("firwatch.jobs")


@dataclass(slots=True)
class ReplicaJobs:
    """What one API replica runs beside the API: webhook delivery (every replica) and, with
    role ``all`` or ``scheduler``, the competition for leadership and the polls while it
    leads.  Built by the API lifespan on its runtime; ``state`` is what /health reports."""

    runtime: Runtime
    role: str = "all"
    delivery: PollScheduler | None = None
    elector: LeaderElector | None = None
    leadership: asyncio.Task[None] | None = None

    @property
    def scheduler(self) -> PollScheduler | None:
        """The feed-polling scheduler while this replica leads, else None."""
        return self.runtime.scheduler

    @property
    def state(self) -> str:
        """leader (polling the feeds), standby (waiting for the lock) or off (api role, tests)."""
        scheduler = self.runtime.scheduler
        if scheduler is not None and scheduler.running:
            return "leader"
        return "standby" if self.elector is not None else "off"

    async def start(self) -> None:
        """Every replica delivers webhooks (claims are leased, so they never collide);
        with role ``all`` or ``scheduler`` the replica also competes for leadership
        and, while leader, polls the feeds."""
        runtime = self.runtime
        # delivery needs no detection state: its poller is not restored
        self.delivery = build_scheduler(runtime.new_poller(restore=False), feeds=False)
        self.delivery.start()
        if self.role in ("all", "scheduler"):
            self.elector = LeaderElector(runtime.database)
            self.leadership = asyncio.create_task(self._lead())

    async def _lead(self) -> None:
        """Compete for leadership; while leader, poll.  A database outage does not stop polling.

        The leader's lock lives on a database session, so an outage takes the lock with it.
        The leader then keeps polling (its writes wait in memory) and retries the lock often;
        when the database answers again it takes the lock back and writes what it held, or,
        if another replica got there first, writes what it held and stands down.  A standby
        that saw the database down waits one more round before competing, which gives the
        leader holding unwritten results the first try.
        """
        runtime, elector = self.runtime, self.elector
        assert elector is not None
        interval = runtime.settings.leader_check_s
        outage = OutageLog("leader_election", runtime.metrics, logger=log)
        saw_outage = False
        while True:
            pause = interval
            try:
                if runtime.scheduler is None:
                    if saw_outage:  # the leader holding unwritten results goes first
                        saw_outage = not await asyncio.to_thread(elector.probe)
                    elif await asyncio.to_thread(elector.try_acquire):
                        # a fresh poller restores what the previous leader stored
                        runtime.poller = await asyncio.to_thread(runtime.new_poller)
                        runtime.scheduler = build_scheduler(runtime.poller, delivery=False)
                        runtime.scheduler.start()
                        log.info("leader: polling %s", [j.id for j in runtime.scheduler.get_jobs()])
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
                        assert runtime.poller is not None
                        held = await runtime.poller.flush_writes()
                        await runtime.scheduler.stop()
                        runtime.scheduler = None
                        outage.ok(f"another replica leads; standing by ({held} write(s) unstored)")
            except Exception:  # leadership must survive any one bad round
                log.exception("leader election round failed")
            await asyncio.sleep(pause)

    async def stop(self) -> None:
        if self.leadership is not None:
            self.leadership.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.leadership
        for scheduler in (self.runtime.scheduler, self.delivery):
            if scheduler is not None:
                await scheduler.stop()
        if self.elector is not None:
            await asyncio.to_thread(self.elector.release)
