"""Every FIR judged at once (traffic_batch) must judge exactly as one TrafficModel per FIR."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from service.detect.status import traffic_model
from service.detect.traffic_batch import ArrivalMemory, TrafficBatch
from service.detect.traffic_model import TrafficModel, TrafficSample
from service.detection_settings import DetectionSettings

T0 = datetime(2025, 6, 9, 0, 0, tzinfo=UTC)  # a Monday

# per airspace: foreign and domestic aircraft an hour, and what happens to it
CASES = {
    "AAAA": dict(rate=40, dom=6, prior=8),  # busy, normal all along
    "BBBB": dict(rate=30, dom=5, prior=8, stop=(20, 26)),  # foreign traffic stops for 6 h
    "CCCC": dict(rate=25, dom=8, prior=6, silent=(22, 30)),  # everyone stops: CLOSED
    "DDDD": dict(rate=3, dom=0, prior=None),  # quiet, no prior: learned only
    "EEEE": dict(rate=20, dom=4, prior=5, gap=(15, 16)),  # not covered for an hour
    "FFFF": dict(rate=35, dom=2, prior=10, partial=(18, 19)),  # the feed saw a third
    "GGGG": dict(rate=30, dom=3, prior=7, warned=(21, 24), stop=(22, 25)),
}


def settings() -> DetectionSettings:
    priors = {c: v["prior"] for c, v in CASES.items() if v["prior"]}
    return DetectionSettings(expected_foreign=priors, expected_domestic={"CCCC": 3})


class Sky:
    def __init__(self, seed: int, rate: float, dom: float):
        self.rng = random.Random(seed)
        self.rate, self.dom = rate, dom
        self.inside: dict[str, datetime] = {}
        self.n = 0

    def step(self, at: datetime, minutes: float, *, stop: bool, silent: bool):
        self.inside = {k: v for k, v in self.inside.items() if v > at}
        for rate, prefix in ((self.rate, "4"), (self.dom, "0d")):
            if silent or (stop and prefix == "4"):
                continue
            for _ in range(
                np.random.default_rng(self.rng.randrange(1 << 30)).poisson(rate * minutes / 60)
            ):
                self.n += 1
                self.inside[f"{prefix}{self.n:04x}"] = at + timedelta(
                    minutes=self.rng.uniform(20, 70)
                )
        return (
            {k for k in self.inside if k.startswith("4")},
            {k for k in self.inside if k.startswith("0d")},
        )


def _within(at: datetime, span) -> bool:
    if not span:
        return False
    hours = (at - T0).total_seconds() / 3600
    return span[0] <= hours < span[1]


def _same(a, b) -> None:
    """Two WindowJudgements (or None) say the same thing."""
    if a is None or b is None:
        assert a is None and (
            b is None or b.resolve() is None if hasattr(b, "resolve") else b is None
        )
        return
    assert b.window_minutes == a.window_minutes
    assert b.observed_aircraft == a.observed_aircraft
    assert b.collapsed == a.collapsed and b.judgeable == a.judgeable
    for name in (
        "covered_minutes",
        "observed_aircraft_minutes",
        "expected_aircraft_minutes",
        "expected_aircraft",
        "probability",
    ):
        assert getattr(b, name) == pytest.approx(getattr(a, name), rel=1e-9, abs=1e-12), name


@pytest.mark.parametrize("poll_minutes", [5, 2])
def test_batch_judges_as_one_model_per_airspace(poll_minutes):
    det = settings()
    codes = list(CASES)
    ref = {c: traffic_model(c, det) for c in codes}
    mine = {c: traffic_model(c, det) for c in codes}
    batch = TrafficBatch([mine[c] for c in codes])
    skies = {c: Sky(i, CASES[c]["rate"], CASES[c]["dom"]) for i, c in enumerate(codes)}
    at = T0
    changes = 0
    while at < T0 + timedelta(hours=32):
        n = len(codes)
        covered = np.zeros(n, dtype=bool)
        counts = np.zeros((4, n))
        outside = np.full(n, -1.0)
        warned = np.zeros(n, dtype=bool)
        samples: dict[str, TrafficSample] = {}
        for i, c in enumerate(codes):
            case = CASES[c]
            f, d = skies[c].step(
                at,
                poll_minutes,
                stop=_within(at, case.get("stop")),
                silent=_within(at, case.get("silent")),
            )
            if _within(at, case.get("gap")):
                continue
            seen = 300 if _within(at, case.get("partial")) else 900 + (hash(at) % 7)
            sample = ref[c].sample(at, f, d, seen)
            sample.warned = _within(at, case.get("warned"))
            samples[c] = sample
            covered[i] = True
            counts[:, i] = (
                sample.foreign,
                sample.domestic,
                sample.foreign_arrivals,
                sample.domestic_arrivals,
            )
            outside[i] = seen
            warned[i] = sample.warned
        before = batch.collapsed.copy()
        changed = batch.observe(at, covered, counts, outside, warned)
        for i, c in enumerate(codes):
            if c in samples:
                ref[c].add(replace(samples[c]))
            assert bool(batch.collapsed[i]) == ref[c].collapsed, (c, at)
            assert bool(changed[i]) == (bool(before[i]) != ref[c].collapsed)
            assert mine[c].judgement == ref[c].judgement, (c, at)
            assert mine[c].last_coverage == pytest.approx(ref[c].last_coverage), (c, at)
            _same(ref[c].foreign, mine[c].foreign)
            _same(ref[c].everyone, mine[c].everyone)
            assert mine[c].silent == ref[c].silent
        changes += int(changed.sum())
        # a repeated poll is not a new sample for either
        at += timedelta(minutes=poll_minutes)
    # the scenario exercised collapses and recoveries, and both learned the same baseline
    assert changes >= 4
    batch.flush()
    assert ref["CCCC"].collapsed is False and batch.collapsed[codes.index("BBBB")] == False  # noqa: E712
    for c in codes:
        a, b = ref[c].baseline, mine[c].baseline
        assert a.bins.keys() == b.bins.keys()
        assert a.expect(at) == b.expect(at)


def test_arrival_memory_counts_as_the_model_does():
    model: TrafficModel = traffic_model("AAAA", settings())
    memory = ArrivalMemory(model.settings.arrival_memory_minutes * 60)
    rng = random.Random(3)
    at = T0
    for _ in range(200):
        ids = {f"4{rng.randrange(60):05x}" for _ in range(rng.randrange(30))}
        expected = model.sample(at, ids, set()).foreign_arrivals
        keys = np.array(sorted(int(x, 16) * 7 + 3 for x in ids), dtype=np.int64)
        assert int(memory.arrivals(keys, at.timestamp()).sum()) == expected
        at += timedelta(minutes=rng.choice([1, 5, 25]))
    # bounded: only the aircraft of the last arrival_memory_minutes are remembered
    assert len(memory.keys) <= 60


def test_batch_takes_over_restored_models():
    """After a restart the batch continues from the restored models' windows and flags."""
    det = settings()
    codes = ["AAAA", "BBBB"]
    ref = {c: traffic_model(c, det) for c in codes}
    history: dict[str, list[TrafficSample]] = {c: [] for c in codes}
    sky = {c: Sky(9 + i, 30, 4) for i, c in enumerate(codes)}
    at = T0
    while at < T0 + timedelta(hours=10):
        for c in codes:
            f, d = sky[c].step(
                at, 5, stop=c == "BBBB" and at >= T0 + timedelta(hours=9), silent=False
            )
            s = ref[c].sample(at, f, d, 900)
            ref[c].add(s)
            history[c].append(s)
        at += timedelta(minutes=5)
    restored = {c: traffic_model(c, det) for c in codes}
    fresh = {c: traffic_model(c, det) for c in codes}
    for c in codes:
        restored[c].restore(history[c], ref[c].collapsed)
        fresh[c].restore(history[c], ref[c].collapsed)
    batch = TrafficBatch([restored[c] for c in codes])
    batch.load([restored[c] for c in codes])
    for _ in range(12):
        counts = np.zeros((4, 2))
        for i, c in enumerate(codes):
            f, d = sky[c].step(at, 5, stop=c == "BBBB", silent=False)
            s = fresh[c].sample(at, f, d, 900)
            counts[:, i] = (s.foreign, s.domestic, s.foreign_arrivals, s.domestic_arrivals)
            fresh[c].add(s)
        batch.observe(at, np.ones(2, bool), counts, np.full(2, 900.0), np.zeros(2, bool))
        for i, c in enumerate(codes):
            assert bool(batch.collapsed[i]) == fresh[c].collapsed
            assert restored[c].judgement == fresh[c].judgement
        at += timedelta(minutes=5)
    assert fresh["BBBB"].collapsed


