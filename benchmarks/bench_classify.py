"""Classify: positions → airspace for a global synthetic snapshot against every seed FIR.

Prints positions/s of the project's path (prepared geometries, bounding-box mask,
``shapely.contains_xy``), of a naive ``Point(...).within(polygon)`` loop, and the ratio;
then tracks: vectorized ``shapely.intersects`` over an array of LineStrings vs a per-flight loop.

``--world``: ``watch.airspaces: all``. One global 12,000-state poll classified against
every FIR of the world (435) and the status update of all of them, each next to
``json.loads`` of the same body in the same run; then ``--hours`` simulated hours of
global polling at 60 s through the detection engine, with the peak RSS every 3 hours.
Usage: python benchmarks/bench_classify.py [--world [--hours 24]]
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
        self.addr[idx] = self.rng.choice(0xFFFFFF, k, replace=False)

    def body(self, t: int, step_min: float) -> str:
        self.lon = (self.lon + self.dlon * step_min + 180) % 360 - 180
        self.lat = np.clip(self.lat + self.dlat * step_min, -89, 89)
        self.left -= int(step_min)
        done = np.flatnonzero(self.left <= 0)
        if len(done):
            self._renew(done)
        states = [
            [f"{a:06x}", f"TST{a % 100000:05d}", "X", t, t, round(float(x), 4), round(float(y), 4),
             10000.0, False, 230.0, 90.0, 0.0, None, 10050.0, "2000", False, 0]
            for a, x, y in zip(self.addr, self.lon, self.lat, strict=True)
        ]  # fmt: skip
        return json.dumps({"time": t, "states": states})


def world(hours: float) -> None:
    from service.config import load_settings
    from service.detect.engine import DetectionEngine, IngestResult
    from service.feeds.opensky import OpenSkyClient
    from service.geo.airspaces import load_registries

    settings = load_settings(ROOT / "config.yaml", seeds_dir=str(ROOT / "seeds"),
                             watch={"airspaces": "all"})  # fmt: skip
    airspaces, airports = load_registries(ROOT / "seeds")
    engine = DetectionEngine(settings, airspaces, airports, [])
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

    def status_update() -> None:
        result = IngestResult(data_time=T0)
        engine._count_traffic("opensky", T0, member, positions, result)
        for tracker in engine.trackers.values():
            tracker.evaluate(T0)

    status = best_of(status_update, repeat=7)
    # the same with the baseline history a service has after 8 weeks at 60 s (the tracker
    # keeps samples per hour of week): the baseline is a median over them every poll
    for tracker in engine.trackers.values():
        for week in range(1, 9):
            for minute in range(60):
                tracker.remember(T0 - timedelta(weeks=week, minutes=minute), 10)
    status_full = best_of(status_update, repeat=7)
    print(f"global poll: {len(positions):,} states, body {len(body) / 1e6:.1f} MB; "
          f"{len(codes)} FIRs; {len(member[0]):,} (state, FIR) pairs")  # fmt: skip
    print(f"json.loads of the body (reference): {parse * 1e3:.1f} ms")
    print(f"classify {len(positions):,} states x {len(codes)} FIRs: {classify * 1e3:.1f} ms "
          f"= {classify / parse:.2f}x json.loads (target <= 1x)")  # fmt: skip
    print(f"status update of all {len(codes)} FIRs (counts, domestic split, baseline, "
          f"hysteresis): {status * 1e3:.1f} ms = {status / parse:.2f}x json.loads "
          f"(target <= 0.5x)")  # fmt: skip
    print(f"  the same after 8 weeks of 60 s history: {status_full * 1e3:.1f} ms "
          f"= {status_full / parse:.2f}x json.loads")  # fmt: skip
    if hours <= 0:
        return
    polls = int(hours * 60)
    rss = []
    ingest_ms = []
    for k in range(1, polls + 1):
        t = T0 + timedelta(minutes=k)
        snap = client._snapshot(
            json.loads(traffic.body(int(t.timestamp()), 1.0)), (-180, -90, 180, 90)
        )
        started = time.perf_counter()
        engine.ingest(snap)
        ingest_ms.append((time.perf_counter() - started) * 1e3)
        if k % 180 == 0:
            rss.append((k / 60, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
            print(f"  {k / 60:.0f} h: peak RSS {rss[-1][1]:.0f} MB, "
                  f"{len(engine.tracks)} "
                  f"flights in memory, ingest p50 {statistics.median(ingest_ms):.0f} ms",
                  flush=True)  # fmt: skip
    print(f"{hours:g} simulated hours of global polling at 60 s ({polls} polls, engine only): "
          f"ingest p50 {statistics.median(ingest_ms):.0f} ms; peak RSS by hour "
          + ", ".join(f"{h:.0f} h {mb:.0f} MB" for h, mb in rss))  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--world", action="store_true")
    parser.add_argument("--hours", type=float, default=0.0)
    args = parser.parse_args()
    if args.world:
        from service.runtime import tune_gc

        tune_gc()  # as every firwatch command does
        world(args.hours)
    else:
        main()
