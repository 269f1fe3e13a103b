"""The ``firwatch`` command line.

Every command loads settings first and turns a configuration or database
problem into one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from service.cli_admin import db_app, keys_app
from service.cli_alerts import alerts
from service.cli_notam import notam_app
from service.cli_support import (
    ConfigOpt,
    check_database,
    exit_on_signals,
    fail,
    settings_or_exit,
    setup_logging,
    utc_option,
)
from service.config import ConfigError, Settings

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="firwatch: airspace disruption monitor"
)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(notam_app, name="notam")


@app.command()
def serve(
    config: ConfigOpt = None,
    host: Annotated[str | None, typer.Option(help="Bind address (default from config)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from config)")] = None,
    role: Annotated[
        str,
        typer.Option(
            help="all: API + scheduler; api: API and webhook delivery only; "
            "scheduler: competes for the feed-polling lock (and serves /health)"
        ),
    ] = "all",
) -> None:
    """Run the API and the feed scheduler (one leader among replicas on PostgreSQL)."""
    import uvicorn

    from service.api.app import create_app

    if role not in ("all", "api", "scheduler"):
        fail(f"--role must be all, api or scheduler, not {role!r}")
    exit_on_signals()
    settings = settings_or_exit(config)
    setup_logging(settings.log_level, settings.log_format)
    check_database(settings)
    if host:  # the bind address decides whether reads need a key: the flag's, not the file's
        settings.api.host = host
    uvicorn.run(
        create_app(settings, role=role),
        host=settings.api.host,
        port=port or settings.api.port,
        log_level=settings.log_level.lower(),
        log_config=None,  # uvicorn's lines go through our (redacting) handler
    )


@app.command()
def poll(
    once: Annotated[
        bool, typer.Option("--once", help="Run one round of every feed and exit")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Poll the configured feeds once (``--once``) and print what each returned."""
    if not once:
        fail("only `firwatch poll --once` is supported; `firwatch serve` polls continuously")
    settings = settings_or_exit(config)
    setup_logging(settings.log_level, settings.log_format)
    check_database(settings)
    reports = asyncio.run(_poll_once(settings))
    failed = 0
    for report in reports:
        if report.ok:
            typer.echo(
                f"{report.feed}: ok, {report.positions} positions, {report.rejected} rejected, "
                f"{report.alerts} alerts {json.dumps(report.extra) if report.extra else ''}".rstrip()
            )
        else:
            failed += 1
            typer.echo(f"{report.feed}: FAILED: {report.error}")
    if failed == len(reports):
        raise typer.Exit(1)


async def _poll_once(settings: Settings):
    from service.runtime import build_runtime

    async with build_runtime(settings, webhooks=True) as runtime:
        assert runtime.poller is not None
        return await runtime.poller.poll_once()


def parse_duration(text: str) -> float:
    """Seconds from ``90``, ``90s``, ``15m``, ``2h`` or ``1d``.

    >>> parse_duration("15m"), parse_duration("2h"), parse_duration("45")
    (900.0, 7200.0, 45.0)
    """
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    try:
        if text and text[-1] in units:
            return float(text[:-1]) * units[text[-1]]
        return float(text)
    except ValueError:
        raise ValueError(f"duration {text!r} is not like 90s, 15m, 2h or 1d") from None


