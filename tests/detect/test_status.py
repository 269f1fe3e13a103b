"""The traffic model: judged in minutes with a tail probability, restored from samples."""

import random
from datetime import UTC, datetime, timedelta

from service.detect.status import NotamSignal, StatusTracker
from service.detect.traffic_model import TOO_LITTLE
from service.detection_settings import DetectionSettings
from service.domain import AirspaceStatus, AlertType

T0 = datetime(2025, 11, 17, 0, 0, tzinfo=UTC)


def tracker(**kw) -> StatusTracker:
    settings = DetectionSettings(expected_foreign={"SVZM": 10}, **kw)
    return StatusTracker("SVZM", settings)


class Sky:
    """Random traffic: arrivals a Poisson process, each aircraft inside for 45 minutes."""

    def __init__(self, seed: int, per_hour: float, domestic_per_hour: float = 3.0):
        self.rng = random.Random(seed)
        self.per_hour = per_hour
        self.domestic_per_hour = domestic_per_hour
        self.inside: dict[str, datetime] = {}
        self.n = 0

    def step(self, at: datetime, minutes: float, stop: bool = False, silent: bool = False):
        self.inside = {k: v for k, v in self.inside.items() if v > at}
        for rate, prefix in ((self.per_hour, "4"), (self.domestic_per_hour, "0d")):
            if (stop and prefix == "4") or silent:
                continue
            expected = rate * minutes / 60
            for _ in range(_poisson(self.rng, expected)):
                self.n += 1
                self.inside[f"{prefix}{self.n:04x}"] = at + timedelta(minutes=45)
        foreign = {k for k in self.inside if k.startswith("4")}
        domestic = {k for k in self.inside if k.startswith("0d")}
        return foreign, domestic


def _poisson(rng: random.Random, mean: float) -> int:
    count, t = 0, rng.expovariate(1.0)
    while t < mean:
        count += 1
        t += rng.expovariate(1.0)
    return count


def play(t: StatusTracker, sky: Sky, start: datetime, hours: float, poll_s: int, **kw):
    statuses, events = [], []
    at = start
    while at < start + timedelta(hours=hours):
        foreign, domestic = sky.step(at, poll_s / 60, **kw)
        events += t.observe_traffic(at, foreign, domestic)
        events += t.evaluate(at)
        statuses.append((at, t.status))
        at += timedelta(seconds=poll_s)
    return statuses, events


def test_quiet_traffic_is_never_a_closure_and_says_why():
    """1 aircraft an hour against a configured 10: nothing to judge from, at any poll."""
    for poll_s in (10, 60, 900):
        t = tracker()
        statuses, _ = play(t, Sky(1, per_hour=1.0, domestic_per_hour=0), T0, 24, poll_s)
        assert {s for _, s in statuses} == {AirspaceStatus.NORMAL}, poll_s
    t = tracker()
    play(t, Sky(2, per_hour=0.0, domestic_per_hour=0), T0, 1, 60)
    assert t.traffic_evidence()["judgement"] == TOO_LITTLE


def test_collapse_is_flagged_in_minutes_whatever_the_poll_and_carries_evidence():
    flagged = {}
    for poll_s in (60, 300, 900):
        t = tracker()
        sky = Sky(3, per_hour=16)
        normal, _ = play(t, sky, T0, 30, poll_s)
        assert {s for _, s in normal} == {AirspaceStatus.NORMAL}, poll_s
        stop = T0 + timedelta(hours=30)
        after, events = play(t, sky, stop, 4, poll_s, stop=True)
        first = next(at for at, s in after if s == AirspaceStatus.RESTRICTED)
        flagged[poll_s] = (first - stop).total_seconds() / 60
        opened = next(
            e for e in events if e.type == AlertType.AIRSPACE_STATUS_CHANGED and not e.resolved
        )
        traffic = opened.evidence["traffic"]
        assert traffic["judgement"] == "collapsed"
        assert traffic["probability"] <= t.settings.collapse_probability
        assert traffic["observed_aircraft"] < traffic["expected_aircraft"]
        assert traffic["window_minutes"] in t.settings.collapse_windows_minutes
        assert traffic["baseline_source"].startswith("learned days")
        assert any(e.type == AlertType.AIRSPACE_TRAFFIC_COLLAPSE for e in events)
    # the last aircraft leave 45 min after the stop (each poll interval draws its own sky)
    assert max(flagged.values()) <= 45 + 30, flagged


