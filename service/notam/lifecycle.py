"""Which NOTAMs are in force at a given time: replacements, cancellations, expiry, schedules.

A NOTAMR supersedes the NOTAM it names from its own start; a NOTAMC ends it and
is never itself in force; an estimated end (EST) counts until replaced.  Item D
schedules in the common forms (``DAILY 0600-1800``, ``MON-FRI 0600-1800``,
``H24``) restrict activity to their windows; a schedule we cannot read leaves the
NOTAM in force for its whole validity, which errs on the side of warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from service.domain import Notam, ensure_utc

DAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
WINDOW = re.compile(r"(\d{4})-(\d{4})")
DAY_RANGE = re.compile(r"\b(MON|TUE|WED|THU|FRI|SAT|SUN)(?:-(MON|TUE|WED|THU|FRI|SAT|SUN))?\b")


def _norm(number: str | None) -> str:
    return re.sub(r"\s+", "", (number or "").upper())


def schedule_active(schedule: str | None, at: datetime) -> bool:
    """Whether ``at`` falls in a readable item-D schedule (unreadable → True).

    >>> from datetime import UTC
    >>> t = datetime(2025, 11, 21, 12, 0, tzinfo=UTC)  # a Friday
    >>> schedule_active("DAILY 0600-1800", t), schedule_active("DAILY 1900-2300", t)
    (True, False)
    >>> schedule_active("MON-THU 0600-1800", t), schedule_active("FRI 1000-1300", t)
    (False, True)
    >>> schedule_active("DAILY 2200-0600", datetime(2025, 11, 21, 23, 0, tzinfo=UTC))
    True
    >>> schedule_active("APR 03 07 12 0730 TO 1500", t)
    True
    """
    if not schedule:
        return True
    text = " ".join(schedule.upper().split())
    if "H24" in text or "SR-SS" in text:
        return True
    windows = WINDOW.findall(text)
    if not windows:
        return True
    days = set()
    for m in DAY_RANGE.finditer(text):
        first = DAYS.index(m.group(1))
        last = DAYS.index(m.group(2)) if m.group(2) else first
        days.update(DAYS[(first + i) % 7] for i in range((last - first) % 7 + 1))
    if not days and not text.startswith("DAILY") and not re.fullmatch(r"[\d\s,-]+", text):
        return True  # dated schedules ("APR 03 07 ...") are beyond this reader
    at = ensure_utc(at)
    if days and DAYS[at.weekday()] not in days:
        return False
    minute = at.hour * 60 + at.minute
    for start, end in windows:
        a = int(start[:2]) * 60 + int(start[2:])
        b = int(end[:2]) * 60 + int(end[2:])
        if (a <= minute < b) if a <= b else (minute >= a or minute < b):
            return True
    return False


def active_set(notams: Iterable[Notam], at: datetime) -> list[Notam]:
    """NOTAMs in force at ``at``."""
    at = ensure_utc(at)
    notams = list(notams)
    ended: set[str] = set()
    for n in notams:
        if n.kind in ("R", "C") and n.ref and (n.valid_from is None or n.valid_from <= at):
            ended.add(_norm(n.ref))
    return [
        n
        for n in notams
        if n.kind != "C"
        and _norm(n.number) not in ended
        and n.active_at(at)
        and schedule_active(n.schedule, at)
    ]
