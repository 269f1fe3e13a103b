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
import time
from collections import Counter
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


def start_emulator(port: int, speed: float) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable, "-m", "service.cli", "emulator", "--scenario", SCENARIO,
        "--port", str(port), "--speed", str(speed), "--start", DEMO_START,
    ]  # fmt: skip
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


def run_demo(*, until_done: bool, port: int | None, emulator_port: int | None, speed: float) -> int:
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
        return _run_demo(until_done, port, emulator_port, speed, stopped)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _run_demo(
    until_done: bool,
    port: int | None,
    emulator_port: int | None,
    speed: float,
    stopped: list[int],
) -> int:
    port = port_for(port, "--port")
    emulator_port = port_for(emulator_port, "--emulator-port")
    if port == emulator_port:
        raise DemoError(f"--port and --emulator-port are both {port}")
    base = Path.cwd()
    db_path = base / "var" / "demo" / "firwatch.db"
    db_path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    settings = demo_settings(base, port, emulator_port, db_path, speed)
    emulator = start_emulator(emulator_port, speed)
    emu = f"http://127.0.0.1:{emulator_port}"
    try:
        wait_ready(f"{emu}/_emulator/clock", emulator, stop=lambda: bool(stopped))
        if stopped:
            return 128 + stopped[0]
        api = f"http://127.0.0.1:{port}"
        print(f"firwatch demo: scenario {SCENARIO} at {speed:g}x, emulator {emu}")
        print(f"  status page    {api}/")
        print(f"  API docs       {api}/docs")
        print(f"  alerts         {api}/api/v1/alerts")
        print(f"  SVZM status    {api}/api/v1/airspaces/SVZM")
        print(f"  scenario truth {emu}/_emulator/truth")
        print(
            "  (Ctrl-C to stop)" if not until_done else "  playing the whole scenario ...",
            flush=True,
        )
        asyncio.run(_serve(settings, emu, until_done, emulator))
        if stopped and until_done:
            print(f"firwatch: demo stopped by {signal.Signals(stopped[0]).name}", flush=True)
            return 128 + stopped[0]
        if emulator.poll() is not None and not stopped:
            print(f"firwatch: the emulator exited with code {emulator.returncode}; demo stopped",
                  file=sys.stderr, flush=True)  # fmt: skip
            return 1
        try:
            truth = httpx.get(f"{emu}/_emulator/truth", timeout=10).json()
        except httpx.HTTPError:  # Ctrl-C reaches the emulator too (same process group)
            truth = {}
        code = print_summary(settings, truth)
        # Ctrl-C before the end of the scenario is a normal way to leave the interactive demo
        return code if until_done else 0
    finally:
        if emulator.poll() is None:
            emulator.send_signal(signal.SIGINT)
            try:
                emulator.wait(timeout=10)
            except subprocess.TimeoutExpired:
                emulator.kill()


async def _serve(
    settings: Settings, emu: str, until_done: bool, emulator: subprocess.Popen[bytes]
) -> None:
    import uvicorn

    from service.api.app import create_app

    config = uvicorn.Config(
        create_app(settings), host=settings.api.host, port=settings.api.port,
        log_level="warning", lifespan="on",
    )  # fmt: skip
    server = uvicorn.Server(config)
    watcher = asyncio.create_task(
        _watch(server, emu, settings, emulator, stop_when_done=until_done)
    )
    try:
        await server.serve()
    finally:
        if watcher is not None:
            watcher.cancel()


async def _watch(
    server: Any,
    emu: str,
    settings: Settings,
    emulator: subprocess.Popen[bytes],
    *,
    stop_when_done: bool,
) -> None:
    """Stop the server once the emulator's clock has reached the end of the scenario, or
    at once when the emulator process has died (nothing else may answer in its place)."""
    async with httpx.AsyncClient(timeout=5) as http:
        last = ""
        tick = 0
        while True:
            await asyncio.sleep(0.25)
            if emulator.poll() is not None:
                server.should_exit = True
                return
            tick += 1
            if tick % 8:
                continue
            try:
                clock = (await http.get(f"{emu}/_emulator/clock")).json()
            except httpx.HTTPError:
                continue
            status = await _status_line(http, settings)
            line = f"  scenario time {clock['now']}  {status}"
            if line != last:
                print(line, flush=True)
                last = line
            if clock.get("done") and stop_when_done:
                # let the last polls and webhook deliveries land
                await asyncio.sleep(3 * max(settings.feeds.opensky.interval_s, 1.0))
                server.should_exit = True
                return


