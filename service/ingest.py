"""Persist what detection produced, in the caller's transaction.

Positions and traffic samples go in as bulk ``INSERT … ON CONFLICT DO NOTHING``
(overlapping feeds and replays repeat rows); flights and statuses are upserted;
alerts go through :func:`service.store.alerts.save_alert_events`, which writes
the webhook outbox in the same transaction.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.detect.engine import DetectionEngine, IngestResult
from service.detect.tracks import ActiveFlight, airborne_km_many
from service.domain import Notam
from service.store.alerts import save_alert_events
from service.store.models import (
    AirspaceStatusRow,
    FeedHealthRow,
    FlightRow,
    NotamRow,
    PositionRow,
    RouteFiguresRow,
    TrafficSampleRow,
)


def _insert(session: Session):
    return _insert_for(session.get_bind().dialect.name)


def _insert_for(dialect: str):
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def insert_ignore(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk insert, skipping rows that collide with a unique constraint.

    One cached statement executed with a list of parameter sets (SQLAlchemy batches
    it into multi-row INSERTs), rather than a statement compiled per batch.
    """
    if rows:
        dialect = session.get_bind().dialect.name
        execute_rows(session, _insert_ignore_statement(dialect, table), rows)


@lru_cache(maxsize=64)
def _insert_ignore_statement(dialect: str, table: Table):
    return _insert_for(dialect)(table).on_conflict_do_nothing()


def upsert(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], keep: Sequence[str] = ()
) -> None:
    """Bulk INSERT … ON CONFLICT (primary key) DO UPDATE, leaving the ``keep`` columns as stored."""
    if rows:
        stmt = _upsert_statement(
            session.get_bind().dialect.name, table, tuple(rows[0]), tuple(keep)
        )
        execute_rows(session, stmt, rows)


def execute_rows(session: Session, stmt: Any, rows: Sequence[dict[str, Any]]) -> None:
    """``stmt`` executed once per row (every row has the first row's keys).

    On SQLite the rows go to the driver's ``executemany`` as tuples built by column, with
    the same bind processors and column defaults SQLAlchemy would apply: its per-row
    parameter handling cost more than SQLite's own work for a poll's ~1,000 position and
    ~700 flight rows.  Other databases, and statements this cannot plan, go through
    SQLAlchemy.
    """
    connection = session.connection()
    plan = _sqlite_plan(connection.dialect, stmt, tuple(rows[0]))
    if plan is None:
        connection.execute(stmt, list(rows))
        return
    sql, columns = plan
    n = len(rows)
    values: list[list[Any]] = []
    for key, default, process in columns:
        if key is None:  # a column default, as SQLAlchemy fills a column the rows lack
            column = [default() for _ in range(n)] if callable(default) else [default] * n
        else:
            column = [row[key] for row in rows]
        values.append(list(map(process, column)) if process is not None else column)
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, list(zip(*values, strict=True)))
    finally:
        cursor.close()


_PLANS: dict[tuple[Any, ...], Any] = {}


def _sqlite_plan(dialect: Any, stmt: Any, keys: tuple[str, ...]) -> Any:
    """(SQL, [(row key or None, default, bind processor)] in parameter order), or None."""
    if dialect.name != "sqlite" or dialect.paramstyle != "qmark":
        return None
    cache_key = (id(dialect), id(stmt), keys)
    if cache_key in _PLANS:
        return _PLANS[cache_key][2]
    if len(_PLANS) > 256:  # statements are cached per shape; engines come and go in tests
        _PLANS.clear()
    compiled = stmt.compile(dialect=dialect, column_keys=list(keys))
    plan: Any = None
    order = compiled.positiontup or []
    prefetch = {c.key: c for c in compiled.insert_prefetch}
    if not compiled.postfetch and not compiled.returning and len(order) == len(set(order)):
        columns: list[tuple[str | None, Any, Any]] = []
        for name in order:
            bind = compiled.binds[name]
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if name in keys:
                columns.append((name, None, process))
                continue
            column = prefetch.get(name)
            default = column.default if column is not None else None
            if default is None or not (default.is_scalar or default.is_callable):
                break
            arg = default.arg
            columns.append((None, (lambda a=arg: a(None)) if default.is_callable else arg, process))
        else:
            plan = (compiled.string, columns)
    _PLANS[cache_key] = (stmt, dialect, plan)  # both kept alive, so their ids stay their own
    return plan