@app.command()
def record(
    out: Annotated[Path, typer.Option("--out", help="JSONL file to append to")],
    duration: Annotated[
        str | None, typer.Option(help="Stop after this long (e.g. 30m, 2h); default: until Ctrl-C")
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log every poll (default: warnings only)")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Poll as the scheduler does and append every HTTP exchange to a JSONL recording."""
    try:
        seconds = parse_duration(duration) if duration else None
    except ValueError as exc:
        fail(str(exc))
    settings = settings_or_exit(config)
    # quiet by default: a recording is read afterwards, its polls need not scroll past
    setup_logging(settings.log_level if verbose else "WARNING", settings.log_format)
    from service.log_filters import SkippedRuns

    skipped = SkippedRuns() if verbose else SkippedRuns().install()
    check_database(settings)
    try:
        handle = out.open("a", encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}")
    from service.replay import JsonlRecorder

    with handle:
        recorder = JsonlRecorder(handle)
        asyncio.run(_record(settings, recorder, seconds))
    typer.echo(f"recorded {recorder.count} exchanges to {out}")
    if skipped.count:
        typer.echo(f"({skipped.count} polls skipped: the previous one was still running)", err=True)


async def _record(settings: Settings, recorder, seconds: float | None) -> None:
    from service.runtime import build_runtime

    async with build_runtime(settings, recorder=recorder) as runtime:
        scheduler = runtime.new_scheduler()
        # Ctrl-C or SIGTERM (docker stop) ends a recording as --duration does: the polls in
        # flight finish and are written, then the count is printed
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        scheduler.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
        await scheduler.stop()


@app.command()
def replay(
    file: Annotated[Path, typer.Argument(help="JSONL recording (firwatch record format)")],
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (default from config)")
    ] = None,
    max_skipped: Annotated[
        int,
        typer.Option(min=0, help="Fail (exit 3) when more lines than this cannot be used at all"),
    ] = 0,
    config: ConfigOpt = None,
) -> None:
    """Drive ingest and detection from a recording, with the clock taken from its fetched_at.

    Exit codes: 0 replayed; 1 nothing usable in the file; 3 more unusable lines than
    --max-skipped; 130/143 stopped by SIGINT/SIGTERM (what was replayed is kept).
    """
    from service.replay import replay as run_replay
    from service.runtime import build_runtime

    if not file.is_file():
        fail(f"{file}: no such file")
    overrides = {"database_url": db} if db else {}
    settings = settings_or_exit(config, **overrides)
    setup_logging("ERROR")  # each failed poll is in the summary, not a warning per poll
    check_database(settings)
    from service.progress import progress_bar

    stopped: list[int] = []
    with progress_bar("replaying") as bar:
        last = [0]

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - last[0])
            last[0] = done

        async def run():
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stopped.append, signum)
            # the replay builds its own poller (a fresh engine, no requests) on these parts
            async with build_runtime(settings, poller=False) as runtime:
                return await run_replay(
                    file,
                    settings,
                    runtime.sessions,
                    runtime.airspaces,
                    runtime.airports,
                    progress=progress,
                    stop=lambda: bool(stopped),
                )

        report = asyncio.run(run())
    for line in report.summary():
        typer.echo(line)
    if stopped:
        typer.echo(f"firwatch: replay stopped by {signal.Signals(stopped[0]).name}", err=True)
        raise typer.Exit(128 + stopped[0])
    if report.used == 0:
        fail(f"{file}: nothing in it could be replayed", 1)
    if len(report.skipped) > max_skipped:
        fail(f"{len(report.skipped)} line(s) could not be used (--max-skipped {max_skipped})", 3)


@app.command("eval")
def eval_(
    target: Annotated[str, typer.Argument(help="Scenario name or a JSONL recording")],
    truth: Annotated[
        Path | None, typer.Option(help="Truth JSON (required for a recording)")
    ] = None,
    min_precision: Annotated[float, typer.Option(help="Fail below this precision")] = 0.95,
    min_recall: Annotated[float, typer.Option(help="Fail below this recall")] = 0.95,
    max_extra_error: Annotated[float, typer.Option(help="Fail above this relative error")] = 0.10,
    max_onset_polls: Annotated[
        float | None,
        typer.Option(help="Fail when the closure is flagged this many polls off the truth's onset"),
    ] = None,
    max_warning_polls: Annotated[
        float | None,
        typer.Option(
            help="Fail when the status changes this many polls after the warning's publication"
        ),
    ] = None,
    poll_phase: Annotated[
        float,
        typer.Option(min=0, max=4.99, help="Minutes to shift every poll of a scenario by (0-5)"),
    ] = 0.0,
    poll_s: Annotated[
        float,
        typer.Option(min=10, max=900, help="Seconds between polls when playing a scenario"),
    ] = 300.0,
    config: ConfigOpt = None,
) -> None:
    """Play a scenario (or replay a recording) and score the alerts against its truth."""
    from service.evaluate import evaluate

    settings = settings_or_exit(config)
    setup_logging("ERROR")
    if truth is not None and not truth.is_file():
        fail(f"{truth}: no such file")
    try:
        phase = timedelta(minutes=poll_phase)
        poll = timedelta(seconds=poll_s)
        result = asyncio.run(evaluate(target, truth, settings, phase, poll))
    except ValueError as exc:
        fail(str(exc))
    typer.echo(result.table())
    problems = result.failures(
        min_precision, min_recall, max_extra_error, max_onset_polls, max_warning_polls
    )
    for problem in problems:
        typer.echo(f"below threshold: {problem}")
    raise typer.Exit(1 if problems else 0)


