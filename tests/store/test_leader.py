"""Advisory-lock leader election on PostgreSQL: one leader, fast failover, step-down."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from service.leader import LeaderElector
from service.store.db import make_engine
from tests.conftest import create_pg_database, drop_pg_database


@pytest.fixture
def pg_engines():
    url = create_pg_database()
    engines = [make_engine(url), make_engine(url), make_engine(url)]
    yield engines
    for engine in engines:
        engine.dispose()
    drop_pg_database(url)


def test_one_leader_then_failover(pg_engines):
    a, b = LeaderElector(pg_engines[0]), LeaderElector(pg_engines[1])
    assert a.try_acquire() is True
    assert b.try_acquire() is False
    assert a.still_leader() and not b.is_leader
    # the leader's database session dies (as on SIGKILL of its process)
    pid = a._conn.execute(text("SELECT pg_backend_pid()")).scalar()
    with pg_engines[2].connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    # the server frees the lock once the backend has exited: a standby retries, as in _lead()
    deadline = time.monotonic() + 5
    while not b.try_acquire():
        assert time.monotonic() < deadline, "lock not released after the leader's session died"
        time.sleep(0.05)
    assert a.still_leader() is False  # steps down instead of running a second scheduler
    assert a.try_acquire() is False
    b.release()
    assert a.try_acquire() is True
    a.release()


def test_sqlite_is_always_leader(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    elector = LeaderElector(engine)
    assert elector.try_acquire() and elector.still_leader()
    engine.dispose()
