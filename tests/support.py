"""Loopback servers for tests: any ASGI app (the feed emulator, the API) and a webhook receiver.

Both are real HTTP servers (uvicorn) on 127.0.0.1 with an OS-chosen port, run in
a background thread, so the code under test talks HTTP exactly as in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThreadedServer:
    """A uvicorn server for an ASGI app on loopback, in its own thread and event loop."""

    def __init__(self, app: Any, port: int | None = None, lifespan: str = "off"):
        self.port = port or free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan=lifespan
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.run(self.server.serve())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("loopback server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Webhook receiver: answers ``fail_first`` requests with ``fail_status``, then 200."""

    fail_first: int = 0
    fail_status: int = 500
    requests: list[Received] = field(default_factory=list)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the sender died mid-request (crash tests): nothing was delivered
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append(Received(headers, body))
        status = self.fail_status if len(self.requests) <= self.fail_first else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


class TcpProxy:
    """A loopback TCP proxy that can drop every connection on demand (database outages)."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.cut = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut.is_set():
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    def drop(self) -> None:
        """Close every connection now and refuse new ones until :meth:`restore`."""
        self.cut.set()

        def close_all() -> None:
            for w in list(self._writers):
                w.close()
            self._writers.clear()

        self._loop.call_soon_threadsafe(close_all)

    def restore(self) -> None:
        self.cut.clear()

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", self.port), self._loop
        ).result(timeout=5)
        self._server = server
        return self

    def __exit__(self, *exc: object) -> None:
        self.drop()
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


def wait_for(predicate, timeout_s: float, what: str):
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:  # a page being redrawn, a server still starting
            last = exc
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}: {last!r}")


def serve_env(
    database_url: str, emulator_url: str, credential: str, **extra: str
) -> dict[str, str]:
    """Environment for a `firwatch serve` process polling the loopback emulator fast."""
    import os

    from service.sim.feed_urls import as_environment, emulator_feeds
    from tests.conftest import ROOT

    return {
        **os.environ,
        "FIRWATCH_DATABASE_URL": database_url,
        "FIRWATCH_SEEDS_DIR": str(ROOT / "seeds"),
        "FIRWATCH_LOG_LEVEL": "ERROR",
        "FIRWATCH_LEADER_CHECK_S": "0.5",
        **as_environment({"feeds": emulator_feeds(emulator_url, credential)}),
        "FIRWATCH_FEEDS__OPENSKY__CREDIT_BUDGET": "false",
        **extra,
    }


CRED = "firwatch-test"


def scenario_settings(tmp_path: Path, emu: str, database_url: str | None = None):
    """Settings for an in-process run against the emulator at ``emu`` (the project's config)."""
    from service.config import load_settings
    from service.sim.feed_urls import emulator_feeds
    from tests.conftest import ROOT

    return load_settings(
        ROOT / "config.yaml",
        database_url=database_url or f"sqlite:///{tmp_path / 'firwatch.db'}",
        seeds_dir=str(ROOT / "seeds"),
        feeds=emulator_feeds(emu, CRED),
        webhooks={"allow_private_targets": True},
        watch={"routes_file": str(ROOT / "seeds" / "watched_routes.yaml")},
    )


def play_scenario_polls(settings, sessions, on_poll, restart_at=None) -> None:
    """Poll the Venezuela scenario every 5 minutes through the in-process emulator into
    ``sessions``' database, calling ``on_poll(at)`` after each poll.  ``restart_at``: from
    that data time on, a new poller restored from the database (a restart) takes over."""
    import asyncio
    from datetime import timedelta

    import httpx

    from service.runtime import build_runtime
    from service.sim.clock import ScenarioClock
    from service.sim.emulator import create_emulator_app
    from service.sim.scenario import load_scenario

    scenario = load_scenario("venezuela-2025-11")
    clock = ScenarioClock(scenario.start, scenario.end)
    emu = "http://emulator"
    app = create_emulator_app(
        scenario,
        clock,
        faa_client_id=CRED,
        faa_client_secret=CRED,
        opensky_client_id=CRED,
        opensky_client_secret=CRED,
    )
    run = scenario_settings(Path("unused"), emu, settings.database_url)

    async def main() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=emu) as http:
            runtime = build_runtime(run, sessions=sessions, http=http, clock=clock.now)
            poller = runtime.poller
            assert poller is not None
            restarted = restart_at is None
            at = scenario.start
            while at <= scenario.end:
                if not restarted and at >= restart_at:
                    poller, restarted = runtime.new_poller(), True
                clock.set(at)
                await poller.poll_once()
                on_poll(at)
                at += timedelta(minutes=5)

    asyncio.run(main())


def start_serve(env: dict[str, str], port: int, cwd: Path, stderr: Any = subprocess.DEVNULL):
    """``firwatch serve`` with the shipped config in a child process, as a replica runs."""
    from tests.conftest import ROOT

    command = [
        sys.executable,
        "-m",
        "service.cli",
        "serve",
        "--port",
        str(port),
        "--config",
        str(ROOT / "config.yaml"),
    ]
    return subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr)
