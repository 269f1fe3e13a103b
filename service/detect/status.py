"""Airspace status from traffic against a baseline and from active NOTAMs.

Two signals, combined by taking the worst:

* NOTAMs: an active closure/prohibited NOTAM covering the airspace → CLOSED,
  restricted/danger → RESTRICTED, a warning (security advisory) → ADVISORY.
* Traffic (:mod:`service.detect.traffic_model`): foreign aircraft over windows of minutes
  against a diurnal baseline (:mod:`service.detect.traffic_baseline`), with a tail
  probability so a quiet hour cannot read as a collapse.  A foreign collapse means
  RESTRICTED (operators avoid it); foreign *and* domestic traffic significantly missing
  means CLOSED.

Only polls whose coverage contains the airspace are fed in: a feed outage or a
coverage hole is *no data*, never an empty sky.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from service.detect.traffic_baseline import DiurnalBaseline, hour_of_week
from service.detect.traffic_model import ModelSettings, TrafficModel, TrafficSample
from service.detection_settings import DetectionSettings
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

__all__ = ["NOTAM_STATUS", "NotamSignal", "StatusTracker", "hour_of_week", "traffic_model"]


def traffic_model(airspace: str, settings: DetectionSettings) -> TrafficModel:
    """The traffic model of one airspace with its parameters from config.yaml."""
    return TrafficModel(
        ModelSettings(
            windows_minutes=tuple(settings.collapse_windows_minutes),
            probability=settings.collapse_probability,
            collapse_ratio=settings.collapse_ratio,
            recover_ratio=settings.recover_ratio,
            recover_window_minutes=settings.recover_window_minutes,
            sample_max_minutes=settings.sample_max_minutes,
            arrival_memory_minutes=settings.arrival_memory_minutes,
            coverage_suspend_fraction=settings.coverage_suspend_fraction,
            coverage_min_expected=settings.coverage_min_expected_aircraft,
            learn_delay_minutes=settings.baseline_learn_delay_minutes,
            confirm_minutes=settings.collapse_confirm_minutes,
        ),
        DiurnalBaseline(
            prior_foreign=settings.expected_foreign.get(airspace),
            prior_domestic=settings.expected_domestic.get(airspace),
            dwell_minutes=settings.dwell_minutes,
            prior_strength=settings.baseline_prior_strength,
            min_bin_minutes=settings.baseline_min_bin_minutes,
            week_min=settings.baseline_hour_of_week_weeks,
            history_days=settings.baseline_history_days,
        ),
    )


@dataclass(slots=True)
class NotamSignal:
    """The NOTAM part of an airspace's status at one instant."""

    status: AirspaceStatus = AirspaceStatus.NORMAL
    notam_ids: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    # NOTAMs in force over at least half of the airspace (not a small area inside it)
    covering: list[str] = field(default_factory=list)


class StatusTracker:
    """Status of one airspace; fed the aircraft inside at each covering poll."""

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
        self.model = traffic_model(airspace, settings)
        self.status = AirspaceStatus.NORMAL
        self.since: datetime | None = None
        self.collapse_since: datetime | None = None
        self.last_counts: tuple[int, int] | None = None
        self.last_baseline: tuple[float | None, str] = (None, "none")
        self.last_sample: TrafficSample | None = None
        self.source: str | None = None  # the feed whose polls judge this airspace
        self.notam = NotamSignal()

    @property
    def collapsed(self) -> bool:
        return self.model.collapsed

    def baseline(self, at: datetime) -> tuple[float | None, str]:
        """Foreign aircraft expected inside at ``at`` and where that number comes from."""
        expect = self.model.baseline.expect(at)
        if expect is None:
            return None, "no baseline yet"
        return round(expect.foreign_aircraft, 2), expect.source

    # -- updates ------------------------------------------------------------------------
    def observe_traffic(
        self,
        at: datetime,
        foreign: Collection[str],
        domestic: Collection[str],
        outside: int | None = None,
    ) -> list[AlertEvent]:
        """One covering poll: the addresses of foreign and domestic aircraft inside, and
        how many airborne aircraft the poll saw elsewhere (for its coverage)."""
        sample = self.model.sample(at, set(foreign), set(domestic), outside)
        sample.warned = bool(self.notam.covering)
        return self.observe_sample(sample)

    def observe_sample(self, sample: TrafficSample) -> list[AlertEvent]:
        was = self.model.collapsed
        self.model.add(sample)
        return self.after_model(sample, was=was)

    def note_sample(self, sample: TrafficSample) -> None:
        """Remember a poll the model has judged already (every FIR judged at once by
        :mod:`service.detect.traffic_batch`), its collapse flag unchanged."""
        self.last_sample = sample
        self.last_counts = (sample.foreign, sample.domestic)
        self.last_baseline = self.baseline(sample.at)

    def after_model(self, sample: TrafficSample, *, was: bool) -> list[AlertEvent]:
        """The events of a judged poll: a collapse flag that changed opens or resolves one."""
        self.note_sample(sample)
        events: list[AlertEvent] = []
        if not was and self.model.collapsed:
            self.collapse_since = sample.at
            events.append(self._collapse_event(sample.at, resolved=False))
        elif was and not self.model.collapsed:
            events.append(self._collapse_event(sample.at, resolved=True))
            self.collapse_since = None
        return events

    def _collapse_event(self, at: datetime, resolved: bool) -> AlertEvent:
        assert self.collapse_since is not None
        verb = "recovered" if resolved else "collapsed"
        window = self.model.foreign
        detail = ""
        if window is not None:
            detail = (
                f" ({window.observed_aircraft} foreign aircraft in {window.window_minutes:g} min"
                f" vs {window.expected_aircraft:.1f} expected, p={window.probability:.2g})"
            )
        foreign, domestic = self.last_counts or (None, None)
        return AlertEvent(
            type=AlertType.AIRSPACE_TRAFFIC_COLLAPSE,
            severity=Severity.CRITICAL,
            dedup_key=f"airspace.traffic_collapse:{self.airspace}:{self.collapse_since:%Y%m%dT%H%M%SZ}",
            observed_at=at,
            title=f"{self.airspace}: foreign traffic {verb}{detail}",
            airspace=self.airspace,
            resolved=resolved,
            evidence={
                "foreign_count": foreign,
                "domestic_count": domestic,
                "baseline_foreign": self.last_baseline[0],
                "baseline_source": self.last_baseline[1],
                "traffic": self.traffic_evidence(),
                "collapse_ratio": self.settings.collapse_ratio,
                "recover_ratio": self.settings.recover_ratio,
                "since": self.collapse_since.isoformat(),
            },
        )

    def traffic_status(self) -> AirspaceStatus:
        if not self.model.collapsed:
            return AirspaceStatus.NORMAL
        if self.model.silent:
            return AirspaceStatus.CLOSED
        return AirspaceStatus.RESTRICTED

    def traffic_evidence(self) -> dict[str, Any]:
        """The window that says most about foreign traffic (and, when collapsed, about all
        domestic traffic): minutes, observed, expected, probability, baseline source."""
        model = self.model
        out: dict[str, Any] = {
            "judgement": model.judgement,
            "baseline_source": self.last_baseline[1],
            "coverage": round(model.last_coverage, 2),
            "probability_threshold": self.settings.collapse_probability,
        }
        if model.foreign is not None:
            out.update(model.foreign.evidence())
        if model.everyone is not None:
            out["domestic"] = model.everyone.evidence()
        return out

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
            "traffic": self.traffic_evidence(),
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
