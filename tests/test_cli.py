"""The command line: one clear line and a non-zero exit for bad input, never a traceback."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.domain import AlertEvent, AlertType, Severity
from service.store.alerts import save_alert_events
from tests.conftest import ROOT

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("FIRWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("FIRWATCH_SEEDS_DIR", str(ROOT / "seeds"))
    monkeypatch.chdir(ROOT)
    return tmp_path


def one_line_error(result, *needles: str) -> None:
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("firwatch: ")
    for needle in needles:
        assert needle in lines[0]
    assert "Traceback" not in result.output


def test_bad_config_value_names_the_key(env, monkeypatch):
    monkeypatch.setenv("FIRWATCH_FEEDS__OPENSKY__INTERVAL_S", "-5")
    one_line_error(runner.invoke(app, ["alerts"]), "feeds.opensky.interval_s")


def test_unmigrated_database_is_refused(env):
    one_line_error(runner.invoke(app, ["alerts"]), "firwatch db upgrade")


def test_misspelled_environment_variable_names_the_real_one(env, monkeypatch):
    monkeypatch.setenv("FIRWATCH_API__PROT", "8001")
    one_line_error(runner.invoke(app, ["alerts"]), "FIRWATCH_API__PROT", "FIRWATCH_API__PORT")


def test_upgrade_then_alerts_json(env):
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "upgraded from revision none" in result.output
    again = runner.invoke(app, ["db", "upgrade"])
    assert again.exit_code == 0 and "already at the latest revision" in again.output
    from service.store.db import make_engine, make_sessionmaker

    engine = make_engine(f"sqlite:///{env / 'cli.db'}")
    with make_sessionmaker(engine).begin() as s:
        save_alert_events(
            s,
            [
                AlertEvent(
                    type=AlertType.FLIGHT_DIVERTED,
                    severity=Severity.WARNING,
                    dedup_key="d1",
                    observed_at=datetime(2025, 11, 21, 20, tzinfo=UTC),
                    title="KLM1 diverted",
                    callsign="KLM1",
                    destination="TNCC",
                    actual_destination="TNCA",
                )
            ],
            datetime.now(UTC),
        )
    engine.dispose()
    result = runner.invoke(app, ["alerts", "--format", "json"])
    assert result.exit_code == 0, result.output
    alerts = json.loads(result.output)
    assert alerts[0]["type"] == "flight.diverted" and alerts[0]["actual_destination"] == "TNCA"
    table = runner.invoke(app, ["alerts", "--type", "flight.rerouted"])
    assert table.exit_code == 0 and table.output.strip() == "no alerts"
    table = runner.invoke(app, ["alerts"]).output.splitlines()
    assert table[0].split()[:4] == ["ID", "OPENED", "(UTC)", "UPDATED"]
    assert "2025-11-21 20:00" in table[1] and "KLM1 diverted" in table[1]
    one_line_error(runner.invoke(app, ["alerts", "--type", "flight.bogus"]), "flight.rerouted")
    one_line_error(runner.invoke(app, ["alerts", "--since", "yesterday"]), "--since")
    one_line_error(runner.invoke(app, ["alerts", "--format", "xml"]), "--format")


def test_emulator_refuses_public_bind(env):
    one_line_error(runner.invoke(app, ["emulator", "--host", "0.0.0.0", "--port", "1"]), "loopback")


def test_keys_create_list_revoke(env):
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(app, ["keys", "create", "--name", "ops desk", "--scope", "admin"])
    assert created.exit_code == 0, created.output
    key = created.output.splitlines()[0]
    assert key.startswith("fw_")
    key_id = key.split("_")[1]
    listed = runner.invoke(app, ["keys", "list"])
    assert key_id in listed.output and "admin" in listed.output and key not in listed.output
    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 0
    assert "revoked" in runner.invoke(app, ["keys", "list"]).output
    one_line_error(
        runner.invoke(app, ["keys", "create", "--name", "x", "--scope", "root"]), "scopes"
    )
    one_line_error(runner.invoke(app, ["keys", "revoke", "nope"]), "no API key")


@pytest.mark.slow  # 16 scenario hours at 1920x: at least 30 s of wall time
def test_demo_plays_the_scenario_from_another_directory(tmp_path):
    """`firwatch demo --until-done`, as `make demo-full` runs it, but fast and from elsewhere."""
    import subprocess
    import sys

    from tests.support import free_port

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "service.cli",
            "demo",
            "--until-done",
            "--speed",
            "1920",
            "--port",
            str(free_port()),
            "--emulator-port",
            str(free_port()),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        env={**__import__("os").environ, "FIRWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    out = done.stdout
    assert "RESTRICTED" in out or "CLOSED" in out
    assert "flew around SVZM" in out and "diverted to TNCA" in out
    assert "scenario over" in out and "demo result: OK" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["eval", "venezuela-2025-11", "--poll-phase", "9"], "Invalid value for '--poll-phase'"),
        (["eval"], "Missing argument 'target'"),
        (["replay", "x.jsonl", "--speed", "2"], "No such option: --speed"),
        (["nope"], "No such command 'nope'"),
    ],
)
def test_usage_errors_are_one_line_from_the_entry_point(args, needle, tmp_path):
    """What the installed `firwatch` script runs (service.cli:main), not only the typer app."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("firwatch: ") and needle in lines[0], lines
