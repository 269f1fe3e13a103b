"""The active set: replacement, cancellation, expiry and item-D schedules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.domain import Notam
from service.notam.lifecycle import active_set

T = datetime(2025, 11, 21, 12, 0, tzinfo=UTC)  # a Friday


def notam(number, kind="N", ref=None, start=T - timedelta(days=1), end=T + timedelta(days=1), **kw):
    return Notam(id=number, number=number, raw_text="", kind=kind, ref=ref, valid_from=start,
                 valid_to=end, **kw)  # fmt: skip


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
