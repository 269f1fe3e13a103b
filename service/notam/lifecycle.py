"""Which NOTAMs are in force at a given time: replacements, cancellations, expiry, schedules.

A NOTAMR supersedes the NOTAM it names from its own start; a NOTAMC ends it and
is never itself in force (a reference matches a NOTAM of the same number at the
same location or FIR, so two offices' A0010/25 are not confused).  An estimated end
(``EST``) is not an expiry: ICAO requires a NOTAMR or NOTAMC to follow it, so
such a NOTAM stays in force until one arrives, or until the estimate plus a
grace period (``detection.notam_est_grace_hours``) has passed without one.  A
NOTAM the source stopped publishing is withdrawn (:class:`Withdrawals`).  Item D schedules in the common forms (``DAILY 0600-1800``,
``MON-FRI 0600-1800``, ``SUN-THU 0300-1900, FRI 0300-1300``, ``H24``) restrict
activity to their windows; a schedule we cannot read (dates, ``LMT`` local
times, ``EXC`` exceptions) leaves the NOTAM in force for its whole validity,
which errs on the side of warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from service.domain import Notam, ensure_utc

DEFAULT_EST_GRACE = timedelta(hours=12)

DAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
ALL_DAY = (0, 24 * 60)
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
TOKEN = re.compile(
    r"(?P<days>(?:MON|TUE|WED|THU|FRI|SAT|SUN)(?:-(?:MON|TUE|WED|THU|FRI|SAT|SUN))?)"
    r"|(?P<daily>DAILY)|(?P<h24>H24|SR-SS|SR\s*-\s*SS)"
    r"|(?P<window>(?P<a>\d{4})\s?-\s?(?P<b>\d{4}))"
    r"|(?P<month>JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\b"
    r"|(?P<date>\d{2})(?:\s?-\s?(?P<date2>\d{2}))?(?!\d)"
    r"|(?P<filler>EVERY|AND|,|&)"
    r"|(?P<other>\S+)"
)
# a group of an item-D schedule: weekdays (or None), (month, day) dates (or None), minute windows
Group = tuple[set[int] | None, set[tuple[int, int]] | None, list[tuple[int, int]]]


def normalise_number(number: str | None) -> str:
    """Compare NOTAM numbers written with or without padding and spaces.

    >>> normalise_number(" a12/25"), normalise_number("A0012/25"), normalise_number("FDC 5/9106")
    ('A0012/25', 'A0012/25', 'FDC5/9106')
    """
    text = re.sub(r"\s+", "", (number or "").upper())
    m = re.fullmatch(r"([A-Z])(\d{1,4})/(\d{2})", text)
    return f"{m[1]}{int(m[2]):04d}/{m[3]}" if m else text


def _dates(month: int, first: int, last: int) -> set[tuple[int, int]]:
    if last >= first:
        return {(month, d) for d in range(first, last + 1)}
    return {(month, d) for d in range(first, 32)} | {
        (month % 12 + 1, d) for d in range(1, last + 1)
    }


def _parse_schedule(text: str) -> list[Group] | None:
    """Groups of (weekdays, dates, minute windows); None when unreadable."""
    groups: list[Group] = []
    days: set[int] | None = None
    dates: set[tuple[int, int]] | None = None
    month: int | None = None
    windows: list[tuple[int, int]] = []
    for m in TOKEN.finditer(text):
        if (m["days"] or m["daily"] or m["month"] or m["date"]) and windows:
            groups.append((days, dates, windows))
            days, dates, windows = None, None, []
        if m["days"] or m["daily"]:
            if m["daily"]:
                days = set(range(7))
            else:
                first, _, last = m["days"].partition("-")
                a, b = DAYS.index(first), DAYS.index(last or first)
                days = (days or set()) | {(a + i) % 7 for i in range((b - a) % 7 + 1)}
        elif m["month"]:
            month = MONTHS.index(m["month"]) + 1
        elif m["date"]:
            first, last = int(m["date"]), int(m["date2"] or m["date"])
            if month is None or not (1 <= first <= 31 and 1 <= last <= 31):
                return None
            dates = (dates or set()) | _dates(month, first, last)
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
        groups.append((days, dates, windows))
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
    >>> schedule_active("NOV 20 21 1130-1230", t), schedule_active("NOV 20 22-24 1130-1230", t)
    (True, False)
    >>> schedule_active("NOV 20 0800-0900 21 1100-1300", t), schedule_active("21 1100-1300", t)
    (True, True)
    >>> schedule_active("NOV 20 2300-1300", t), schedule_active("SR-SS", t)
    (True, True)
    >>> schedule_active("APR 03 07 12 0730 TO 1500", t), schedule_active("DAILY EXC SUN", t)
    (True, True)
    """
    if not schedule or not schedule.strip():
        return True
    groups = _parse_schedule(" ".join(schedule.upper().split()))
    if groups is None:
        return True
    at = ensure_utc(at)
    before = at - timedelta(days=1)
    minute = at.hour * 60 + at.minute

    def on(day: datetime, days: set[int] | None, dates: set[tuple[int, int]] | None) -> bool:
        return (days is None or day.weekday() in days) and (
            dates is None or (day.month, day.day) in dates
        )

    for days, dates, windows in groups:
        for a, b in windows:
            if a < b:
                if on(at, days, dates) and a <= minute < b:
                    return True
            elif a > b:  # crosses midnight: the evening part that day, the morning part the next
                if on(at, days, dates) and minute >= a:
                    return True
                if on(before, days, dates) and minute < b:
                    return True
            elif on(at, days, dates):
                return True  # 0000-0000 or similar: all day
    return False