def test_baseline_totals_are_the_sums_over_its_usable_bins():
    """The running per-day sums the baseline answers from equal a pass over its bins."""
    from service.detect.traffic_baseline import DiurnalBaseline

    rng = random.Random(11)
    b = DiurnalBaseline(8.0, 2.0, 45.0, 1.0, history_days=5.0)
    at = T0
    for k in range(3000):
        at += timedelta(minutes=rng.choice([1 / 6, 1, 5, 5, 47]))
        b.learn(
            at,
            rng.choice([1 / 6, 1.0, 5.0]),
            rng.randrange(9),
            rng.randrange(3),
            rng.randrange(3),
            rng.randrange(2),
            900,
        )
        if k % 97 == 0:
            q = at - timedelta(hours=rng.randrange(0, 30))
            usable = [bin_ for _, _, bin_ in b._usable(q)]
            naive = (
                sum(x.minutes for x in usable),
                sum(x.foreign_arrivals for x in usable),
                sum(x.domestic_arrivals for x in usable),
            )
            assert b._totals(q) == pytest.approx(naive, rel=1e-12)
            assert [x for _, x in b._hour_bins(q)] == [
                x for day, hour, x in b._usable(q) if hour == q.hour
            ]


def test_poisson_cdf_is_the_scalar_sum():
    """The batch's Poisson tail (coverage checks of small boxes) is nbinom_cdf's own sum."""
    from service.detect.traffic_baseline import nbinom_cdf
    from service.detect.traffic_batch import poisson_cdf

    rng = random.Random(5)
    k = np.array([rng.randrange(-1, 400) for _ in range(300)] + [0, 5, 900], dtype=float)
    mean = np.array([rng.uniform(0, 500) for _ in range(300)] + [0.0, 3.0, 800.0])
    got = poisson_cdf(k, mean)
    for i in range(len(k)):
        assert got[i] == pytest.approx(nbinom_cdf(int(k[i]), float(mean[i]), 1e9), rel=1e-12)


