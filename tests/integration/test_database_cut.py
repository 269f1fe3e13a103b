"""PostgreSQL cut in real time (a TCP proxy drops every connection) while traffic flows: polling
goes on, the results are held and written in order when the database is back, and the run
ends with exactly the alerts of a run without the cut.  Every job logs the outage twice
(when it starts, when it ends with its length), raises nothing, and /metrics counts it.

The cut lasts ``OUTAGE_TEST_S`` seconds of wall time (default 20; 60 for the
issue's figure), while the scenario clock goes on stepping so the cut holds back alert
changes: the closure's onset falls inside it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.sim.clock import ScenarioClock
from service.sim.emulator import create_emulator_app
from service.sim.scenario import load_scenario
from service.store.db import make_engine, make_sessionmaker, upgrade
from service.store.models import AlertChangeRow, AlertRow, WebhookDeliveryRow, WebhookRow
from service.webhooks.signing import new_secret
from tests.conftest import PG_ADMIN_URL, create_pg_database, drop_pg_database
from tests.integration.scenario_runs import run_steps, scenario_times, stored_facts
from tests.integration.test_venezuela_scenario import CRED, scenario_settings
from tests.support import Receiver, TcpProxy, ThreadedServer

pytestmark = pytest.mark.slow  # two scenario runs
CUT_S = float(os.environ.get("OUTAGE_TEST_S", "20"))
START = datetime(2025, 11, 21, 17, 30, tzinfo=UTC)
END = datetime(2025, 11, 21, 23, 30, tzinfo=UTC)
STEP = timedelta(minutes=4)
JOBS = ("poll_opensky", "poll_adsbx", "poll_faa_notam", "deliver_webhooks")
OUTAGE_LINE = re.compile(r"^(\w+): database (unreachable|back after ([\d.]+) s)")


async def one_run(url: str, scenario, tmp_path, receiver, cut=None):
    upgrade(url)
    clock = ScenarioClock(scenario.start, scenario.end, speed=0.0)
    emulator = create_emulator_app(
        scenario,
        clock,
        faa_client_id=CRED,
        faa_client_secret=CRED,
        opensky_client_id=CRED,
        opensky_client_secret=CRED,
    )
    setup = make_engine(url)
    with make_sessionmaker(setup).begin() as s:
        s.add(
            WebhookRow(
                id="wh_cut",
                url=receiver,
                secret=new_secret(),
                event_types=[],
                filters={},
                created_at=datetime.now(UTC),
                consecutive_failures=0,
            )
        )
    with ThreadedServer(emulator) as emu:
        pg_port = int(PG_ADMIN_URL.rsplit(":", 1)[1].split("/")[0])
        with TcpProxy(pg_port) as proxy:
            proxied = url.replace(f":{pg_port}/", f":{proxy.port}/")
            settings = scenario_settings(tmp_path, emu.url, proxied)
            engine = make_engine(proxied)
            poller = await run_steps(
                settings,
                make_sessionmaker(engine),
                clock,
                scenario_times(START, END, STEP),
                between=cut(proxy) if cut else None,
            )
            engine.dispose()
    facts = stored_facts(make_sessionmaker(setup))
    with make_sessionmaker(setup)() as s:
        facts["deliveries"] = s.scalars(select(WebhookDeliveryRow)).all()
        kinds = {"opened": "open", "reopened": "open", "updated": "open", "resolved": "resolved"}
        facts["change_payloads"] = Counter(
            (a.id, kinds[c.change])
            for c, a in s.execute(select(AlertChangeRow, AlertRow).join(AlertRow))
        )
    setup.dispose()
    return facts, poller


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("venezuela-2025-11")


async def test_database_cut_in_real_time(pg_database, scenario, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="firwatch")
    rng = random.Random(int(os.environ.get("OUTAGE_TEST_SEED", "5")))
    first = rng.randint(6, 12)  # from about the NOTAM and the closure ...
    last = first + rng.randint(25, 35)  # ... over two hours of status changes and reroutes
    reference_url = create_pg_database()
    try:
        with ThreadedServer(Receiver()) as ref_hook:
            reference, _ = await one_run(reference_url, scenario, tmp_path, f"{ref_hook.url}/hook")
    finally:
        drop_pg_database(reference_url)
    caplog.clear()
    timing: dict[str, float] = {}

    def cut(proxy: TcpProxy):
        async def between(i: int, poller) -> None:
            if i == first:
                proxy.drop()
                timing["cut"] = time.monotonic()
            if first <= i < last:
                await asyncio.sleep(CUT_S / (last - first))  # wall time passes, traffic flows
            if i == last - 1:
                proxy.restore()
                timing["restored"] = time.monotonic()
                timing["held"] = len(poller.writes)
                timing["held_alerts"] = sum(
                    len(w.result.alerts) for w in poller.writes.queue if w.result is not None
                )

        return between

    app = Receiver()
    with ThreadedServer(app) as hook:
        facts, poller = await one_run(pg_database, scenario, tmp_path, f"{hook.url}/hook", cut)

    # -- the same alerts as without the cut ------------------------------------------------
    assert timing["restored"] - timing["cut"] >= CUT_S * 0.95
    assert timing["held"] == (last - first - 1) * 3  # every round of every feed was held
    assert timing["held_alerts"] > 0  # ... and they carried alert changes
    assert reference["alerts"] and facts["alerts"] == reference["alerts"]
    assert facts["changes"] == reference["changes"]
    assert facts["flights"] == reference["flights"]
    assert facts["positions"] == reference["positions"]
    # -- every change delivered, once per id -------------------------------------------------
    rows = facts["deliveries"]
    assert rows and {r.status for r in rows} == {"delivered"}
    payloads = Counter(
        (json.loads(r.payload)["data"]["id"], json.loads(r.payload)["data"]["status"]) for r in rows
    )
    assert payloads == facts["change_payloads"]
    assert {r.headers["webhook-id"] for r in app.requests} == {r.id for r in rows}
    # -- two log lines per job, no traceback, counted in /metrics --------------------------------
    lines: dict[str, list[tuple[str, float | None]]] = {}
    for record in caplog.records:
        if not record.name.startswith("firwatch"):
            continue  # e.g. asyncio on the test's own proxy being torn down
        assert record.exc_info is None, record.getMessage()
        assert record.levelno < logging.ERROR, record.getMessage()
        match = OUTAGE_LINE.match(record.getMessage())
        if match:
            length = float(match[3]) if match[3] else None
            lines.setdefault(match[1], []).append((match[2].split()[0], length))
    for job in JOBS:
        assert [kind for kind, _ in lines.get(job, [])] == ["unreachable", "back"], (job, lines)
        assert lines[job][1][1] >= CUT_S * 0.8
    assert set(lines) <= set(JOBS)
    registry = poller.metrics.registry
    for job in JOBS:
        assert registry.get_sample_value("firwatch_database_outages_total", {"job": job}) == 1
        seconds = registry.get_sample_value("firwatch_database_outage_seconds_total", {"job": job})
        assert seconds >= CUT_S * 0.8
        assert registry.get_sample_value("firwatch_database_unreachable", {"job": job}) == 0
    print(
        f"database cut {timing['restored'] - timing['cut']:.1f} s, "
        f"{timing['held']} writes held with {timing['held_alerts']} alert events, "
        f"{len(facts['alerts'])} alerts as the reference"
    )
