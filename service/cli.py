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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from service.config import ConfigError, Settings, load_settings

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="firwatch: airspace disruption monitor"
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema management.")
app.add_typer(db_app, name="db")
keys_app = typer.Typer(no_args_is_help=True, help="API keys (stored hashed; shown once).")
app.add_typer(keys_app, name="keys")
notam_app = typer.Typer(no_args_is_help=True, help="NOTAM tools (no database, no network).")
app.add_typer(notam_app, name="notam")

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="config.yaml path (default: $FIRWATCH_CONFIG or ./config.yaml)"
    ),
]


def fail(message: str, code: int = 2) -> None:
    from service.logs import redact

    typer.echo(f"firwatch: {redact(message)}", err=True)
    raise typer.Exit(code)


def utc_option(option: str, text: str | None) -> datetime | None:
    """An RFC 3339 option value with its zone, or one line and exit 2 (every time option)."""
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        fail(f"{option} {text!r} is not an RFC 3339 timestamp")
    if at.tzinfo is None:
        fail(f"{option} needs a time zone, e.g. 2025-11-21T14:00:00Z")
    return at.astimezone(UTC)


def settings_or_exit(config: Path | None, **overrides) -> Settings:
    try:
        return load_settings(config, **overrides)
    except ConfigError as exc:
        fail(str(exc))
        raise  # unreachable, for type checkers


def exit_on_signals() -> None:
    """SIGINT and SIGTERM end a server command with exit code 128+n: at once before the
    server runs, and after its graceful shutdown while it runs (uvicorn handles the signal
    first, then passes it on to these handlers)."""

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handler)


def setup_logging(level: str, fmt: str = "text") -> None:
    from service.logs import setup_logging as configure

    configure(level, fmt)


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
    _check_database(settings)
    if host:  # the bind address decides whether reads need a key: the flag's, not the file's
        settings.api.host = host
    uvicorn.run(
        create_app(settings, role=role),
        host=settings.api.host,
        port=port or settings.api.port,
        log_level=settings.log_level.lower(),
        log_config=None,  # uvicorn's lines go through our (redacting) handler
    )


def _check_database(settings: Settings) -> None:
    from service.store.db import DatabaseNotMigrated, ensure_migrated, make_engine

    engine = make_engine(settings.resolved_database_url)
    try:
        ensure_migrated(engine, settings.auto_migrate)
    except DatabaseNotMigrated as exc:
        fail(str(exc))
    except Exception as exc:  # unreachable database, bad URL, ...
        fail(f"database {settings.database_url}: {str(exc).splitlines()[0]}")
    finally:
        engine.dispose()


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
    _check_database(settings)
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
    _check_database(settings)
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
    _check_database(settings)
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


def _sessions(settings: Settings):
    from service.store.db import make_engine, make_sessionmaker

    _check_database(settings)
    engine = make_engine(settings.resolved_database_url)
    return engine, make_sessionmaker(engine)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what uses the key")],
    scope: Annotated[list[str], typer.Option(help="read or admin (repeatable)")] = ["read"],  # noqa: B006
    config: ConfigOpt = None,
) -> None:
    """Create an API key and print it once."""
    from service.api.auth import create_key

    settings = settings_or_exit(config)
    engine, sessions = _sessions(settings)
    try:
        with sessions.begin() as session:
            row, key = create_key(session, name, scope)
            key_id = row.id
    except ValueError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    typer.echo(
        f"{key}\n(key id {key_id}, scopes {', '.join(scope)}; store it now: it is not shown again)"
    )


@keys_app.command("list")
def keys_list(config: ConfigOpt = None) -> None:
    """List API keys (ids, names, scopes; never the keys)."""
    from sqlalchemy import select

    from service.store.models import ApiKeyRow

    settings = settings_or_exit(config)
    engine, sessions = _sessions(settings)
    with sessions() as session:
        for row in session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at)):
            state = "revoked" if row.revoked_at else "active"
            typer.echo(f"{row.id}  {state:<7} {','.join(row.scopes):<11} {row.name}")
    engine.dispose()


@keys_app.command("revoke")
def keys_revoke(key_id: str, config: ConfigOpt = None) -> None:
    """Revoke an API key by id."""
    from datetime import UTC

    from service.store.models import ApiKeyRow

    settings = settings_or_exit(config)
    engine, sessions = _sessions(settings)
    with sessions.begin() as session:
        row = session.get(ApiKeyRow, key_id)
        if row is not None:
            row.revoked_at = datetime.now(UTC)
    engine.dispose()
    if row is None:
        fail(f"no API key with id {key_id}")
    typer.echo(f"revoked {key_id}")


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


