"""Synthetic flights: paths of great-circle legs, a speed and altitude profile, positions at t.

A path that must avoid an airspace is the shortest one through a visibility
graph of points around the airspace (buffered), so reroutes look like what
dispatchers file: straight legs hugging the boundary, not arbitrary detours.
"""

from __future__ import annotations

import enum
import heapq
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from service.geo.geodesy import distance_km, great_circle_points, path_length_km

if TYPE_CHECKING:
    from service.geo.airspaces import AirportRegistry

GROUND_BEFORE = timedelta(minutes=15)
GROUND_AFTER = timedelta(minutes=20)
CLIMB_KM = 200.0
STEP_KM = 10.0


class FlightBehaviour(enum.StrEnum):
    """What a scenario flight does (the truth's ``behaviour``)."""

    NORMAL = "normal"
    REROUTED = "rerouted"
    CANCELLED = "cancelled"
    TURNED_BACK = "turned_back"
    DIVERTED = "diverted"


@dataclass
class FlightPlan:
    callsign: str
    icao24: str
    country: str
    origin: str
    destination: str  # scheduled (what the route source says)
    landing: str  # where it actually lands
    domestic: bool
    departs_at: datetime
    waypoints: list[tuple[float, float]]  # lon/lat, origin first, landing airport last
    speed_kmh: float
    cruise_ft: float
    origin_elev_ft: float
    landing_elev_ft: float
    behaviour: FlightBehaviour = FlightBehaviour.NORMAL
    extra_km: float | None = 0.0
    dense: np.ndarray = field(init=False, repr=False)  # (n, 2) lon/lat
    cumulative_km: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.behaviour = FlightBehaviour(self.behaviour)  # a plain string is accepted too
        points: list[tuple[float, float]] = []
        for (lon1, lat1), (lon2, lat2) in itertools.pairwise(self.waypoints):
            leg = great_circle_points(lon1, lat1, lon2, lat2, step_km=STEP_KM)
            points.extend(leg if not points else leg[1:])
        self.dense = np.array(points, dtype=float)
        seg = [distance_km(*self.dense[i], *self.dense[i + 1]) for i in range(len(self.dense) - 1)]
        self.cumulative_km = np.concatenate([[0.0], np.cumsum(seg)])

    @property
    def length_km(self) -> float:
        return float(self.cumulative_km[-1])

    @property
    def arrives_at(self) -> datetime:
        return self.departs_at + timedelta(hours=self.length_km / self.speed_kmh)

    def visible(self, at: datetime) -> bool:
        return self.departs_at - GROUND_BEFORE <= at <= self.arrives_at + GROUND_AFTER

    def state_at(self, at: datetime) -> dict | None:
        """lon, lat, altitude_ft, on_ground, speed_kt, track_deg at ``at`` (None when not visible)."""
        if not self.visible(at):
            return None
        if at < self.departs_at or at > self.arrives_at:
            ground_end = at > self.arrives_at
            lon, lat = self.dense[-1] if ground_end else self.dense[0]
            elev = self.landing_elev_ft if ground_end else self.origin_elev_ft
            return {
                "lon": float(lon),
                "lat": float(lat),
                "altitude_ft": elev,
                "on_ground": True,
                "speed_kt": 0.0,
                "track_deg": None,
            }
        flown = (at - self.departs_at).total_seconds() / 3600.0 * self.speed_kmh
        flown = min(flown, self.length_km)
        lon = float(np.interp(flown, self.cumulative_km, self.dense[:, 0]))
        lat = float(np.interp(flown, self.cumulative_km, self.dense[:, 1]))
        i = int(np.searchsorted(self.cumulative_km, flown, side="right"))
        i = min(max(i, 1), len(self.dense) - 1)
        (x1, y1), (x2, y2) = self.dense[i - 1], self.dense[i]
        track = float(np.degrees(np.arctan2((x2 - x1) * np.cos(np.radians(y1)), y2 - y1)) % 360)
        to_go = self.length_km - flown
        if flown < CLIMB_KM:
            alt = self.origin_elev_ft + (self.cruise_ft - self.origin_elev_ft) * flown / CLIMB_KM
        elif to_go < CLIMB_KM:
            alt = self.landing_elev_ft + (self.cruise_ft - self.landing_elev_ft) * to_go / CLIMB_KM
        else:
            alt = self.cruise_ft
        return {
            "lon": lon,
            "lat": lat,
            "altitude_ft": round(alt),
            "on_ground": False,
            "speed_kt": round(self.speed_kmh / 1.852, 1),
            "track_deg": round(track, 1),
        }

    def position_at(self, at: datetime) -> tuple[float, float]:
        state = self.state_at(at)
        if state is None:
            raise ValueError(f"{self.callsign} is not visible at {at}")
        return state["lon"], state["lat"]

    def entry_time(self, area: BaseGeometry) -> datetime | None:
        """First time the path is inside ``area`` (None when it never is)."""
        inside = shapely.contains_xy(area, self.dense[:, 0], self.dense[:, 1])
        if not inside.any():
            return None
        km = float(self.cumulative_km[int(np.argmax(inside))])
        return self.departs_at + timedelta(hours=km / self.speed_kmh)

    def crosses(self, area: BaseGeometry) -> bool:
        return bool(shapely.contains_xy(area, self.dense[:, 0], self.dense[:, 1]).any())


