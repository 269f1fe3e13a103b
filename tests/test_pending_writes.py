"""The write queue's bounds and the outage log, without a feed: fake results, a real database."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

import service.pending_writes as pending_writes
from service.detect.engine import FlightUpdate, IngestResult
from service.detect.tracks import ActiveFlight
from service.domain import AlertEvent, AlertType, Severity
from service.metrics import Metrics
from service.outage import OutageLog
from service.pending_writes import FeedHealth, PendingWrite, PendingWrites
from service.store.models import AlertRow, FeedHealthRow

T0 = datetime(2025, 11, 21, 18, 0, tzinfo=UTC)


def fake_write(rng: random.Random, i: int, flights: dict[str, ActiveFlight]) -> PendingWrite:
    at = T0 + timedelta(seconds=10 * i)
    result = IngestResult(data_time=at)
    result.positions = [{"n": k} for k in range(rng.randint(50, 150))]
    for fid in rng.sample(sorted(flights), 5):
        result.flights[fid] = FlightUpdate(flights[fid])
    result.alerts = [
        AlertEvent(
            type=AlertType.FLIGHT_DIVERTED,
            severity=Severity.WARNING,
            dedup_key=f"flight.diverted:{i}",
            observed_at=at,
            title=str(i),
        )
    ]
    return PendingWrite(FeedHealth("opensky", at), result=result, engine=object())  # type: ignore[arg-type]


def test_bounded_queue_drops_oldest_positions_never_alerts(sessions):
    rng = random.Random(4)
    flights = {
        f"f{k}": ActiveFlight(
            id=f"f{k}",
            icao24=f"{k:06x}",
            callsign=None,
            domestic=False,
            first_seen=T0,
            last_seen=T0,
        )
        for k in range(12)
    }
    metrics = Metrics()
    queue = PendingWrites(sessions, lambda: T0, metrics, max_positions=1000)
    writes = [fake_write(rng, i, flights) for i in range(40)]
    for w in writes:
        queue.add(w)
    assert sum(w.positions for w in queue.queue) <= 1000
    assert writes[-1].positions > 0 and writes[0].positions == 0  # the oldest went first
    assert all(len(w.result.alerts) == 1 for w in writes)  # alert events are never dropped
    dropped = metrics.registry.get_sample_value(
        "firwatch_pending_write_losses_total", {"what": "positions"}
    )
    assert dropped == queue.positions_dropped > 0
    # each flight is written once, by the newest queued write that has it
    seen = [fid for w in queue.queue for fid in w.result.flights]
    assert len(seen) == len(set(seen))
    assert metrics.registry.get_sample_value("firwatch_pending_writes") == 40


def test_outage_then_in_order_flush(sessions, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="firwatch")
    down = True
    order: list[str] = []

    def persist(session, engine, result, now):
        if down:
            raise OperationalError("INSERT", {}, ConnectionRefusedError("refused"))
        from service.store.alerts import save_alert_events

        order.append(result.alerts[0].dedup_key)
        return save_alert_events(session, result.alerts, now)

    monkeypatch.setattr(pending_writes, "persist", persist)
    metrics = Metrics()
    outage = OutageLog("poll_opensky", metrics)
    queue = PendingWrites(sessions, lambda: T0, metrics)
    rng = random.Random(9)
    flights = {
        "f0": ActiveFlight(
            id="f0", icao24="000000", callsign=None, domestic=False, first_seen=T0, last_seen=T0
        )
    }
    for i in range(6):
        w = fake_write(rng, i, {**flights, **{f"x{k}": flights["f0"] for k in range(5)}})
        queue.add(w)
        assert queue.flush(outage) == []
    assert len(queue) == 6 and outage.down
    down = False
    written = queue.flush(outage)
    assert [a.dedup_key for a in written] == [f"flight.diverted:{i}" for i in range(6)]
    assert order == [f"flight.diverted:{i}" for i in range(6)] and len(queue) == 0
    with sessions() as s:
        assert len(s.scalars(select(AlertRow)).all()) == 6
        assert s.get(FeedHealthRow, "opensky").polls == 6
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("firwatch")]
    assert len(lines) == 2, lines
    assert "database unreachable" in lines[0] and "database back after" in lines[1]
    assert "(6 failed round(s)); 6 held write(s) stored in order" in lines[1]
    assert (
        metrics.registry.get_sample_value(
            "firwatch_database_outages_total", {"job": "poll_opensky"}
        )
        == 1
    )
