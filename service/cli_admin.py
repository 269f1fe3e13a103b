"""``firwatch keys`` and ``firwatch db``: API keys and the database's schema and secrets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from service.cli_support import ConfigOpt, check_database, fail, open_sessions, settings_or_exit

db_app = typer.Typer(no_args_is_help=True, help="Database schema management.")
keys_app = typer.Typer(no_args_is_help=True, help="API keys (stored hashed; shown once).")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what uses the key")],
    scope: Annotated[list[str], typer.Option(help="read or admin (repeatable)")] = ["read"],  # noqa: B006
    config: ConfigOpt = None,
) -> None:
    """Create an API key and print it once."""
    from service.api.auth import create_key

    settings = settings_or_exit(config)
    engine, sessions = open_sessions(settings)
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
    engine, sessions = open_sessions(settings)
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
    engine, sessions = open_sessions(settings)
    with sessions.begin() as session:
        row = session.get(ApiKeyRow, key_id)
        if row is not None:
            row.revoked_at = datetime.now(UTC)
    engine.dispose()
    if row is None:
        fail(f"no API key with id {key_id}")
    typer.echo(f"revoked {key_id}")


@db_app.command("reencrypt-secrets")
def db_reencrypt_secrets(config: ConfigOpt = None) -> None:
    """Re-encrypt every webhook secret under the first key in FIRWATCH_SECRET_KEY (rotation)."""
    from service.store.crypto import SecretKeyError, reencrypt_webhook_secrets
    from service.store.db import make_engine, make_sessionmaker

    settings = settings_or_exit(config)
    check_database(settings)
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