def test_batch_follows_a_thinning_box_as_the_model_does():
    """A small feed box thinning over hours lowers the expectation and is still judged; an
    abrupt drop suspends judgement — in the batch exactly as in one model per airspace."""
    det = settings()
    codes = ["AAAA", "BBBB"]
    ref = {c: traffic_model(c, det) for c in codes}
    mine = {c: traffic_model(c, det) for c in codes}
    batch = TrafficBatch([mine[c] for c in codes])
    skies = {c: Sky(40 + i, 30, 4) for i, c in enumerate(codes)}
    at, seen_states = T0, set()
    while at < T0 + timedelta(hours=20):
        hours = (at - T0).total_seconds() / 3600
        box = 200 - 120 * min(max(hours - 8, 0) / 6, 1)  # 200 → 80 over hours 8–14
        if 15 <= hours < 15.5:
            box = 30  # the feed returned part of its box
        counts = np.zeros((4, 2))
        outside = np.zeros(2)
        for i, c in enumerate(codes):
            f, d = skies[c].step(at, 5, stop=False, silent=False)
            s = ref[c].sample(at, f, d, int(box) + i)
            counts[:, i] = (s.foreign, s.domestic, s.foreign_arrivals, s.domestic_arrivals)
            outside[i] = int(box) + i
            ref[c].add(replace(s))
        batch.observe(at, np.ones(2, bool), counts, outside, np.zeros(2, bool))
        for i, c in enumerate(codes):
            assert bool(batch.collapsed[i]) == ref[c].collapsed, (c, at)
            assert mine[c].judgement == ref[c].judgement, (c, at)
            assert mine[c].last_coverage == pytest.approx(ref[c].last_coverage), (c, at)
            _same(ref[c].foreign, mine[c].foreign)
            thinned = ref[c].last_coverage < 1 and ref[c].judgement != "coverage too low to judge"
            seen_states.add("thinned, judged" if thinned else ref[c].judgement)
        at += timedelta(minutes=5)
    assert {"thinned, judged", "coverage too low to judge"} <= seen_states


def test_batch_takes_over_the_time_since_the_last_arrival():
    """After a restart the batch judges the window since the last arrival (hours of
    silence, several hours' groups in its variance) as the restored model does."""
    from service.detect.traffic_model import GAP

    det = settings()
    codes = ["AAAA", "BBBB", "DDDD"]
    live = {c: traffic_model(c, det) for c in codes}
    history: dict[str, list[TrafficSample]] = {c: [] for c in codes}
    sky = {c: Sky(9 + i, 30, 4) for i, c in enumerate(codes)}
    stop = T0 + timedelta(hours=30, minutes=30)
    at = T0
    while at < T0 + timedelta(hours=34):
        for c in codes:
            f, d = sky[c].step(at, 5, stop=c != "AAAA" and at >= stop, silent=False)
            s = live[c].sample(at, f, d, 900)
            live[c].add(s)
            history[c].append(s)
        at += timedelta(minutes=5)
    restored = {c: traffic_model(c, det) for c in codes}
    fresh = {c: traffic_model(c, det) for c in codes}
    for c in codes:
        restored[c].restore(history[c], live[c].collapsed)
        fresh[c].restore(history[c], live[c].collapsed)
    assert len(fresh["BBBB"]._since[False].groups) >= 3  # type: ignore[union-attr]
    batch = TrafficBatch([restored[c] for c in codes])
    batch.load([restored[c] for c in codes])
    gap_judged = 0
    for _ in range(24):
        counts = np.zeros((4, 3))
        for i, c in enumerate(codes):
            f, d = sky[c].step(at, 5, stop=c != "AAAA", silent=False)
            s = fresh[c].sample(at, f, d, 900)
            counts[:, i] = (s.foreign, s.domestic, s.foreign_arrivals, s.domestic_arrivals)
            fresh[c].add(s)
        batch.observe(at, np.ones(3, bool), counts, np.full(3, 900.0), np.zeros(3, bool))
        for c in codes:
            assert restored[c].judgement == fresh[c].judgement
            _same(fresh[c].foreign, restored[c].foreign)
            _same(fresh[c].everyone, restored[c].everyone)
            gap_judged += fresh[c].foreign is not None and fresh[c].foreign.statistic == GAP
        at += timedelta(minutes=5)
    assert gap_judged > 0 and fresh["BBBB"].collapsed
