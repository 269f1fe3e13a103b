"""Classify: positions → airspace for a global synthetic snapshot against every seed FIR.

Prints positions/s of the project's path (prepared geometries, bounding-box mask,
``shapely.contains_xy``), of a naive ``Point(...).within(polygon)`` loop, and the ratio;
then tracks: vectorized ``shapely.intersects`` over an array of LineStrings vs a per-flight loop.

``--world``: ``watch.airspaces: all``. One global 12,000-state poll classified against
every FIR of the world (435) and the status update of all of them after 28 days of history
(the previous per-FIR path and the all-FIR arrays), each next to ``json.loads`` of the same
body in the same run.  ``--memory``: RSS at 6, 12 and 24 simulated hours of global polling
at 60 s (the all-FIR status path, ~1 min; ``--engine`` for the whole engine, ~25 min).
Usage: python benchmarks/bench_classify.py [--world [--polls 60] | --memory [--hours 24] [--engine]]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Point

from service.geo.airspaces import AirspaceRegistry
from service.geo.classify import AirspaceClassifier

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2025, 6, 13, 0, 0, tzinfo=UTC)


def best_of(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    registry = AirspaceRegistry.from_geojson(ROOT / "seeds" / "firs.geojson")
    codes = [a.icao for a in registry]
    classifier = AirspaceClassifier(registry, codes)
    rng = np.random.default_rng(1)
    n = 1_000_000
    lons = rng.uniform(-180, 180, n)
    lats = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))  # uniform on the sphere
    fast = best_of(lambda: classifier.membership(lons, lats))
    fast_rate = n / fast
    # the points of the global sample that fall in the Caribbean box holding the FIRs
    region = (lons > -90) & (lons < -45) & (lats > -10) & (lats < 30)
    rl, ra = lons[region][:200_000], lats[region][:200_000]
    regional = best_of(lambda: classifier.membership(rl, ra))
    geometries = [registry.get(c).geometry for c in codes]
    m = 20_000
    naive = best_of(
        lambda: [
            [Point(x, y).within(g) for g in geometries]
            for x, y in zip(lons[:m], lats[:m], strict=True)
        ],
        repeat=1,
    )
    naive_rate = m / naive
    # consistency: both paths agree
    check = np.array(
        [
            [Point(x, y).within(g) for x, y in zip(lons[:2000], lats[:2000], strict=True)]
            for g in geometries
        ]
    )
    assert (check == classifier.membership(lons[:2000], lats[:2000])).all()
    print(
        f"classify global ({n:,} points x {len(codes)} FIRs): {fast_rate / 1e6:.1f} M positions/s"
    )
    print(
        f"classify regional ({len(rl):,} Caribbean points): {len(rl) / regional / 1e6:.1f} M positions/s"
    )
    print(
        f"naive Point.within loop: {naive_rate / 1e3:.1f} k positions/s; ratio {fast_rate / naive_rate:.0f}x"
    )

    svzm = registry.get("SVZM").geometry
    shapely.prepare(svzm)
    k = 20_000
    starts = np.column_stack([rng.uniform(-85, -50, k), rng.uniform(-10, 27, k)])
    tracks = [
        shapely.LineString(np.vstack([s, s + rng.normal(0, 2, (20, 2)).cumsum(axis=0)]))
        for s in starts
    ]
    array = np.array(tracks, dtype=object)
    vec = best_of(lambda: shapely.intersects(svzm, array))
    loop = best_of(lambda: [t.intersects(svzm) for t in tracks], repeat=2)
    print(
        f"tracks vs SVZM ({k:,} tracks of 21 points): vectorized {k / vec / 1e3:.0f} k tracks/s, "
        f"per-flight loop {k / loop / 1e3:.0f} k tracks/s; ratio {loop / vec:.1f}x"
    )


# -- the whole world: every FIR, a global 12,000-state poll -------------------------------
N_GLOBAL = 12_000


class GlobalTraffic:
    """12,000 aircraft flying great-circle-ish legs between IATA airports (so the sky is
    dense where real traffic is), each replaced by a new aircraft when it lands."""

    def __init__(self, seed: int = 7) -> None:
        import airportsdata

        self.rng = np.random.default_rng(seed)
        ap = [a for a in airportsdata.load("ICAO").values() if a["iata"]]
        self.ap = np.array([(a["lon"], a["lat"]) for a in ap])
        self.lon = np.zeros(N_GLOBAL)
        self.lat = np.zeros(N_GLOBAL)
        self.dlon = np.zeros(N_GLOBAL)
        self.dlat = np.zeros(N_GLOBAL)
        self.left = np.zeros(N_GLOBAL, dtype=int)
        self.addr = np.zeros(N_GLOBAL, dtype=np.int64)
        self.serial = 0
        self._renew(np.arange(N_GLOBAL), spread=True)

    def _renew(self, idx: np.ndarray, spread: bool = False) -> None:
        k = len(idx)
        a, b = (
            self.ap[self.rng.integers(0, len(self.ap), k)],
            self.ap[self.rng.integers(0, len(self.ap), k)],
        )
        b = a + np.clip(b - a, -25, 25)  # legs of up to a few thousand km
        minutes = np.maximum(30, (np.hypot(*(b - a).T) * 111 / 14).astype(int))  # ~840 km/h
        start = self.rng.uniform(0, 1, k) if spread else np.zeros(k)
        self.lon[idx] = a[:, 0] + start * (b[:, 0] - a[:, 0])
        self.lat[idx] = a[:, 1] + start * (b[:, 1] - a[:, 1])
        self.dlon[idx] = (b[:, 0] - a[:, 0]) / minutes
        self.dlat[idx] = (b[:, 1] - a[:, 1]) / minutes
        self.left[idx] = (minutes * (1 - start)).astype(int) + 1
        # new aircraft (a repeat among 16.7 M addresses is rare and harmless here)
        self.addr[idx] = self.rng.integers(0, 0xFFFFFF, k)

    def move(self, step_min: float) -> None:
        self.lon = (self.lon + self.dlon * step_min + 180) % 360 - 180
        self.lat = np.clip(self.lat + self.dlat * step_min, -89, 89)
        self.left -= int(step_min)
        done = np.flatnonzero(self.left <= 0)
        if len(done):
            self._renew(done)

    def body(self, t: int, step_min: float) -> str:
        self.move(step_min)
        states = [
            [
                f"{a:06x}",
                f"TST{a % 100000:05d}",
                "X",
                t,
                t,
                round(float(x), 4),
                round(float(y), 4),
                10000.0,
                False,
                230.0,
                90.0,
                0.0,
                None,
                10050.0,
                "2000",
                False,
                0,
            ]
            for a, x, y in zip(self.addr, self.lon, self.lat, strict=True)
        ]
        return json.dumps({"time": t, "states": states})


def _rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size in MB."""
    with open("/proc/self/statm") as f:
        current = int(f.read().split()[1]) * resource.getpagesize() / 2**20
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _world_engine(batch: bool):
    from service.config import load_settings
    from service.detect.engine import DetectionEngine
    from service.geo.airspaces import load_registries

    settings = load_settings(
        ROOT / "config.yaml", seeds_dir=str(ROOT / "seeds"), watch={"airspaces": "all"}
    )
    if not batch:  # the per-FIR TrafficModel path (what every regional watch uses)
        settings = settings.model_copy(
            update={"watch": settings.watch.model_copy(update={"world": False})}
        )
    airspaces, airports = load_registries(ROOT / "seeds")
    return settings, airspaces, DetectionEngine(settings, airspaces, airports, [])