@lru_cache(maxsize=64)
def _upsert_statement(dialect: str, table: Table, columns: tuple[str, ...], keep: tuple[str, ...]):
    """Built once per shape: constructing ``excluded`` proxies every poll cost ~7 ms."""
    stmt = _insert_for(dialect)(table)
    key = [c.name for c in table.primary_key.columns]
    updated = [c for c in columns if c not in key and c not in keep]
    return stmt.on_conflict_do_update(
        index_elements=key, set_={c: stmt.excluded[c] for c in updated}
    )


# An airborne flight's row (last_seen, counts, track length) is rewritten at most this often;
# new flights, landings, losses and assessments are written at once.  A global snapshot
# touches 12,000 flights every poll, and rewriting all of them each time dominated ingest.
FLIGHT_REFRESH = timedelta(minutes=2)


@lru_cache(maxsize=65536)
def _spread(flight_id: str) -> timedelta:
    """Up to two extra minutes, fixed per flight, so refreshes do not all fall on one poll."""
    return timedelta(seconds=zlib.crc32(flight_id.encode()) % 120)


def _flight_values(
    engine: DetectionEngine,
    flight: ActiveFlight,
    assessment,
    finished: bool = False,
    track_km: float | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "icao24": flight.icao24,
        "callsign": flight.callsign,
        "domestic": flight.domestic,
        "first_seen": flight.first_seen,
        "last_seen": flight.last_seen,
        "origin": flight.origin,
        "destination": flight.destination,
        "actual_destination": flight.landed_at,
        "route_source": flight.route.source
        if flight.route
        else ("track" if flight.origin else None),
        "state": flight.state,
        "position_count": len(flight.points),
        "track_km": round(flight.airborne_km() if track_km is None else track_km, 1),
        "airspaces": sorted(flight.airspaces),
    }
    if finished:  # detection's judgement, written once (see persist)
        evaluation: dict[str, Any] = {
            "landing": flight.landing_evidence,
            "landed_time": flight.landed_time.isoformat() if flight.landed_time else None,
            "rejected_reports": flight.rejected,
        }
        if assessment is not None:
            evaluation.update(
                flown_km=round(assessment.flown_km, 1),
                crossed=list(assessment.crossed),
                avoided=list(assessment.avoided),
            )
        values.update(
            great_circle_km=round(assessment.great_circle_km, 1) if assessment else None,
            extra_distance_km=round(assessment.extra_km, 1) if assessment else None,
            evaluation=evaluation,
        )
    return values


