"""Bulk rows on SQLite go to the driver directly; the tables must read as through SQLAlchemy.

``execute_rows`` builds the driver's parameter tuples itself (SQLAlchemy's own bind
processors and column defaults), because SQLAlchemy's per-row handling cost more than
SQLite's work for a global poll.  Positions (insert, ignore duplicates) and flights (upsert,
``first_seen`` kept, ``evaluation`` defaulted) written both ways must give identical rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from service.ingest import _insert_ignore_statement, _upsert_statement, execute_rows
from service.store.db import make_engine, make_sessionmaker, upgrade
from service.store.models import FlightRow, PositionRow

T0 = datetime(2025, 11, 21, 12, 0, 0, 123456, tzinfo=UTC)


def positions(k: int) -> list[dict]:
    return [
        {
            "flight_id": f"abc{i:03d}-x",
            "icao24": f"abc{i:03d}",
            "callsign": None if i % 3 else "KLM1",
            "observed_at": T0 + timedelta(seconds=10 * k),
            "lon": -66.0 + i / 7,
            "lat": 10.0,
            "altitude_ft": None if i % 4 == 0 else 35000.5,
            "on_ground": i % 5 == 0,
            "ground_speed_kt": 450.25,
            "track_deg": None,
            "source": "opensky",
            "airspace": "SVZM" if i % 2 else None,
        }
        for i in range(20)
    ]


def flights(k: int) -> list[dict]:
    return [
        {
            "id": f"abc{i:03d}-x",
            "icao24": f"abc{i:03d}",
            "callsign": "KLM1",
            "domestic": i % 2 == 0,
            "first_seen": T0 + timedelta(seconds=k),
            "last_seen": T0 + timedelta(seconds=10 * k),
            "origin": None,
            "destination": "TNCC",
            "actual_destination": None,
            "route_source": "track",
            "state": "airborne",
            "position_count": k + i,
            "track_km": 12.5 * k,
            "airspaces": ["SVZM"] if i % 2 else [],
        }
        for i in range(20)
    ]


def write(url: str, direct: bool) -> dict[str, list]:
    upgrade(url)
    engine = make_engine(url)
    for k in range(3):
        with make_sessionmaker(engine).begin() as session:
            for stmt, rows in (
                (_insert_ignore_statement("sqlite", PositionRow.__table__), positions(min(k, 1))),
                (
                    _upsert_statement(
                        "sqlite", FlightRow.__table__, tuple(flights(0)[0]), ("first_seen",)
                    ),
                    flights(k),
                ),
            ):
                if direct:
                    execute_rows(session, stmt, rows)
                else:
                    session.connection().execute(stmt, rows)
    with engine.connect() as connection:
        out = {
            t: [tuple(r) for r in connection.execute(text(f"select * from {t} order by 1"))]
            for t in ("positions", "flights")
        }
    engine.dispose()
    return out


def test_direct_rows_read_as_sqlalchemy_wrote_them(tmp_path):
    direct = write(f"sqlite:///{tmp_path / 'direct.db'}", direct=True)
    assert direct == write(f"sqlite:///{tmp_path / 'orm.db'}", direct=False)
    assert len(direct["positions"]) == 40 and len(direct["flights"]) == 20  # duplicates ignored
    first = direct["flights"][0]
    assert "2025-11-21 12:00:00.123456" in first and "{}" in first  # first_seen kept, default
