"""Retention removes old positions and samples by data time and keeps everything else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from service.config import RetentionSettings
from service.housekeeping import apply_retention
from service.store.models import PositionRow, TrafficSampleRow

T0 = datetime(2025, 11, 21, 18, 0, tzinfo=UTC)


def test_retention_by_data_time(sessions):
    with sessions.begin() as s:
        for days in (0, 5, 20, 70):
            at = T0 - timedelta(days=days)
            s.add(
                PositionRow(
                    icao24="484b2a",
                    observed_at=at,
                    lon=-62.0,
                    lat=13.0,
                    on_ground=False,
                    source="opensky",
                )
            )
            s.add(
                TrafficSampleRow(
                    airspace="SVZM",
                    observed_at=at,
                    source="opensky",
                    foreign_count=1,
                    domestic_count=1,
                )
            )
    report = apply_retention(sessions, T0, RetentionSettings(positions_days=14))
    assert (report.positions, report.traffic_samples) == (2, 1)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(PositionRow)) == 2
        assert s.scalar(select(func.count()).select_from(TrafficSampleRow)) == 3
    assert apply_retention(sessions, None, RetentionSettings()).positions == 0
