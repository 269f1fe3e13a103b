"""Airspace status from traffic against a baseline and from active NOTAMs.

Two signals, combined by taking the worst:

* NOTAMs: an active closure/prohibited NOTAM covering the airspace → CLOSED,
  restricted/danger → RESTRICTED, a warning (security advisory) → ADVISORY.
* Traffic: foreign aircraft inside the airspace compared with a baseline.
  Collapse is entered after ``enter_polls`` consecutive polls at or below
  ``collapse_ratio × baseline`` and left after ``exit_polls`` polls at or above
  ``recover_ratio × baseline`` — a hysteresis band so one empty poll cannot flap
  the status.  A foreign collapse means RESTRICTED (operators avoid it); foreign
  and domestic both at zero means CLOSED.

Only polls whose coverage contains the airspace are fed in: a feed outage or a
coverage hole is *no data*, never an empty sky.
"""

from __future__ import annotations

import statistics
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from service.config import DetectionSettings
from service.domain import (
    AirspaceStatus,
    AlertEvent,
    AlertType,
    NotamClass,
    Severity,
    status_rank,
)

NOTAM_STATUS = {
    NotamClass.CLOSURE: AirspaceStatus.CLOSED,
    NotamClass.PROHIBITED: AirspaceStatus.CLOSED,
    NotamClass.RESTRICTED: AirspaceStatus.RESTRICTED,
    NotamClass.DANGER: AirspaceStatus.RESTRICTED,
    NotamClass.WARNING: AirspaceStatus.ADVISORY,
}

STATUS_SEVERITY = {
    AirspaceStatus.NORMAL: Severity.INFO,
    AirspaceStatus.ADVISORY: Severity.WARNING,
    AirspaceStatus.RESTRICTED: Severity.CRITICAL,
    AirspaceStatus.CLOSED: Severity.CRITICAL,
}

HISTORY_WINDOW = timedelta(days=28)


def hour_of_week(at: datetime) -> int:
    """0 = Monday 00h UTC … 167 = Sunday 23h UTC.

    >>> from datetime import UTC
    >>> hour_of_week(datetime(2025, 11, 21, 17, 43, tzinfo=UTC))  # a Friday
    113
    """
    return at.weekday() * 24 + at.hour


@dataclass(slots=True)
class NotamSignal:
    """The NOTAM part of an airspace's status at one instant."""

    status: AirspaceStatus = AirspaceStatus.NORMAL
    notam_ids: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    # NOTAMs in force over at least half of the airspace (not a small area inside it)
    covering: list[str] = field(default_factory=list)