@db_app.command("reencrypt-secrets")
def db_reencrypt_secrets(config: ConfigOpt = None) -> None:
    """Re-encrypt every webhook secret under the first key in FIRWATCH_SECRET_KEY (rotation)."""
    from service.store.crypto import SecretKeyError, reencrypt_webhook_secrets
    from service.store.db import make_engine, make_sessionmaker

    settings = settings_or_exit(config)
    _check_database(settings)
    engine = make_engine(settings.resolved_database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            count = reencrypt_webhook_secrets(session)
    except SecretKeyError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    typer.echo(f"re-encrypted {count} webhook secrets under the current key")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None) -> None:
    """Apply Alembic migrations up to the latest revision."""
    from service.store.db import upgrade

    settings = settings_or_exit(config)
    try:
        before = _revision(settings.resolved_database_url)
        upgrade(settings.resolved_database_url)
        after = _revision(settings.resolved_database_url)
    except Exception as exc:
        fail(f"migration failed on {settings.database_url}: {str(exc).splitlines()[0]}", 1)
    if before == after:
        typer.echo(f"database already at the latest revision ({after}); nothing to do")
    else:
        typer.echo(f"database upgraded from revision {before or 'none (empty)'} to {after}")


def _revision(url: str) -> str | None:
    from service.store.db import make_engine, migration_state

    engine = make_engine(url)
    try:
        return migration_state(engine)[0]
    finally:
        engine.dispose()


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


@app.command()
def alerts(
    config: ConfigOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="json or table")] = "table",
    type_: Annotated[
        str | None, typer.Option("--type", help="Alert type, e.g. flight.rerouted")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only alerts opened at or after (RFC 3339)")
    ] = None,
) -> None:
    """Print stored alerts."""
    from sqlalchemy import select

    from service.domain import AlertType
    from service.store.alerts import alert_to_dict
    from service.store.db import make_engine, make_sessionmaker
    from service.store.models import AlertRow

    if fmt not in {"json", "table"}:
        fail("--format must be json or table")
    if type_ is not None and type_ not in set(AlertType):
        fail(f"--type {type_!r} is not an alert type; one of: {', '.join(AlertType)}")
    settings = settings_or_exit(config)
    _check_database(settings)
    stmt = select(AlertRow).order_by(AlertRow.id)
    if type_:
        stmt = stmt.where(AlertRow.type == type_)
    since_at = utc_option("--since", since)
    if since_at is not None:
        stmt = stmt.where(AlertRow.opened_at >= since_at)
    engine = make_engine(settings.resolved_database_url)
    with make_sessionmaker(engine)() as session:
        rows = [alert_to_dict(r) for r in session.scalars(stmt)]
    engine.dispose()
    if fmt == "json":
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    typer.echo(alerts_table(rows))


def alerts_table(rows: list[dict]) -> str:
    """A table a person can scan: a header, when each alert happened (data time, UTC) and when
    it last changed, newest last as stored.

    >>> print(alerts_table([]))
    no alerts
    """
    if not rows:
        return "no alerts"
    header = ("ID", "OPENED (UTC)", "UPDATED (UTC)", "STATUS", "SEVERITY", "TYPE", "TITLE")

    def when(value: str | None) -> str:
        return value.replace("T", " ")[:16] if value else "-"

    lines = []
    for r in rows:
        extra = f" +{r['extra_distance_km']:.0f} km" if r.get("extra_distance_km") else ""
        lines.append((str(r["id"]), when(r["opened_at"]), when(r["resolved_at"] or r["updated_at"]),
                      r["status"], r["severity"], r["type"], r["title"] + extra))  # fmt: skip
    widths = [max(len(row[i]) for row in (header, *lines)) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        for row in (header, *lines)
    )


MAX_NOTAM_INPUT_BYTES = 5_000_000


@notam_app.command("parse")
def notam_parse(
    file: Annotated[str, typer.Argument(help="NOTAM text file, or - for standard input")],
    config: ConfigOpt = None,
    year: Annotated[
        int | None, typer.Option(help="Year for texts that give none (US plain text)")
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Exit 1 when any NOTAM has a problem (still prints it)")
    ] = False,
) -> None:
    """Print the NOTAMs in FILE as GeoJSON: one feature per area, with id, Q-code, limits,
    validity and problems in the properties. FIRs named in the text come from seeds."""
    from service.geo.airspaces import AirspaceRegistry
    from service.notam.features import parse_to_geojson, split_notams

    settings = settings_or_exit(config)
    try:
        if file == "-":
            raw = sys.stdin.buffer.read(MAX_NOTAM_INPUT_BYTES + 1)
        else:
            with open(file, "rb") as handle:
                raw = handle.read(MAX_NOTAM_INPUT_BYTES + 1)
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}")
    if len(raw) > MAX_NOTAM_INPUT_BYTES:
        fail(f"{file}: more than {MAX_NOTAM_INPUT_BYTES} bytes of NOTAM text")
    text = raw.decode("utf-8", errors="replace")
    if not split_notams(text):
        fail(f"{file}: no NOTAM text")
    airspaces = AirspaceRegistry.from_geojson(settings.path(settings.seeds_dir) / "firs.geojson")
    collection = parse_to_geojson(text, airspaces, year_hint=year)
    typer.echo(json.dumps(collection, indent=2, ensure_ascii=False))
    if strict and any(f["properties"]["problems"] for f in collection["features"]):
        raise typer.Exit(1)


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
