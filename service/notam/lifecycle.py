"""Which NOTAMs are in force at a given time: replacements, cancellations, expiry, schedules.

A NOTAMR supersedes the NOTAM it names from its own start; a NOTAMC ends it and
is never itself in force.  An estimated end (``EST``) is not an expiry: ICAO
requires a NOTAMR or NOTAMC to follow it, so such a NOTAM stays in force until
one arrives.  Item D schedules in the common forms (``DAILY 0600-1800``,
``MON-FRI 0600-1800``, ``SUN-THU 0300-1900, FRI 0300-1300``, ``H24``) restrict
activity to their windows; a schedule we cannot read (dates, ``LMT`` local
times, ``EXC`` exceptions) leaves the NOTAM in force for its whole validity,
which errs on the side of warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from service.domain import Notam, ensure_utc

DAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
ALL_DAY = (0, 24 * 60)
TOKEN = re.compile(
    r"(?P<days>(?:MON|TUE|WED|THU|FRI|SAT|SUN)(?:-(?:MON|TUE|WED|THU|FRI|SAT|SUN))?)"
    r"|(?P<daily>DAILY)|(?P<h24>H24|SR-SS|SR\s*-\s*SS)"
    r"|(?P<window>(?P<a>\d{4})\s?-\s?(?P<b>\d{4}))"
    r"|(?P<filler>EVERY|AND|,|&)"
    r"|(?P<other>\S+)"
)


def normalise_number(number: str | None) -> str:
    """Compare NOTAM numbers written with or without padding and spaces.

    >>> normalise_number(" a12/25"), normalise_number("A0012/25"), normalise_number("FDC 5/9106")
    ('A0012/25', 'A0012/25', 'FDC5/9106')
    """
    text = re.sub(r"\s+", "", (number or "").upper())
    m = re.fullmatch(r"([A-Z])(\d{1,4})/(\d{2})", text)
    return f"{m[1]}{int(m[2]):04d}/{m[3]}" if m else text


def _parse_schedule(text: str) -> list[tuple[set[int] | None, list[tuple[int, int]]]] | None:
    """Groups of (weekdays or None for every day, minute windows); None when unreadable."""
    groups: list[tuple[set[int] | None, list[tuple[int, int]]]] = []
    days: set[int] | None = None
    windows: list[tuple[int, int]] = []
    for m in TOKEN.finditer(text):
        if m["days"] or m["daily"]:
            if windows:
                groups.append((days, windows))
                days, windows = None, []
            if m["daily"]:
                days = set(range(7))
            else:
                first, _, last = m["days"].partition("-")
                a, b = DAYS.index(first), DAYS.index(last or first)
                days = (days or set()) | {(a + i) % 7 for i in range((b - a) % 7 + 1)}
        elif m["h24"]:
            windows.append(ALL_DAY)
        elif m["window"]:
            a, b = int(m["a"]), int(m["b"])
            if a % 100 >= 60 or b % 100 >= 60 or a > 2400 or b > 2400:
                return None
            windows.append((a // 100 * 60 + a % 100, b // 100 * 60 + b % 100))
        elif m["other"]:
            return None
    if windows:
        groups.append((days, windows))
    return groups or None


def schedule_active(schedule: str | None, at: datetime) -> bool:
    """Whether ``at`` falls in a readable item-D schedule (unreadable → True).

    >>> from datetime import UTC
    >>> t = datetime(2025, 11, 21, 12, 0, tzinfo=UTC)  # a Friday
    >>> schedule_active("DAILY 0600-1800", t), schedule_active("DAILY 1900-2300", t)
    (True, False)
    >>> schedule_active("MON-THU 0600-1800", t), schedule_active("FRI 1000-1300", t)
    (False, True)
    >>> schedule_active("SUN-THU 0300-1900, FRI 0300-1100, SAT 1700-1900", t)
    False
    >>> schedule_active("DAILY 2200-0600", datetime(2025, 11, 21, 23, 0, tzinfo=UTC))
    True
    >>> schedule_active("APR 03 07 12 0730 TO 1500", t), schedule_active("SR-SS", t)
    (True, True)
    """
    if not schedule or not schedule.strip():
        return True
    groups = _parse_schedule(" ".join(schedule.upper().split()))
    if groups is None:
        return True
    at = ensure_utc(at)
    today, minute = at.weekday(), at.hour * 60 + at.minute
    yesterday = (at - timedelta(days=1)).weekday()
    for days, windows in groups:
        for a, b in windows:
            if a < b:
                if (days is None or today in days) and a <= minute < b:
                    return True
            elif a > b:  # crosses midnight: the evening part today, the morning part tomorrow
                if (days is None or today in days) and minute >= a:
                    return True
                if (days is None or yesterday in days) and minute < b:
                    return True
            else:
                return True  # 0000-0000 or similar: all day
    return False


def in_validity(notam: Notam, at: datetime) -> bool:
    """Within B)–C), where an estimated end does not expire the NOTAM."""
    if notam.valid_to_estimated and notam.kind != "C":
        return notam.valid_from is None or notam.valid_from <= at
    return notam.active_at(at)


def active_set(notams: Iterable[Notam], at: datetime) -> list[Notam]:
    """NOTAMs in force at ``at``: not replaced, not cancelled, within validity and schedule.

    >>> from datetime import UTC
    >>> t0 = datetime(2025, 11, 21, 12, tzinfo=UTC)
    >>> old = Notam(id="1", number="A0001/25", raw_text="", valid_from=t0)
    >>> cancel = Notam(id="2", number="A0002/25", raw_text="", kind="C", ref="A1/25", valid_from=t0)
    >>> [n.id for n in active_set([old], t0)], active_set([old, cancel], t0)
    (['1'], [])
    """
    at = ensure_utc(at)
    notams = list(notams)
    ended: set[str] = set()
    for n in notams:
        if n.kind in ("R", "C") and n.ref and (n.valid_from is None or n.valid_from <= at):
            ended.add(normalise_number(n.ref))
    return [
        n
        for n in notams
        if n.kind != "C"
        and normalise_number(n.number) not in ended
        and in_validity(n, at)
        and schedule_active(n.schedule, at)
    ]
