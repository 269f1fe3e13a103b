"""Real-format tracks around a terminal area, with their truth, for judging detection.

The Venezuela scenario flies straight great-circle legs and reports exact positions; real
feeds do not.  This generator (seeded, every parameter drawn at random within ranges that
real traffic shows) builds a terminal area from real airports (``airportsdata``): a hub
and a second airport 6–15 km from it, and a small restricted area on the great circle of
an inbound route.  It flies, at 2-second steps with turn-rate-limited (gradual) turns:

- **arrivals** at either airport, descending on a roughly 3° profile with level segments,
  joining a final approach of random length on a random runway heading; a share of them
  stop being reported on short final (at a random height), others report their rollout
  and taxi on the ground, some then repeat a frozen airborne position with garbage
  altitudes, and a few reports anywhere are spikes (a position or altitude jump);
- **departures** from the hub, some of which turn back and land there;
- **diversions**: flights planned to a distant airport that land in the terminal area;
- **overflights** at cruise on gently curving paths, some crossing the restricted area
  (entries shorter than a poll);
- **inbound flights of one route** whose great circle crosses the restricted area: the
  first ``inbound_direct_share`` of them fly the great circle straight through it, the
  rest a dog-leg around it (with no direct flights, the dog-leg is the route's usual path).

Each poll returns every aircraft's state at a random age of up to 10 s, with position and
altitude noise, as a feed would.  The truth says where every flight landed, when it was
in the restricted area, and how far it flew beyond its great circle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

import numpy as np
import shapely

from service.domain import Position, Route, Snapshot
from service.geo.airspaces import Airport, AirportRegistry
from service.geo.geodesy import distance_km
from service.sim.turning_flight import (
    KM_PER_DEG,
    STEP_S,
    Flyer,
    Trajectory,
    bearing_deg,
    offset_point,
)

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


@cache
def iata_airports() -> tuple[Airport, ...]:
    import airportsdata

    return tuple(
        Airport(
            a["icao"],
            a["iata"],
            a["name"],
            a["city"],
            a["country"],
            float(a["lat"]),
            float(a["lon"]),
            float(a["elevation"] or 0.0),
        )
        for a in airportsdata.load("ICAO").values()
        if a["iata"] and len(a["icao"]) == 4 and a["icao"].isalpha()
    )


@cache
def terminal_pairs() -> tuple[tuple[Airport, Airport, float], ...]:
    """Real pairs of airports with airline codes 6–15 km apart: (a, b, km)."""
    airports = iata_airports()
    cells: dict[tuple[int, int], list[Airport]] = {}
    for a in airports:
        cells.setdefault((int(a.lat // 0.2), int(a.lon // 0.2)), []).append(a)
    out = []
    for (ci, cj), members in cells.items():
        for a in members:
            for di in (-1, 0, 1):
                for dj in (-1, 0, 1):
                    for b in cells.get((ci + di, cj + dj), ()):
                        if a.icao < b.icao and abs(a.lat) < 60:
                            km = distance_km(a.lon, a.lat, b.lon, b.lat)
                            if 6.0 <= km <= 15.0:
                                out.append((a, b, km))
    return tuple(sorted(out, key=lambda x: x[0].icao + x[1].icao))


@dataclass
class FlightTruth:
    icao24: str
    callsign: str
    kind: str  # arrival | departure | turn_back | diversion | overflight | inbound
    origin: str | None
    destination: str | None  # the planned one (what a route look-up says)
    landed_at: str | None
    route_known: bool
    trajectory: Trajectory
    stops_reporting_at: int | None = None  # step index after which the feed is silent
    frozen_after_touchdown: bool = False
    spike_at: int | None = None
    area_entries: list[tuple[datetime, datetime]] = field(default_factory=list)
    inbound_path: str | None = None  # "usual" (dog-leg around the area) | "direct"
    extra_km: float | None = None  # flown beyond the great circle origin → destination


@dataclass
class TerminalWorld:
    seed: int
    hub: Airport
    other: Airport
    airports: AirportRegistry
    area: shapely.Polygon
    area_code: str
    inbound_origin: Airport
    flights: list[FlightTruth]

    def routes(self) -> dict[str, Route | None]:
        return {
            f.callsign: Route(f.callsign, f.origin, f.destination, "test")
            if f.route_known and f.origin and f.destination
            else None
            for f in self.flights
        }

    def snapshots(self, poll_s: float, phase_s: float = 0.0, source: str = "adsbx"):
        """Every poll's positions, as a feed returns them (noise, age, frozen, spikes)."""
        rng = np.random.default_rng(self.seed * 7919 + int(poll_s))
        first = min(f.trajectory.t0 for f in self.flights)
        last = max(f.trajectory.end for f in self.flights) + timedelta(minutes=40)
        at = first + timedelta(seconds=phase_s)
        while at <= last:
            positions = []
            for f in self.flights:
                p = self._report(f, at, rng)
                if p is not None:
                    positions.append(p)
            yield Snapshot(source=source, fetched_at=at, positions=tuple(positions))
            at += timedelta(seconds=poll_s)

    def _report(self, f: FlightTruth, at: datetime, rng) -> Position | None:
        tr = f.trajectory
        age = float(rng.uniform(0.0, 10.0))
        seen = at - timedelta(seconds=age)
        i = int((seen - tr.t0).total_seconds() // STEP_S)
        if i < 0 or (f.stops_reporting_at is not None and i > f.stops_reporting_at):
            return None
        touchdown = int(np.argmax(tr.ground)) if tr.ground.any() else None
        if f.frozen_after_touchdown and touchdown is not None and i >= touchdown + 60:
            if i > touchdown + 60 + 900 / STEP_S:
                return None
            j = touchdown - 1  # the last airborne state, repeated with garbage altitudes
            alt = float(rng.uniform(-1000, 45000)) if rng.random() < 0.7 else float(tr.alt_ft[j])
            return Position(
                f.icao24,
                f.callsign,
                seen,
                float(tr.lon[j]),
                float(tr.lat[j]),
                alt,
                False,
                float(tr.gs_kt[j]),
                float(tr.track[j]),
            )
        if i >= len(tr.lon):
            return None
        lon = tr.lon[i] + rng.normal(0, 0.0003)
        lat = tr.lat[i] + rng.normal(0, 0.0003)
        alt = None if tr.ground[i] else round(float(tr.alt_ft[i] + rng.normal(0, 40)) / 25) * 25
        if f.spike_at is not None and abs(i - f.spike_at) * STEP_S < 1.0 + 0.5 * STEP_S:
            if rng.random() < 0.5:
                lon, lat = lon + float(rng.uniform(1.0, 4.0)), lat - float(rng.uniform(0.5, 3.0))
            elif alt is not None:
                alt = alt + float(rng.choice([-1, 1]) * rng.uniform(15000, 30000))
        return Position(
            f.icao24,
            f.callsign,
            seen,
            float(lon),
            float(lat),
            alt,
            bool(tr.ground[i]),
            float(tr.gs_kt[i]),
            float(tr.track[i] + rng.normal(0, 1.5)) % 360,
        )


class TrackBuilder:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.flyer = Flyer(self.rng)
        pairs = terminal_pairs()
        a, b, _ = pairs[int(self.rng.integers(len(pairs)))]
        self.hub, self.other = (a, b) if self.rng.random() < 0.5 else (b, a)
        self.runway = {ap.icao: float(self.rng.uniform(0, 360)) for ap in (self.hub, self.other)}
        self.serial = 0
        self.t = START

    def next_id(self, prefix: str) -> tuple[str, str]:
        self.serial += 1
        return (
            f"{(0x400000 + self.seed * 4096 + self.serial) & 0xFFFFFF:06x}",
            f"{prefix}{self.serial}",
        )

    def _next_time(self, minutes: float) -> datetime:
        self.t += timedelta(minutes=float(self.rng.uniform(0.5, minutes)))
        return self.t

    # -- approach geometry ---------------------------------------------------------
    def approach(self, ap: Airport) -> tuple[list[tuple[float, float]], float]:
        """Waypoints of an approach (intercept, final fix, threshold) and the runway heading."""
        hdg = self.runway[ap.icao] + (180.0 if self.rng.random() < 0.3 else 0.0)
        threshold = offset_point(ap.lon, ap.lat, hdg + 180, float(self.rng.uniform(0.5, 1.6)))
        final_km = float(self.rng.uniform(8.0, 20.0))
        fix = offset_point(*threshold, hdg + 180, final_km)
        side = 1 if self.rng.random() < 0.5 else -1
        intercept = offset_point(
            *offset_point(*fix, hdg + 180, float(self.rng.uniform(3, 8))),
            hdg + 90 * side,
            float(self.rng.uniform(3, 9)),
        )
        return [intercept, fix, threshold], hdg

    def descent_law(self, elevation: float, cruise: float, gradient: float, level_ft: float):
        def law(remaining_km: float, _elapsed: float, _alt):
            path = elevation + gradient * remaining_km
            if remaining_km > 12 and path < elevation + level_ft:
                path = elevation + level_ft  # level segment before the final approach
            alt = min(cruise, path)
            agl = alt - elevation
            gs = 140.0 if agl < 1500 else 180.0 if agl < 4000 else 250.0 if alt < 10000 else 420.0
            return alt, gs

        return law

    def arrival(self, ap: Airport, kind: str, destination: str, origin: str | None) -> FlightTruth:
        waypoints, _ = self.approach(ap)
        entry_bearing = float(self.rng.uniform(0, 360))
        start = offset_point(ap.lon, ap.lat, entry_bearing, float(self.rng.uniform(110, 170)))
        law = self.descent_law(
            ap.elevation_ft,
            float(self.rng.uniform(24000, 36000)),
            float(self.rng.uniform(150, 230)),
            float(self.rng.uniform(2000, 4000)),
        )
        tr = self.flyer.fly(
            self._next_time(12),
            start,
            (entry_bearing + 180) % 360,
            waypoints,
            law,
            turn_rate=3.0,
            ground_after=(ap.elevation_ft, float(self.rng.uniform(1.2, 2.5))),
        )
        icao24, callsign = self.next_id("ARR" if kind == "arrival" else "DIV")
        return self._with_faults(
            FlightTruth(
                icao24, callsign, kind, origin, destination, ap.icao, self.rng.random() < 0.7, tr
            )
        )

    def _with_faults(self, f: FlightTruth) -> FlightTruth:
        tr = f.trajectory
        if tr.ground.any():
            touchdown = int(np.argmax(tr.ground))
            roll = self.rng.random()
            if roll < 0.35:  # reports stop on short final
                stop_agl = float(self.rng.uniform(300, 2500))
                top = int(np.argmax(tr.alt_ft[:touchdown]))  # on the way down, not up
                agl = tr.alt_ft[top:touchdown] - tr.alt_ft[touchdown]
                below = np.flatnonzero(agl < stop_agl)
                f.stops_reporting_at = top + int(below[0]) if len(below) else touchdown - 1
            elif roll < 0.65:
                f.frozen_after_touchdown = True
        if self.rng.random() < 0.15:
            f.spike_at = int(self.rng.integers(len(tr.lon)))
        return f

    def departure(self, turn_back: bool) -> FlightTruth:
        ap = self.hub
        hdg = self.runway[ap.icao]
        start = offset_point(ap.lon, ap.lat, hdg + 180, 1.0)
        out_bearing = (hdg + float(self.rng.uniform(-60, 60))) % 360
        far = offset_point(ap.lon, ap.lat, out_bearing, 250.0)
        climb = float(self.rng.uniform(1800, 3000))

        def law(_remaining, elapsed, _alt):
            alt = min(ap.elevation_ft + climb * elapsed / 60, 34000.0)
            return alt, (160.0 if alt < 3000 else 250.0 if alt < 10000 else 420.0)

        if not turn_back:
            tr = self.flyer.fly(self._next_time(12), start, hdg, [far], law, turn_rate=3.0)
            icao24, callsign = self.next_id("DEP")
            return FlightTruth(
                icao24, callsign, "departure", ap.icao, "ZZZZ", None, self.rng.random() < 0.7, tr
            )
        out_km = float(self.rng.uniform(40, 90))
        turn = offset_point(ap.lon, ap.lat, out_bearing, out_km)
        t0 = self._next_time(12)
        leg = self.flyer.fly(t0, start, hdg, [turn], law, turn_rate=3.0)
        waypoints, _ = self.approach(ap)
        back = self.descent_law(ap.elevation_ft, float(leg.alt_ft[-1]), 200.0, 3000.0)
        home = self.flyer.fly(
            leg.end,
            (float(leg.lon[-1]), float(leg.lat[-1])),
            float(leg.track[-1]),
            waypoints,
            back,
            turn_rate=3.0,
            ground_after=(ap.elevation_ft, 1.8),
        )
        tr = Trajectory(
            t0,
            *(
                np.concatenate([getattr(leg, n), getattr(home, n)])
                for n in ("lon", "lat", "alt_ft", "gs_kt", "track", "ground")
            ),
        )
        icao24, callsign = self.next_id("RTB")
        return self._with_faults(
            FlightTruth(icao24, callsign, "turn_back", ap.icao, "ZZZZ", ap.icao, True, tr)
        )

    def overflight(self, area: shapely.Polygon, radius_km: float) -> FlightTruth:
        c = area.centroid
        through = float(self.rng.uniform(0, 360))
        miss = float(self.rng.uniform(-1.0, 1.0)) * radius_km * 1.3
        mid = offset_point(c.x, c.y, through + 90, miss)
        start = offset_point(*mid, through + 180, float(self.rng.uniform(80, 140)))
        bend = offset_point(*mid, through, 60.0)
        end = offset_point(*bend, through + float(self.rng.uniform(-15, 15)), 100.0)
        cruise = float(self.rng.uniform(30000, 39000))
        gs = float(self.rng.uniform(400, 490))
        tr = self.flyer.fly(
            self._next_time(8),
            start,
            through,
            [mid, bend, end],
            lambda *_: (cruise, gs),
            turn_rate=3.0,
        )
        icao24, callsign = self.next_id("OVF")
        return FlightTruth(icao24, callsign, "overflight", None, None, None, False, tr)

    def inbound(self, origin: Airport, area: shapely.Polygon, usual: bool) -> FlightTruth:
        """A flight of the route origin → hub whose great circle crosses the area."""
        ap = self.hub
        c = area.centroid
        gc_bearing = bearing_deg(origin.lon, origin.lat, ap.lon, ap.lat)
        start = offset_point(c.x, c.y, gc_bearing + 180, float(self.rng.uniform(120, 160)))
        waypoints, _ = self.approach(ap)
        if usual:  # the airway: a dog-leg well clear of the area
            side = 1 if self.seed % 2 else -1
            dogleg = offset_point(c.x, c.y, gc_bearing + 90 * side, float(self.rng.uniform(35, 60)))
            waypoints = [dogleg, *waypoints]
        else:
            waypoints = [(c.x, c.y), *waypoints]
        law = self.descent_law(ap.elevation_ft, 34000.0, float(self.rng.uniform(150, 230)), 3000.0)
        tr = self.flyer.fly(
            self._next_time(20),
            start,
            gc_bearing,
            waypoints,
            law,
            turn_rate=3.0,
            ground_after=(ap.elevation_ft, 1.8),
        )
        icao24, callsign = self.next_id("INB")
        touchdown = int(np.argmax(tr.ground))
        flown = distance_km(origin.lon, origin.lat, tr.lon[0], tr.lat[0]) + tr.length_km(touchdown)
        f = FlightTruth(
            icao24,
            callsign,
            "inbound",
            origin.icao,
            ap.icao,
            ap.icao,
            True,
            tr,
            inbound_path="usual" if usual else "direct",
            extra_km=flown - distance_km(origin.lon, origin.lat, ap.lon, ap.lat),
        )
        return f


def build_world(
    seed: int,
    *,
    arrivals: int = 100,
    departures: int = 20,
    turn_backs: int = 5,
    diversions: int = 5,
    overflights: int = 40,
    inbound: int = 24,
    inbound_direct_share: float = 0.5,
) -> TerminalWorld:
    """A seeded terminal area with its traffic and truth (see the module docstring)."""
    b = TrackBuilder(seed)
    rng = b.rng
    hub = b.hub
    # an inbound route of 250–600 km whose great circle passes 40–80 km from the hub
    far = [a for a in iata_airports() if 250 <= distance_km(hub.lon, hub.lat, a.lon, a.lat) <= 600]
    origin = far[int(rng.integers(len(far)))]
    gc = bearing_deg(hub.lon, hub.lat, origin.lon, origin.lat)
    centre = offset_point(hub.lon, hub.lat, gc, float(rng.uniform(40, 80)))
    radius_km = float(rng.uniform(4.0, 10.0))
    k = math.cos(math.radians(centre[1]))
    area = shapely.Point(*centre).buffer(radius_km / KM_PER_DEG, 32)
    area = shapely.affinity.scale(area, 1 / k, 1.0)
    flights: list[FlightTruth] = []
    for _ in range(arrivals):
        ap = hub if rng.random() < 0.7 else b.other
        flights.append(b.arrival(ap, "arrival", ap.icao, "ZZZZ"))
    for _ in range(diversions):
        ap = hub if rng.random() < 0.5 else b.other
        flights.append(b.arrival(ap, "diversion", origin.icao, "ZZZZ"))
    for _ in range(departures):
        flights.append(b.departure(turn_back=False))
    for _ in range(turn_backs):
        flights.append(b.departure(turn_back=True))
    for _ in range(overflights):
        flights.append(b.overflight(area, radius_km))
    direct = round(inbound * inbound_direct_share)
    for i in range(inbound):  # the route's flights fly direct first, then the dog-leg
        flights.append(b.inbound(origin, area, usual=i >= direct))
    shapely.prepare(area)
    for f in flights:
        tr = f.trajectory
        inside = shapely.contains_xy(area, tr.lon, tr.lat) & ~tr.ground
        edges = np.flatnonzero(np.diff(np.concatenate([[0], inside.astype(int), [0]])))
        f.area_entries = [
            (tr.time(int(s)), tr.time(int(e) - 1))
            for s, e in zip(edges[::2], edges[1::2], strict=False)
        ]
    near = [a for a in iata_airports() if distance_km(hub.lon, hub.lat, a.lon, a.lat) <= 150]
    registry = AirportRegistry([*near, origin])
    return TerminalWorld(seed, hub, b.other, registry, area, "ZRA1", origin, flights)