def test_closed_needs_domestic_silence_too():
    t = tracker(expected_domestic={"SVZM": 3})
    sky = Sky(4, per_hour=16, domestic_per_hour=6)
    play(t, sky, T0, 30, 300)
    stop = T0 + timedelta(hours=30)
    after, _ = play(t, sky, stop, 3, 300, stop=True)
    assert AirspaceStatus.RESTRICTED in {s for _, s in after}
    assert AirspaceStatus.CLOSED not in {s for _, s in after}  # domestic flights go on
    later, _ = play(t, sky, stop + timedelta(hours=3), 4, 300, silent=True)
    assert later[-1][1] == AirspaceStatus.CLOSED
    assert "domestic" in t.traffic_evidence()


def test_a_data_gap_is_not_an_empty_sky():
    t = tracker()
    sky = Sky(5, per_hour=16)
    play(t, sky, T0, 30, 300)
    # six hours without any poll (the aircraft fly on unseen), then polls again
    at = T0 + timedelta(hours=30)
    while at < T0 + timedelta(hours=36):
        sky.step(at, 5)
        at += timedelta(minutes=5)
    statuses, _ = play(t, sky, at, 2, 300)
    assert {s for _, s in statuses} == {AirspaceStatus.NORMAL}


def test_partial_coverage_suspends_judgement():
    t = tracker()
    sky = Sky(6, per_hour=16)
    at = T0
    while at < T0 + timedelta(hours=30):
        f, d = sky.step(at, 5)
        t.observe_traffic(at, f, d, outside=200)
        at += timedelta(minutes=5)
    # the feed returns a fifth of the box: fewer aircraft inside and elsewhere alike
    for _ in range(36):
        f, d = sky.step(at, 5)
        t.observe_traffic(at, set(list(f)[: len(f) // 5]), d, outside=40)
        t.evaluate(at)
        assert t.status == AirspaceStatus.NORMAL
        at += timedelta(minutes=5)
    assert t.traffic_evidence()["judgement"] == "coverage too low to judge"


def test_notam_warning_gives_advisory_and_is_resolved_when_it_lapses():
    t = tracker()
    t.observe_traffic(T0, {"400001"}, set())
    t.evaluate(T0)
    t.notam = NotamSignal(AirspaceStatus.ADVISORY, ["A0012/25"], ["security"])
    events = t.evaluate(T0 + timedelta(hours=1))
    assert t.status == AirspaceStatus.ADVISORY
    assert events[-1].evidence["notam_ids"] == ["A0012/25"]
    t.notam = NotamSignal()
    events = t.evaluate(T0 + timedelta(hours=2))
    assert t.status == AirspaceStatus.NORMAL
    assert [e.resolved for e in events] == [True, False]


def test_baseline_moves_from_prior_to_learned_days_to_hour_of_week():
    t = tracker(baseline_hour_of_week_weeks=2)
    assert t.baseline(T0)[1] == "prior"
    sky = Sky(7, per_hour=8)
    play(t, sky, T0, 26, 600)
    assert t.baseline(T0 + timedelta(hours=26))[1].startswith("learned days (1 day)")
    play(t, sky, T0 + timedelta(hours=26), 24 * 14, 900)
    source = t.baseline(T0 + timedelta(days=15, hours=3))[1]
    assert source == "hour-of-week (2 weeks)", source


def test_restored_model_decides_from_the_same_baseline():
    """A new leader rebuilt from the persisted samples expects the same traffic and
    flags the same collapse at the same poll as the one that kept running."""
    live = tracker()
    sky = Sky(8, per_hour=12)
    samples = []
    at = T0
    while at < T0 + timedelta(days=2):
        f, d = sky.step(at, 5)
        live.observe_traffic(at, f, d, outside=100)
        live.evaluate(at)
        samples.append(live.last_sample)
        at += timedelta(minutes=5)
    restored = tracker()
    copies = [type(s)(**{k: getattr(s, k) for k in s.__slots__}) for s in samples]
    restored.model.restore(copies, collapsed=live.collapsed)
    for hour in range(48):
        when = at + timedelta(hours=hour)
        assert restored.model.baseline.expect(when) == live.model.baseline.expect(when)
    results = []
    for model in (live, restored):
        s2 = Sky(9, per_hour=12)
        s2.inside = dict(sky.inside)
        statuses, _ = play(model, s2, at, 4, 300, stop=True)
        results.append([s for _, s in statuses])
    assert AirspaceStatus.RESTRICTED in results[0]
    assert results[0].index(AirspaceStatus.RESTRICTED) == results[1].index(
        AirspaceStatus.RESTRICTED
    )
