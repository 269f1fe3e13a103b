"""What traffic an airspace normally has, hour by hour: the baseline a collapse is judged against.

The baseline is learned from the airspace's own covered polls, kept as hourly bins of
(covered minutes, aircraft-minutes, arrivals) per calendar day, for foreign and domestic
aircraft apart.  For an hour of the day it answers, in order of preference:

* **hour-of-week** – once ``week_min`` weeks have that hour of the week (weekly schedules);
* **learned days** – the same hour of the day on the days seen so far (a median per hour
  once three days exist, so one odd day does not move it);
* **prior** – the configured expectation (``detection.expected_foreign``), scaled by how
  busy the hours learned so far were against it, so a wrong number in config.yaml is
  corrected within hours of the first day.

Every answer is a Gamma posterior on the arrival rate: the configured expectation counts
as ``prior_strength`` aircraft of evidence, the learned bins as what they saw.  The
spread of that posterior makes the predictive count negative-binomial rather than Poisson,
so a baseline built on little data cannot declare a collapse on its own.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

NEIGHBOUR_HOURS = 3
MIN_SPREAD_HOURS = 5  # learned hours needed before they say anything about an unseen one


def hour_of_week(at: datetime) -> int:
    """0 = Monday 00h UTC … 167 = Sunday 23h UTC.

    >>> from datetime import UTC
    >>> hour_of_week(datetime(2025, 11, 21, 17, 43, tzinfo=UTC))  # a Friday
    113
    """
    return at.weekday() * 24 + at.hour


def nbinom_cdf(k: int, mean: float, shape: float) -> float:
    """P(X <= k) for a negative binomial with this mean and shape (Poisson when shape is huge).

    The count of aircraft seen in a window, when the rate is only known as a Gamma
    posterior with ``shape`` aircraft of evidence behind it.

    >>> round(nbinom_cdf(0, 3.0, 1e9), 4)  # Poisson: e^-3
    0.0498
    >>> round(nbinom_cdf(0, 3.0, 3.0), 4)  # a rate known from 3 aircraft only: (3/6)^3
    0.125
    >>> nbinom_cdf(5, 0.0, 3.0)
    1.0
    """
    if mean <= 0 or k < 0:
        return 1.0 if k >= 0 else 0.0
    if shape > 1e6:  # Poisson limit, summed in log space
        term = math.exp(-mean)
        if term == 0.0:
            return 0.0  # exp(-mean) underflows (mean > ~745): every term is 0, as is the sum
        total = term
        for i in range(1, k + 1):
            term *= mean / i
            total += term
        return min(1.0, total)
    p = shape / (shape + mean)
    term = math.exp(shape * math.log(p))
    if term == 0.0:
        return 0.0  # underflow: every later term is a multiple of this one
    total = term
    q = 1.0 - p
    for i in range(k):
        term *= (shape + i) / (i + 1) * q
        total += term
    return min(1.0, total)


@dataclass(slots=True)
class Bin:
    """One calendar hour of covered polls."""

    minutes: float = 0.0
    foreign_minutes: float = 0.0  # aircraft-minutes
    domestic_minutes: float = 0.0
    foreign_arrivals: float = 0.0
    domestic_arrivals: float = 0.0
    outside_minutes: float = 0.0  # aircraft-minutes elsewhere in the feed's box
    outside_known: float = 0.0  # minutes for which that count was known


@dataclass(frozen=True, slots=True)
class Expectation:
    """What the baseline expects per minute at one instant, and how sure it is."""

    foreign_aircraft: float  # aircraft inside at a time (occupancy)
    foreign_arrivals_per_min: float
    foreign_shape: float  # aircraft of evidence behind the rate (NB shape)
    domestic_aircraft: float | None
    domestic_arrivals_per_min: float | None
    domestic_shape: float
    outside_aircraft: float | None  # aircraft elsewhere in the feed's box, for coverage
    source: str


@dataclass
class DiurnalBaseline:
    prior_foreign: float | None  # aircraft inside at a time, from config.yaml
    prior_domestic: float | None
    dwell_minutes: float  # prior time an aircraft spends inside (arrival rate = occupancy/dwell)
    prior_strength: float  # aircraft of evidence the prior counts as
    min_bin_minutes: float = 30.0
    week_min: int = 3
    history_days: float = 28.0
    learn_delay_minutes: float = 60.0  # shown in the evidence; applied by the traffic model
    bins: dict[tuple[date, int], Bin] = field(default_factory=dict)
    _cache: dict[tuple[date, int], Expectation] = field(default_factory=dict, repr=False)
    _learning: tuple[date, int] | None = None  # the hour being learned (not finished)
    # per day, (minutes, foreign arrivals, domestic arrivals) summed over its finished bins
    # of at least min_bin_minutes: every answer needs these sums over all learned hours, and
    # a pass over ~700 bins per airspace each hour cost seconds with every FIR watched
    _day_totals: dict[date, list[float]] = field(default_factory=dict, repr=False)
    _totalled: int = field(default=0, repr=False)  # finished bins counted in _day_totals
    # each hour of the day's bins, oldest first (the same Bin objects as in ``bins``)
    _by_hour: dict[int, list[tuple[date, Bin]]] = field(default_factory=dict, repr=False)
    _indexed: int = field(default=0, repr=False)

    # -- learning -------------------------------------------------------------------------
    def learn(
        self,
        at: datetime,
        minutes: float,
        foreign: int,
        domestic: int,
        foreign_arrivals: int,
        domestic_arrivals: int,
        outside: int | None,
    ) -> None:
        """Add one covered poll standing for ``minutes`` of normal traffic."""
        if minutes <= 0:
            return
        b = self.bin((at.date(), at.hour))
        b.minutes += minutes
        b.foreign_minutes += foreign * minutes
        b.domestic_minutes += domestic * minutes
        b.foreign_arrivals += foreign_arrivals
        b.domestic_arrivals += domestic_arrivals
        if outside is not None:
            b.outside_minutes += outside * minutes
            b.outside_known += minutes
        if self._learning != (at.date(), at.hour):
            # only finished hours are used: the answers change once an hour, not every poll
            self.start_learning((at.date(), at.hour))
        self.prune(at.date())

    def bin(self, key: tuple[date, int]) -> Bin:
        """The bin of one calendar hour, created (and indexed by hour of day) if new."""
        b = self.bins.get(key)
        if b is None:
            b = self.bins[key] = Bin()
            if self._indexed == len(self.bins) - 1:
                self._by_hour.setdefault(key[1], []).append((key[0], b))
                self._indexed += 1
        return b

    def start_learning(self, key: tuple[date, int]) -> None:
        """The hour ``key`` is now being learned: the previous one is finished."""
        old = self._learning
        if old is not None and old in self.bins:
            self._total(old, self.bins[old])
        self._learning = key
        self._cache.clear()

    def prune(self, today: date) -> None:
        """Forget bins older than the history (they are never used again)."""
        horizon = today - timedelta(days=self.history_days + 1)
        if len(self.bins) > 24 * (self.history_days + 2):
            for key in [k for k in self.bins if k[0] < horizon]:
                del self.bins[key]
            self._day_totals.clear()
            self._totalled = -1  # recounted from the bins at the next answer

    def _total(self, key: tuple[date, int], b: Bin) -> None:
        self._totalled += 1
        if b.minutes >= self.min_bin_minutes:
            t = self._day_totals.setdefault(key[0], [0.0, 0.0, 0.0])
            t[0] += b.minutes
            t[1] += b.foreign_arrivals
            t[2] += b.domestic_arrivals

    def _totals(self, at: datetime) -> tuple[float, float, float]:
        """(minutes, foreign arrivals, domestic arrivals) over the usable bins."""
        finished = len(self.bins) - (self._learning in self.bins)
        if self._totalled != finished:  # bins set or pruned without learn(): count again
            self._day_totals.clear()
            self._totalled = 0
            for key in sorted(self.bins):
                if key != self._learning:
                    self._total(key, self.bins[key])
        oldest = at.date() - timedelta(days=self.history_days)
        minutes = foreign = domestic = 0.0
        for day in sorted(d for d in self._day_totals if d >= oldest):
            t = self._day_totals[day]
            minutes, foreign, domestic = minutes + t[0], foreign + t[1], domestic + t[2]
        now = self.bins.get((at.date(), at.hour))
        if (
            now is not None
            and (at.date(), at.hour) != self._learning
            and now.minutes >= self.min_bin_minutes
        ):
            minutes -= now.minutes
            foreign -= now.foreign_arrivals
            domestic -= now.domestic_arrivals
        return minutes, foreign, domestic

    def _hour_bins(self, at: datetime) -> list[tuple[date, Bin]]:
        """The usable bins of ``at``'s hour of the day, oldest first."""
        if self._indexed != len(self.bins):  # pruned, or bins set without learn()
            self._by_hour = {}
            for key in sorted(self.bins):
                self._by_hour.setdefault(key[1], []).append((key[0], self.bins[key]))
            self._indexed = len(self.bins)
        oldest = at.date() - timedelta(days=self.history_days)
        today, learning = at.date(), self._learning
        return [
            (day, b)
            for day, b in self._by_hour.get(at.hour, ())
            if day >= oldest
            and b.minutes >= self.min_bin_minutes
            and day != today
            and (day, at.hour) != learning
        ]

    # -- answering ------------------------------------------------------------------------
    def _usable(self, at: datetime) -> list[tuple[date, int, Bin]]:
        oldest = at.date() - timedelta(days=self.history_days)
        return [
            (day, hour, b)
            for (day, hour), b in self.bins.items()
            if b.minutes >= self.min_bin_minutes
            and oldest <= day
            and (day, hour) != (at.date(), at.hour)
            and (day, hour) != self._learning
        ]

    def expect(self, at: datetime) -> Expectation | None:
        key = (at.date(), at.hour)
        if key not in self._cache:
            found = self._expect(at)
            if found is None:
                return None
            self._cache[key] = found
        return self._cache[key]

    def _expect(self, at: datetime) -> Expectation | None:
        hour_bins = self._hour_bins(at)
        weekly = [b for day, b in hour_bins if day.weekday() == at.weekday()]
        daily = [b for _, b in hour_bins]
        usable: list[tuple[date, int, Bin]] = []
        weights: list[float]
        if len(weekly) >= self.week_min:
            chosen, source = weekly, f"hour-of-week ({len(weekly)} weeks)"
            weights = [1.0] * len(chosen)
        elif daily:
            chosen = daily
            source = f"learned days ({len(daily)} day{'s' if len(daily) > 1 else ''})"
            weights = [1.0] * len(chosen)
        else:
            # an hour not seen yet (day one): the nearest hours seen, each hour away
            # halving what they count for, on top of the (rescaled) prior
            usable = self._usable(at)
            chosen, weights = [], []
            for _, hour, b in usable:
                distance = min((hour - at.hour) % 24, (at.hour - hour) % 24)
                if distance <= NEIGHBOUR_HOURS:
                    chosen.append(b)
                    weights.append(0.5**distance)
            source = "prior" if not chosen else "prior and neighbouring hours"
        totals = self._totals(at)
        learned_hours = totals[0] / 60.0
        if source.startswith("prior") and learned_hours:
            source += f", scaled by {learned_hours:.0f} h learned"
        level = self._level(totals)
        foreign = self._posterior(chosen, weights, "foreign", self.prior_foreign, level[0])
        domestic = self._posterior(chosen, weights, "domestic", self.prior_domestic, level[1])
        if foreign is None:
            return None
        if source.startswith("prior"):
            # an hour not seen yet is as predictable as the hours seen are alike: all they
            # saw counts as evidence, capped by how much they differ from each other (a
            # strong day/night cycle makes it a guess, a flat day does not)
            learned = [b for _, _, b in usable]
            cap = self._spread_shape(learned)
            seen = sum(b.foreign_arrivals for b in learned)
            foreign = (foreign[0], foreign[1], min(self.prior_strength + seen, cap))
            if domestic is not None:
                seen = sum(b.domestic_arrivals for b in learned)
                domestic = (domestic[0], domestic[1], min(self.prior_strength + seen, cap))
        known = [b for b in chosen if b.outside_known > 0]
        outside = (
            sum(b.outside_minutes for b in known) / sum(b.outside_known for b in known)
            if known
            else None
        )
        return Expectation(
            foreign_aircraft=foreign[0],
            foreign_arrivals_per_min=foreign[1],
            foreign_shape=foreign[2],
            domestic_aircraft=domestic[0] if domestic else None,
            domestic_arrivals_per_min=domestic[1] if domestic else None,
            domestic_shape=domestic[2] if domestic else 0.0,
            outside_aircraft=outside,
            source=source,
        )

    def _spread_shape(self, bins: list[Bin]) -> float:
        """1 / (squared coefficient of variation between hours, beyond Poisson noise) of
        the foreign arrival rate: the Gamma shape an unseen hour's rate deserves.

        >>> flat = [Bin(minutes=60, foreign_arrivals=20) for _ in range(6)]
        >>> DiurnalBaseline(8, None, 45, 3)._spread_shape(flat)
        1000.0
        >>> cycle = [Bin(minutes=60, foreign_arrivals=a) for a in (40, 25, 12, 5, 2, 1)]
        >>> round(DiurnalBaseline(8, None, 45, 3)._spread_shape(cycle), 2)
        1.08
        """
        if len(bins) < MIN_SPREAD_HOURS:
            return self.prior_strength  # too few hours to tell a flat day from a cycle
        rates = [b.foreign_arrivals / b.minutes for b in bins]
        mean = sum(rates) / len(rates)
        if mean <= 0:
            return self.prior_strength
        noise = sum(r / b.minutes for r, b in zip(rates, bins, strict=True)) / len(rates)
        variance = sum((r - mean) ** 2 for r in rates) / len(rates)
        excess = max(variance - noise, 0.0) / mean**2
        return max(1.0, 1.0 / max(excess, 1e-3))

    def _level(self, totals: tuple[float, float, float]) -> tuple[float, float]:
        """How busy the learned hours were against the prior (1.0 = as configured), from
        the (minutes, foreign arrivals, domestic arrivals) of all usable bins."""
        minutes = totals[0]
        out = []
        for kind, prior in (("foreign", self.prior_foreign), ("domestic", self.prior_domestic)):
            if prior is None or prior <= 0:
                out.append(1.0)
                continue
            seen = totals[1] if kind == "foreign" else totals[2]
            expected = prior / self.dwell_minutes * minutes
            out.append((self.prior_strength + seen) / (self.prior_strength + expected))
        return out[0], out[1]

    def _posterior(
        self, bins: list[Bin], weights: list[float], kind: str, prior: float | None, level: float
    ) -> tuple[float, float, float] | None:
        """(occupancy, arrivals per minute, shape) from the bins with the prior on top."""
        minutes = sum(w * b.minutes for b, w in zip(bins, weights, strict=True))
        if len(bins) >= 3 and all(w == 1.0 for w in weights):
            # robust: the median day, so one odd day does not move it
            arrivals = statistics.median(getattr(b, f"{kind}_arrivals") / b.minutes for b in bins)
            occupancy = statistics.median(getattr(b, f"{kind}_minutes") / b.minutes for b in bins)
            arrivals, aircraft_minutes = arrivals * minutes, occupancy * minutes
        else:
            pairs = list(zip(bins, weights, strict=True))
            arrivals = sum(w * getattr(b, f"{kind}_arrivals") for b, w in pairs)
            aircraft_minutes = sum(w * getattr(b, f"{kind}_minutes") for b, w in pairs)
        if prior is None or prior <= 0:
            if minutes <= 0:
                return None
            return aircraft_minutes / minutes, arrivals / minutes, max(arrivals, 0.5)
        prior_rate = prior / self.dwell_minutes * level  # arrivals per minute
        prior_minutes = self.prior_strength / prior_rate  # exposure the prior stands for
        shape = self.prior_strength + arrivals
        rate = shape / (prior_minutes + minutes)
        occupancy = (prior * level * prior_minutes + aircraft_minutes) / (prior_minutes + minutes)
        return occupancy, rate, shape
