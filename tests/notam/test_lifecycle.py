"""The active set: replacement, cancellation, expiry and item-D schedules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.domain import Notam
from service.notam.lifecycle import active_set

T = datetime(2025, 11, 21, 12, 0, tzinfo=UTC)  # a Friday


def notam(number, kind="N", ref=None, start=T - timedelta(days=1), end=T + timedelta(days=1), **kw):
    return Notam(
        id=number,
        number=number,
        raw_text="",
        kind=kind,
        ref=ref,
        valid_from=start,
        valid_to=end,
        **kw,
    )


def ids(notams, at=T):
    return sorted(n.id for n in active_set(notams, at))


def test_replace_cancel_expire():
    old = notam("A0001/25")
    new = notam("A0002/25", kind="R", ref="A0001/25", start=T - timedelta(hours=1))
    assert ids([old, new]) == ["A0002/25"]
    # before the replacement starts, the old one is still in force
    assert ids([old, new], T - timedelta(hours=2)) == ["A0001/25"]
    cancel = notam("A0003/25", kind="C", ref="A0002/25", start=T - timedelta(minutes=5), end=None)
    assert ids([old, new, cancel]) == []
    expired = notam("A0004/25", end=T - timedelta(minutes=1))
    perm = notam("A0005/25", end=None, permanent=True)
    assert ids([expired, perm]) == ["A0005/25"]


def test_schedules():
    daily = notam("A0010/25", schedule="DAILY 1000-1400")
    weekdays = notam("A0011/25", schedule="MON-THU 0600-1800")
    night = notam("A0012/25", schedule="DAILY 2200-0600")
    assert ids([daily, weekdays, night]) == ["A0010/25"]
    assert ids([daily, weekdays, night], T.replace(hour=23)) == ["A0012/25"]
    assert ids([weekdays], T - timedelta(days=1)) == ["A0011/25"]  # Thursday noon


def test_estimated_end_counts_until_replaced():
    est = notam("A0020/25", end=T - timedelta(hours=1), valid_to_estimated=True)
    assert ids([est]) == ["A0020/25"]
    replacement = notam("A0021/25", kind="R", ref="A20/25", start=T - timedelta(minutes=1))
    assert ids([est, replacement]) == ["A0021/25"]  # refs match however they are padded


def test_not_yet_started_and_cancel_is_never_active():
    future = notam("A0030/25", start=T + timedelta(hours=1))
    cancel = notam("A0031/25", kind="C", ref="A0099/25", end=None)
    assert ids([future, cancel]) == []
    assert ids([future, cancel], T + timedelta(hours=2)) == ["A0030/25"]


def test_multi_group_and_unreadable_schedules():
    week = T + timedelta(days=7)
    groups = notam("A0040/25", end=week, schedule="SUN-THU 0300-1900, FRI 0300-1300, SAT 1700-1900")
    local = notam("A0041/25", end=week, schedule="SUN-THU 0700-1400 1600-2000 LMT")
    dated = notam("A0042/25", end=week, schedule="APR 03 07 12 21 24 AND 28 0730 TO 1500")
    h24 = notam("A0043/25", end=week, schedule="MON-FRI H24")
    sunrise = notam("A0044/25", end=week, schedule="SR-SS")
    every = [groups, local, dated, h24, sunrise]
    assert ids(every) == ["A0040/25", "A0041/25", "A0042/25", "A0043/25", "A0044/25"]
    assert ids(every, T.replace(hour=15)) == ["A0041/25", "A0042/25", "A0043/25", "A0044/25"]
    saturday = T + timedelta(days=1)
    assert ids(every, saturday.replace(hour=18)) == ["A0040/25", "A0041/25", "A0042/25", "A0044/25"]
