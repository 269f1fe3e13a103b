"""``firwatch demo``: the emulator and the real service, end to end on loopback.

The emulator runs as a child process (its own core on a 2-core machine); the
service runs here with the normal lifespan and scheduler, pointed at the
emulator with short poll intervals.  Nothing is faked on the service side: the
same clients, detection and storage as ``firwatch serve``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from service.config import Settings, deep_merge, load_settings
from service.sim.feed_urls import emulator_feeds

SCENARIO = "venezuela-2025-11"
# where each scenario's demo starts by default (a few hours before its onset)
DEMO_STARTS = {"mideast-2025-06": "2025-06-12T22:00:00Z"}
# six hours of normal traffic before the warning (the scenario starts at 12:00Z): the traffic model needs five learned
# hours of the day before it judges an hour it has not seen (service/detect/traffic_baseline.py),
# and a demo that starts later shows the NOTAM but never the collapse
DEMO_START = "2025-11-21T12:00:00Z"
DEMO_CREDENTIAL = "firwatch-demo"


def demo_settings(
    base: Path,
    port: int,
    emulator_port: int,
    db_path: Path,
    speed: float = 480.0,
    scenario: str = SCENARIO,
) -> Settings:
    emu = f"http://127.0.0.1:{emulator_port}"
    # one poll per 8 scenario minutes whatever the speed: faster than that and the tracks get
    # too sparse to tell a reroute from a great circle
    poll_s = max(0.25, 480.0 / speed)
    overrides: dict[str, Any] = {
        "database_url": f"sqlite:///{db_path}",
        "auto_migrate": True,
        "log_level": os.environ.get("FIRWATCH_LOG_LEVEL", "WARNING"),
        "api": {"host": "127.0.0.1", "port": port},
        "feeds": deep_merge(
            emulator_feeds(emu, DEMO_CREDENTIAL),
            {
                # scenario time runs 480x: the day's credits are the emulator's
                "opensky": {"interval_s": poll_s, "credit_budget": False},
                "adsbx": {"interval_s": poll_s},
                "faa_notam": {"interval_s": 2 * poll_s},
            },
        ),
        "webhooks": {"interval_s": 0.5, "allow_private_targets": True},
    }
    config = base / "config.yaml"
    from service.sim.scenario import scenario_settings

    settings = load_settings(config if config.exists() else None, **overrides)
    return scenario_settings(scenario, settings)  # the scenario's region, routes and prior


def start_emulator(
    port: int, speed: float, start: str = DEMO_START, scenario: str = SCENARIO
) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "service.cli",
        "emulator",
        "--scenario",
        scenario,
        "--port",
        str(port),
        "--speed",
        str(speed),
        "--start",
        start,
    ]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class DemoError(Exception):
    """Why the demo cannot run, in one line."""


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_for(port: int | None, option: str) -> int:
    """``port`` when it is free on loopback (a taken one is refused: whatever answers there
    is not ours), or any free port when none was given."""
    if port is None:
        return free_port()
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise DemoError(
                f"port {port} on 127.0.0.1 is taken ({option}); free it, or leave {option} "
                "out to use any free port"
            ) from None
    return port


def wait_ready(
    url: str,
    process: subprocess.Popen[bytes],
    stop: Any = lambda: False,
    timeout_s: float = 30.0,
) -> None:
    """Until ``url`` answers 200 from ``process`` (never from a stranger: the process must
    still be alive), it exits, ``stop()`` says so, or the time is up."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not stop():
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            last = err.strip().splitlines()[-1] if err.strip() else ""
            raise DemoError(f"the emulator exited with code {process.returncode}: {last}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).status_code == 200 and process.poll() is None:
                return
        time.sleep(0.2)
    if not stop():
        raise DemoError(f"the emulator did not answer at {url} within {timeout_s:.0f} s")


def run_demo(
    *,
    until_done: bool,
    port: int | None,
    emulator_port: int | None,
    speed: float,
    start: str | None = None,
    scenario: str = SCENARIO,
) -> int:
    """Exit codes: 0 done (or left with Ctrl-C/SIGTERM in the interactive demo), 1 the
    scenario was not detected or the emulator died, 128+n stopped by signal n before the
    end with --until-done.  Raises :class:`DemoError` for what stops it from starting."""
    stopped: list[int] = []

    def on_signal(signum: int, frame: Any) -> None:
        stopped.append(signum)

    # uvicorn runs its own handlers while serving and passes a signal on to these after its
    # graceful shutdown; outside serving (start-up, summary) these end the demo as well
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _run_demo(until_done, port, emulator_port, speed, start, stopped, scenario)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _run_demo(
    until_done: bool,
    port: int | None,
    emulator_port: int | None,
    speed: float,
    start: str | None,
    stopped: list[int],
    scenario: str = SCENARIO,
) -> int:
    from service.demo_story import DemoStory

    port = port_for(port, "--port")
    emulator_port = port_for(emulator_port, "--emulator-port")
    if port == emulator_port:
        raise DemoError(f"--port and --emulator-port are both {port}")
    base = Path.cwd()
    from service.sim.scenario import load_scenario

    try:
        load_scenario(scenario)
    except ValueError as exc:  # an unknown name: one line naming the known ones
        raise DemoError(str(exc)) from None
    start = start or DEMO_STARTS.get(scenario, DEMO_START)
    # each demo its own database: a second demo never deletes the first one's live data
    db_path = Path(tempfile.mkdtemp(prefix="firwatch-demo-")) / "firwatch.db"
    settings = demo_settings(base, port, emulator_port, db_path, speed, scenario)
    # paused until the API answers (DemoStory starts the clock): nothing happens unseen
    emulator = start_emulator(emulator_port, 0.0, start, scenario)
    emu = f"http://127.0.0.1:{emulator_port}"
    story = DemoStory(
        settings,
        scenario=scenario,
        emulator_url=emu,
        speed=speed,
        start=start,
        until_done=until_done,
        alive=lambda: emulator.poll() is None,
    )
    story.quiet_logs()
    try:
        wait_ready(f"{emu}/_emulator/clock", emulator, stop=lambda: bool(stopped))
        if stopped:
            return 128 + stopped[0]
        problem = story.start_problem(httpx.get(f"{emu}/_emulator/clock", timeout=5).json())
        if problem:
            raise DemoError(problem)
        asyncio.run(_serve(settings, story))
        if emulator.poll() is not None and not stopped:
            story.stop_live()
            print(
                f"firwatch: the emulator exited with code {emulator.returncode}; demo stopped",
                file=sys.stderr,
                flush=True,
            )
            return 1
        done = bool(story.seen.clock.get("done"))
        code = story.finish(stopped_by=None if done or not stopped else stopped[0])
        if stopped and until_done:
            print(f"firwatch: demo stopped by {signal.Signals(stopped[0]).name}", flush=True)
            return 128 + stopped[0]
        # Ctrl-C before the end of the scenario is a normal way to leave the interactive demo
        return code if until_done else 0
    finally:
        if emulator.poll() is None:
            emulator.send_signal(signal.SIGINT)
            try:
                emulator.wait(timeout=10)
            except subprocess.TimeoutExpired:
                emulator.kill()


async def _serve(settings: Settings, story: Any) -> None:
    import uvicorn

    from service.api.app import create_app

    config = uvicorn.Config(
        create_app(settings),
        host=settings.api.host,
        port=settings.api.port,
        log_level="warning",
        lifespan="on",
        log_config=None,
    )
    server = uvicorn.Server(config)
    watcher = asyncio.create_task(story.run(server))
    try:
        await server.serve()
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await watcher
