"""Retention: drop old positions and traffic samples in small batches.

The cut-off is measured from the newest data the detector has seen, not from the
wall clock, so replaying an old recording does not delete what it just wrote.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from service.config import RetentionSettings
from service.store.models import PositionRow, TrafficSampleRow

log = logging.getLogger("firwatch.housekeeping")

BATCH = 5000


@dataclass(slots=True)
class RetentionReport:
    positions: int = 0
    traffic_samples: int = 0


def _purge(sessions: sessionmaker[Session], model, column, cutoff: datetime) -> int:
    removed = 0
    while True:
        with sessions.begin() as session:
            ids = session.scalars(select(model.id).where(column < cutoff).limit(BATCH)).all()
            if not ids:
                return removed
            session.execute(delete(model).where(model.id.in_(ids)))
            removed += len(ids)


def apply_retention(
    sessions: sessionmaker[Session], data_time: datetime | None, settings: RetentionSettings
) -> RetentionReport:
    report = RetentionReport()
    if data_time is None:
        return report
    report.positions = _purge(
        sessions,
        PositionRow,
        PositionRow.observed_at,
        data_time - timedelta(days=settings.positions_days),
    )
    report.traffic_samples = _purge(
        sessions,
        TrafficSampleRow,
        TrafficSampleRow.observed_at,
        data_time - timedelta(days=settings.traffic_samples_days),
    )
    if report.positions or report.traffic_samples:
        log.info(
            "retention: %d positions and %d traffic samples removed",
            report.positions,
            report.traffic_samples,
        )
    return report
