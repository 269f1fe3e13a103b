"""Helpers for runs of the Venezuela scenario that must end with the same alerts as a reference
run: a poller on the loopback emulator, stepped clock, and the stored facts to compare."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings
from service.geo.airspaces import load_seed_registries
from service.metrics import Metrics
from service.poller import Poller
from service.runtime import build_runtime
from service.sim.clock import ScenarioClock
from service.store.models import AlertChangeRow, AlertRow, FlightRow, PositionRow

ROOT = Path(__file__).resolve().parents[2]


async def run_steps(
    settings: Settings,
    sessions: sessionmaker[Session],
    clock: ScenarioClock,
    times: list[datetime],
    between: Callable[[int, Poller], Awaitable[None]] | None = None,
) -> Poller:
    """One round of every feed per scenario time, then webhook delivery; ``between`` runs
    after each round (a fault to inject, a pause).  Ends with the held writes flushed."""
    seeds = settings.path(settings.seeds_dir)
    registries = load_seed_registries(seeds)
    async with (
        httpx.AsyncClient(timeout=10) as http,
        build_runtime(
            settings,
            sessions=sessions,
            http=http,
            registries=registries,
            webhooks=True,
            metrics=Metrics(),
            restore=False,
        ) as runtime,
    ):
        poller = runtime.poller
        assert poller is not None
        for i, at in enumerate(times):
            clock.set(at)
            await poller.poll_notams()
            await poller.poll_positions("opensky")
            await poller.poll_positions("adsbx")
            await poller.deliver_webhooks()
            if between is not None:
                await between(i, poller)
        assert await poller.flush_writes() == 0
        for _ in range(3):
            await poller.deliver_webhooks()
    return poller


def scenario_times(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    times, at = [], start
    while at <= end:
        times.append(at)
        at += step
    return times


def stored_facts(sessions: sessionmaker[Session]) -> dict:
    """What a run stored, in terms that do not depend on wall time or on write timing."""
    with sessions() as s:
        alerts = {
            a.dedup_key: (
                a.type,
                a.status,
                a.severity,
                a.opened_at,
                a.resolved_at,
                a.observed_at,
                a.flight_id,
                json.dumps(a.evidence, sort_keys=True),
            )
            for a in s.scalars(select(AlertRow))
        }
        changes = sorted(
            (a.dedup_key, c.change)
            for c, a in s.execute(select(AlertChangeRow, AlertRow).join(AlertRow))
        )
        flights = {
            f.id: (f.state, f.origin, f.destination, f.actual_destination, f.extra_distance_km)
            for f in s.scalars(select(FlightRow))
        }
        positions = s.scalar(select(func.count()).select_from(PositionRow))
    return {"alerts": alerts, "changes": changes, "flights": flights, "positions": positions}
