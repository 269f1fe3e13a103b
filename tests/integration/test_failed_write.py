"""A write that fails after detection ran is retried with the same result: the run ends with
exactly the alerts, alert changes, flights and positions of a run where nothing failed.

The failing writes are drawn (seeded) from the polls that produced alerts in the reference
run, so each failure hits a write that carried alert changes; half fail as an outage
(connection lost), half as an error that is not one (retried all the same).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

import service.pending_writes as pending_writes
from service.sim.clock import ScenarioClock
from service.sim.emulator import create_emulator_app
from service.sim.scenario import load_scenario
from service.store.db import make_engine, make_sessionmaker, upgrade
from tests.integration.scenario_runs import run_steps, scenario_times, stored_facts
from tests.integration.test_venezuela_scenario import CRED, scenario_settings
from tests.support import ThreadedServer

pytestmark = pytest.mark.slow  # two scenario runs
START = datetime(2025, 11, 21, 17, 0, tzinfo=UTC)
END = datetime(2025, 11, 21, 21, 0, tzinfo=UTC)
STEP = timedelta(minutes=3)


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("venezuela-2025-11")


async def one_run(tmp_path, scenario, name: str, persist_wrapper=None) -> dict:
    clock = ScenarioClock(scenario.start, scenario.end, speed=0.0)
    emulator = create_emulator_app(
        scenario,
        clock,
        faa_client_id=CRED,
        faa_client_secret=CRED,
        opensky_client_id=CRED,
        opensky_client_secret=CRED,
    )
    with ThreadedServer(emulator) as emu:
        settings = scenario_settings(tmp_path, emu.url, f"sqlite:///{tmp_path / name}.db")
        upgrade(settings.resolved_database_url)
        engine = make_engine(settings.resolved_database_url)
        sessions = make_sessionmaker(engine)
        await run_steps(settings, sessions, clock, scenario_times(START, END, STEP))
        facts = stored_facts(sessions)
        engine.dispose()
    return facts


@pytest.mark.parametrize("seed", [11, 12])
async def test_failed_write_is_retried_with_the_same_alerts(tmp_path, scenario, monkeypatch, seed):
    real = pending_writes.persist
    carried: list[int] = []  # write number -> alerts it carried, reference run

    def counting(session, engine, result, now):
        carried.append(len(result.alerts))
        return real(session, engine, result, now)

    monkeypatch.setattr(pending_writes, "persist", counting)
    reference = await one_run(tmp_path, scenario, "reference")
    assert reference["alerts"] and reference["changes"]

    rng = random.Random(seed)
    with_alerts = [i for i, n in enumerate(carried) if n]
    failing = set(rng.sample(with_alerts, min(4, len(with_alerts))))
    kinds = {i: rng.choice([OperationalError, IntegrityError]) for i in failing}
    attempts: list[int] = []
    failed: list[tuple[int, int]] = []  # (write number, alerts it carried)

    marks: dict[int, dict] = {}  # the flights' "written at" marks before a failed attempt
    retried: list[int] = []

    def flaky(session, engine, result, now):
        number = len(attempts) - len(failed)  # a retry keeps its write's number
        attempts.append(number)
        if number in marks:  # the retry: the failed attempt left no mark behind
            assert {f: u.flight.persisted for f, u in result.flights.items()} == marks.pop(number)
            retried.append(number)
        if number in kinds:
            marks[number] = {f: u.flight.persisted for f, u in result.flights.items()}
        rows = real(session, engine, result, now)  # detection ran, the rows are in the session
        if number in kinds:
            kind = kinds.pop(number)
            failed.append((number, len(result.alerts)))
            raise kind("COMMIT", {}, ConnectionResetError("server closed the connection"))
        return rows

    monkeypatch.setattr(pending_writes, "persist", flaky)
    flaky_run = await one_run(tmp_path, scenario, "flaky")
    assert len(failed) == len(failing) and all(n > 0 for _, n in failed)
    assert sorted(retried) == sorted(failing)  # each failed write was retried, same result
    assert flaky_run["alerts"] == reference["alerts"]
    assert flaky_run["changes"] == reference["changes"]
    assert flaky_run["flights"] == reference["flights"]
    assert flaky_run["positions"] == reference["positions"]