def gc_line(a: tuple[float, float], b: tuple[float, float]) -> shapely.LineString:
    return shapely.LineString(great_circle_points(*a, *b, step_km=25.0))


class Avoider:
    """Shortest great-circle-leg path between two points that stays out of an area."""

    def __init__(self, area: BaseGeometry, clearance_deg: float = 0.6):
        # legs between waypoints keep a margin, as operators do around a warned-off FIR;
        # legs from or to an airport close to the boundary (Aruba, Curaçao) only stay outside
        self.keep_out = shapely.buffer(area, clearance_deg * 0.75)
        self.near = shapely.buffer(area, 0.05)
        shapely.prepare(self.keep_out)
        shapely.prepare(self.near)
        ring = shapely.simplify(shapely.buffer(area, clearance_deg), 0.15).exterior
        self.nodes: list[tuple[float, float]] = [tuple(c) for c in ring.coords[:-1]]
        n = len(self.nodes)
        self.edges: dict[int, list[tuple[int, float]]] = {i: [] for i in range(n)}
        for i in range(n):
            for j in range(i + 1, n):
                if self._clear(self.nodes[i], self.nodes[j]):
                    d = distance_km(*self.nodes[i], *self.nodes[j])
                    self.edges[i].append((j, d))
                    self.edges[j].append((i, d))

    def _clear(self, a: tuple[float, float], b: tuple[float, float], *, end: bool = False) -> bool:
        return not shapely.intersects(self.near if end else self.keep_out, gc_line(a, b))

    def path(
        self, start: tuple[float, float], goal: tuple[float, float]
    ) -> list[tuple[float, float]]:
        """[start, waypoints..., goal]; [start, goal] when the direct leg is already clear."""
        if self._clear(start, goal, end=True):
            return [start, goal]
        n = len(self.nodes)
        s, g = n, n + 1
        points = [*self.nodes, start, goal]
        adjacency = {k: list(v) for k, v in self.edges.items()}
        adjacency[s], adjacency[g] = [], []
        for i in range(n):
            for end in (s, g):
                if self._clear(points[end], self.nodes[i], end=True):
                    d = distance_km(*points[end], *self.nodes[i])
                    adjacency[end].append((i, d))
                    adjacency[i].append((end, d))
        best = {s: 0.0}
        previous: dict[int, int] = {}
        queue = [(0.0, s)]
        while queue:
            d, u = heapq.heappop(queue)
            if u == g:
                break
            if d > best.get(u, float("inf")):
                continue
            for v, w in adjacency[u]:
                if d + w < best.get(v, float("inf")):
                    best[v] = d + w
                    previous[v] = u
                    heapq.heappush(queue, (d + w, v))
        if g not in previous:
            raise ValueError(f"no path around the area from {start} to {goal}")
        route = [g]
        while route[-1] != s:
            route.append(previous[route[-1]])
        return [points[k] for k in reversed(route)]


def path_km(waypoints: list[tuple[float, float]]) -> float:
    return sum(distance_km(*a, *b) for a, b in itertools.pairwise(waypoints))


