"""Sweep the traffic model over the adversarial scenarios × poll intervals × seeds.

Each run feeds the detector's own :class:`~service.detect.status.StatusTracker` the
aircraft a whole-box feed would return at every poll (no HTTP, no database: a four-day
scenario at 60 s polls takes seconds), with the scenario's feed outages (no poll) and
partial coverage (a share of the box's aircraft missing) applied, and scores the
statuses against the truth:

* false: RESTRICTED or CLOSED before the onset, or at all where there is no event;
* delay: minutes from the truth's closure instant (or from the start of a recording
  that begins mid-event) to the first RESTRICTED/CLOSED, against 30 min in dense traffic
  and 90 min in sparse traffic.

``firwatch eval adv-<kind>-<seed> --poll-s N`` plays the same scenario through the
emulator, feeds, ingest and database for the full pipeline.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from service.detect.status import StatusTracker
from service.detection_settings import DetectionSettings
from service.domain import AirspaceStatus
from service.sim.variants import KINDS, build, inside_by_poll

POLLS_S = (60, 120, 300, 900)
SEVERE = (AirspaceStatus.RESTRICTED, AirspaceStatus.CLOSED)


@dataclass
class SweepRow:
    scenario: str
    poll_s: int
    peak_foreign: float
    false_severe: int
    closure_onset: datetime | None
    flagged_at: datetime | None
    delay_min: float | None
    target_min: float | None
    closed: bool
    expect_closed: bool
    judgement: str

    @property
    def ok(self) -> bool:
        if self.false_severe:
            return False
        if self.target_min is None:
            return True
        if self.delay_min is None or abs(self.delay_min) > self.target_min:
            return False
        return self.closed or not self.expect_closed

    def line(self) -> str:
        delay = "-" if self.delay_min is None else f"{self.delay_min:+.0f}"
        target = "-" if self.target_min is None else f"{self.target_min:.0f}"
        closed = ("CLOSED" if self.closed else "RESTR.") if self.flagged_at else "-"
        return (
            f"{self.scenario:<22} {self.poll_s:>5} {self.peak_foreign:>5.1f} "
            f"{self.false_severe:>5} {delay:>6} {target:>6} {closed:>7} "
            f"{'ok' if self.ok else 'FAIL':>4}"
        )


HEADER = (
    f"{'scenario':<22} {'poll':>5} {'peak':>5} {'false':>5} {'delay':>6} {'limit':>6} "
    f"{'status':>7} {'':>4}"
)


def run(name: str, poll_s: int, settings: DetectionSettings) -> SweepRow:
    scenario = build(name)
    rng = random.Random(f"{name}:{poll_s}")
    step = timedelta(seconds=poll_s)
    at = scenario.start + timedelta(seconds=rng.uniform(0, poll_s))
    times = []
    while at <= scenario.end:
        if not any(a <= at < b for a, b in scenario.outages):
            times.append(at)
        at += step
    foreign, domestic, outside = inside_by_poll(scenario, times)
    tracker = StatusTracker("SVZM", settings, ["0D8000-0DFFFF"])
    false = 0
    flagged: datetime | None = None
    closed = False
    previous = AirspaceStatus.NORMAL
    for i, at in enumerate(times):
        f, d, out = foreign[i], domestic[i], outside[i]
        if scenario.partial and scenario.partial[0] <= at < scenario.partial[1]:
            share = scenario.partial[2]
            f = {x for x in f if rng.random() < share}
            d = {x for x in d if rng.random() < share}
            out = sum(rng.random() < share for _ in range(out))
        tracker.observe_traffic(at, f, d, out)
        tracker.evaluate(at)
        status = tracker.status
        if status in SEVERE and previous not in SEVERE:
            if scenario.onset is None or at < scenario.onset:
                false += 1
            elif flagged is None:
                flagged = at
        if flagged is not None and status == AirspaceStatus.CLOSED:
            closed = True
        previous = status
    truth = scenario.closure_onset
    if truth is not None and scenario.start > truth:
        truth = scenario.start  # a recording that starts mid-event: from its first poll
    target = None
    if truth is not None:
        target = 90.0 if scenario.kind.sparse else 30.0
        if scenario.kind.mid_event_h is not None:
            target = None  # no history: the prior alone never declares a collapse
    delay = (flagged - truth).total_seconds() / 60 if truth and flagged else None
    return SweepRow(
        name,
        poll_s,
        scenario.peak_foreign,
        false,
        truth,
        flagged,
        delay,
        target,
        closed,
        scenario.expect_closed,
        tracker.model.judgement,
    )


def sweep(
    settings: DetectionSettings,
    kinds: list[str] | None = None,
    seeds: range = range(3),
    polls: tuple[int, ...] = POLLS_S,
) -> list[SweepRow]:
    rows = []
    for kind in kinds or list(KINDS):
        for seed in seeds:
            for poll in polls:
                rows.append(run(f"adv-{kind}-{seed}", poll, settings))
    return rows
