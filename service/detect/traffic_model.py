"""Is traffic over an airspace missing?  Judged over windows of minutes, never of polls.

Each covered poll is a sample that stands for the minutes since the previous one (at most
``sample_max_minutes``; a longer gap is a data gap, not an empty sky).  Over each window
(``collapse_windows_minutes``, ending now) the model adds up

* aircraft-minutes observed against those the baseline expects (the *effect*: how much
  of the usual traffic is there), and
* distinct aircraft seen — those inside when the window's data starts plus the ones that
  arrived afterwards — against the baseline's expectation of that number, whose tail
  probability (negative binomial; Poisson once the baseline is well learned) is the
  *evidence*: how likely so few aircraft are on a normal day.

A second statistic is the time since the last foreign aircraft entered: for arrivals at
the baseline's rate, the chance that none came in that long is exp(-expected arrivals)
(negative binomial with the baseline's uncertainty), and a closure stops arrivals first
while the aircraft already inside still fly out for up to a crossing's time.  Its effect
is the traffic now (the shortest window's aircraft-minutes).  The two share
``collapse_probability`` (weighted Bonferroni: 90 % for the windows of aircraft seen,
10 % for the time since the last arrival), so the second test does not add to the
chance of a false collapse.

A collapse needs both on one window: aircraft-minutes at or below ``collapse_ratio`` of
expected and a probability at or below ``collapse_probability``, at every poll for
``collapse_confirm_minutes`` (a chance lull ends with the next aircraft; a closure holds),
or a probability a hundred times smaller at once.  A window whose
expectation is so small that even an empty sky would not be that unlikely cannot say
anything ("too little traffic expected to judge").  Polls that saw much less of the
feed's box than usual (partial coverage: fewer than the hour's usual and than the recent
polls' level, so a box thinning by chance over the hour is not read as a feed cut) lower
the expectation in proportion, or are left out entirely below ``coverage_suspend_fraction``.  Samples teach the baseline only
``baseline_learn_delay_minutes`` after they were judged, and only if no collapse was flagged
meanwhile, so a window is never judged against itself and a closure never becomes the norm.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from service.detect.traffic_baseline import DiurnalBaseline, Expectation, nbinom_cdf

TOO_LITTLE = "too little traffic expected to judge"
# the two statistics a window is judged on (see TrafficModel.windows)
SEEN = "aircraft seen"
GAP = "since last arrival"
# the recent level of the box's traffic follows the covered polls with this time constant
# (minutes): long against a poll, short against the hours a box's flights last
BOX_LEVEL_MINUTES = 30.0
# Weighted Bonferroni over the two statistics: the windows of aircraft seen keep 90 % of
# collapse_probability (they were the whole test before), the time since the last arrival
# gets 10 %, so adding it raises the chance of a false collapse by nothing overall
ERROR_SHARE = {SEEN: 0.9, GAP: 0.1}


@dataclass(slots=True)
class TrafficSample:
    """One covered poll of one airspace (persisted as a traffic_samples row)."""

    at: datetime
    foreign: int
    domestic: int
    foreign_arrivals: int
    domestic_arrivals: int
    outside: int | None = None  # airborne aircraft elsewhere in the feed's box
    collapsed: bool = False  # the airspace's traffic was judged collapsed at this poll
    # a NOTAM warning covered the airspace: what traffic does then (carriers start avoiding
    # it before the collapse is significant) must not become the norm it is judged against
    warned: bool = False


@dataclass(slots=True)
class _Slot:
    sample: TrafficSample
    minutes: float  # time this sample stands for
    segment_start: bool  # first sample after a data gap: its aircraft count as seen
    coverage: float
    expect: Expectation | None


@dataclass(slots=True)
class _Since:
    """Running sums since the last arrival of one kind of traffic (foreign or domestic):
    not bounded by the longest window, so a silence of hours in sparse traffic keeps
    adding up."""

    since: datetime
    expected: float = 0.0  # arrivals expected since
    observed_minutes: float = 0.0  # aircraft-minutes seen since
    expected_minutes: float = 0.0
    covered: float = 0.0
    groups: dict[object, list[float]] = field(default_factory=dict)  # hour: [part, shape]

    def add(
        self, key: object, part: float, shape: float, o: float, e: float, minutes: float
    ) -> None:
        self.expected += part
        self.observed_minutes += o
        self.expected_minutes += e
        self.covered += minutes
        group = self.groups.setdefault(key, [0.0, shape])
        group[0] += part
        group[1] = min(group[1], shape)


@dataclass(frozen=True, slots=True)
class WindowJudgement:
    window_minutes: float
    covered_minutes: float
    observed_aircraft_minutes: float
    expected_aircraft_minutes: float
    observed_aircraft: int
    expected_aircraft: float
    probability: float
    collapsed: bool
    judgeable: bool
    statistic: str = SEEN

    def evidence(self) -> dict[str, Any]:
        return {
            "window_minutes": self.window_minutes,
            "statistic": self.statistic,
            "covered_minutes": round(self.covered_minutes, 1),
            "observed_aircraft_minutes": round(self.observed_aircraft_minutes, 1),
            "expected_aircraft_minutes": round(self.expected_aircraft_minutes, 1),
            "observed_aircraft": self.observed_aircraft,
            "expected_aircraft": round(self.expected_aircraft, 2),
            "probability": float(f"{self.probability:.3g}"),
        }


@dataclass(frozen=True, slots=True)
class ModelSettings:
    windows_minutes: tuple[float, ...]
    probability: float
    collapse_ratio: float
    recover_ratio: float
    recover_window_minutes: float
    sample_max_minutes: float
    arrival_memory_minutes: float
    coverage_suspend_fraction: float
    coverage_min_expected: float
    learn_delay_minutes: float
    confirm_minutes: float


@dataclass
class TrafficModel:
    settings: ModelSettings
    baseline: DiurnalBaseline
    collapsed: bool = False
    slots: deque[_Slot] = field(default_factory=deque)  # the longest window's samples
    pending: deque[_Slot] = field(default_factory=deque)  # not yet taught to the baseline
    _last_inside: dict[str, datetime] = field(default_factory=dict)
    last_at: datetime | None = None
    last_coverage: float = 1.0
    foreign: WindowJudgement | None = None  # most telling window, foreign traffic
    everyone: WindowJudgement | None = None  # … domestic traffic (CLOSED needs it)
    judgement: str = "no data"
    # since the last foreign / domestic arrival (None: no baseline to judge it by)
    _since: dict[bool, _Since | None] = field(default_factory=lambda: {False: None, True: None})
    # airborne aircraft in the feed's box outside the airspace, recent polls (fully seen)
    _box_level: float | None = None
    _box_at: datetime | None = None
    _hit_since: datetime | None = None  # a window has been collapsed at every poll since

    @property
    def longest(self) -> timedelta:
        return timedelta(minutes=max(self.settings.windows_minutes))

    # -- samples ---------------------------------------------------------------------------
    def sample(
        self,
        at: datetime,
        foreign: set[str],
        domestic: set[str],
        outside: int | None = None,
    ) -> TrafficSample:
        """Turn one covered poll's aircraft into a sample: arrivals are aircraft not inside
        within ``arrival_memory_minutes`` (a reappearing aircraft is not a new one)."""
        memory = timedelta(minutes=self.settings.arrival_memory_minutes)
        arrivals = {"f": 0, "d": 0}
        for kind, ids in (("f", foreign), ("d", domestic)):
            for icao24 in ids:
                seen = self._last_inside.get(icao24)
                if seen is None or at - seen > memory:
                    arrivals[kind] += 1
                self._last_inside[icao24] = at
        if len(self._last_inside) > 4 * (len(foreign) + len(domestic)) + 1000:
            self._last_inside = {k: v for k, v in self._last_inside.items() if at - v <= memory}
        return TrafficSample(at, len(foreign), len(domestic), arrivals["f"], arrivals["d"], outside)

    def add(self, sample: TrafficSample) -> None:
        """Append a sample, judge the windows ending at it, and teach the baseline the
        samples that left the longest window."""
        if self._append(sample):
            self._judge(sample.at)
        sample.collapsed = self.collapsed
        self._learn(sample.at, self.collapsed)

    def _append(self, sample: TrafficSample) -> bool:
        s = self.settings
        if self.last_at is not None and sample.at <= self.last_at:
            return False  # repeated or out-of-order poll
        gap = None if self.last_at is None else (sample.at - self.last_at).total_seconds() / 60
        start = gap is None or gap > s.sample_max_minutes
        self.last_at = sample.at
        expect = self.baseline.expect(sample.at)
        coverage, cut = self._coverage(sample, expect)
        self.last_coverage = coverage
        if cut and coverage < s.coverage_suspend_fraction:
            self.last_at = None  # the next sample starts a new stretch of data
            self.judgement = "coverage too low to judge"
            return False
        slot = _Slot(sample, 0.0 if start else gap, start, coverage, expect)
        self.slots.append(slot)
        self.pending.append(slot)
        for domestic in (False, True):
            self._since[domestic] = self._since_last_arrival(slot, domestic)
        return True

    def _since_last_arrival(self, slot: _Slot, domestic: bool) -> _Since | None:
        """The running sums since the last arrival, with this poll added (restarted at a
        poll that saw one arrive; after a data gap every aircraft seen counts as one)."""
        smp, x = slot.sample, slot.expect
        if x is None or (domestic and x.domestic_aircraft is None):
            return None
        if domestic:
            occupancy = x.domestic_aircraft or 0.0
            rate = x.domestic_arrivals_per_min or 0.0
            seen, arrived, shape = smp.domestic, smp.domestic_arrivals, x.domestic_shape
        else:
            occupancy, rate = x.foreign_aircraft, x.foreign_arrivals_per_min
            seen, arrived, shape = smp.foreign, smp.foreign_arrivals, x.foreign_shape
        current = self._since[domestic]
        if (seen if slot.segment_start else arrived) or current is None:
            return _Since(smp.at)
        if slot.segment_start:
            part = occupancy * slot.coverage
        else:
            part = rate * slot.coverage * slot.minutes
        key: object = "prior" if x.source.startswith("prior") else smp.at.timestamp() // 3600
        current.add(
            key,
            part,
            shape,
            seen * slot.minutes,
            occupancy * slot.coverage * slot.minutes,
            slot.minutes,
        )
        return current

    def _coverage(self, sample: TrafficSample, expect: Expectation | None) -> tuple[float, bool]:
        """How much of the usual traffic the poll's box holds (the factor that scales what
        is expected inside the airspace) and whether the feed returned only part of it.

        Airborne aircraft outside the airspace are compared with the hour's usual number
        and with the recent polls' level.  A feed returning part of its box drops from one
        poll to the next (judgement is suspended below ``coverage_suspend_fraction``); the
        traffic of a box of flights lasting hours changes over hours.  A box thinning like
        that (a night the baseline has not learned yet, a quiet day) is the region's
        traffic: the airspace is expected to be as much quieter, and is still judged.  A
        closure sends flights around the airspace, which keeps them in the box."""
        ratio = self._coverage_against_hour(sample, expect)
        level = self._box_level
        cut = ratio < 1.0
        if cut and level is not None and sample.outside is not None:
            if sample.outside >= level or nbinom_cdf(sample.outside, level, 1e9) > 0.05:
                cut = False  # as the recent polls: the region is quieter, fully seen
            else:
                ratio = max(ratio, sample.outside / level)
        if sample.outside is not None and not (
            cut and ratio < self.settings.coverage_suspend_fraction
        ):
            full = sample.outside / ratio if cut else float(sample.outside)
            if level is None or self._box_at is None:
                self._box_level = full
            else:
                minutes = (sample.at - self._box_at).total_seconds() / 60
                weight = 1.0 - math.exp(-max(minutes, 0.0) / BOX_LEVEL_MINUTES)
                self._box_level = level + weight * (full - level)
            self._box_at = sample.at
        return ratio, cut

    def _coverage_against_hour(self, sample: TrafficSample, expect: Expectation | None) -> float:
        if sample.outside is None or expect is None or expect.outside_aircraft is None:
            return 1.0
        if expect.outside_aircraft < self.settings.coverage_min_expected:
            return 1.0
        ratio = sample.outside / expect.outside_aircraft
        # a shortfall that chance explains at 1 in 20 is still taken as partial coverage:
        # suspending judgement is the safe side
        if ratio >= 1.0 or nbinom_cdf(sample.outside, expect.outside_aircraft, 1e9) > 0.05:
            return 1.0
        return ratio

    def _learn(self, now: datetime, collapsed_now: bool) -> None:
        """Teach the baseline the samples older than ``learn_delay_minutes`` (judged first
        against what was known before them); drop samples older than the longest window."""
        horizon = now - timedelta(minutes=self.settings.learn_delay_minutes)
        while self.pending and self.pending[0].sample.at <= horizon:
            slot = self.pending.popleft()
            self.commit(slot.sample, slot.minutes, collapsed_now=collapsed_now)
        oldest = now - self.longest
        while self.slots and self.slots[0].sample.at <= oldest:
            self.slots.popleft()

    def commit(self, sample: TrafficSample, minutes: float, *, collapsed_now: bool) -> None:
        """Teach the baseline one sample of normal traffic (none while collapsed or warned)."""
        if sample.collapsed or sample.warned or collapsed_now or minutes <= 0:
            return
        self.baseline.learn(
            sample.at,
            minutes,
            sample.foreign,
            sample.domestic,
            sample.foreign_arrivals,
            sample.domestic_arrivals,
            sample.outside,
        )

    # -- judging ---------------------------------------------------------------------------
    def windows(self, now: datetime, *, domestic: bool = False) -> list[WindowJudgement]:
        """Each configured window ending ``now``, shortest first, for foreign (or domestic)
        aircraft; a window reaching back to polls without a baseline is left out.

        One pass from the newest poll back: in a window, the oldest poll's aircraft all count
        as seen (the window's data starts there) and each later poll adds its arrivals, or
        all its aircraft after a data gap."""
        out: list[WindowJudgement] = []
        limits = sorted(self.settings.windows_minutes)
        w = 0
        slots = self.slots
        o = e = mu = covered = 0.0
        k = 0
        # polls of one hour share one estimate (hours not learned yet all lean on the prior)
        groups: dict[object, list[float]] = {}
        for i in range(len(slots) - 1, -1, -1):
            slot = slots[i]
            smp, x = slot.sample, slot.expect
            age = (now - smp.at).total_seconds() / 60
            while w < len(limits) and age >= limits[w]:
                w += 1  # every window so far ended before this poll: recorded below
            if w == len(limits):
                break
            if x is None or (domestic and x.domestic_aircraft is None):
                break  # no baseline this far back: longer windows cannot be judged
            if domestic:
                occupancy = x.domestic_aircraft or 0.0
                rate = x.domestic_arrivals_per_min or 0.0
                seen, arrived, evidence = smp.domestic, smp.domestic_arrivals, x.domestic_shape
            else:
                occupancy, rate = x.foreign_aircraft, x.foreign_arrivals_per_min
                seen, arrived, evidence = smp.foreign, smp.foreign_arrivals, x.foreign_shape
            key: object = "prior" if x.source.startswith("prior") else smp.at.timestamp() // 3600
            first_part = occupancy * slot.coverage
            older_age = (now - slots[i - 1].sample.at).total_seconds() / 60 if i else None
            # windows whose oldest poll is this one
            for limit in limits[w:]:
                if older_age is not None and older_age < limit:
                    break
                minutes = min(slot.minutes, limit - age)
                group = groups.get(key)
                parts = {g: v[:] for g, v in groups.items()}
                parts.setdefault(key, [0.0, evidence])
                parts[key][0] += first_part
                parts[key][1] = min(parts[key][1], evidence) if group else evidence
                total = mu + first_part
                variance = sum(v**2 / max(r, 1e-9) for v, r in parts.values())
                shape = total**2 / variance if variance > 0 else float("inf")
                out.append(
                    self._window(
                        limit,
                        covered + minutes,
                        o + seen * minutes,
                        e + occupancy * slot.coverage * minutes,
                        k + seen,
                        total,
                        shape,
                    )
                )
            # … and, for the longer windows, one of the later polls
            part = first_part if slot.segment_start else rate * slot.coverage * slot.minutes
            k += seen if slot.segment_start else arrived
            mu += part
            o += seen * slot.minutes
            e += occupancy * slot.coverage * slot.minutes
            covered += slot.minutes
            group = groups.setdefault(key, [0.0, evidence])
            group[0] += part
            group[1] = min(group[1], evidence)
        out.sort(key=lambda j: j.window_minutes)
        since = self._since[domestic]
        gap = self._gap(now, since) if since is not None and since.covered > 0 else None
        if gap is not None and out:
            # its effect is the traffic now: aircraft-minutes over the shortest window at
            # or below collapse_ratio of expected (the sky has emptied, as the truth's
            # closure instant and the other windows require), not over the whole gap,
            # whose start still holds the aircraft flying out
            now_ = out[0]
            empty = now_.observed_aircraft_minutes <= (
                self.settings.collapse_ratio * now_.expected_aircraft_minutes
            )
            gap = replace(
                gap,
                collapsed=gap.judgeable and gap.probability <= self.settings.probability and empty,
            )
            out.append(gap)
        return out

    def _gap(self, now: datetime, since: _Since) -> WindowJudgement:
        """The window since the last arrival: none arrived, ``since.expected`` were expected
        to.

        For arrivals at a known rate, the time back to the last one, seen from a fixed
        instant, is longer than G with probability exp(-expected arrivals in G): a valid
        tail probability at every poll, without scanning over start times.  A closure stops
        arrivals first while the aircraft inside still fly out for up to a crossing's time;
        the windows counting every aircraft seen wait for them, this one does not, and it
        is not bounded by the longest of them."""
        variance = sum(v**2 / max(r, 1e-9) for v, r in since.groups.values())
        mu = since.expected
        shape = mu**2 / variance if variance > 0 else float("inf")
        minutes = (now - since.since).total_seconds() / 60
        return self._window(
            round(minutes, 1),
            since.covered,
            since.observed_minutes,
            since.expected_minutes,
            0,
            mu,
            shape,
            GAP,
        )

    def _window(
        self,
        limit: float,
        covered: float,
        o: float,
        e: float,
        k: int,
        mu: float,
        shape: float,
        statistic: str = SEEN,
    ) -> WindowJudgement:
        s = self.settings
        shape = shape if shape != float("inf") else 1e9
        share = ERROR_SHARE[statistic]
        p = min(1.0, nbinom_cdf(k, mu, shape) / share)
        judgeable = nbinom_cdf(0, mu, shape) / share <= s.probability
        collapsed = judgeable and p <= s.probability and o <= s.collapse_ratio * e
        return WindowJudgement(limit, covered, o, e, k, mu, p, collapsed, judgeable, statistic)

    def _judge(self, now: datetime) -> None:
        s = self.settings
        foreign = self.windows(now)
        if not foreign:
            self.foreign = None
            self.judgement = "no baseline yet"
            return
        hit = [w for w in foreign if w.collapsed]
        self.foreign = min(hit or foreign, key=lambda w: w.probability)
        self._hit_since = (self._hit_since or now) if hit else None
        # a lull that chance explains at 1 in 1,000 ends with the next aircraft: it must hold
        # for confirm_minutes; one that chance explains at 1 in 100,000 needs no wait
        held = self._hit_since is not None and (
            now - self._hit_since >= timedelta(minutes=s.confirm_minutes)
            or self.foreign.probability <= s.probability * 0.01
        )
        if not self.collapsed and held:
            self.collapsed = True
        elif self.collapsed:
            recent = next(
                (
                    w
                    for w in foreign
                    if w.statistic == SEEN and w.window_minutes >= s.recover_window_minutes
                ),
                None,
            )
            if (
                recent is not None
                and not hit
                and recent.covered_minutes >= 0.5 * recent.window_minutes
                and recent.observed_aircraft_minutes
                >= s.recover_ratio * recent.expected_aircraft_minutes
            ):
                self.collapsed = False
        if self.collapsed:
            everyone = self.windows(now, domestic=True)
            hit_all = [w for w in everyone if w.collapsed]
            self.everyone = (
                min(hit_all or everyone, key=lambda w: w.probability) if everyone else None
            )
            self.judgement = "collapsed"
        else:
            self.everyone = None
            judgeable = any(w.judgeable for w in foreign if w.statistic == SEEN)
            self.judgement = "normal" if judgeable else TOO_LITTLE

    @property
    def silent(self) -> bool:
        """Foreign and domestic traffic both significantly missing (CLOSED from traffic)."""
        return self.collapsed and self.everyone is not None and self.everyone.collapsed

    # -- restore ---------------------------------------------------------------------------
    def restore(self, samples: list[TrafficSample], collapsed: bool) -> None:
        """Rebuild from persisted samples (oldest first), in the order the running model
        saw them: the baseline learns exactly what it was taught (a sample leaves the
        longest window at a later poll, and is learned only if that poll was not collapsed),
        and the recent samples refill the windows."""
        self.slots.clear()
        self.pending.clear()
        self.last_at = None
        self._since = {False: None, True: None}
        self._box_level = self._box_at = None
        for x in samples:
            self._append(x)
            self._learn(x.at, x.collapsed)
        self.collapsed = collapsed
        if samples:
            self._judge(samples[-1].at)
        self.collapsed = collapsed
        self._last_inside.clear()
        self.last_at = None  # the next live poll starts a new stretch (arrivals unknown)
