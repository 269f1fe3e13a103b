from datetime import UTC, datetime, timedelta

import pytest

from service.config import DetectionSettings
from service.detect.status import NotamSignal, StatusTracker
from service.domain import AirspaceStatus, AlertType

T0 = datetime(2025, 11, 21, 12, 0, tzinfo=UTC)


def tracker(**kw) -> StatusTracker:
    settings = DetectionSettings(
        expected_foreign={"SVZM": 10}, enter_polls=2, exit_polls=3, collapse_ratio=0.2,
        recover_ratio=0.5, **kw,
    )  # fmt: skip
    return StatusTracker("SVZM", settings)


def feed(t: StatusTracker, counts: list[tuple[int, int]], start: datetime = T0):
    events = []
    statuses = []
    for i, (foreign, domestic) in enumerate(counts):
        at = start + timedelta(minutes=5 * i)
        events += t.observe_traffic(at, foreign, domestic)
        events += t.evaluate(at)
        statuses.append(t.status)
    return events, statuses


def test_one_empty_poll_does_not_flap():
    t = tracker()
    events, statuses = feed(t, [(10, 2), (0, 2), (9, 2), (0, 2), (11, 2)])
    assert set(statuses) == {AirspaceStatus.NORMAL}
    assert events == []


def test_collapse_enters_after_enter_polls_and_leaves_after_exit_polls():
    t = tracker()
    _, statuses = feed(
        t, [(10, 2), (1, 2), (0, 2), (0, 2), (6, 2), (7, 2), (3, 2), (6, 2), (6, 2), (6, 2)]
    )
    assert statuses[:2] == [AirspaceStatus.NORMAL, AirspaceStatus.NORMAL]
    assert statuses[2] == AirspaceStatus.RESTRICTED  # second poll at/below 0.2 x 10
    # 3 in the hysteresis band resets the recovery count: needs 3 consecutive >= 5
    assert statuses[6] == AirspaceStatus.RESTRICTED
    assert statuses[8] == AirspaceStatus.RESTRICTED
    assert statuses[9] == AirspaceStatus.NORMAL


def test_total_silence_is_closed_and_carries_evidence():
    t = tracker()
    events, statuses = feed(t, [(10, 2), (0, 0), (0, 0), (0, 0), (0, 0), (0, 0), (0, 0)])
    assert statuses[2] == AirspaceStatus.RESTRICTED  # collapsed, but silence is still short
    assert statuses[-1] == AirspaceStatus.CLOSED  # six silent polls in a row
    changed = [e for e in events if e.type == AlertType.AIRSPACE_STATUS_CHANGED and not e.resolved]
    assert changed[-1].evidence["foreign_count"] == 0
    assert changed[-1].evidence["baseline_foreign"] == 10
    assert any(e.type == AlertType.AIRSPACE_TRAFFIC_COLLAPSE for e in events)


def test_notam_warning_gives_advisory_and_is_resolved_when_it_lapses():
    t = tracker()
    feed(t, [(10, 2)])
    t.notam = NotamSignal(AirspaceStatus.ADVISORY, ["A0012/25"], ["security"])
    events = t.evaluate(T0 + timedelta(hours=1))
    assert t.status == AirspaceStatus.ADVISORY
    assert events[-1].evidence["notam_ids"] == ["A0012/25"]
    t.notam = NotamSignal()
    events = t.evaluate(T0 + timedelta(hours=2))
    assert t.status == AirspaceStatus.NORMAL
    assert [e.resolved for e in events] == [True, False]


def test_baseline_learns_same_hour_of_week_and_ignores_collapsed_periods():
    t = tracker(baseline_min_samples=3)
    for week in range(1, 4):
        at = T0 - timedelta(days=7 * week)
        t.observe_traffic(at, 20, 0)
    baseline, source = t.baseline(T0)
    assert baseline == pytest.approx(20)
    assert "median" in source
    # another hour of the week has no history: the configured expectation applies
    assert t.baseline(T0 + timedelta(hours=3)) == (10.0, "configured expectation")
