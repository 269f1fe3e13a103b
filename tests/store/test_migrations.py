"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from service.store.db import DatabaseNotMigrated, ensure_migrated, make_engine, upgrade
from service.store.models import Base


def schema_diff(url: str) -> list:
    engine = make_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    return diff


def test_sqlite_migrations_match_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)
    with pytest.raises(DatabaseNotMigrated, match="firwatch db upgrade"):
        ensure_migrated(engine)
    upgrade(url)
    ensure_migrated(engine)  # at head now: no error
    engine.dispose()
    assert schema_diff(url) == []


def test_postgresql_migrations_match_models(pg_database):
    upgrade(pg_database)
    assert schema_diff(pg_database) == []
    engine = make_engine(pg_database)
    with engine.connect() as conn:
        kind = conn.execute(
            text(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name='alerts' AND column_name='evidence'"
            )
        ).scalar()
    engine.dispose()
    assert kind == "jsonb"


def test_auto_migrate_upgrades(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'auto.db'}")
    ensure_migrated(engine, auto_migrate=True)
    ensure_migrated(engine)
    engine.dispose()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.needs_pg)]
)
def test_positions_dedup_key_migrates_both_ways(backend, tmp_path, request):
    """0003 moves de-duplication to (flight_id, observed_at); its downgrade restores the old key."""
    from alembic import command

    from service.store.db import alembic_config

    url = (
        f"sqlite:///{tmp_path / 'p.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_database")
    )
    upgrade(url)
    engine = make_engine(url)
    insert = text(
        "INSERT INTO positions (flight_id, icao24, observed_at, lon, lat, on_ground, source) "
        "VALUES (:f, 'abcdef', :t, 1, 2, false, 'x')"
    )
    t1, t2 = "2025-11-21 10:00:00+00:00", "2025-11-21 10:00:10+00:00"
    with engine.begin() as conn:
        for flight, at in (("a", t1), ("a", t2), ("b", t2)):  # same aircraft+time, two flights
            conn.execute(insert, {"f": flight, "t": at})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert, {"f": "a", "t": t1})  # a repeat within one flight is refused

    def count() -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM positions")).scalar_one()

    config = alembic_config(url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0002")
    assert count() == 2  # the (aircraft, time) duplicate went; the old constraint is back
    upgrade(url)
    assert count() == 2 and schema_diff(url) == []
    engine.dispose()
