"""Engines, sessions and schema migrations.

SQLite is the zero-setup default and PostgreSQL the production database; the
differences are confined here: SQLite gets WAL and a busy timeout so the API and
the scheduler threads can share one file, PostgreSQL gets pre-ping so a
restarted server costs one failed checkout instead of a broken pool.  The schema
is owned by Alembic (``migrations/``); ``create_all`` is never used outside tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class DatabaseNotMigrated(RuntimeError):
    """The database schema is not at the latest revision (and auto-migration is off)."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if "connect_timeout" not in parsed.query:
        # a database behind a dead network must fail a connect in seconds, not the OS's two
        # minutes: polls hold their writes meanwhile (service/pending_writes.py)
        kwargs.setdefault("connect_args", {"connect_timeout": 5})
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 32 MiB of page cache (default 2 MiB): the positions indexes keyed by aircraft take
    # inserts all over their B-trees, and once they outgrow the cache every poll re-reads them
    cursor.execute("PRAGMA cache_size=-32768")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: rows are serialised after the transaction closes
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a literal % in a password must be doubled
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision``; creates the SQLite file's directory."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def migration_state(engine: Engine) -> tuple[str | None, str | None]:
    """(current revision of the database, head revision of the code)."""
    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, script.get_current_head()


def ensure_migrated(engine: Engine, auto_migrate: bool = False) -> None:
    """Refuse to run on an out-of-date schema unless asked to migrate it."""
    current, head = migration_state(engine)
    if current == head:
        return
    if auto_migrate:
        upgrade(engine.url.render_as_string(hide_password=False))
        return
    raise DatabaseNotMigrated(
        f"database schema is at revision {current or 'none'}, the code needs {head}: "
        "run `firwatch db upgrade` (or set auto_migrate: true)"
    )