async def _status_line(http: httpx.AsyncClient, settings: Settings) -> str:
    api = f"http://{settings.api.host}:{settings.api.port}/api/v1"
    try:
        airspace = (await http.get(f"{api}/airspaces/SVZM")).json()
        alerts = (await http.get(f"{api}/alerts", params={"limit": 500})).json()
    except (httpx.HTTPError, ValueError):
        return ""
    counts = Counter(a["type"] for a in alerts.get("items", []))
    evidence = airspace.get("evidence", {})
    return (
        f"SVZM {airspace.get('status', '?')} "
        f"(foreign {evidence.get('foreign_count')}, domestic {evidence.get('domestic_count')})  "
        f"alerts: {dict(counts)}"
    )


def print_summary(settings: Settings, truth: dict[str, Any]) -> int:
    from sqlalchemy import select

    from service.store.db import make_engine, make_sessionmaker
    from service.store.models import AirspaceStatusRow, AlertRow

    engine = make_engine(settings.resolved_database_url)
    with make_sessionmaker(engine)() as session:
        alerts = list(session.scalars(select(AlertRow).order_by(AlertRow.id)))
        status = session.get(AirspaceStatusRow, "SVZM")
    engine.dispose()
    print("\n=== firwatch demo summary ===")
    if status is not None:
        ev = status.evidence or {}
        print(
            f"SVZM: {status.status} since {status.since:%Y-%m-%d %H:%MZ}; foreign {status.foreign_count} "
            f"vs baseline {status.baseline_foreign}; NOTAMs {ev.get('notam_ids')}"
        )
    by_type = Counter(a.type for a in alerts)
    print("alerts by type: " + ", ".join(f"{k} {v}" for k, v in sorted(by_type.items())))
    for a in alerts:
        if a.type == "airspace.status_changed":
            print(f"  {a.opened_at:%H:%MZ} {a.title} [{a.status}]")
    truth_by_cs = {f["callsign"]: f for f in truth.get("flights", [])}
    print("reroutes (detected vs scenario truth):")
    for a in alerts:
        if a.type == "flight.rerouted":
            t = truth_by_cs.get(a.callsign or "", {})
            print(
                f"  {a.callsign:<8} {a.origin}-{a.destination} +{a.extra_distance_km:.0f} km "
                f"(truth +{t.get('extra_km', float('nan')):.0f} km, {t.get('behaviour', '?')})"
            )
    for a in alerts:
        if a.type in ("flight.diverted", "flight.turned_back"):
            print(f"  {a.type}: {a.title}")
    end = truth.get("end", "")
    expected = {
        f["callsign"]
        for f in truth.get("flights", [])
        if f.get("behaviour") == "rerouted"
        and f.get("watched_route")
        and (f.get("extra_km") or 0) >= settings.detection.reroute_min_extra_km
        and f.get("arrives_at", "") <= end
    }
    found = {a.callsign for a in alerts if a.type == "flight.rerouted"}
    ok = (
        bool(status and status.status in ("RESTRICTED", "CLOSED"))
        and bool(found)
        and any(a.type == "flight.diverted" for a in alerts)
    )
    print(
        f"reroutes found {len(found & expected)} of {len(expected)} (rerouted watched flights "
        f"that landed in the window, extra >= {settings.detection.reroute_min_extra_km:g} km); "
        f"false reroute alerts {len(found - expected)}"
    )
    print("demo result: " + ("OK" if ok else "INCOMPLETE (see above)"))
    return 0 if ok else 1
