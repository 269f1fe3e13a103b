"""Shared fixtures: settings on a throw-away database, a migrated session factory.

``FIRWATCH_TEST_DB=postgresql`` runs every database test on PostgreSQL (the server
at ``FIRWATCH_TEST_PG_URL``, default 127.0.0.1:5432/test as postgres): one database
per run (per xdist worker) is created, migrated once, emptied after each test and
dropped at the end.  The default is a SQLite file per test, copied from one file
migrated once per run (per worker): Alembic costs ~0.2 s a database, a copy ~1 ms.

Tiers are derived, not hand-kept, so a new test lands in the right pass by itself:
a test that uses ``database_url`` (directly or through ``settings``/``sessions``) is
marked ``postgres`` and runs again in the PostgreSQL pass; one that uses
``pg_database`` needs the PostgreSQL server in every pass and is marked ``needs_pg``.
``browser`` (Chromium) and ``slow`` are set by the modules themselves.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings, load_settings
from service.store.db import make_engine, make_sessionmaker, upgrade
from service.store.models import Base
from tests.support import Receiver, ThreadedServer

ROOT = Path(__file__).resolve().parents[1]
TEST_DB = os.environ.get("FIRWATCH_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get(
    "FIRWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def create_pg_database(template: str | None = None) -> str:
    """A new database on the test server; a copy of the database at ``template`` (a URL) if
    given, which then must have no other connection open."""
    name = f"firwatch_test_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template else ""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "database_url" in names or "venezuela_played" in names:
            item.add_marker(pytest.mark.postgres)
        if "pg_database" in names or "pg_url" in names:
            item.add_marker(pytest.mark.needs_pg)


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of this test's own (not migrated), dropped afterwards: for tests
    about PostgreSQL itself (replicas, outages, migrations), whatever ``FIRWATCH_TEST_DB`` says."""
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A PostgreSQL database migrated to head once per run (per xdist worker), never connected
    to after that: the template of :func:`pg_url`'s databases."""
    url = create_pg_database()
    try:
        upgrade(url)
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    """A migrated PostgreSQL database of this test's own (``CREATE DATABASE … TEMPLATE``, no
    Alembic run), dropped afterwards: for tests that need the server whatever
    ``FIRWATCH_TEST_DB`` says (replicas, outages)."""
    url = create_pg_database(template=pg_template)
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(scope="session")
def pg_run_url() -> Iterator[str | None]:
    if TEST_DB != "postgresql":
        yield None
        return
    url = create_pg_database()
    upgrade(url)
    yield url
    drop_pg_database(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per run: each test's database is a copy of it.
    The engine is disposed before copying, so the WAL is checkpointed into the file."""
    path = tmp_path_factory.mktemp("template") / "firwatch.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(
    tmp_path: Path, pg_run_url: str | None, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A migrated database of this test's own (SQLite), or the run's emptied one (PostgreSQL)."""
    if pg_run_url is None:
        path = tmp_path / "firwatch.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    yield pg_run_url
    engine = make_engine(pg_run_url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


def project_settings(database_url: str) -> Settings:
    """The project's config.yaml on ``database_url``, with the seeds of this checkout."""
    return load_settings(
        ROOT / "config.yaml",
        database_url=database_url,
        seeds_dir=str(ROOT / "seeds"),
        watch={"routes_file": str(ROOT / "seeds" / "watched_routes.yaml")},
        webhooks={"allow_private_targets": True},
        api={"cache_s": 0},  # tests change the data between requests; the cache has its own test
    )


@pytest.fixture
def settings(database_url: str) -> Settings:
    return project_settings(database_url)


@pytest.fixture
def sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    # the database is migrated already (database_url)
    engine = make_engine(settings.resolved_database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, ThreadedServer]]:
    """A webhook receiver on loopback (real HTTP)."""
    app = Receiver()
    with ThreadedServer(app) as server:
        yield app, server


@pytest.fixture(scope="session")
def venezuela_played(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[tuple[Settings, sessionmaker[Session]]]:
    """The Venezuela scenario polled every 5 minutes from start to end, without a restart
    (``play_scenario_polls``), once per run into a database of its own: the settings and
    sessions of that database.  For tests that only read what a plain run stores (a run costs
    ~10 s of CPU); they must not write to it.  On SQLite the xdist workers share one play
    (the first to ask plays it under a file lock, the others read the file); on PostgreSQL,
    in the PostgreSQL pass (such tests are marked ``postgres``), each worker plays its own."""
    from tests.support import play_scenario_polls

    def play(url: str) -> None:
        engine = make_engine(url)
        play_scenario_polls(project_settings(url), make_sessionmaker(engine), lambda at: None)
        engine.dispose()

    if TEST_DB == "postgresql":
        url = create_pg_database()
        upgrade(url)
        play(url)
    else:
        root = tmp_path_factory.getbasetemp()
        if os.environ.get("PYTEST_XDIST_WORKER"):
            root = root.parent  # the run's directory, above each worker's own
        path, done = root / "venezuela-played.db", root / "venezuela-played.done"
        url = f"sqlite:///{path}"
        with (root / "venezuela-played.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not done.exists():
                shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
                play(url)
                done.touch()
    settings = project_settings(url)
    engine = make_engine(settings.resolved_database_url)
    yield settings, make_sessionmaker(engine)
    engine.dispose()
    if TEST_DB == "postgresql":
        drop_pg_database(url)
