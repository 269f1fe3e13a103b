"""What ``firwatch demo`` says while it plays: the story of the scenario, as it happens.

``service/demo.py`` owns the processes (emulator, API, scheduler); this module owns the words.
It reads what any client reads — the alert stream (``/api/v1/alerts/stream?once=true``), the
airspace status, the emulator's clock — and prints one line per alert when it opens or
resolves, named and with its key figure, under a one-line status that keeps itself up to date.
When the scenario ends, or the person presses Ctrl-C, it says so and prints a summary read from
the demo's database, compared with the scenario's truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.console import Console
from rich.live import Live
from rich.logging import RichHandler
from rich.text import Text

from service.config import Settings
from service.demo_wording import count, describe, hhmm, parse_time
from service.log_filters import SkippedRuns

RECEIVER_PORT = 9999
# a webhook receiver in one line of the standard library: prints each delivery's id and body
RECEIVER = (
    'python3 -c \'import http.server as h;R=type("R",(h.BaseHTTPRequestHandler,),{"do_POST":'
    'lambda s:(print(s.headers["webhook-id"],s.rfile.read(int(s.headers["Content-Length"]))'
    '.decode()[:160],flush=True),s.send_response(204),s.end_headers()),"log_message":lambda *a:None});'
    f'h.HTTPServer(("127.0.0.1",{RECEIVER_PORT}),R).serve_forever()\''
)
SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


def parse_sse(body: str) -> list[tuple[int, str, dict[str, Any]]]:
    """Server-Sent Events text → (id, event, data) for the ``alert.*`` events.

    >>> parse_sse('retry: 2000\\n\\nid: 3\\nevent: alert.opened\\ndata: {"id": 1}\\n\\n')
    [(3, 'opened', {'id': 1})]
    """
    import json

    out = []
    for block in body.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            name, _, value = line.partition(":")
            fields[name] = value.strip()
        if fields.get("event", "").startswith("alert.") and "data" in fields:
            out.append((int(fields["id"]), fields["event"][6:], json.loads(fields["data"])))
    return out


@dataclass
class Progress:
    """What the story has seen so far."""

    clock: dict[str, Any] = field(default_factory=dict)
    airspace: dict[str, Any] = field(default_factory=dict)
    alerts: dict[int, dict[str, Any]] = field(default_factory=dict)
    last_change: int = 0
    done_announced: bool = False


class DemoStory:
    """Narrates one demo run on a console; ``run`` is a task beside the API server."""

    def __init__(
        self,
        settings: Settings,
        *,
        scenario: str,
        emulator_url: str,
        speed: float,
        start: str,
        until_done: bool,
        alive: Callable[[], bool] = lambda: True,
        console: Console | None = None,
    ) -> None:
        self.settings = settings
        self.scenario = scenario
        self.primary = settings.watch.airspaces[0]  # the airspace the status line follows
        self.emu = emulator_url
        self.api = f"http://{settings.api.host}:{settings.api.port}"
        self.speed = speed
        self.start = start
        self.until_done = until_done
        self.alive = alive  # whether the emulator process still runs
        self.console = console or Console(highlight=False, soft_wrap=True)
        self.seen = Progress()
        self.truth: dict[str, Any] | None = None
        self.key: str | None = None
        self.skipped = SkippedRuns()
        self.live: Live | None = None
        self._last_plain = 0.0

    # -- set-up -------------------------------------------------------------------------
    def start_problem(self, clock: dict[str, Any]) -> str | None:
        """Why --start cannot be played (outside the scenario; the emulator would clamp it)."""
        first, last = parse_time(clock["start"]), parse_time(clock["end"])
        if first <= parse_time(self.start) < last:
            return None
        return (
            f"--start {self.start} is outside the scenario "
            f"({first:%Y-%m-%dT%H:%MZ} to {last:%Y-%m-%dT%H:%MZ})"
        )

    def quiet_logs(self) -> None:
        """Warnings go through the console (above the status line), minus skipped runs."""
        handler = RichHandler(console=self.console, show_path=False, show_time=False)
        handler.addFilter(self.skipped)
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(self.settings.log_level)
        for noisy in ("httpx", "apscheduler", "uvicorn.access", "alembic"):
            logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))

    def create_admin_key(self) -> str:
        """An admin key in this demo's database, so webhooks can be subscribed at once."""
        from service.api.auth import create_key
        from service.store.db import make_engine, make_sessionmaker

        engine = make_engine(self.settings.resolved_database_url)
        try:
            with make_sessionmaker(engine).begin() as session:
                _, key = create_key(session, "demo", ["admin"])
        finally:
            engine.dispose()
        return key

    def print_welcome(self) -> None:
        api, key = self.api, self.key
        c = self.console
        c.print(
            f"[bold]firwatch demo[/]: scenario {self.scenario} from {hhmm(self.start)} at "
            f"{self.speed:g}× (a scenario hour every {3600 / self.speed:.1f} s), "
            f"emulator {self.emu}"
        )
        c.print(f"  status page    {api}/")
        c.print(f"  API docs       {api}/docs")
        c.print(f"  alerts         {api}/api/v1/alerts")
        c.print(f"  {self.primary} status    {api}/api/v1/airspaces/{self.primary}")
        c.print(f"  scenario truth {self.emu}/_emulator/truth")
        c.print(f"  admin key      {key}  (this demo's database only)")
        c.print(
            "  subscribe a webhook: paste these two lines into another terminal (a receiver on "
            f"127.0.0.1:{RECEIVER_PORT} that prints what it gets, then the subscription):"
        )
        c.print(f"    {RECEIVER} &", soft_wrap=True, markup=False)
        c.print(
            f"    curl -s -X POST {api}/api/v1/webhooks -H 'X-API-Key: {key}' "
            "-H 'Content-Type: application/json' "
            f'-d \'{{"url": "http://127.0.0.1:{RECEIVER_PORT}/hook"}}\'',
            soft_wrap=True,
            markup=False,
        )
        c.print(
            "  (Ctrl-C stops and prints a summary)"
            if not self.until_done
            else "  playing the whole scenario, then a summary ..."
        )

    # -- the running story ----------------------------------------------------------------
    async def run(self, server: Any) -> None:
        """Wait for the API, start the scenario's clock, then narrate until stopped; stop the
        server at once if the emulator dies (nothing else may answer in its place)."""
        async with httpx.AsyncClient(timeout=5) as http:
            try:
                await self._wait_api(http)
                self.key = await asyncio.to_thread(self.create_admin_key)
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    self.truth = (await http.get(f"{self.emu}/_emulator/truth", timeout=30)).json()
                self.print_welcome()
                # the emulator waits, paused, until the page can be opened: nothing is missed
                with contextlib.suppress(httpx.HTTPError):
                    await http.post(f"{self.emu}/_emulator/clock", json={"speed": self.speed})
                http.headers["X-API-Key"] = self.key
                if self.console.is_terminal:
                    self.live = Live(console=self.console, auto_refresh=False, transient=True)
                    self.live.start()
                await self._narrate(http, server)
            except Exception as exc:  # never a silent hang: say why and stop the server
                if not isinstance(exc, asyncio.CancelledError):
                    self.stop_live()
                    self.console.print(f"firwatch: demo narration stopped: {exc}")
                    server.should_exit = True
                raise
            finally:
                self.stop_live()

    async def _wait_api(self, http: httpx.AsyncClient, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.alive():
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"{self.api}/health/live")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
        if not self.alive():
            raise RuntimeError("the emulator exited")
        raise RuntimeError(f"the API at {self.api} did not answer within {timeout_s:.0f} s")

    async def _narrate(self, http: httpx.AsyncClient, server: Any) -> None:
        while True:
            if not self.alive():
                server.should_exit = True
                return
            await self.step(http)
            if self.seen.clock.get("done") and not self.seen.done_announced:
                self.seen.done_announced = True
                if self.until_done:
                    # let the last polls and webhook deliveries land
                    wait = 3 * max(self.settings.feeds.opensky.interval_s, 1.0)
                    await asyncio.sleep(wait)
                    await self.step(http)
                    server.should_exit = True
                    return
                self.say(
                    Text(
                        f"scenario over at {hhmm(self.seen.clock.get('now'))}; "
                        "the service keeps serving — Ctrl-C for the summary",
                        style="bold",
                    )
                )
            await asyncio.sleep(1.0)

    async def step(self, http: httpx.AsyncClient) -> None:
        """One look: the clock, the alert changes since the last look, SVZM's status."""
        with contextlib.suppress(httpx.HTTPError, ValueError):
            self.seen.clock = (await http.get(f"{self.emu}/_emulator/clock")).json()
        with contextlib.suppress(httpx.HTTPError, ValueError):
            response = await http.get(
                f"{self.api}/api/v1/alerts/stream",
                params={"since_id": self.seen.last_change, "once": "true"},
            )
            for change_id, change, alert in parse_sse(response.text):
                self.seen.last_change = change_id
                self.seen.alerts[alert["id"]] = alert
                if change != "updated":  # the story tells openings and resolutions
                    self.print_alert(change, alert)
        with contextlib.suppress(httpx.HTTPError, ValueError):
            answer = await http.get(f"{self.api}/api/v1/airspaces/{self.primary}")
            if answer.status_code == 200:
                self.seen.airspace = answer.json()
        self.show_status()

    def say(self, line: Text | str) -> None:
        (self.live.console if self.live else self.console).print(line)

    def print_alert(self, change: str, alert: dict[str, Any]) -> None:
        when = hhmm(alert.get("resolved_at") if change == "resolved" else alert.get("opened_at"))
        style = "dim" if change == "resolved" else SEVERITY_STYLE.get(alert.get("severity", ""), "")
        mark = {"opened": "▲ opened  ", "resolved": "▽ resolved", "reopened": "▲ reopened"}
        line = Text(f"{when}  ")
        line.append(mark.get(change, change), style=style)
        line.append(f"  {describe(change, alert)}", style=style)
        self.say(line)

    def status_line(self) -> str:
        clock, airspace = self.seen.clock, self.seen.airspace
        now = clock.get("now")
        share = ""
        if now and clock.get("end"):
            played = (parse_time(now) - parse_time(self.start)).total_seconds()
            total = max((parse_time(clock["end"]) - parse_time(self.start)).total_seconds(), 1.0)
            share = f" {100 * max(0.0, min(1.0, played / total)):3.0f} %"
        ev = airspace.get("evidence") or {}
        if airspace.get("since"):
            svzm = (
                f"{self.primary} {airspace.get('status')} "
                f"(foreign {count(ev.get('foreign_count'))}/{count(ev.get('baseline_foreign'))} "
                f"expected, domestic {count(ev.get('domestic_count'))})"
            )
        else:
            svzm = f"{self.primary}: no data yet"
        states = Counter(a["status"] for a in self.seen.alerts.values())
        return (
            f"⏵ scenario {hhmm(now)}{share} │ {svzm} │ alerts {states['open']} open, "
            f"{states['resolved']} resolved"
        )

    def show_status(self) -> None:
        line = self.status_line()
        if self.live is not None:
            self.live.update(Text(line, style="reverse"), refresh=True)
        elif time.monotonic() - self._last_plain >= 10.0:
            # not a terminal: a plain line now and then, never a redrawn one
            self._last_plain = time.monotonic()
            self.console.print(line)

    def stop_live(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    # -- the end ----------------------------------------------------------------------------
    def finish(self, *, stopped_by: int | None) -> int:
        """Say how it ended (the scenario's end, or the signal that stopped it before) and
        print the summary; 0 when the story's main events were found."""
        self.stop_live()
        reached = self.seen.clock.get("now")
        if stopped_by is not None:
            how = "Ctrl-C" if stopped_by == signal.SIGINT else signal.Signals(stopped_by).name
            self.console.print(f"\n[bold]stopped ({how})[/] at scenario time {hhmm(reached)}")
        else:
            self.console.print(f"\n[bold]scenario over[/] at {hhmm(reached)}")
        from service.demo_summary import print_summary

        return print_summary(self, reached)
