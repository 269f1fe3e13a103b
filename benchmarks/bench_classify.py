"""Classify: positions → airspace for a global synthetic snapshot against every seed FIR.

Prints positions/s of the project's path (prepared geometries, bounding-box mask,
``shapely.contains_xy``), of a naive ``Point(...).within(polygon)`` loop, and the ratio;
then tracks: vectorized ``shapely.intersects`` over an array of LineStrings vs a per-flight loop.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Point

from service.geo.airspaces import AirspaceRegistry
from service.geo.classify import AirspaceClassifier

ROOT = Path(__file__).resolve().parents[1]


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


if __name__ == "__main__":
    main()
