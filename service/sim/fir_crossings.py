"""Long flights across a large airspace, in real feed format, with their truth: before its
warning on the great circle, after it around the airspace on gradual turns.  What judging a
reroute around a FIR-sized area is measured on (``firwatch`` benchmarks, the detect tests);
the terminal areas are in :mod:`service.sim.realistic_tracks`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import shapely

from service.geo.airspaces import Airport, AirportRegistry
from service.geo.geodesy import distance_km
from service.sim.realistic_tracks import (
    START,
    FlightTruth,
    TerminalWorld,
    TrackBuilder,
    iata_airports,
)
from service.sim.turning_flight import KM_PER_DEG, bearing_deg, offset_point


@dataclass
class FirWorld:
    """Long flights across a large airspace: before its warning on the great circle, after
    it around the airspace on gradual turns (see :func:`build_fir_world`)."""

    seed: int
    airports: AirportRegistry
    area: shapely.Polygon
    area_code: str
    warning_at: datetime
    flights: list[FlightTruth]

    routes = TerminalWorld.routes
    snapshots = TerminalWorld.snapshots
    _report = TerminalWorld._report


def build_fir_world(seed: int, flights: int = 40) -> FirWorld:
    """An irregular airspace 500–900 km across and flights between airports on opposite
    sides; half depart before the warning (great circle), half after (around it, with a
    margin, at cruise with bank-limited turns), with real-format reports."""
    rng = np.random.default_rng(seed + 10_000)
    b = TrackBuilder(seed + 10_000)
    airports = [a for a in iata_airports() if abs(a.lat) < 50]
    while True:
        centre_ap = airports[int(rng.integers(len(airports)))]
        centre = (centre_ap.lon, centre_ap.lat)
        radius = float(rng.uniform(250, 450))
        ring = [
            offset_point(*centre, bearing, radius * float(rng.uniform(0.7, 1.0)))
            for bearing in np.linspace(0, 360, 9)[:-1]
        ]
        area = shapely.Polygon(ring)
        around = [
            a
            for a in airports
            if 1.5 * radius <= distance_km(*centre, a.lon, a.lat) <= 2.5 * radius
        ]
        if len(around) >= 10:
            break
    # the way around: the buffered hull with its vertices thinned to about 20 km apart
    keep_out = area.buffer(60 / KM_PER_DEG).convex_hull.simplify(20 / KM_PER_DEG)
    warning_at = START + timedelta(hours=6)
    out: list[FlightTruth] = []
    used: dict[str, Airport] = {}
    while len(out) < flights:
        o = around[int(rng.integers(len(around)))]
        d = around[int(rng.integers(len(around)))]
        gc = shapely.LineString([(o.lon, o.lat), (d.lon, d.lat)])
        if (
            o.icao == d.icao
            or not gc.intersects(area)
            or distance_km(o.lon, o.lat, d.lon, d.lat) < 2 * radius
        ):
            continue
        after = len(out) >= flights // 2
        t0 = (
            START
            + timedelta(minutes=float(rng.uniform(0, 300)))
            + (timedelta(hours=6) if after else timedelta(0))
        )
        waypoints = [(d.lon, d.lat)]
        if after:  # around the airspace: via the two hull corners on the shorter side
            hull = list(keep_out.exterior.coords)[:-1]
            side = np.sign(
                [(d.lon - o.lon) * (y - o.lat) - (d.lat - o.lat) * (x - o.lon) for x, y in hull]
            )
            pick = 1 if (side > 0).sum() <= (side < 0).sum() else -1
            corners = [p for p, sd in zip(hull, side, strict=True) if sd == pick]
            # in order along the way (projection on origin → destination): the boundary,
            # not a zig-zag between its vertices
            corners.sort(
                key=lambda p: (p[0] - o.lon) * (d.lon - o.lon) + (p[1] - o.lat) * (d.lat - o.lat)
            )
            waypoints = [*corners, (d.lon, d.lat)]
        cruise = float(rng.uniform(33000, 39000))

        def law(remaining, elapsed, _alt, o=o, d=d, cruise=cruise):
            alt = min(
                cruise, o.elevation_ft + 2500 * elapsed / 60, d.elevation_ft + 175 * remaining
            )
            return alt, (250.0 if alt < 10000 else 460.0)

        tr = b.flyer.fly(
            t0,
            (o.lon, o.lat),
            bearing_deg(o.lon, o.lat, *waypoints[0]),
            waypoints,
            law,
            turn_rate=3.0,
            ground_after=(d.elevation_ft, 1.8),
        )
        icao24, callsign = b.next_id("FIR")
        touchdown = int(np.argmax(tr.ground))
        extra = tr.length_km(touchdown) - distance_km(o.lon, o.lat, d.lon, d.lat)
        rerouted = not shapely.intersects(area, shapely.LineString(np.c_[tr.lon, tr.lat]))
        out.append(
            FlightTruth(
                icao24,
                callsign,
                "rerouted" if rerouted else "direct",
                o.icao,
                d.icao,
                d.icao,
                True,
                tr,
                extra_km=extra,
            )
        )
        used[o.icao], used[d.icao] = o, d
    return FirWorld(seed, AirportRegistry(list(used.values())), area, "ZFIR", warning_at, out)