FOREIGN_KMH, DOMESTIC_KMH = 850.0, 700.0


class FlightMaker:
    """A scenario's flights between airports of ``airports``: each airline's next callsign
    and 24-bit address in turn (``airlines``: code → (address block start, country, cruise
    ft)), domestic when the airline's country is ``domestic_state``.  A region's builder
    extends it with its schedule and how each flight reacts to the closure."""

    def __init__(
        self,
        airports: AirportRegistry,
        airlines: Mapping[str, tuple[int, str, int]],
        domestic_state: str,
    ) -> None:
        self.airports = airports
        self.airlines = airlines
        self.domestic_state = domestic_state
        self.serial: dict[str, int] = {}
        self.flights: list[FlightPlan] = []
        self.cancelled: list[dict[str, Any]] = []  # the truth's entries of cancelled flights

    def identity(self, airline: str) -> tuple[str, str, str]:
        """(callsign, ICAO 24-bit address, country) of the airline's next flight."""
        n = self.serial.get(airline, 0) + 1
        self.serial[airline] = n
        block, country, _ = self.airlines[airline]
        return f"{airline}{100 + n * 7 % 900 + n // 130}", f"{block + n * 37:06x}", country

    def plan(
        self,
        origin: str,
        destination: str,
        airline: str,
        departs: datetime,
        waypoints: list[tuple[float, float]] | None = None,
        landing: str | None = None,
        behaviour: FlightBehaviour | str = FlightBehaviour.NORMAL,
    ) -> FlightPlan:
        """The airline's next flight; ``extra_km`` is set for a reroute only (the truth has
        none for a turn-back or a diversion)."""
        o, d = self.airports.get(origin), self.airports.get(destination)
        landing = landing or destination
        l_ap = self.airports.get(landing)
        callsign, icao24, country = self.identity(airline)
        domestic = country == self.domestic_state
        path = waypoints or [(o.lon, o.lat), (l_ap.lon, l_ap.lat)]
        extra = round(path_km(path) - distance_km(o.lon, o.lat, d.lon, d.lat), 1)
        return FlightPlan(
            callsign=callsign,
            icao24=icao24,
            country=country,
            origin=origin,
            destination=destination,
            landing=landing,
            domestic=domestic,
            departs_at=departs,
            waypoints=path,
            speed_kmh=DOMESTIC_KMH if domestic else FOREIGN_KMH,
            cruise_ft=float(self.airlines[airline][2]),
            origin_elev_ft=o.elevation_ft,
            landing_elev_ft=l_ap.elevation_ft,
            behaviour=behaviour,
            extra_km=extra if behaviour == FlightBehaviour.REROUTED else 0.0,
        )

    def cancel(self, gc: FlightPlan) -> None:
        """The flight does not operate: only the truth lists it."""
        self.cancelled.append(
            {
                "callsign": gc.callsign,
                "icao24": gc.icao24,
                "origin": gc.origin,
                "destination": gc.destination,
                "domestic": gc.domestic,
                "departs_at": gc.departs_at.isoformat(),
                "arrives_at": gc.arrives_at.isoformat(),
                "behaviour": FlightBehaviour.CANCELLED.value,
                "watched_route": False,
                "extra_km": None,
                "actual_destination": None,
                "path": [],
            }
        )


def exit_time(plan: FlightPlan, area: BaseGeometry) -> datetime | None:
    """When ``plan`` last leaves ``area`` (None: it never enters it)."""
    inside = shapely.contains_xy(area, plan.dense[:, 0], plan.dense[:, 1])
    if not inside.any():
        return None
    last = len(inside) - 1 - int(np.argmax(inside[::-1]))
    return plan.departs_at + timedelta(hours=float(plan.cumulative_km[last]) / plan.speed_kmh)


def first_entries(flights: list[FlightPlan], area: BaseGeometry) -> dict[str, datetime]:
    """When each foreign flight is first inside ``area`` (data time), by callsign."""
    return {
        f.callsign: at for f in flights if not f.domestic and (at := f.entry_time(area)) is not None
    }


__all__ = [
    "Avoider",
    "FlightBehaviour",
    "FlightMaker",
    "FlightPlan",
    "exit_time",
    "first_entries",
    "path_km",
    "path_length_km",
]
