"""What every ``firwatch`` command shares: the ``--config`` option, loading settings, a
refusal in one line (never a traceback), time options, signals and logging."""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from service.config import ConfigError, Settings, load_settings

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


def check_database(settings: Settings) -> None:
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


def open_sessions(settings: Settings):
    from service.store.db import make_engine, make_sessionmaker

    check_database(settings)
    engine = make_engine(settings.resolved_database_url)
    return engine, make_sessionmaker(engine)