@app.command()
def emulator(
    scenario: Annotated[str, typer.Option(help="Scenario name")] = "venezuela-2025-11",
    port: Annotated[int, typer.Option(help="Loopback port")] = 8900,
    host: Annotated[str, typer.Option(help="Loopback address only")] = "127.0.0.1",
    speed: Annotated[float, typer.Option(help="Scenario seconds per wall-clock second")] = 600.0,
    start: Annotated[str | None, typer.Option(help="Scenario time to start at (RFC 3339)")] = None,
) -> None:
    """Serve the feed emulator (OpenSky, ADSBx v2, adsb.lol routes, FAA NOTAM) on loopback."""
    from service.sim.emulator import run_emulator

    start_at = utc_option("--start", start)
    exit_on_signals()
    try:
        run_emulator(scenario, host=host, port=port, speed=speed, start=start_at)
    except ValueError as exc:
        fail(str(exc))


@app.command()
def demo(
    until_done: Annotated[
        bool, typer.Option("--until-done", help="Play the whole scenario, print a summary, exit")
    ] = False,
    port: Annotated[
        int | None, typer.Option(help="Port of the firwatch API (default: any free port)")
    ] = None,
    emulator_port: Annotated[
        int | None, typer.Option(help="Port of the feed emulator (default: any free port)")
    ] = None,
    speed: Annotated[float, typer.Option(help="Scenario seconds per wall-clock second")] = 480.0,
    start: Annotated[
        str | None,
        typer.Option(
            help="Scenario time to start at (RFC 3339; default: a few hours before its onset)"
        ),
    ] = None,
    scenario: Annotated[
        str, typer.Option(help="venezuela-2025-11 (default) or mideast-2025-06")
    ] = "venezuela-2025-11",
) -> None:
    """Play a bundled scenario (Venezuela 2025-11 by default) through the emulator and the
    real service.

    Exit codes: 0 done; 1 the scenario was not detected, or the emulator died; 2 a port
    given is taken; 130/143 stopped by SIGINT/SIGTERM before the end with --until-done.
    """
    from service.demo import DemoError, run_demo

    start_at = utc_option("--start", start)
    if start_at is not None:
        start = start_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if speed <= 0:
        fail(f"--speed must be above 0, not {speed:g}")
    try:
        code = run_demo(
            until_done=until_done,
            port=port,
            emulator_port=emulator_port,
            speed=speed,
            start=start,
            scenario=scenario,
        )
    except (ConfigError, DemoError) as exc:
        fail(str(exc))
    raise typer.Exit(code)


app.command()(alerts)


def main() -> None:
    """Entry point: click's usage errors (a bad value, a missing argument) become one
    ``firwatch: …`` line like every other refusal, not a framed box over several lines."""
    from service.runtime import tune_gc

    tune_gc()
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        typer.echo("firwatch: aborted", err=True)
        sys.exit(130)
    except Exception as exc:  # click's errors, from whichever click typer bundles
        if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
            raise
        message = exc.format_message()
        ctx = getattr(exc, "ctx", None)
        if "\n" in message:  # a command group called without a command: its help
            typer.echo(message, err=True)
        elif ctx is not None:
            typer.echo(f"firwatch: {message} (see {ctx.command_path} --help)", err=True)
        else:
            typer.echo(f"firwatch: {message}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
