"""How a recording is cut back into polls, and how the scheduler stops mid-poll."""

from __future__ import annotations

import asyncio
import itertools
import logging
from datetime import UTC, datetime, timedelta

from service.poll_scheduler import PollScheduler
from service.recording_format import Exchange, number_or_text
from service.replay import poll_rounds

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LINE = itertools.count(1)


def rec(source: str, seconds: float, path: str, status: int = 200, **params) -> Exchange:
    return Exchange(
        line_no=next(LINE),
        offset=0,
        length=0,
        source=source,
        fetched_at=T0 + timedelta(seconds=seconds),
        method="GET",
        path=path,
        params={k: number_or_text(v) for k, v in params.items()},
        status=status,
        error=None,
        headers={},
    )


def names(rounds: list[list[Exchange]]) -> list[str]:
    return [",".join(f"{r.source}@{r.fetched_at.second}" for r in group) for group in rounds]


def test_interleaved_feeds_stay_whole_polls():
    """opensky and adsbx start together every five minutes: their exchanges interleave."""
    records = [
        rec("adsbx", 0, "/v2/point/12.2/-69.0/250"),
        rec("faa_notam", 0, "/notamapi/v1/notams", icaoLocation="SVZM", pageNum=1),
        rec("opensky", 1, "/api/states/all", lamin=-10),
        rec("adsbx", 1, "/v2/point/8.0/-66.0/250"),
        rec("faa_notam", 2, "/notamapi/v1/notams", icaoLocation="TNCF", pageNum=1),
        # the next adsbx poll asks the first point again: a new round, gap or no gap
        rec("adsbx", 5, "/v2/point/12.2/-69.0/250"),
        rec("adsbx", 6, "/v2/point/8.0/-66.0/250"),
    ]
    assert names(poll_rounds(records)) == [
        "opensky@1",
        "adsbx@0,adsbx@1",
        "faa_notam@0,faa_notam@2",
        "adsbx@5,adsbx@6",
    ]


def test_a_retry_belongs_to_its_poll_and_a_gap_ends_one():
    records = [
        rec("opensky", 0, "/api/states/all", status=401, lamin=-10),
        rec("opensky", 1, "/api/states/all", lamin=-10),  # after the token refresh
        rec("opensky", 40, "/api/states/all", status=503, lamin=-10),
        rec("opensky", 80, "/api/states/all", status=503, lamin=-10),  # 40 s later: next poll
    ]
    assert names(poll_rounds(records)) == ["opensky@0,opensky@1", "opensky@40", "opensky@20"]


def test_parameters_compare_as_numbers():
    """A box written as integers by one tool and as floats by another is the same request:
    asking it again after a success begins the next poll."""
    records = [
        rec("opensky", 0, "/api/states/all", lamin=-10, lomin=-85, lamax=27, lomax=-50),
        rec("opensky", 5, "/api/states/all", lamin="-10.0", lomin=-85.0, lamax="27", lomax=-50),
    ]
    assert names(poll_rounds(records)) == ["opensky@0", "opensky@5"]


async def test_stop_lets_a_running_poll_finish():
    scheduler = PollScheduler(timezone=UTC)
    finished: list[str] = []
    started = asyncio.Event()

    async def poll() -> None:
        started.set()
        await asyncio.sleep(0.3)  # the poll's work, still running when stop() is called
        finished.append("poll")

    scheduler.add_job(poll, "interval", seconds=60, next_run_time=datetime.now(UTC))
    scheduler.start()
    await asyncio.wait_for(started.wait(), 5)
    assert not finished
    await scheduler.stop(timeout_s=5)
    assert finished == ["poll"] and not scheduler.running


async def test_stop_cancels_a_poll_that_overruns(caplog):
    scheduler = PollScheduler(timezone=UTC)
    cancelled, started = asyncio.Event(), asyncio.Event()

    async def stuck() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    scheduler.add_job(stuck, "interval", seconds=60, next_run_time=datetime.now(UTC))
    scheduler.start()
    await asyncio.wait_for(started.wait(), 5)
    with caplog.at_level(logging.WARNING, logger="firwatch.jobs"):
        await scheduler.stop(timeout_s=0.2)
    await asyncio.wait_for(cancelled.wait(), 2)
    assert "1 job(s) still running after 0.2 s: cancelled" in caplog.text
