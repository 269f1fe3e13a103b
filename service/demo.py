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
DEMO_START = "2025-11-21T14:00:00Z"
DEMO_CREDENTIAL = "firwatch-demo"


def demo_settings(
    base: Path, port: int, emulator_port: int, db_path: Path, speed: float = 480.0
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
    return load_settings(config if config.exists() else None, **overrides)


def start_emulator(port: int, speed: float, start: str = DEMO_START) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable, "-m", "service.cli", "emulator", "--scenario", SCENARIO,
        "--port", str(port), "--speed", str(speed), "--start", start,
    ]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_ready(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s")


def run_demo(
    *, until_done: bool, port: int, emulator_port: int, speed: float, start: str | None = None
) -> int:
    from service.demo_story import DemoStory

    base = Path.cwd()
    start = start or DEMO_START
    # each demo its own database: a second demo never deletes the first one's live data
    db_path = Path(tempfile.mkdtemp(prefix="firwatch-demo-")) / "firwatch.db"
    settings = demo_settings(base, port, emulator_port, db_path, speed)
    # paused until the API answers (DemoStory starts the clock): nothing happens unseen
    emulator = start_emulator(emulator_port, 0.0, start)
    emu = f"http://127.0.0.1:{emulator_port}"
    story = DemoStory(settings, scenario=SCENARIO, emulator_url=emu, speed=speed, start=start,
                      until_done=until_done)  # fmt: skip
    story.quiet_logs()
    try:
        try:
            wait_ready(f"{emu}/_emulator/clock")
        except RuntimeError as exc:
            err = (
                emulator.stderr.read().decode()
                if emulator.poll() is not None and emulator.stderr
                else ""
            )
            raise SystemExit(f"firwatch: emulator failed to start: {exc} {err[-500:]}") from None
        story.check_start(httpx.get(f"{emu}/_emulator/clock", timeout=5).json())
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(settings, story))
        code = story.finish(interrupted=not story.seen.clock.get("done"))
        # Ctrl-C before the end of the scenario is a normal way to leave the interactive demo
        return code if until_done else 0
    finally:
        emulator.send_signal(signal.SIGINT)
        try:
            emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            emulator.kill()


async def _serve(settings: Settings, story: Any) -> None:
    import uvicorn

    from service.api.app import create_app

    config = uvicorn.Config(
        create_app(settings), host=settings.api.host, port=settings.api.port,
        log_level="warning", lifespan="on", log_config=None,
    )  # fmt: skip
    server = uvicorn.Server(config)
    watcher = asyncio.create_task(story.run(server))
    try:
        await server.serve()
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await watcher