class StatusTracker:
    """Status of one airspace; fed one traffic count per covering poll."""

    def __init__(
        self,
        airspace: str,
        settings: DetectionSettings,
        domestic_addresses: list[str] | None = None,
    ):
        self.airspace = airspace
        # shown in the evidence: without blocks every aircraft counts as foreign
        self.domestic_addresses = list(domestic_addresses or [])
        self.settings = settings
        self.expected_foreign = settings.expected_foreign.get(airspace)
        self.status = AirspaceStatus.NORMAL
        self.since: datetime | None = None
        self.collapsed = False
        self.collapse_since: datetime | None = None
        self._below = 0
        self._above = 0
        self._silent = 0  # consecutive polls with no aircraft at all, domestic included
        self.last_counts: tuple[int, int] | None = None
        self.last_baseline: tuple[float | None, str] = (None, "none")
        self.notam = NotamSignal()
        self._history: dict[int, deque[tuple[datetime, int]]] = defaultdict(
            lambda: deque(maxlen=4096)
        )

    # -- baseline -----------------------------------------------------------------
    def baseline(self, at: datetime) -> tuple[float | None, str]:
        """Foreign aircraft expected at ``at``: learned same-hour-of-week median, else config."""
        samples = [
            count
            for when, count in self._history[hour_of_week(at)]
            if at - when <= HISTORY_WINDOW and (at - when) >= timedelta(hours=1)
        ]
        if len(samples) >= self.settings.baseline_min_samples:
            return float(statistics.median(samples)), f"median of {len(samples)} samples"
        if self.expected_foreign is not None:
            return float(self.expected_foreign), "configured expectation"
        return None, "no baseline yet"

    def remember(self, at: datetime, foreign: int) -> None:
        """Keep a sample for the baseline; only from normal traffic, so a collapse
        does not teach the baseline that an empty sky is normal."""
        if not self.collapsed:
            self._history[hour_of_week(at)].append((at, foreign))

    # -- updates ------------------------------------------------------------------
    def observe_traffic(self, at: datetime, foreign: int, domestic: int) -> list[AlertEvent]:
        baseline, source = self.baseline(at)
        self.last_counts = (foreign, domestic)
        self._silent = self._silent + 1 if foreign == 0 and domestic == 0 else 0
        self.last_baseline = (baseline, source)
        events: list[AlertEvent] = []
        if baseline is None or baseline <= 0:
            self.remember(at, foreign)
            return events
        if foreign <= self.settings.collapse_ratio * baseline:
            self._below += 1
            self._above = 0
        elif foreign >= self.settings.recover_ratio * baseline:
            self._above += 1
            self._below = 0
        else:
            self._below = self._above = 0
        if not self.collapsed and self._below >= self.settings.enter_polls:
            self.collapsed = True
            self.collapse_since = at
            events.append(self._collapse_event(at, foreign, domestic, baseline, source, False))
        elif self.collapsed and self._above >= self.settings.exit_polls:
            events.append(self._collapse_event(at, foreign, domestic, baseline, source, True))
            self.collapsed = False
            self.collapse_since = None
        self.remember(at, foreign)
        return events

    def _collapse_event(
        self,
        at: datetime,
        foreign: int,
        domestic: int,
        baseline: float,
        source: str,
        resolved: bool,
    ) -> AlertEvent:
        assert self.collapse_since is not None
        verb = "recovered" if resolved else "collapsed"
        return AlertEvent(
            type=AlertType.AIRSPACE_TRAFFIC_COLLAPSE,
            severity=Severity.CRITICAL,
            dedup_key=f"airspace.traffic_collapse:{self.airspace}:{self.collapse_since:%Y%m%dT%H%M%SZ}",
            observed_at=at,
            title=(
                f"{self.airspace}: foreign traffic {verb} "
                f"({foreign} foreign aircraft vs baseline {baseline:g})"
            ),
            airspace=self.airspace,
            resolved=resolved,
            evidence={
                "foreign_count": foreign,
                "domestic_count": domestic,
                "baseline_foreign": baseline,
                "baseline_source": source,
                "collapse_ratio": self.settings.collapse_ratio,
                "recover_ratio": self.settings.recover_ratio,
                "since": self.collapse_since.isoformat(),
            },
        )

    def traffic_status(self) -> AirspaceStatus:
        if not self.collapsed:
            return AirspaceStatus.NORMAL
        if self._silent >= self.settings.closed_silence_polls:
            return AirspaceStatus.CLOSED
        return AirspaceStatus.RESTRICTED

    def evidence(self) -> dict[str, Any]:
        baseline, source = self.last_baseline
        foreign, domestic = self.last_counts or (None, None)
        return {
            "notam_status": self.notam.status.value,
            "notam_ids": list(self.notam.notam_ids),
            "notam_reasons": list(self.notam.reasons),
            "traffic_status": self.traffic_status().value,
            "foreign_count": foreign,
            "domestic_count": domestic,
            "domestic_addresses": self.domestic_addresses,
            "baseline_foreign": baseline,
            "baseline_source": source,
            "traffic_collapsed_since": self.collapse_since.isoformat()
            if self.collapse_since
            else None,
        }

    def evaluate(self, at: datetime) -> list[AlertEvent]:
        """Combine both signals; on a change, resolve the old status alert and open a new one."""
        new = max(self.notam.status, self.traffic_status(), key=status_rank)
        if new == self.status and self.since is not None:
            return []
        events: list[AlertEvent] = []
        old, old_since = self.status, self.since
        if old_since is not None and old != AirspaceStatus.NORMAL:
            events.append(self._status_event(old, old_since, at, resolved=True))
        self.status, self.since = new, at
        if old_since is None and new == AirspaceStatus.NORMAL:
            return events  # first sight of a normal airspace is not news
        events.append(self._status_event(new, at, at, resolved=False, previous=old))
        return events

    def _status_event(
        self,
        status: AirspaceStatus,
        since: datetime,
        at: datetime,
        *,
        resolved: bool,
        previous: AirspaceStatus | None = None,
    ) -> AlertEvent:
        evidence = self.evidence()
        evidence["status"] = status.value
        if previous is not None:
            evidence["previous_status"] = previous.value
        title = f"{self.airspace} is {status.value}"
        if previous is not None:
            title = f"{self.airspace}: {previous.value} → {status.value}"
        return AlertEvent(
            type=AlertType.AIRSPACE_STATUS_CHANGED,
            severity=STATUS_SEVERITY[status],
            dedup_key=f"airspace.status_changed:{self.airspace}:{status.value}:{since:%Y%m%dT%H%M%SZ}",
            observed_at=at,
            title=title,
            airspace=self.airspace,
            resolved=resolved,
            evidence=evidence,
        )
