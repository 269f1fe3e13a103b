"""``firwatch eval``: play a scenario (or replay a recording) and score what detection stored.

A scenario is played through the emulator in-process (the same feed clients, detection
and storage as live), a recording through replay; both into a throw-away SQLite file, whose
alerts :mod:`service.eval_scoring` scores against the truth.
"""

from __future__ import annotations

import itertools
import json
import statistics
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from service.config import Settings, deep_merge
from service.eval_scoring import POLL, RouteRules, Score, score
from service.sim.feed_urls import emulator_feeds
from service.store.db import make_engine, make_sessionmaker, upgrade
from service.store.models import AlertRow


async def play_scenario(
    name: str,
    settings: Settings,
    url: str,
    phase: timedelta = timedelta(0),
    poll: timedelta = POLL,
) -> dict[str, Any]:
    """Step the scenario's clock every 5 minutes and poll all feeds, as the integration test does.

    ``phase`` shifts every poll later: events fall at any point between two polls in life,
    and a delay measured only with polls on the scenario's round minutes would flatter."""
    from service.runtime import build_runtime
    from service.sim.clock import ScenarioClock
    from service.sim.emulator import create_emulator_app
    from service.sim.scenario import load_scenario

    scenario = load_scenario(name)
    clock = ScenarioClock(scenario.start, scenario.end)
    cred = "firwatch-eval"
    app = create_emulator_app(
        scenario,
        clock,
        faa_client_id=cred,
        faa_client_secret=cred,
        opensky_client_id=cred,
        opensky_client_secret=cred,
    )
    emu = "http://emulator"
    feeds = type(settings.feeds).model_validate(
        deep_merge(settings.feeds.model_dump(), emulator_feeds(emu, cred))
    )
    run_settings = settings.model_copy(update={"feeds": feeds, "database_url": url})
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=emu) as http,
        build_runtime(run_settings, http=http, clock=clock.now) as runtime,
    ):
        assert runtime.poller is not None
        at = scenario.start + phase
        while at <= scenario.end:
            clock.set(at)
            await runtime.poller.poll_once()
            at += poll
    return scenario.truth()


async def evaluate(
    target: str,
    truth_path: Path | None,
    settings: Settings,
    phase: timedelta = timedelta(0),
    scenario_poll: timedelta = POLL,
) -> Score:
    from service.replay import replay
    from service.runtime import build_runtime
    from service.sim.scenario import scenario_settings

    if not Path(target).is_file():
        settings = scenario_settings(target, settings)  # the scenario's region and routes
    with tempfile.TemporaryDirectory(prefix="firwatch-eval-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'eval.db'}"
        upgrade(url)
        poll, window = POLL, None
        if Path(target).is_file():
            if truth_path is None:
                raise ValueError("a recording needs --truth TRUTH.json")
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
            replay_settings = settings.model_copy(update={"database_url": url})
            async with build_runtime(replay_settings, poller=False) as runtime:
                report = await replay(
                    Path(target),
                    replay_settings,
                    runtime.sessions,
                    runtime.airspaces,
                    runtime.airports,
                )
            poll, window = recording_polls(report.data_times)
        else:
            poll = scenario_poll
            truth = await play_scenario(target, settings, url, phase, poll)
            if truth_path is not None:
                truth = json.loads(truth_path.read_text(encoding="utf-8"))
        engine = make_engine(url)
        with make_sessionmaker(engine)() as session:
            alerts = list(session.scalars(select(AlertRow)))
        engine.dispose()
    return score(
        alerts,
        truth,
        settings.detection.reroute_min_extra_km,
        poll,
        window,
        RouteRules.from_settings(settings),
        settings.detection.reroute_alerts == "all",
    )


def recording_polls(
    data_times: dict[str, list[datetime]],
) -> tuple[timedelta, tuple[datetime, datetime] | None]:
    """A recording's poll interval (median step of its busiest feed, in data time) and the
    data time it covers; delays are counted in its polls, not the scenario's 5 minutes."""
    if not data_times:
        return POLL, None
    times = sorted(max(data_times.values(), key=len))
    steps = [b - a for a, b in itertools.pairwise(times) if b > a]
    every = [t for ts in data_times.values() for t in ts]
    return (statistics.median(steps) if steps else POLL), (min(every), max(every))