def _counts(engine, member, airborne, addresses):
    f, d = engine.domestic.counts(engine.watched, member[0], member[1], airborne, addresses)
    return f, d


def _long_history(engine, member, airborne, addresses, *, days: int = 28) -> None:
    """What a service has after ``days`` of global polling at 60 s: every hourly bin of the
    baseline (learned from this sky's own counts, so the FIRs read as normal), and the
    longest window full of polls (rebuilt as a restart does)."""
    from service.detect.traffic_model import TrafficSample

    f, d = _counts(engine, member, airborne, addresses)
    total = int(airborne.sum())
    det = engine.settings.detection
    longest = int(max(det.collapse_windows_minutes)) + int(det.baseline_learn_delay_minutes)
    for i, tracker in enumerate(engine.trackers.values()):
        fi, di = int(f[i]), int(d[i])
        out = total - fi - di
        b = tracker.model.baseline
        for hour in range(days * 24, 0, -1):
            at = T0 - timedelta(hours=hour) - timedelta(minutes=longest)
            b.learn(at, 60.0, fi, di, round(fi * 60 / 45), round(di * 60 / 45), out)
        samples = [
            TrafficSample(T0 - timedelta(minutes=k), fi, di, round(fi / 45), round(di / 45), out)
            for k in range(longest, 0, -1)
        ]
        tracker.model.restore(samples, False)
        tracker.source = "opensky"
    if engine.batch is not None:
        engine.batch.load([t.model for t in engine.trackers.values()])


