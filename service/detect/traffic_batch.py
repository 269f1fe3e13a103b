"""The traffic models of every FIR at once, as arrays indexed by FIR (``watch.airspaces: all``).

:class:`~service.detect.traffic_model.TrafficModel` judges one airspace with a Python loop
over its polls; with all ~435 FIRs of the world watched that loop ran ~70,000 times a poll
(a global poll's status update cost 15–38× ``json.loads`` of its body).  This module keeps
the same state — each FIR's polls of the longest window, its pending (not yet learned)
samples, the collapse flags — in arrays of (poll, FIR) and judges every window of every FIR
with cumulative sums, so the per-poll cost no longer grows with Python work per FIR.

It is a second implementation of the same statistics, not new ones: the rules are those of
:meth:`TrafficModel.windows` and :meth:`TrafficModel._judge` (read them there), and
``tests/detect/test_traffic_batch.py`` feeds both the same polls and requires the same
judgements, so a change to the model that is not made here fails that test.  Tail
probabilities use the model's own scalar ``nbinom_cdf``, only for windows that could be a
collapse (or when evidence is read): identical numbers, computed rarely.  The model's running
state outside the windows — the sums since the last arrival and the recent level of the
feed's box — is kept here as arrays [FIR] updated at each poll.  The baseline stays
one :class:`~service.detect.traffic_baseline.DiurnalBaseline` per FIR (it answers once per
hour), shared with the tracker's model so the evidence and a restart read the same one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from service.detect.traffic_baseline import nbinom_cdf
from service.detect.traffic_model import (
    BOX_LEVEL_MINUTES,
    ERROR_SHARE,
    GAP,
    SEEN,
    TOO_LITTLE,
    TrafficModel,
    TrafficSample,
    WindowJudgement,
    _Since,
)

# numeric fields of one poll of one FIR, rows of ``TrafficBatch._f``
FIELDS = (
    "minutes",
    "coverage",
    "occ",
    "rate",
    "shape",
    "docc",
    "drate",
    "dshape",
    "seen",
    "arrived",
    "dseen",
    "darrived",
    "domestic_known",
)
_NAN = float("nan")
PREFIX = ("part", "k", "o", "e", "cov", "part_hour", "part_prior")
# running sums since the last arrival (TrafficModel._since), rows of ``TrafficBatch._sn``
# [field, foreign/domestic, FIR]: when it started (NaN: no baseline to judge it by), the
# _Since sums, and its variance groups — every finished hour summed into "var", the hour
# being added to ("hour", "hpart", "hmin") and the prior group ("ppart", "pmin")
SINCE = ("at", "mu", "o", "e", "cov", "var", "hour", "hpart", "hmin", "ppart", "pmin")
_SINCE_ZERO = dict.fromkeys(SINCE, 0.0) | {"hour": -1.0, "hmin": np.inf, "pmin": np.inf}


def poisson_cdf(k: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """``nbinom_cdf(k, mean, 1e9)`` (the Poisson limit) of many pairs, term by term as the
    scalar sums them; a mean whose exp(-mean) underflows (> ~745) gives 0 without a loop."""
    k = np.asarray(k, dtype=float)
    mean = np.asarray(mean, dtype=float)
    out = np.where(k >= 0, 1.0, 0.0)
    live = (mean > 0) & (k >= 0)
    with np.errstate(under="ignore", over="ignore"):
        term = np.where(live, np.exp(-np.where(live, mean, 0.0)), 0.0)
    out[live] = 0.0
    live &= term > 0.0
    if not live.any():
        return out
    kk, mm, term = k[live], mean[live], term[live]
    total = term.copy()
    for i in range(1, int(kk.max()) + 1):
        term = term * (mm / i)
        total += np.where(i <= kk, term, 0.0)
    out[live] = np.minimum(1.0, total)
    return out


@dataclass(frozen=True, slots=True)
class GapSums:
    """The window since the last arrival (:meth:`TrafficModel._gap`) of a set of FIRs,
    judged at one poll: arrays [FIR]; ``present`` where the model would append it."""

    present: np.ndarray
    minutes: np.ndarray
    covered: np.ndarray
    o: np.ndarray
    e: np.ndarray
    mu: np.ndarray
    probability: np.ndarray
    judgeable: np.ndarray
    collapsed: np.ndarray


@dataclass(frozen=True, slots=True)
class WindowSums:
    """Every window of a set of FIRs: arrays [window, FIR]."""

    valid: np.ndarray
    covered: np.ndarray
    o: np.ndarray
    e: np.ndarray
    k: np.ndarray
    mu: np.ndarray
    shape: np.ndarray
    judgeable: np.ndarray


class ArrivalMemory:
    """When each aircraft was last inside each FIR, as sorted integer keys (address × FIRs +
    FIR): arrivals of a whole poll in a few array operations instead of a dict per FIR."""

    def __init__(self, memory_s: float):
        self.memory_s = memory_s
        self.keys = np.zeros(0, dtype=np.int64)
        self.seen = np.zeros(0, dtype=np.float64)

    def arrivals(self, keys: np.ndarray, at_s: float) -> np.ndarray:
        """Which of ``keys`` (unique) were not inside within the memory; remembers them."""
        pos = np.searchsorted(self.keys, keys)
        found = pos < len(self.keys)
        found[found] = self.keys[pos[found]] == keys[found]
        arrived = np.ones(len(keys), dtype=bool)
        arrived[found] = at_s - self.seen[pos[found]] > self.memory_s
        self.seen[pos[found]] = at_s
        fresh = keys[~found]
        if len(fresh):  # keys are sorted: new ones go in at their places
            self.keys = np.insert(self.keys, pos[~found], fresh)
            self.seen = np.insert(self.seen, pos[~found], at_s)
        # what is older than the memory counts as an arrival anyway: forgetting it changes
        # nothing and bounds the arrays by the aircraft of the last memory_s
        keep = at_s - self.seen <= self.memory_s
        if not keep.all():
            self.keys, self.seen = self.keys[keep], self.seen[keep]
        return arrived

    def clear(self) -> None:
        self.keys = np.zeros(0, dtype=np.int64)
        self.seen = np.zeros(0, dtype=np.float64)


class LazyJudgement:
    """The most telling foreign window of one FIR, built only when someone reads it."""

    __slots__ = ("_batch", "_col", "_stamp", "_value")

    def __init__(self, batch: TrafficBatch, col: int):
        self._batch, self._col, self._stamp, self._value = batch, col, -1, None

    def resolve(self) -> WindowJudgement | None:
        """The judgement at the batch's last poll (the batch detaches a FIR's proxy before
        a poll that does not judge that FIR)."""
        if self._stamp != self._batch.stamp:
            self._value = self._batch.foreign_judgement(self._col)
            self._stamp = self._batch.stamp
        return self._value

    def __getattr__(self, name: str) -> Any:
        return getattr(self.resolve(), name)


class TrafficBatch:
    """Many airspaces' :class:`TrafficModel` state in arrays; one :meth:`observe` per poll."""

    def __init__(self, models: list[TrafficModel]):
        self.models = models
        self.n = n = len(models)
        s = models[0].settings
        self.s = s
        self.limits = np.array(sorted(s.windows_minutes), dtype=float)
        self.longest_s = float(self.limits[-1]) * 60
        self.learn_delay_s = s.learn_delay_minutes * 60
        self.cap = 64
        self.rows = 0
        self.t = np.zeros(self.cap)
        self.present = np.zeros((self.cap, n), dtype=bool)
        self.seg = np.zeros((self.cap, n), dtype=bool)
        self.hasx = np.zeros((self.cap, n), dtype=bool)
        self.prior = np.zeros((self.cap, n), dtype=bool)
        self.learnable = np.zeros((self.cap, n), dtype=bool)  # not collapsed, not warned
        self._f = np.zeros((len(FIELDS), self.cap, n))
        self.outside = np.full((self.cap, n), _NAN)
        # running sums over the rows, kept as each poll is added (O(FIR) a poll): inclusive
        # prefix sums of PREFIX (row r+1 = rows 0..r), the minimum evidence of the newer rows
        # of the same hour (non-prior) and of all newer prior rows, the newest row without
        # an expectation; every window of every FIR is then a few gathers
        self._p = np.zeros((len(PREFIX), self.cap + 1, n))
        self._exm = np.full((self.cap, n), np.inf)
        self._exmp = np.full((self.cap, n), np.inf)
        self._block = np.zeros(self.cap, dtype=np.int64)  # first row of each row's hour
        self.last_bad = np.full(n, -1, dtype=np.int64)
        # the hour each FIR is learning, summed as Bin fields until it is finished
        self._acc = np.zeros((7, n))
        self._acc_hour = np.full(n, -1, dtype=np.int64)
        # what was last written into each model (see _judge)
        self._proxies = [LazyJudgement(self, i) for i in range(n)]
        self._live = np.zeros(n, dtype=bool)  # model.foreign is its proxy
        self._written_coverage = np.full(n, _NAN)
        self._written_judgement = np.full(n, "", dtype=object)
        # FIRs whose expectation may have changed at the last poll (tracker.last_baseline)
        self.refreshed = np.zeros(0, dtype=np.int64)
        self.last_at = np.full(n, _NAN)
        self.learned_upto = np.full(n, -np.inf)
        self.collapsed = np.zeros(n, dtype=bool)
        self.hit_since = np.full(n, _NAN)
        self.last_coverage = np.ones(n)
        # recent level of the box's traffic outside each FIR (NaN: none yet) and its time
        self.box_level = np.full(n, _NAN)
        self.box_at = np.full(n, _NAN)
        self._sn = np.zeros((len(SINCE), 2, n))
        self._sn[SINCE.index("at")] = _NAN
        self.gap: GapSums | None = None  # foreign window since the last arrival, last poll
        # this hour's expectation of each FIR (refreshed when the hour or the baseline changes)
        self._x_hour: tuple[Any, int] | None = None
        self._x = np.full((8, n), _NAN)  # occ rate shape docc drate dshape outside hasx
        self._x_source_prior = np.zeros(n, dtype=bool)
        self.arrivals = ArrivalMemory(s.arrival_memory_minutes * 60)
        self.judged_at = 0.0
        self.sums: WindowSums | None = None
        self.stamp = 0

    # -- the row buffer (oldest poll first) -----------------------------------------------
    def _field(self, name: str) -> np.ndarray:
        return self._f[FIELDS.index(name)]

    def _new_row(self, at_s: float) -> int:
        if self.rows == self.cap:
            self.cap *= 2
            grow = self.cap - self.rows
            self.t = np.concatenate([self.t, np.zeros(grow)])
            for name in ("present", "seg", "hasx", "prior", "learnable"):
                arr = getattr(self, name)
                setattr(self, name, np.concatenate([arr, np.zeros((grow, self.n), bool)]))
            self.outside = np.concatenate([self.outside, np.full((grow, self.n), _NAN)])
            self._f = np.concatenate([self._f, np.zeros((len(FIELDS), grow, self.n))], axis=1)
            self._p = np.concatenate([self._p, np.zeros((len(PREFIX), grow, self.n))], axis=1)
            self._exm = np.concatenate([self._exm, np.full((grow, self.n), np.inf)])
            self._exmp = np.concatenate([self._exmp, np.full((grow, self.n), np.inf)])
            self._block = np.concatenate([self._block, np.zeros(grow, dtype=np.int64)])
        r = self.rows
        self.rows += 1
        self.t[r] = at_s
        for arr in (self.present, self.seg, self.hasx, self.prior, self.learnable):
            arr[r] = False
        self._f[:, r] = 0.0
        self.outside[r] = _NAN
        self._exm[r] = np.inf
        self._exmp[r] = np.inf
        return r

    def _row_values(self, r: int) -> dict[str, np.ndarray]:
        f = {k: self._f[FIELDS.index(k), r] for k in ("minutes", "coverage", "seen", "arrived")}
        occ = np.nan_to_num(self._f[FIELDS.index("occ"), r])
        rate = np.nan_to_num(self._f[FIELDS.index("rate"), r])
        present, seg = self.present[r], self.seg[r]
        first = np.where(present, occ * f["coverage"], 0.0)
        part = np.where(seg, first, rate * f["coverage"] * f["minutes"]) * present
        return {"first": first, "part": part, "present": present, "occ": occ, **f}

    def _append_prefix(self, r: int) -> None:
        """Extend the running sums by row ``r`` (the newest)."""
        v = self._row_values(r)
        present, prior = v["present"], self.prior[r]
        m, seen = v["minutes"], v["seen"]
        kk = np.where(self.seg[r], seen, v["arrived"]) * present
        rows = (
            v["part"],
            kk,
            seen * m * present,
            v["occ"] * v["coverage"] * m * present,
            m * present,
            v["part"] * ~prior,
            v["part"] * prior,
        )
        for k, x in enumerate(rows):
            self._p[k, r + 1] = self._p[k, r] + x
        ev = np.nan_to_num(self._f[FIELDS.index("shape"), r])
        hour = self.t[r] // 3600
        start = r
        if r > 0 and self.t[r - 1] // 3600 == hour:
            start = int(self._block[r - 1])
        self._block[r] = start
        ev_hour = np.where(present & ~prior, ev, np.inf)
        if start < r:
            np.minimum(self._exm[start:r], ev_hour, out=self._exm[start:r])
        if (present & prior).any():
            np.minimum(self._exmp[:r], np.where(present & prior, ev, np.inf), out=self._exmp[:r])
        self.last_bad[present & ~self.hasx[r]] = r

    def _rebuild_prefix(self) -> None:
        self._p[:, 0] = 0.0
        self.last_bad[:] = -1
        for r in range(self.rows):
            self._exm[r] = np.inf
            self._exmp[r] = np.inf
            self._append_prefix(r)

    def _drop_old(self, now_s: float) -> None:
        """Rows older than the longest window that every FIR has learned (or skipped)."""
        done = (self.t[: self.rows] <= now_s - self.longest_s) & (
            self.t[: self.rows] <= self.learned_upto.min()
        )
        # a FIR no poll covers for long keeps nothing pending beyond a day
        done |= self.t[: self.rows] <= now_s - self.longest_s - self.learn_delay_s - 86400
        drop = int(np.argmin(done)) if not done.all() else self.rows
        if drop < max(16, self.rows // 4):
            return  # rows kept a little longer change nothing (windows end at age < limit)
        keep = self.rows - drop
        self.t[:keep] = self.t[drop : self.rows]
        for name in ("present", "seg", "hasx", "prior", "learnable"):
            arr = getattr(self, name)
            arr[:keep] = arr[drop : self.rows]
        self.outside[:keep] = self.outside[drop : self.rows]
        self._f[:, :keep] = self._f[:, drop : self.rows]
        self._p[:, : keep + 1] = self._p[:, drop : self.rows + 1] - self._p[:, drop : drop + 1]
        self._exm[:keep] = self._exm[drop : self.rows]
        self._exmp[:keep] = self._exmp[drop : self.rows]
        self._block[:keep] = np.maximum(self._block[drop : self.rows] - drop, 0)
        self.last_bad = np.maximum(self.last_bad - drop, -1)
        self.rows = keep

    # -- expectations ---------------------------------------------------------------------
    def _expectations(self, at: datetime) -> None:
        hour = (at.date(), at.hour)
        # a baseline's answers change with the hour asked and when it starts learning
        # another hour (_teach, at the previous poll)
        stale = list(range(self.n)) if self._x_hour != hour else sorted(set(self._started_before))
        self._refreshed = stale
        for i in stale:
            m = self.models[i]
            x = m.baseline.expect(at)
            if x is None:
                self._x[:, i] = _NAN
                self._x[7, i] = 0.0
                continue
            dom = x.domestic_aircraft is not None
            self._x[:, i] = (
                x.foreign_aircraft,
                x.foreign_arrivals_per_min,
                x.foreign_shape,
                x.domestic_aircraft if dom else _NAN,
                (x.domestic_arrivals_per_min or 0.0) if dom else _NAN,
                x.domestic_shape,
                _NAN if x.outside_aircraft is None else x.outside_aircraft,
                1.0,
            )
            self._x_source_prior[i] = x.source.startswith("prior")
        self._x_hour = hour

    def _coverage(
        self, outside: np.ndarray, known: np.ndarray, fresh: np.ndarray, now_s: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`TrafficModel._coverage` for every FIR: the coverage factor and whether the
        feed returned only part of its box; the recent level of the box's traffic follows
        the ``fresh`` polls."""
        ratio = self._coverage_against_hour(outside, known)
        level = self.box_level
        cut = ratio < 1.0
        check = cut & ~np.isnan(level) & known
        below = check & ~(outside >= level)
        calm = check & (outside >= level)
        if below.any():
            cdf = poisson_cdf(np.where(below, outside, 0.0), np.where(below, level, 0.0))
            calm |= below & (cdf > 0.05)
        cut &= ~calm  # as the recent polls: the region is quieter, fully seen
        drop = check & ~calm
        ratio = np.where(
            drop,
            np.maximum(ratio, np.divide(outside, level, out=np.ones(self.n), where=drop)),
            ratio,
        )
        update = fresh & known & ~(cut & (ratio < self.s.coverage_suspend_fraction))
        scale = cut & (ratio > 0)  # (a cut to nothing is suspended: its level is not used)
        full = np.where(cut, np.divide(outside, ratio, out=np.zeros(self.n), where=scale), outside)
        first = np.isnan(level) | np.isnan(self.box_at)
        minutes = np.where(first, 0.0, (now_s - self.box_at) / 60)
        weight = 1.0 - np.exp(-np.maximum(minutes, 0.0) / BOX_LEVEL_MINUTES)
        moved = np.where(first, full, level + weight * (full - level))
        self.box_level = np.where(update, moved, level)
        self.box_at = np.where(update, now_s, self.box_at)
        return ratio, cut

    def _coverage_against_hour(self, outside: np.ndarray, known: np.ndarray) -> np.ndarray:
        """:meth:`TrafficModel._coverage_against_hour` for every FIR."""
        expected = self._x[6]
        cov = np.ones(self.n)
        check = known & ~np.isnan(expected) & (self._x[7] > 0)
        check &= expected >= self.s.coverage_min_expected
        ratio = np.divide(outside, expected, out=np.ones(self.n), where=check)
        short = check & (ratio < 1.0)
        if short.any():
            cdf = poisson_cdf(np.where(short, outside, 0.0), np.where(short, expected, 0.0))
            take = short & (cdf <= 0.05)
            cov[take] = ratio[take]
        return cov

    # -- one poll ------------------------------------------------------------------------
    def observe(
        self,
        at: datetime,
        covered: np.ndarray,
        counts: np.ndarray,
        outside: np.ndarray,
        warned: np.ndarray,
    ) -> np.ndarray:
        """One poll: ``counts`` [4, FIR] = foreign, domestic, foreign arrivals, domestic
        arrivals; ``covered`` the FIRs the poll saw whole.  Returns which FIRs' collapse
        flag changed (their trackers raise the events)."""
        s = self.s
        now_s = at.timestamp()
        was = self.collapsed.copy()
        self._started_before = getattr(self, "_started", [])
        self._started: list[int] = []
        self._expectations(at)
        fresh = covered & ~(self.last_at >= now_s)  # a repeated/out-of-order poll is not added
        gap = (now_s - self.last_at) / 60
        start = np.isnan(self.last_at) | (gap > s.sample_max_minutes)
        self.last_at[fresh] = now_s
        cov, cut = self._coverage(outside.astype(float), outside >= 0, fresh, now_s)
        self.last_coverage[fresh] = cov[fresh]
        suspended = fresh & cut & (cov < s.coverage_suspend_fraction)
        self.last_at[suspended] = _NAN
        added = fresh & ~suspended
        r = self._new_row(now_s)
        self.present[r] = added
        self.seg[r] = start & added
        self.hasx[r] = self._x[7] > 0
        self.prior[r] = self._x_source_prior
        values = (
            np.where(start, 0.0, gap),
            cov,
            self._x[0],
            self._x[1],
            self._x[2],
            self._x[3],
            self._x[4],
            self._x[5],
            counts[0],
            counts[2],
            counts[1],
            counts[3],
            ~np.isnan(self._x[3]),
        )
        for k, v in enumerate(values):
            self._f[k, r] = np.where(added, v, 0.0)
        self.outside[r] = np.where(outside >= 0, outside, _NAN)
        self._append_prefix(r)
        minutes = np.where(start, 0.0, gap)
        self._since_last_arrival(now_s, added, start, minutes, cov, counts)
        self._judge(now_s, added)
        sample_collapsed = self.collapsed
        self.learnable[r] = added & ~sample_collapsed & ~warned
        self._learn(at, now_s, covered)
        for i in np.flatnonzero(suspended):
            self.models[i].judgement = "coverage too low to judge"
            self.models[i].last_coverage = float(cov[i])
        self._drop_old(now_s)
        self.refreshed = np.unique(np.array(self._refreshed + self._started, dtype=np.int64))
        return (was != self.collapsed) & covered

    def _since_last_arrival(
        self,
        now_s: float,
        added: np.ndarray,
        start: np.ndarray,
        minutes: np.ndarray,
        cov: np.ndarray,
        counts: np.ndarray,
    ) -> None:
        """:meth:`TrafficModel._since_last_arrival` of foreign and domestic traffic (rows 0
        and 1) for the FIRs a poll was added to: restarted where one arrived (after a data
        gap: where any was seen), none where there is no baseline to judge it by."""
        sn, x = self._sn, self._x
        f = {name: sn[k] for k, name in enumerate(SINCE)}  # views [kind, FIR]
        has = x[7] > 0
        known = np.stack([has, has & ~np.isnan(x[3])]) & added
        occ = np.stack([x[0], np.nan_to_num(x[3])])
        rate = np.stack([x[1], np.nan_to_num(x[4])])
        shape = np.stack([x[2], x[5]])
        seen, arrived = counts[[0, 1]], counts[[2, 3]]
        at = np.where(added & ~known, _NAN, f["at"])
        restart = known & ((np.where(start, seen, arrived) > 0) | np.isnan(at))
        grow = known & ~restart
        f["at"][...] = np.where(restart, now_s, at)
        if restart.any():
            for name, v in _SINCE_ZERO.items():
                if name != "at":
                    np.copyto(f[name], v, where=restart)
        if not grow.any():
            return
        covered = cov * minutes
        part = np.where(start, occ * cov, rate * covered)
        f["mu"] += np.where(grow, part, 0.0)
        f["o"] += np.where(grow, seen * minutes, 0.0)
        f["e"] += np.where(grow, occ * covered, 0.0)
        f["cov"] += np.where(grow, minutes, 0.0)
        # polls of one hour share one estimate; an hour's group is finished at the next
        prior = grow & self._x_source_prior
        f["ppart"] += np.where(prior, part, 0.0)
        np.minimum(f["pmin"], shape, out=f["pmin"], where=prior)
        hourly = grow & ~self._x_source_prior
        hour = now_s // 3600
        new = hourly & (f["hour"] != hour)
        if new.any():
            f["var"] += np.where(new, f["hpart"] ** 2 / np.maximum(f["hmin"], 1e-9), 0.0)
            np.copyto(f["hpart"], 0.0, where=new)
            np.copyto(f["hmin"], np.inf, where=new)
            np.copyto(f["hour"], hour, where=new)
        f["hpart"] += np.where(hourly, part, 0.0)
        np.minimum(f["hmin"], shape, out=f["hmin"], where=hourly)

    def gap_sums(self, now_s: float, d: int, cols: np.ndarray | slice, sums: WindowSums) -> GapSums:
        """:meth:`TrafficModel._gap` (and its effect, the shortest window's traffic) for
        the FIRs ``cols`` whose windows are ``sums``."""
        sn = self._sn[:, d, cols]
        f = {name: sn[k] for k, name in enumerate(SINCE)}
        present = ~np.isnan(f["at"]) & (f["cov"] > 0) & sums.valid.any(axis=0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            variance = (
                f["var"]
                + f["hpart"] ** 2 / np.maximum(f["hmin"], 1e-9)
                + f["ppart"] ** 2 / np.maximum(f["pmin"], 1e-9)
            )
            mu = f["mu"]
            shape = np.where(variance > 0, mu**2 / np.where(variance > 0, variance, 1.0), 1e9)
            shape = np.where(np.isinf(shape), 1e9, shape)
            p0 = np.where(shape > 1e6, np.exp(-mu), np.exp(shape * np.log(shape / (shape + mu))))
        p0 = np.where(mu <= 0, 1.0, np.minimum(1.0, p0))
        share = ERROR_SHARE[GAP]
        probability = np.minimum(1.0, p0 / share)
        judgeable = present & (p0 / share <= self.s.probability)
        # the sky has emptied: the shortest window's aircraft-minutes
        nf = sums.valid.shape[1]
        j0 = np.argmax(sums.valid, axis=0)
        fi = np.arange(nf)
        empty = sums.o[j0, fi] <= self.s.collapse_ratio * sums.e[j0, fi]
        collapsed = judgeable & (probability <= self.s.probability) & empty
        return GapSums(
            present,
            (now_s - f["at"]) / 60,
            f["cov"],
            f["o"],
            f["e"],
            mu,
            probability,
            judgeable,
            collapsed,
        )

    def _learn(self, at: datetime, now_s: float, covered: np.ndarray) -> None:
        """:meth:`TrafficModel._learn`: pending polls older than the delay are taught to the
        baseline unless the sample or the airspace now is collapsed (or was warned)."""
        horizon = now_s - self.learn_delay_s
        t_all = self.t[: self.rows]
        # only rows after the oldest FIR's last learned poll and up to the horizon can be due
        first = int(
            np.searchsorted(t_all, self.learned_upto[covered].min(initial=np.inf), side="right")
        )
        last = int(np.searchsorted(t_all, horizon, side="right"))
        t = t_all[first:last]
        due = (
            (t[:, None] > self.learned_upto[None, :]) & self.present[first:last] & covered[None, :]
        )
        # a covered FIR has nothing pending up to the horizon (polls it skipped never were)
        upto = t_all[:last].max(initial=-np.inf)
        if not due.any():
            self.learned_upto[covered] = np.maximum(self.learned_upto[covered], upto)
            return
        ok = due & self.learnable[first:last] & ~self.collapsed[None, :]
        ok &= self._field("minutes")[first:last] > 0
        for row in np.flatnonzero(ok.any(axis=1)):
            self._teach(first + int(row), ok[row])
        self.learned_upto[covered] = np.maximum(self.learned_upto[covered], upto)

    def _teach(self, r: int, ok: np.ndarray) -> None:
        """:meth:`DiurnalBaseline.learn` of row ``r`` for the FIRs ``ok``, summed in arrays
        for the hour being learned and written into each baseline's bin when the FIR starts
        learning the next hour (the baseline never uses the hour it is learning)."""
        hour = int(self.t[r] // 3600)
        starting = ok & (self._acc_hour != hour)
        for i in np.flatnonzero(starting & (self._acc_hour >= 0)):
            self._flush(int(i))
        self._started.extend(np.flatnonzero(starting).tolist())
        when = datetime.fromtimestamp(hour * 3600, UTC)
        key = (when.date(), when.hour)
        for i in np.flatnonzero(starting):
            b = self.models[i].baseline
            if b._learning != key:  # (after a restart it may be learning this hour already)
                b.start_learning(key)  # as learn() does on an hour's first sample
        self._acc_hour[starting] = hour
        m = self._field("minutes")[r]
        out = self.outside[r]
        known = ~np.isnan(out)
        add = (
            m,
            self._field("seen")[r] * m,
            self._field("dseen")[r] * m,
            self._field("arrived")[r],
            self._field("darrived")[r],
            np.where(known, np.nan_to_num(out) * m, 0.0),
            np.where(known, m, 0.0),
        )
        for k, v in enumerate(add):
            self._acc[k, ok] += v[ok]

    def _flush(self, i: int) -> None:
        """Write FIR ``i``'s summed hour into its baseline's bin (and forget old bins)."""
        acc = self._acc[:, i]
        if acc[0] > 0:
            b = self.models[i].baseline
            key = datetime.fromtimestamp(int(self._acc_hour[i]) * 3600, UTC)
            bin_ = b.bin((key.date(), key.hour))
            bin_.minutes += float(acc[0])
            bin_.foreign_minutes += float(acc[1])
            bin_.domestic_minutes += float(acc[2])
            bin_.foreign_arrivals += float(acc[3])
            bin_.domestic_arrivals += float(acc[4])
            bin_.outside_minutes += float(acc[5])
            bin_.outside_known += float(acc[6])
            b.prune(key.date())
        self._acc[:, i] = 0.0

    def flush(self) -> None:
        """Every FIR's hour being learned into its baseline's bins (for readers of bins)."""
        for i in np.flatnonzero(self._acc[0] > 0):
            self._flush(int(i))

    # -- windows --------------------------------------------------------------------------
    def window_sums(self, now_s: float, cols: np.ndarray, *, domestic: bool = False) -> WindowSums:
        """:meth:`TrafficModel.windows` for the FIRs ``cols``, every window at once."""
        n_rows = self.rows
        w, nf = len(self.limits), len(cols)
        if n_rows == 0:
            empty = np.zeros((w, nf))
            return WindowSums(
                np.zeros((w, nf), bool),
                empty,
                empty,
                empty,
                empty,
                empty,
                empty,
                np.zeros((w, nf), bool),
            )
        present = self.present[:n_rows, cols]
        get = {k: self._field(k)[:n_rows, cols] for k in FIELDS}
        if domestic:
            occ, rate, ev = get["docc"], get["drate"], get["dshape"]
            seen, arrived = get["dseen"], get["darrived"]
            bad = present & ~(self.hasx[:n_rows, cols] & (get["domestic_known"] > 0))
        else:
            occ, rate, ev = get["occ"], get["rate"], get["shape"]
            seen, arrived = get["seen"], get["arrived"]
            bad = present & ~self.hasx[:n_rows, cols]
        # a poll without an expectation ends the windows (``bad``); its numbers are not used
        occ, rate, ev = np.nan_to_num(occ), np.nan_to_num(rate), np.nan_to_num(ev)
        m, c, seg = get["minutes"], get["coverage"], self.seg[:n_rows, cols]
        age = (now_s - self.t[:n_rows]) / 60
        first = np.where(present, occ * c, 0.0)
        part = np.where(seg, first, rate * c * m) * present
        kk = np.where(seg, seen, arrived) * present
        sums = {
            "part": part,
            "k": kk,
            "o": seen * m * present,
            "e": occ * c * m * present,
            "cov": m * present,
        }
        excl = {}
        for name, v in sums.items():
            cs = np.cumsum(v, axis=0)
            excl[name] = cs[-1:] - cs if n_rows else cs
        idx = np.where(present, np.arange(n_rows)[:, None], n_rows)
        next_present = np.minimum.accumulate(idx[::-1], axis=0)[::-1]
        bad_from = np.logical_or.accumulate(bad[::-1], axis=0)[::-1]
        # groups of the variance: "prior" or the poll's hour
        hour = np.floor(self.t[:n_rows] / 3600)
        key = np.where(self.prior[:n_rows, cols], -1.0, hour[:, None])
        groups = np.unique(key[present]) if present.any() else np.zeros(0)
        g_excl, g_min = [], []
        for g in groups:
            mask = present & (key == g)
            cs = np.cumsum(np.where(mask, part, 0.0), axis=0)
            g_excl.append(cs[-1:] - cs)
            evm = np.where(mask, ev, np.inf)
            # minimum over the newer rows (exclusive)
            suffix = np.minimum.accumulate(evm[::-1], axis=0)[::-1]
            g_min.append(np.vstack([suffix[1:], np.full((1, len(cols)), np.inf)]))
        out = {k: np.zeros((w, nf)) for k in ("covered", "o", "e", "k", "mu", "shape")}
        valid = np.zeros((w, nf), dtype=bool)
        fi = np.arange(nf)
        for j, limit in enumerate(self.limits):
            inside = np.flatnonzero(age < limit)
            if not len(inside):
                continue
            rl = next_present[inside[0]]
            ok = rl < n_rows
            rc = np.minimum(rl, max(n_rows - 1, 0))
            ok &= ~bad_from[rc, fi]
            valid[j] = ok
            mins = np.minimum(m[rc, fi], limit - age[rc])
            sn = seen[rc, fi]
            out["covered"][j] = excl["cov"][rc, fi] + mins
            out["o"][j] = excl["o"][rc, fi] + sn * mins
            out["e"][j] = excl["e"][rc, fi] + occ[rc, fi] * c[rc, fi] * mins
            out["k"][j] = excl["k"][rc, fi] + sn
            fp = first[rc, fi]
            total = excl["part"][rc, fi] + fp
            out["mu"][j] = total
            variance = np.zeros(nf)
            own = key[rc, fi]
            for gi, g in enumerate(groups):
                v = g_excl[gi][rc, fi]
                r_ev = g_min[gi][rc, fi]
                mine = own == g
                v = v + np.where(mine, fp, 0.0)
                r_ev = np.where(mine, np.minimum(r_ev, ev[rc, fi]), r_ev)
                contrib = np.divide(
                    v**2, np.maximum(r_ev, 1e-9), out=np.zeros(nf), where=np.isfinite(r_ev)
                )
                variance += contrib
            out["shape"][j] = np.divide(
                total**2, variance, out=np.full(nf, 1e9), where=variance > 0
            )
        mu, shape = out["mu"], out["shape"]
        # P(no aircraft at all) <= threshold: nbinom_cdf(0, mu, shape) in closed form
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            p0 = np.where(shape > 1e6, np.exp(-mu), np.exp(shape * np.log(shape / (shape + mu))))
        p0 = np.where(mu <= 0, 1.0, np.minimum(1.0, p0))
        judgeable = valid & (p0 / ERROR_SHARE[SEEN] <= self.s.probability)
        return WindowSums(valid, out["covered"], out["o"], out["e"], out["k"], mu, shape, judgeable)

    def foreign_sums(self, now_s: float) -> WindowSums:
        """:meth:`window_sums` of every FIR's foreign traffic from the running sums: gathers
        at each window's oldest poll instead of passes over all rows."""
        n_rows, n, lim = self.rows, self.n, self.limits
        w = len(lim)
        fi = np.arange(n)[None, :]
        age = (now_s - self.t[:n_rows]) / 60
        # each window's oldest poll: the first row younger than the window, or the next one
        # the FIR was judged at
        r0 = np.searchsorted(-age, -lim[:, None], side="right").reshape(w)  # age < limit
        r0 = np.minimum(r0, n_rows)
        r_l = np.broadcast_to(r0[:, None], (w, n)).copy()
        inside = r0 < n_rows
        rc = np.minimum(r_l, n_rows - 1)
        late = inside[:, None] & ~self.present[rc, fi]
        for j, i in zip(*np.nonzero(late), strict=True):
            later = np.flatnonzero(self.present[r0[j] : n_rows, i])
            r_l[j, i] = r0[j] + later[0] if len(later) else n_rows
        valid = (r_l < n_rows) & (r_l > self.last_bad[None, :])
        rc = np.minimum(r_l, n_rows - 1)
        p, f = self._p, self._f
        end = {k: p[PREFIX.index(k), n_rows][None, :] for k in PREFIX}
        at = {k: p[PREFIX.index(k)][rc + 1, fi] for k in PREFIX}
        excl = {k: end[k] - at[k] for k in PREFIX}
        m = f[FIELDS.index("minutes")][rc, fi]
        cov = f[FIELDS.index("coverage")][rc, fi]
        seen = f[FIELDS.index("seen")][rc, fi]
        occ = np.nan_to_num(f[FIELDS.index("occ")][rc, fi])
        ev = np.nan_to_num(f[FIELDS.index("shape")][rc, fi])
        prior = self.prior[rc, fi]
        mins = np.minimum(m, lim[:, None] - age[rc])
        first = occ * cov
        total = excl["part"] + first
        # variance: the prior group, the oldest poll's own hour (from that poll on) and
        # every newer hour whole
        v = excl["part_prior"] + np.where(prior, first, 0.0)
        r_ev = np.minimum(self._exmp[rc, fi], np.where(prior, ev, np.inf))
        variance = np.divide(
            v**2, np.maximum(r_ev, 1e-9), out=np.zeros((w, n)), where=np.isfinite(r_ev)
        )
        block = self._block[:n_rows]
        starts = np.flatnonzero(np.r_[True, block[1:] != block[:-1]])
        ends = np.r_[starts[1:], n_rows]  # exclusive
        own_end = ends[np.searchsorted(starts, rc, side="right") - 1]
        hour_p = p[PREFIX.index("part_hour")]
        v = hour_p[own_end, fi] - at["part_hour"] + np.where(prior, 0.0, first)
        r_ev = np.minimum(self._exm[rc, fi], np.where(prior, np.inf, ev))
        variance += np.divide(
            v**2, np.maximum(r_ev, 1e-9), out=np.zeros((w, n)), where=np.isfinite(r_ev)
        )
        oldest = int(rc.min()) if rc.size else n_rows
        ev_all = np.nan_to_num(f[FIELDS.index("shape")][:n_rows])
        hourly = self.present[:n_rows] & ~self.prior[:n_rows]
        for a, b in zip(starts, ends, strict=True):
            if b <= oldest:
                continue
            newer = rc < a  # this hour is whole inside the window
            if not newer.any():
                continue
            vb = hour_p[b] - hour_p[a]
            eb = np.minimum(self._exm[a], np.where(hourly[a], ev_all[a], np.inf))
            contrib = np.divide(vb**2, np.maximum(eb, 1e-9), out=np.zeros(n), where=np.isfinite(eb))
            variance += np.where(newer, contrib[None, :], 0.0)
        shape = np.divide(total**2, variance, out=np.full((w, n), 1e9), where=variance > 0)
        mu = total
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            p0 = np.where(shape > 1e6, np.exp(-mu), np.exp(shape * np.log(shape / (shape + mu))))
        p0 = np.where(mu <= 0, 1.0, np.minimum(1.0, p0))
        return WindowSums(
            valid,
            excl["cov"] + mins,
            excl["o"] + seen * mins,
            excl["e"] + occ * cov * mins,
            excl["k"] + seen,
            mu,
            shape,
            valid & (p0 / ERROR_SHARE[SEEN] <= self.s.probability),
        )

    def _probability(self, sums: WindowSums, j: int, i: int) -> float:
        """:meth:`TrafficModel._window`'s probability of window ``j`` of FIR ``i``: its
        share of ``collapse_probability`` (weighted Bonferroni) taken into account."""
        cdf = nbinom_cdf(int(sums.k[j, i]), float(sums.mu[j, i]), float(sums.shape[j, i]))
        return min(1.0, cdf / ERROR_SHARE[SEEN])

    def _judge(self, now_s: float, added: np.ndarray) -> None:
        """:meth:`TrafficModel._judge` for the FIRs a poll was added to."""
        s = self.s
        self.judged_at = now_s
        self.stamp += 1
        sums = self.foreign_sums(now_s)
        # a FIR not judged at this poll keeps its last window: read it before it is replaced
        for i in np.flatnonzero(~added & self._live):
            self.models[i].foreign = self._proxies[i].resolve()
            self._live[i] = False
        self.sums = sums
        any_valid = sums.valid.any(axis=0)
        candidate = sums.judgeable & (sums.o <= s.collapse_ratio * sums.e)
        hit = np.zeros_like(candidate)
        min_hit_p = np.full(self.n, np.inf)
        for j, i in zip(*np.nonzero(candidate), strict=True):
            p = self._probability(sums, j, i)
            if p <= s.probability:
                hit[j, i] = True
                min_hit_p[i] = min(min_hit_p[i], p)
        # the window since the last arrival
        gap = self.gap_sums(now_s, 0, slice(None), sums)
        self.gap = gap
        hit_any = hit.any(axis=0) | gap.collapsed
        min_hit_p = np.where(gap.collapsed, np.minimum(min_hit_p, gap.probability), min_hit_p)
        judged = added & any_valid
        hs = np.where(hit_any, np.where(np.isnan(self.hit_since), now_s, self.hit_since), _NAN)
        self.hit_since = np.where(judged, hs, self.hit_since)
        held = (
            hit_any
            & ~np.isnan(self.hit_since)
            & (
                (now_s - self.hit_since >= s.confirm_minutes * 60)
                | (min_hit_p <= s.probability * 0.01)
            )
        )
        was = self.collapsed.copy()
        newly = judged & ~was & held
        # recovery: the first window at least recover_window long, back to recover_ratio
        recover = np.zeros(self.n, dtype=bool)
        long_enough = self.limits >= s.recover_window_minutes
        if long_enough.any():
            cand = sums.valid & long_enough[:, None]
            has = cand.any(axis=0)
            j = np.argmax(cand, axis=0)
            fi = np.arange(self.n)
            limit = self.limits[j]
            recover = (
                has
                & ~hit_any
                & (sums.covered[j, fi] >= 0.5 * limit)
                & (sums.o[j, fi] >= s.recover_ratio * sums.e[j, fi])
            )
        ended = judged & was & recover
        self.collapsed = (self.collapsed | newly) & ~ended
        normal = np.where(sums.judgeable.any(axis=0), "normal", TOO_LITTLE)
        everyone: dict[int, WindowJudgement | None] = {}
        silent_cols = np.flatnonzero(judged & self.collapsed)
        if len(silent_cols):
            dom = self.window_sums(now_s, silent_cols, domestic=True)
            dom_gap = self.gap_sums(now_s, 1, silent_cols, dom)
            for c_i, i in enumerate(silent_cols):
                everyone[int(i)] = self._best(dom, c_i, dom_gap)
        # the models' own attributes (read by trackers and evidence), written only where
        # they changed: a Python step per FIR and poll is what this module avoids
        judgement = np.where(self.collapsed, "collapsed", normal)
        judgement = np.where(any_valid, judgement, "no baseline yet")
        write = added & (
            (self.collapsed != was)
            | (self.last_coverage != self._written_coverage)
            | (judgement != self._written_judgement)
            | (any_valid != self._live)
        )
        write |= added & self.collapsed  # "everyone" is judged again at each poll
        for i in np.flatnonzero(write):
            model = self.models[i]
            model.collapsed = bool(self.collapsed[i])
            model.last_coverage = float(self.last_coverage[i])
            model.judgement = str(judgement[i])
            if not any_valid[i]:
                model.foreign = None
                self._live[i] = False
                continue
            if not self._live[i]:
                model.foreign = self._proxies[i]  # type: ignore[assignment]
                self._live[i] = True
            model.everyone = everyone.get(int(i))
        self._written_coverage = np.where(added, self.last_coverage, self._written_coverage)
        self._written_judgement = np.where(added, judgement, self._written_judgement)

    def _best(self, sums: WindowSums, i: int, gap: GapSums | None) -> WindowJudgement | None:
        """``min(hit or windows, key=probability)`` of one FIR's windows (the one since the
        last arrival last, as the model lists it)."""
        s = self.s
        found: list[WindowJudgement] = []
        for j in np.flatnonzero(sums.valid[:, i]):
            p = self._probability(sums, j, i)
            judgeable = bool(sums.judgeable[j, i])
            collapsed = (
                judgeable
                and p <= s.probability
                and sums.o[j, i] <= (s.collapse_ratio * sums.e[j, i])
            )
            found.append(
                WindowJudgement(
                    float(self.limits[j]),
                    float(sums.covered[j, i]),
                    float(sums.o[j, i]),
                    float(sums.e[j, i]),
                    int(sums.k[j, i]),
                    float(sums.mu[j, i]),
                    p,
                    collapsed,
                    judgeable,
                )
            )
        if not found:
            return None
        if gap is not None and gap.present[i]:
            found.append(
                WindowJudgement(
                    round(float(gap.minutes[i]), 1),
                    float(gap.covered[i]),
                    float(gap.o[i]),
                    float(gap.e[i]),
                    0,
                    float(gap.mu[i]),
                    float(gap.probability[i]),
                    bool(gap.collapsed[i]),
                    bool(gap.judgeable[i]),
                    GAP,
                )
            )
        hit = [w for w in found if w.collapsed]
        return min(hit or found, key=lambda w: w.probability)

    def foreign_judgement(self, i: int) -> WindowJudgement | None:
        """The model's ``foreign`` window of FIR ``i`` at the last poll (for evidence)."""
        if self.sums is None:
            return None
        return self._best(self.sums, i, self.gap)

    # -- restart --------------------------------------------------------------------------
    def _load_since(self, i: int, d: int, since: _Since | None) -> None:
        for k, v in _since_fields(since).items():
            self._sn[SINCE.index(k), d, i] = v

    def load(self, models: list[TrafficModel]) -> None:
        """Take over models rebuilt by :meth:`TrafficModel.restore` (a restart): their
        windows' polls, pending samples and flags (their baselines are already shared)."""
        times = sorted({slot.sample.at.timestamp() for m in models for slot in m.slots})
        self.rows = 0
        for at_s in times:
            self._new_row(at_s)
        row_of = {t: k for k, t in enumerate(times)}
        for i, m in enumerate(models):
            pending = {id(slot) for slot in m.pending}
            for slot in m.slots:
                r = row_of[slot.sample.at.timestamp()]
                x = slot.expect
                smp = slot.sample
                self.present[r, i] = True
                self.seg[r, i] = slot.segment_start
                self.hasx[r, i] = x is not None
                self.prior[r, i] = x is not None and x.source.startswith("prior")
                self.learnable[r, i] = not (smp.collapsed or smp.warned)
                dom = x is not None and x.domestic_aircraft is not None
                vals = (
                    slot.minutes,
                    slot.coverage,
                    x.foreign_aircraft if x else 0.0,
                    x.foreign_arrivals_per_min if x else 0.0,
                    x.foreign_shape if x else 0.0,
                    x.domestic_aircraft if dom else 0.0,  # type: ignore[union-attr]
                    (x.domestic_arrivals_per_min or 0.0) if dom else 0.0,  # type: ignore[union-attr]
                    x.domestic_shape if x else 0.0,
                    smp.foreign,
                    smp.foreign_arrivals,
                    smp.domestic,
                    smp.domestic_arrivals,
                    1.0 if dom else 0.0,
                )
                for k, v in enumerate(vals):
                    self._f[k, r, i] = v
                self.outside[r, i] = _NAN if smp.outside is None else smp.outside
                if id(slot) not in pending:
                    self.learned_upto[i] = max(self.learned_upto[i], slot.sample.at.timestamp())
            if not m.pending and m.slots:
                self.learned_upto[i] = m.slots[-1].sample.at.timestamp()
            self.collapsed[i] = m.collapsed
            self.last_at[i] = _NAN  # the next live poll starts a new stretch
            self.box_level[i] = _NAN if m._box_level is None else m._box_level
            self.box_at[i] = _NAN if m._box_at is None else m._box_at.timestamp()
            for d in (0, 1):
                self._load_since(i, d, m._since[bool(d)])
            m.slots.clear()
            m.pending.clear()
        self._rebuild_prefix()
        self.arrivals.clear()
        self._x_hour = None


def _since_fields(since: _Since | None) -> dict[str, float]:
    """A model's running sums since the last arrival as the batch keeps them (its hours'
    groups: every one but the newest finished)."""
    if since is None:
        return _SINCE_ZERO | {"at": _NAN}
    out = _SINCE_ZERO | {
        "at": since.since.timestamp(),
        "mu": since.expected,
        "o": since.observed_minutes,
        "e": since.expected_minutes,
        "cov": since.covered,
    }
    hours = sorted(k for k in since.groups if k != "prior")
    for k in hours[:-1]:
        part, shape = since.groups[k]
        out["var"] += part**2 / max(shape, 1e-9)
    if hours:
        out["hour"] = float(hours[-1])  # type: ignore[arg-type]
        out["hpart"], out["hmin"] = since.groups[hours[-1]]
    if "prior" in since.groups:
        out["ppart"], out["pmin"] = since.groups["prior"]
    return out


def batch_sample(counts: np.ndarray, outside: np.ndarray, i: int, at: datetime) -> TrafficSample:
    """FIR ``i``'s sample of a poll, as the per-FIR model would have made it."""
    return TrafficSample(
        at,
        int(counts[0, i]),
        int(counts[1, i]),
        int(counts[2, i]),
        int(counts[3, i]),
        int(outside[i]) if outside[i] >= 0 else None,
    )