def in_validity(notam: Notam, at: datetime, est_grace: timedelta = DEFAULT_EST_GRACE) -> bool:
    """Within B)–C); an estimated end expires only ``est_grace`` after the estimate.

    >>> from datetime import UTC
    >>> t0 = datetime(2025, 11, 21, 12, tzinfo=UTC)
    >>> n = Notam(id="1", number="A0001/25", raw_text="", valid_from=t0,
    ...           valid_to=t0 + timedelta(hours=2), valid_to_estimated=True)
    >>> [in_validity(n, t0 + timedelta(hours=h), timedelta(hours=6)) for h in (1, 7, 9)]
    [True, True, False]
    """
    if notam.valid_to_estimated and notam.kind != "C" and notam.valid_to is not None:
        if notam.valid_from is not None and at < notam.valid_from:
            return False
        return at <= notam.valid_to + est_grace
    return notam.active_at(at)


def _key(number: str | None) -> str:
    return normalise_number(number)


def _places(n: Notam) -> set[str]:
    """Where a NOTAM belongs: item A locations and the FIR (KICZ's A0012/25 is in SVZM)."""
    return {*n.locations, *([n.fir] if n.fir else [])}


def active_set(
    notams: Iterable[Notam], at: datetime, est_grace: timedelta = DEFAULT_EST_GRACE
) -> list[Notam]:
    """NOTAMs in force at ``at``: not replaced, cancelled or withdrawn; within validity and schedule.

    >>> from datetime import UTC
    >>> t0 = datetime(2025, 11, 21, 12, tzinfo=UTC)
    >>> old = Notam(id="1", number="A0001/25", raw_text="", valid_from=t0, locations=("SVZM",))
    >>> cancel = Notam(id="2", number="A0002/25", raw_text="", kind="C", ref="A1/25",
    ...                valid_from=t0, locations=("SVZM",))
    >>> elsewhere = Notam(id="3", number="A0003/25", raw_text="", kind="C", ref="A1/25",
    ...                   valid_from=t0, locations=("TNCF",))
    >>> [n.id for n in active_set([old, elsewhere], t0)], active_set([old, cancel], t0)
    (['1'], [])
    >>> active_set([replace(old, withdrawn_at=t0)], t0)
    []
    """
    at = ensure_utc(at)
    notams = list(notams)
    ended: dict[str, list[set[str]]] = {}
    for n in notams:
        if n.kind in ("R", "C") and n.ref and (n.valid_from is None or n.valid_from <= at):
            ended.setdefault(_key(n.ref), []).append(_places(n))

    def superseded(n: Notam) -> bool:
        places = _places(n)
        return any(
            not where or not places or where & places for where in ended.get(_key(n.number), [])
        )

    return [
        n
        for n in notams
        if n.kind != "C"
        and not superseded(n)
        and (n.withdrawn_at is None or at < n.withdrawn_at)
        and in_validity(n, at, est_grace)
        and schedule_active(n.schedule, at)
    ]


@dataclass(slots=True)
class Withdrawals:
    """Which NOTAMs the source stopped publishing, judged on complete (full) poll rounds.

    A NOTAM is withdrawn when a full round answered for a location that returned it
    before, without it, and it has stayed missing from full rounds for ``grace``.  A
    location that answers with no NOTAM at all is not taken as an answer: an empty page
    is more often an upstream fault than every NOTAM ending at once.  State is in memory:
    after a restart the grace starts again (withdrawals already made are stored).
    """

    grace: timedelta
    missing_since: dict[str, datetime] = field(default_factory=dict)
    locations_of: dict[str, set[str]] = field(default_factory=dict)

    def full_round(
        self, at: datetime, returned: Mapping[str, set[str]], held: Iterable[Notam]
    ) -> list[Notam]:
        """Record one full round (location → ids it returned); the NOTAMs withdrawn now."""
        answered = {loc for loc, ids in returned.items() if ids}
        seen: set[str] = set()
        for loc, ids in returned.items():
            for notam_id in ids:
                self.locations_of.setdefault(notam_id, set()).add(loc)
            seen |= ids
        withdrawn = []
        for notam in held:
            if notam.id in seen:
                self.missing_since.pop(notam.id, None)
                continue
            if notam.withdrawn_at is not None or notam.kind == "C":
                continue
            places = self.locations_of.get(notam.id) or {*notam.locations, notam.fir or ""}
            if not places & answered:
                continue
            since = self.missing_since.setdefault(notam.id, at)
            if at - since >= self.grace:
                withdrawn.append(replace(notam, withdrawn_at=at))
                self.missing_since.pop(notam.id, None)
        return withdrawn