def world(reps: int) -> None:
    from service.detect.engine import IngestResult
    from service.feeds.opensky import OpenSkyClient

    settings, airspaces, engine = _world_engine(batch=True)
    _, _, engine_old = _world_engine(batch=False)
    codes = engine.watched
    client = OpenSkyClient(settings.feeds.opensky, None, lambda: T0)  # type: ignore[arg-type]
    traffic = GlobalTraffic()
    body = traffic.body(int(T0.timestamp()), 1.0)
    snapshot = client._snapshot(json.loads(body), (-180, -90, 180, 90))
    positions = sorted(snapshot.positions, key=lambda p: p.observed_at)
    lons = np.array([p.lon for p in positions])
    lats = np.array([p.lat for p in positions])
    parse = best_of(lambda: json.loads(body), repeat=7)
    classify = best_of(
        lambda: engine.classifier.first_index(engine.classifier.pairs(lons, lats), len(lons)),
        repeat=7,
    )
    member = engine.classifier.pairs(lons, lats)
    # exact: the same pairs as a per-FIR contains_xy pass
    exact = np.array([shapely.contains_xy(airspaces.get(c).geometry, lons, lats) for c in codes])
    got = np.zeros_like(exact)
    got[member[1], member[0]] = True
    assert (got == exact).all()
    covered = engine.covered_airspaces(snapshot)
    airborne = np.fromiter((not p.on_ground for p in positions), bool, len(positions))
    addresses = np.fromiter((int(p.icao24, 16) for p in positions), np.int64, len(positions))
    started = time.perf_counter()
    _long_history(engine, member, airborne, addresses)
    _long_history(engine_old, member, airborne, addresses)
    setup = time.perf_counter() - started

    def update(eng, batch: bool, at: datetime) -> float:
        """One poll's status update of every FIR (counts, domestic split, arrivals, windows,
        baseline, status)."""
        result = IngestResult(data_time=at)
        t = time.perf_counter()
        if batch:
            air = np.fromiter((not p.on_ground for p in positions), bool, len(positions))
            adr = np.fromiter((int(p.icao24, 16) for p in positions), np.int64, len(positions))
            eng._count_traffic_batch("opensky", at, member, air, adr, result, covered)
        else:
            eng._count_traffic("opensky", at, member, positions, result, covered)
        eng._evaluate_statuses(at, result)
        return time.perf_counter() - t

    old_times = [update(engine_old, False, T0 + timedelta(minutes=k)) for k in range(1, 4)]
    new_times = [update(engine, True, T0 + timedelta(minutes=k)) for k in range(1, reps + 1)]
    # what persisting a poll then reads from every tracker (the status rows' evidence)
    update(engine, True, T0 + timedelta(minutes=reps + 1))
    started = time.perf_counter()
    for t in engine.trackers.values():
        t.evidence()  # the first read after a poll computes each FIR's evidence window
    evidence = time.perf_counter() - started
    parse_after = best_of(lambda: json.loads(body), repeat=7)
    ref = min(parse, parse_after)
    flags = [engine.trackers[c].status.value for c in codes]
    print(
        f"global poll: {len(positions):,} states, body {len(body) / 1e6:.1f} MB; "
        f"{len(codes)} FIRs; {len(member[0]):,} (state, FIR) pairs"
    )
    print(f"json.loads of the body (reference, best of 7 before and after): {ref * 1e3:.1f} ms")
    print(
        f"classify {len(positions):,} states x {len(codes)} FIRs: {classify * 1e3:.1f} ms "
        f"= {classify / ref:.2f}x json.loads (target <= 1x)"
    )
    print(
        f"status update of all {len(codes)} FIRs after 28 days of 60 s history "
        f"(history set up in {setup:.0f} s; counts, domestic split, arrivals, windows, "
        f"baseline, status):"
    )
    print(
        f"  one TrafficModel per FIR (previous path), best of 3: {min(old_times) * 1e3:.1f} ms "
        f"= {min(old_times) / ref:.2f}x json.loads"
    )
    times = sorted(new_times)
    print(
        f"  every FIR at once (traffic_batch), {reps} consecutive polls: best "
        f"{times[0] * 1e3:.1f} ms = {times[0] / ref:.2f}x, median "
        f"{times[len(times) // 2] * 1e3:.1f} ms = {times[len(times) // 2] / ref:.2f}x, mean "
        f"{statistics.mean(times) * 1e3:.1f} ms = {statistics.mean(times) / ref:.2f}x "
        f"json.loads (target <= 0.5x); the mean includes each hour's baseline refresh "
        f"(max {times[-1] * 1e3:.0f} ms)"
    )
    print(f"  statuses after the run: {flags.count('NORMAL')} NORMAL of {len(flags)}")
    print(
        f"  (not in the figure) the evidence of all {len(codes)} statuses, which persisting "
        f"a poll stores: {evidence * 1e3:.1f} ms = {evidence / ref:.2f}x json.loads"
    )


