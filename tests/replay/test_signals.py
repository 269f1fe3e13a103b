"""Commands stop when told (SIGINT and SIGTERM, within seconds) and never talk to a stranger.

Every process here is started by the test and signalled by its own id.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from service.sim.clock import ScenarioClock
from service.sim.emulator import create_emulator_app
from service.sim.scenario import load_scenario
from tests.conftest import ROOT
from tests.integration.test_record_cli import feed_env
from tests.support import CRED, ThreadedServer, free_port

CLI = [sys.executable, "-m", "service.cli"]
STOP_WITHIN_S = 15.0  # generous on a shared 2-core machine; typically 1-3 s


def wait_for(predicate, timeout_s: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def stop(proc: subprocess.Popen, signum: int) -> tuple[float, str, str]:
    sent = time.monotonic()
    proc.send_signal(signum)
    try:
        out, err = proc.communicate(timeout=STOP_WITHIN_S + 10)
    finally:
        if proc.poll() is None:
            proc.kill()
    return time.monotonic() - sent, out, err


SIGNALS = pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])


@SIGNALS
def test_emulator_stops(signum, tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [*CLI, "emulator", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: answers(f"http://127.0.0.1:{port}/_emulator/clock"), what="the emulator")
    took, _, err = stop(proc, signum)
    assert took < STOP_WITHIN_S and proc.returncode == 128 + signum, err[-2000:]
    assert "Traceback" not in err, err[-2000:]
    assert not answers(f"http://127.0.0.1:{port}/_emulator/clock")


@SIGNALS
def test_serve_stops_while_polling(signum, tmp_path):
    scenario = load_scenario("venezuela-2025-11")
    clock = ScenarioClock(scenario.start, scenario.end, speed=600.0)
    emulator = create_emulator_app(
        scenario,
        clock,
        faa_client_id=CRED,
        faa_client_secret=CRED,
        opensky_client_id=CRED,
        opensky_client_secret=CRED,
    )
    port = free_port()
    with ThreadedServer(emulator) as emu:
        env = {
            **os.environ,
            **feed_env(emu.url, f"sqlite:///{tmp_path / 'serve.db'}"),
            "FIRWATCH_AUTO_MIGRATE": "true",
        }
        proc = subprocess.Popen(
            [*CLI, "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/health"), what="serve")
        time.sleep(1.0)  # polls at 0.5 s: some are in flight when the signal comes
        took, _, err = stop(proc, signum)
    assert took < STOP_WITHIN_S and proc.returncode == 128 + signum, err[-2000:]
    assert "Traceback" not in err, err[-2000:]


@SIGNALS
def test_replay_stops_between_rounds(signum, tmp_path):
    """A long replay stops after the round in hand, prints what it did, exits 128+n."""
    recording = tmp_path / "long.jsonl"
    with recording.open("w") as handle:
        for k in range(3000):
            t = 1763740800 + 10 * k
            states = [
                [
                    f"a{i:05x}",
                    f"TST{i:03d}",
                    "X",
                    t,
                    t,
                    -66.0 + i * 0.01 + k * 0.002,
                    8.0 + i * 0.01,
                    10000.0,
                    False,
                    230.0,
                    90.0,
                    0.0,
                    None,
                    10050.0,
                    "2000",
                    False,
                    0,
                ]
                for i in range(300)
            ]
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
            handle.write(
                json.dumps(
                    {
                        "source": "opensky",
                        "fetched_at": at,
                        "request": {"url": "https://x/api/states/all"},
                        "status": 200,
                        "body": {"time": t, "states": states},
                    }
                )
                + "\n"
            )
    env = {
        **os.environ,
        "FIRWATCH_SEEDS_DIR": str(ROOT / "seeds"),
        "FIRWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'replay.db'}",
        "FIRWATCH_AUTO_MIGRATE": "true",
    }
    db = tmp_path / "replay.db"
    proc = subprocess.Popen(
        [*CLI, "replay", str(recording)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: db.exists() and db.stat().st_size > 200_000, what="replay to write")
    took, out, err = stop(proc, signum)
    assert took < STOP_WITHIN_S and proc.returncode == 128 + signum, (out, err[-2000:])
    assert "Traceback" not in err, err[-2000:]
    assert f"replay stopped by {signal.Signals(signum).name}" in err
    done = int(re.search(r"replayed (\d+) poll rounds", out).group(1))
    assert 0 < done < 3000


def start_demo(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [*CLI, "demo", "--until-done", *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    while True:
        line = proc.stdout.readline()
        assert line, f"demo ended before starting: {proc.wait()} {proc.stderr.read()[-2000:]}"
        lines.append(line)
        if "status page" in line:
            return proc, "".join(lines)


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc), i.e. the demo's emulator."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@SIGNALS
def test_demo_until_done_stops_and_takes_its_emulator_along(signum, tmp_path):
    proc, banner = start_demo(tmp_path)
    emu = re.search(r"emulator (http://127\.0\.0\.1:\d+)", banner).group(1)
    api = re.search(r"status page\s+(http://127\.0\.0\.1:\d+)/", banner).group(1)
    assert emu.rsplit(":", 1)[1] not in ("8900",) and api.rsplit(":", 1)[1] != "8000"
    wait_for(lambda: answers(f"{api}/health"), what="the demo's API")
    took, out, err = stop(proc, signum)
    assert took < STOP_WITHIN_S and proc.returncode == 128 + signum, (out, err[-2000:])
    assert "Traceback" not in err, err[-2000:]
    assert not answers(f"{emu}/_emulator/clock")


def test_demo_until_done_fails_when_its_emulator_dies(tmp_path):
    proc, banner = start_demo(tmp_path)
    emu = re.search(r"emulator (http://127\.0\.0\.1:\d+)", banner).group(1)
    wait_for(lambda: answers(f"{emu}/_emulator/clock"), what="the emulator")
    (child,) = children(proc.pid)
    os.kill(child, signal.SIGKILL)  # the emulator this test's demo started
    try:
        out, err = proc.communicate(timeout=STOP_WITHIN_S + 10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, (out, err[-2000:])
    assert "the emulator exited with code -9" in err and "Traceback" not in err


def test_demo_refuses_a_taken_port(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for option in ("--port", "--emulator-port"):
            done = subprocess.run(
                [*CLI, "demo", "--until-done", option, str(port)],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 2, done.stderr
            assert done.stderr.strip() == (
                f"firwatch: port {port} on 127.0.0.1 is taken ({option}); free it, or leave "
                f"{option} out to use any free port"
            )
