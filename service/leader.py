"""Scheduler leader election: exactly one replica polls the feeds.

On PostgreSQL the leader holds a session-level advisory lock on a connection of
its own.  If the process dies, PostgreSQL ends the session and frees the lock,
and a standby takes it on its next check (``leader_check_s``).  The leader
checks its connection each round too: if the database dropped it, the lock is
gone and it steps down before another replica can start a second scheduler.
SQLite serves one process, which is always the leader.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Engine, text

log = logging.getLogger("firwatch.leader")

LOCK_KEY = 0x66697277  # "firw": one lock per database


class LeaderElector:
    def __init__(self, engine: Engine, key: int = LOCK_KEY):
        self.engine = engine
        self.key = key
        self._conn: Connection | None = None
        self.single_process = engine.dialect.name != "postgresql"
        # why the last try_acquire/probe could not reach the database (None: it could)
        self.unreachable: BaseException | None = None

    @property
    def is_leader(self) -> bool:
        return self.single_process or self._conn is not None

    def try_acquire(self) -> bool:
        if self.is_leader:
            return True
        try:
            conn = self.engine.connect()
        except Exception as exc:  # the caller logs an outage once, not every round
            self.unreachable = exc
            return False
        self.unreachable = None
        try:
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            )
            conn.commit()
        except Exception:
            conn.close()
            return False
        if got:
            self._conn = conn
            log.info("this process is now the scheduler leader")
        else:
            conn.close()
        return got

    def still_leader(self) -> bool:
        """True while the lock's connection is alive; steps down when it is not."""
        if self.single_process:
            return True
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
            return True
        except Exception:
            log.warning("lost the database session holding the leader lock")
            self._drop()
            return False

    def probe(self) -> bool:
        """Whether the database answers at all (sets :attr:`unreachable`)."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            self.unreachable = exc
            return False
        self.unreachable = None
        return True

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            self._conn.commit()
        except Exception:
            pass  # the session is gone, and with it the lock
        self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except Exception:
                pass