def memory(hours: float, full_engine: bool) -> None:
    """RSS over ``hours`` of simulated global polling at 60 s, every FIR watched, starting
    from 28 days of baseline history (the baseline's bins are then at their bound).
    Default: the all-FIR traffic status path (classification, counts, arrivals, windows,
    baseline, statuses) at 12,000 states a poll; ``--engine``: the whole detection engine
    (track assembly, landings, reroutes as well), ~1 s a poll here, so ~25 min for 24 h."""
    from service.detect.engine import IngestResult
    from service.feeds.opensky import OpenSkyClient

    print(f"RSS at start: {_rss_mb()[0]:.0f} MB", flush=True)
    settings, _, engine = _world_engine(batch=True)
    client = OpenSkyClient(settings.feeds.opensky, None, lambda: T0)  # type: ignore[arg-type]
    traffic = GlobalTraffic()
    lons, lats = traffic.lon.copy(), traffic.lat.copy()
    member = engine.classifier.pairs(lons, lats)
    airborne = np.ones(len(lons), dtype=bool)
    _long_history(engine, member, airborne, traffic.addr.copy())
    print(f"RSS with the engine and 28 days of baseline history: {_rss_mb()[0]:.0f} MB", flush=True)
    polls = int(hours * 60)
    started = time.perf_counter()
    marks = {6 * 60, 12 * 60, 24 * 60, polls}
    lines = []
    covered = frozenset(engine.watched)
    for k in range(1, polls + 1):
        t = T0 + timedelta(minutes=k)
        if full_engine:
            snap = client._snapshot(
                json.loads(traffic.body(int(t.timestamp()), 1.0)), (-180, -90, 180, 90)
            )
            engine.ingest(snap)
        else:
            traffic.move(1.0)
            member = engine.classifier.pairs(traffic.lon, traffic.lat)
            result = IngestResult(data_time=t)
            engine._count_traffic_batch(
                "opensky", t, member, airborne, traffic.addr, result, covered
            )
            engine._evaluate_statuses(t, result)
        if k in marks:
            current, peak = _rss_mb()
            flights = f", {len(engine.tracks)} flights in memory" if full_engine else ""
            line = (
                f"  {k / 60:g} h ({k} polls, {time.perf_counter() - started:.0f} s): "
                f"RSS {current:.0f} MB, peak {peak:.0f} MB{flights}"
            )
            lines.append(line)
            print(line, flush=True)
    what = "whole engine" if full_engine else "all-FIR status path"
    print(
        f"{hours:g} simulated hours of global polling at 60 s ({what}): "
        + "; ".join(x.strip() for x in lines)
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--world", action="store_true")
    parser.add_argument("--polls", type=int, default=60, help="status updates timed (--world)")
    parser.add_argument("--memory", action="store_true", help="RSS over simulated hours")
    parser.add_argument("--hours", type=float, default=24.0, help="simulated hours (--memory)")
    parser.add_argument(
        "--engine",
        action="store_true",
        help="--memory through the whole engine (slow: ~25 min for 24 h)",
    )
    args = parser.parse_args()
    if args.world or args.memory:
        from service.runtime import tune_gc

        tune_gc()  # as every firwatch command does
        if args.memory:
            memory(args.hours, args.engine)
        else:
            world(args.polls)
    else:
        main()