def persist(session: Session, engine: DetectionEngine, result: IngestResult, now: datetime) -> list:
    """Write one ingest result; returns the alert rows created or changed."""
    insert_ignore(session, PositionRow.__table__, result.positions)
    insert_ignore(session, TrafficSampleRow.__table__, result.samples)
    flights, assessed = [], []
    due: list[tuple[str, Any]] = []
    data_time = result.data_time
    for flight_id, update in result.flights.items():
        flight = update.flight
        written = flight.persisted
        if (
            written is not None
            and not update.finished
            and written[1] == flight.state
            and data_time - written[0] < FLIGHT_REFRESH + _spread(flight_id)
        ):
            continue  # unchanged but for its newest position: refreshed every few minutes
        flight.persisted = (data_time, flight.state)
        due.append((flight_id, update))
    # every due row's track length in one geodesic call (a global poll refreshes hundreds)
    kms = airborne_km_many([update.flight for _, update in due])
    for (flight_id, update), km in zip(due, kms, strict=True):
        values = {
            "id": flight_id,
            **_flight_values(engine, update.flight, update.assessment, update.finished, km),
        }
        # detection judges a flight once, when it ends; a later refresh of the same row
        # (a report after the landing, the periodic rewrite) leaves that judgement as stored
        (assessed if update.finished else flights).append(values)
    upsert(session, FlightRow.__table__, flights, keep=("first_seen",))
    upsert(session, FlightRow.__table__, assessed, keep=("first_seen",))
    upsert(
        session,
        RouteFiguresRow.__table__,
        [
            {"origin": o, "destination": d, "updated_at": result.data_time, "figures": figures}
            for (o, d), figures in result.route_figures.items()
        ],
    )
    for tracker in result.statuses:
        row = session.get(AirspaceStatusRow, tracker.airspace)
        counts = tracker.last_counts or (None, None)
        values = {
            "status": tracker.status.value,
            "since": tracker.since or result.data_time,
            "updated_at": result.data_time,
            "foreign_count": counts[0],
            "domestic_count": counts[1],
            "baseline_foreign": tracker.last_baseline[0],
            "evidence": tracker.evidence(),
        }
        if row is None:
            session.add(AirspaceStatusRow(airspace=tracker.airspace, **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
    session.flush()
    return save_alert_events(session, result.alerts, now)


def save_notams(session: Session, notams: Sequence[Notam], fetched_at: datetime) -> int:
    """Upsert NOTAM rows; returns how many were new."""
    new = 0
    for notam in notams:
        values = {
            "number": notam.number,
            "kind": notam.kind,
            "ref": notam.ref,
            "fir": notam.fir,
            "locations": list(notam.locations),
            "qcode": notam.qcode,
            "classification": notam.classification.value,
            "classification_reason": notam.classification_reason,
            "source_classification": notam.source_classification,
            "valid_from": notam.valid_from,
            "valid_to": notam.valid_to,
            "valid_to_estimated": notam.valid_to_estimated,
            "permanent": notam.permanent,
            "schedule": notam.schedule,
            "lower": notam.lower,
            "upper": notam.upper,
            "floor_ft": notam.band.floor_ft,
            "ceiling_ft": notam.band.ceiling_ft,
            "text": notam.text,
            "raw_text": notam.raw_text,
            "geometry": notam.geometry,
            "problems": list(notam.problems),
            "issued_at": notam.issued_at,
            "fetched_at": fetched_at,
            "withdrawn_at": notam.withdrawn_at,
        }
        row = session.get(NotamRow, notam.id)
        if row is None:
            session.add(NotamRow(id=notam.id, **values))
            new += 1
        else:
            for key, value in values.items():
                setattr(row, key, value)
    session.flush()
    return new


def mark_notams_withdrawn(session: Session, withdrawn: Sequence[Notam]) -> None:
    """Record that the source stopped publishing these NOTAMs (their last fetch stays as it was)."""
    for notam in withdrawn:
        row = session.get(NotamRow, notam.id)
        if row is not None:
            row.withdrawn_at = notam.withdrawn_at
    session.flush()


def record_feed_health(
    session: Session,
    feed: str,
    at: datetime,
    *,
    error: str | None = None,
    rejected: int = 0,
    credits_remaining: int | None = None,
) -> None:
    row = session.get(FeedHealthRow, feed)
    if row is None:
        row = FeedHealthRow(feed=feed, polls=0, failures=0, rejected=0)
        session.add(row)
    row.polls = (row.polls or 0) + 1
    row.rejected = (row.rejected or 0) + rejected
    if credits_remaining is not None:
        row.credits_remaining = credits_remaining
    if error is None:
        row.last_success_at = at
    else:
        row.failures = (row.failures or 0) + 1
        row.last_error_at = at
        row.last_error = error[:500]


def notam_from_row(row: NotamRow) -> Notam:
    from service.domain import AltitudeBand, NotamClass

    return Notam(
        id=row.id,
        number=row.number,
        raw_text=row.raw_text,
        kind=row.kind,
        ref=row.ref,
        fir=row.fir,
        locations=tuple(row.locations or ()),
        qcode=row.qcode,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        valid_to_estimated=row.valid_to_estimated,
        permanent=row.permanent,
        schedule=row.schedule,
        text=row.text,
        lower=row.lower,
        upper=row.upper,
        band=AltitudeBand(row.floor_ft or 0.0, row.ceiling_ft),
        classification=NotamClass(row.classification),
        classification_reason=row.classification_reason,
        geometry=row.geometry,
        source_classification=row.source_classification,
        issued_at=row.issued_at,
        problems=tuple(row.problems or ()),
        withdrawn_at=row.withdrawn_at,
    )
