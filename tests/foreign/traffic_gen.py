"""An independent traffic generator: firwatch recordings of OpenSky ``/states/all`` polls
around Venezuela (SVZM), with normal days and then an airspace avoidance event, and the
event's truth.

Why independent: firwatch's own scenarios (``service.sim``) and its detector grew up
together, so a score on them says little about traffic the detector was not built around
(issue 15).  This module shares no code with ``service``: numpy and the standard library
only, its own geometry (great circles on a sphere, a convex avoidance hull in a local
plane), its own schedules and kinematics.  It reads one thing from the repository, the
SVZM polygon in ``seeds/firs.geojson``, only to place traffic.  Output follows the
published recording format (``schemas/recording.schema.json``, README "Recordings").

Everything is seeded: the same :class:`Variant` gives the same recording and truth.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

EARTH_KM = 6371.0
ROOT = Path(__file__).resolve().parents[2]
FIR = "SVZM"
# the box a Venezuela watcher of our own might ask for: integers, not firwatch's derived box
BOX = {"lamin": -6, "lomin": -84, "lamax": 27, "lomax": -48}
STATES_URL = "https://opensky-network.org/api/states/all"
# ADS-B v2 (adsb.lol / ADSBx-compatible) point queries of our own: 250 NM circles over SVZM
POINT_URL = "https://api.adsb.lol/v2/point/{lat}/{lon}/{radius}"
POINTS = [(lat, lon, 250) for lat in (3, 8, 13) for lon in (-71, -65.5, -60.5)]

# Real airports (ICAO, lat, lon, elevation ft, UTC offset h of local time), coordinates from
# the AIPs, rounded to 1e-3 degrees.
AIRPORTS: dict[str, tuple[float, float, float, int]] = {
    "KMIA": (25.795, -80.290, 9, -5),
    "KFLL": (26.072, -80.150, 65, -5),
    "MUHA": (22.989, -82.409, 210, -5),
    "MKJP": (17.936, -76.788, 10, -5),
    "MDSD": (18.430, -69.669, 59, -4),
    "MDPC": (18.567, -68.363, 47, -4),
    "TJSJ": (18.439, -66.002, 10, -4),
    "TNCM": (18.041, -63.109, 13, -4),
    "TBPB": (13.075, -59.493, 169, -4),
    "TTPP": (10.595, -61.337, 58, -4),
    "TNCA": (12.501, -70.015, 60, -4),
    "TNCC": (12.189, -68.960, 29, -4),
    "MPTO": (9.071, -79.384, 135, -5),
    "SKBO": (4.702, -74.147, 8361, -5),
    "SKRG": (6.165, -75.423, 6955, -5),
    "SKCL": (3.543, -76.382, 3162, -5),
    "SKCG": (10.442, -75.513, 4, -5),
    "SKBQ": (10.890, -74.781, 98, -5),
    "SEQM": (-0.129, -78.358, 9200, -5),
    "SBEG": (-3.039, -60.050, 264, -4),
    "SYCJ": (6.499, -58.254, 95, -4),
    "SMJP": (5.453, -55.188, 59, -3),
    # Venezuela
    "SVMI": (10.603, -66.991, 235, -4),
    "SVMC": (10.558, -71.728, 239, -4),
    "SVVA": (10.150, -67.928, 1411, -4),
    "SVBC": (10.107, -64.689, 26, -4),
    "SVMG": (10.913, -63.967, 74, -4),
    "SVPR": (8.289, -62.760, 472, -4),
}
VENEZUELA = {"SVMI", "SVMC", "SVVA", "SVBC", "SVMG", "SVPR"}

# Operators: (24-bit address block start, country as OpenSky names it, cruise ft).
# Venezuelan operators sit in 0D8000-0DFFFF (ICAO Annex 10 Vol. III), every other one outside.
OPERATORS: dict[str, tuple[int, str, int]] = {
    "AAL": (0xA4C000, "United States", 36000),
    "JBU": (0xA6D000, "United States", 35000),
    "CMP": (0x0C2100, "Panama", 37000),
    "AVA": (0x0AC100, "Colombia", 35000),
    "LAN": (0x0AC900, "Colombia", 37000),
    "BWA": (0x0C6100, "Trinidad and Tobago", 33000),
    "GLO": (0xE48100, "Brazil", 37000),
    "AZU": (0xE49100, "Brazil", 36000),
    "SLM": (0x0C8100, "Suriname", 35000),
    "KLM": (0x485100, "Kingdom of the Netherlands", 37000),
    "DOC": (0x0C4100, "Dominican Republic", 33000),
    "CUB": (0x0B0100, "Cuba", 33000),
    "CAY": (0x0BE100, "Jamaica", 33000),
    "ARE": (0x0AC500, "Colombia", 34000),
    # Venezuela
    "VCV": (0x0D8100, "Venezuela", 31000),
    "ROI": (0x0D9100, "Venezuela", 29000),
    "LER": (0x0DA100, "Venezuela", 30000),
    "ESY": (0x0DB100, "Venezuela", 31000),
}
DOMESTIC_OPERATORS = {"VCV", "ROI", "LER", "ESY"}

# (origin, destination, operators, daily departures each way in the dense variant).
# "cross": great circle crosses SVZM; "ven": foreign service to Venezuela; "near": passes
# near the FIR without crossing (a reroute there would be a false alarm); "bg": elsewhere in
# the box (the coverage the feed gives); "dom": Venezuelan operators.
ROUTES: list[tuple[str, str, tuple[str, ...], float, str]] = [
    ("KMIA", "SBEG", ("AAL",), 2, "cross"),
    ("MPTO", "TTPP", ("CMP", "BWA"), 3, "cross"),
    ("SKBO", "TTPP", ("AVA",), 2, "cross"),
    ("SKBO", "TBPB", ("AVA",), 1, "cross"),
    ("MPTO", "SYCJ", ("CMP",), 2, "cross"),
    ("MPTO", "SBEG", ("CMP",), 2, "cross"),
    ("SKBO", "SMJP", ("SLM", "AVA"), 2, "cross"),
    ("MDSD", "SBEG", ("GLO",), 1, "cross"),
    ("TNCC", "SBEG", ("KLM",), 1, "cross"),
    ("TNCA", "SYCJ", ("KLM",), 1, "cross"),
    ("SKRG", "TTPP", ("LAN",), 2, "cross"),
    ("TJSJ", "SKBO", ("JBU", "AVA"), 2, "cross"),
    ("KFLL", "SBEG", ("AZU",), 1, "cross"),
    ("SEQM", "TTPP", ("ARE",), 1, "cross"),
    ("SKCL", "SYCJ", ("AVA",), 1, "cross"),
    ("MKJP", "SBEG", ("CAY",), 1, "cross"),
    ("MPTO", "SVMI", ("CMP",), 3, "ven"),
    ("SKBO", "SVMI", ("AVA",), 2, "ven"),
    ("TNCC", "SVVA", ("KLM",), 1, "ven"),
    ("TTPP", "SVMI", ("BWA",), 1, "ven"),
    ("TNCA", "SKBO", ("AVA",), 2, "near"),
    ("MPTO", "TNCC", ("CMP",), 3, "near"),
    ("TBPB", "TJSJ", ("JBU",), 2, "near"),
    ("TTPP", "TJSJ", ("BWA",), 2, "near"),
    ("MDSD", "TNCC", ("DOC",), 2, "near"),
    ("KMIA", "MPTO", ("AAL", "CMP"), 6, "bg"),
    ("KMIA", "SKBO", ("AAL", "AVA"), 4, "bg"),
    ("MUHA", "MPTO", ("CMP", "CUB"), 2, "bg"),
    ("KMIA", "TJSJ", ("AAL", "JBU"), 5, "bg"),
    ("KFLL", "MDSD", ("JBU",), 4, "bg"),
    ("SKBO", "MPTO", ("AVA", "CMP"), 6, "bg"),
    ("SKBO", "SEQM", ("AVA",), 4, "bg"),
    ("KMIA", "MKJP", ("AAL", "CAY"), 3, "bg"),
    ("SKCG", "MPTO", ("CMP",), 2, "bg"),
    ("SYCJ", "SMJP", ("SLM",), 2, "bg"),
    ("SVMI", "SVMC", ("VCV", "LER"), 4, "dom"),
    ("SVMI", "SVMG", ("VCV", "ESY"), 4, "dom"),
    ("SVMI", "SVPR", ("LER",), 2, "dom"),
    ("SVVA", "SVMG", ("ROI",), 2, "dom"),
    ("SVBC", "SVMC", ("ESY",), 1, "dom"),
    ("SVMI", "MPTO", ("ESY",), 1, "dom"),
]

# Departures by local hour: almost none from 01 to 05, a morning and an evening bank.
DIURNAL = np.array(
    [
        0.3,
        0.1,
        0.05,
        0.05,
        0.1,
        0.5,
        1.6,
        2.0,
        1.8,
        1.4,
        1.2,
        1.2,
        1.3,
        1.3,
        1.2,
        1.3,
        1.6,
        1.9,
        1.8,
        1.4,
        1.0,
        0.8,
        0.6,
        0.4,
    ]
)


@dataclass(frozen=True)
class Variant:
    """One recording: traffic density, poll interval, seed, the event and its domestic side."""

    density: str = "dense"  # dense: tens of foreign aircraft in the FIR at peak; sparse: 0-5
    poll_s: int = 300
    seed: int = 1
    normal_days: int = 3
    start: datetime = datetime(2026, 3, 2, tzinfo=UTC)
    event_hour_utc: float = 16.0  # on the day after the normal days, jittered by the seed
    hours_after: float = 6.0
    domestic_after: str = "continues"  # or "stops": Venezuelan departures end as well
    jitter_s: float = 20.0  # how late a poll's answer arrives after the round minute
    feed: str = "opensky"  # or "adsbx": ADS-B v2 point queries (POINTS) instead of /states/all
    routes: bool = False  # also record adsb.lol routeset answers for each new callsign

    @property
    def name(self) -> str:
        feed = ("" if self.feed == "opensky" else f"-{self.feed}") + ("-routes" * self.routes)
        return f"{self.density}-{self.poll_s}s-seed{self.seed}-dom{self.domestic_after}{feed}"


@dataclass
class Flight:
    callsign: str
    icao24: str
    operator: str
    country: str
    origin: str
    destination: str
    kind: str
    domestic: bool
    departs_at: datetime
    cruise_ft: int
    cruise_kmh: float
    path: np.ndarray = field(repr=False)  # (n, 2) lon/lat of the flown path, densely sampled
    gc_km: float = 0.0
    flown_km: float = 0.0
    gc_crosses: bool = False
    flown_crosses: bool = False
    rerouted: bool = False
    rerouted_in_flight: bool = False
    cancelled: bool = False
    arrives_at: datetime | None = None
    enters_fir_at: datetime | None = None
    # time table: seconds after departure -> km along the path
    t_s: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    s_km: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    cum_km: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]


# --- geometry: the sphere -------------------------------------------------------------


def _xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lo, la = np.radians(lon), np.radians(lat)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def _lonlat(v: np.ndarray) -> np.ndarray:
    v = v / np.linalg.norm(v, axis=-1, keepdims=True)
    return np.stack(
        [np.degrees(np.arctan2(v[..., 1], v[..., 0])), np.degrees(np.arcsin(v[..., 2]))], axis=-1
    )


def great_circle(a: tuple[float, float], b: tuple[float, float], step_km: float = 5.0):
    """Points every ``step_km`` (km) on the great circle from a to b (lon, lat), ends included."""
    pa, pb = _xyz(np.array(a[0]), np.array(a[1])), _xyz(np.array(b[0]), np.array(b[1]))
    omega = math.acos(float(np.clip(pa @ pb, -1.0, 1.0)))
    n = max(2, int(omega * EARTH_KM / step_km) + 1)
    f = np.linspace(0.0, 1.0, n)[:, None]
    if omega < 1e-9:
        return np.array([a, b], dtype=float)
    pts = (np.sin((1 - f) * omega) * pa + np.sin(f * omega) * pb) / math.sin(omega)
    return _lonlat(pts)


def path_km(path: np.ndarray) -> np.ndarray:
    """Cumulative great-circle length (km) along a lon/lat polyline."""
    v = _xyz(path[:, 0], path[:, 1])
    d = np.arccos(np.clip(np.sum(v[1:] * v[:-1], axis=1), -1.0, 1.0)) * EARTH_KM
    return np.concatenate([[0.0], np.cumsum(d)])


def inside(ring: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Even-odd point-in-polygon on lon/lat (the FIR is small and far from the poles)."""
    x, y = ring[:, 0], ring[:, 1]
    x2, y2 = np.roll(x, -1), np.roll(y, -1)
    lon, lat = np.asarray(lon)[:, None], np.asarray(lat)[:, None]
    cond = (y > lat) != (y2 > lat)
    with np.errstate(divide="ignore", invalid="ignore"):
        xc = x + (lat - y) * (x2 - x) / (y2 - y)
    return np.count_nonzero(cond & (lon < xc), axis=1) % 2 == 1


# --- geometry: avoiding the FIR in a local plane ----------------------------------------


class Avoider:
    """Shortest way round the FIR keeping a margin (km): a visibility graph, in an
    equirectangular plane centred on the FIR, over the FIR's convex corners pushed out by the
    margin; legs flown as great circles between the corners.  Airlines keep well clear of an
    airspace they avoid, and the FIR is not convex (Curacao's FIR is cut out of its north)."""

    def __init__(self, ring: np.ndarray, margin_km: float):
        self.lon0, self.lat0 = ring[:, 0].mean(), ring[:, 1].mean()
        self.kx = math.radians(1) * EARTH_KM * math.cos(math.radians(self.lat0))
        self.ky = math.radians(1) * EARTH_KM
        pts = self._plane(ring[:-1] if np.allclose(ring[0], ring[-1]) else ring)
        self.a, self.b = pts, np.roll(pts, -1, axis=0)
        self.ring = ring
        self.clearance = 0.4 * margin_km
        area = np.sum(self.a[:, 0] * self.b[:, 1] - self.b[:, 0] * self.a[:, 1]) / 2
        sign = 1.0 if area > 0 else -1.0
        e = self.b - self.a
        normal = np.stack([e[:, 1], -e[:, 0]], 1) * sign  # outward
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
        n_in, e_in = np.roll(normal, 1, axis=0), np.roll(e, 1, axis=0)  # the edge before
        turn = (e_in[:, 0] * e[:, 1] - e_in[:, 1] * e[:, 0]) * sign
        bis = n_in + normal
        bis /= np.maximum(np.linalg.norm(bis, axis=1, keepdims=True), 1e-9)
        nodes = pts + margin_km * bis
        keep = (turn > 0) & (self._distance(nodes) >= self.clearance) & ~self._inside(nodes)
        self.nodes = nodes[keep]
        k = len(self.nodes)
        self.vis = np.zeros((k, k), dtype=bool)
        for i in range(k):
            for j in range(i + 1, k):
                self.vis[i, j] = self.vis[j, i] = self._clear(self.nodes[i], self.nodes[j])

    def _plane(self, ll: np.ndarray) -> np.ndarray:
        return np.stack([(ll[:, 0] - self.lon0) * self.kx, (ll[:, 1] - self.lat0) * self.ky], 1)

    def _lonlat(self, xy: np.ndarray) -> np.ndarray:
        return np.stack([xy[:, 0] / self.kx + self.lon0, xy[:, 1] / self.ky + self.lat0], 1)

    def _inside(self, xy: np.ndarray) -> np.ndarray:
        ll = self._lonlat(xy)
        return inside(self.ring, ll[:, 0], ll[:, 1])

    def _distance(self, xy: np.ndarray) -> np.ndarray:
        """Distance (km) from each point to the FIR's boundary."""
        d = self.b - self.a
        rel = xy[:, None, :] - self.a[None]
        t = np.clip(np.sum(rel * d, axis=2) / np.maximum(np.sum(d * d, axis=1), 1e-12), 0, 1)
        return np.min(np.linalg.norm(rel - t[..., None] * d, axis=2), axis=1)

    def _clear(self, p: np.ndarray, q: np.ndarray, ends: tuple[np.ndarray, ...] = ()) -> bool:
        """The segment p-q stays out of the FIR, by the clearance except near the given ends."""
        n = max(2, int(np.linalg.norm(q - p) / 10.0) + 1)
        xy = p + np.linspace(0, 1, n)[:, None] * (q - p)
        if self._inside(xy).any():
            return False
        far = np.ones(n, dtype=bool)
        for end in ends:
            far &= np.linalg.norm(xy - end, axis=1) > 150.0
        if not far.any():
            return True
        return bool(np.all(self._distance(xy[far]) >= self.clearance * 0.98))

    def contains(self, ll: tuple[float, float]) -> bool:
        return bool(self._inside(self._plane(np.array([ll])))[0])

    def waypoints(
        self, a: tuple[float, float], b: tuple[float, float]
    ) -> list[tuple[float, float]]:
        """a, the corners the shortest way round passes, b (lon, lat); [] when none is found."""
        pa, pb = self._plane(np.array([a, b]))
        ends = (pa, pb)
        if self._clear(pa, pb, ends):
            return [a, b]
        k = len(self.nodes)
        from_a = np.array([self._clear(pa, n, ends) for n in self.nodes], dtype=bool)
        to_b = np.array([self._clear(n, pb, ends) for n in self.nodes], dtype=bool)
        # Dijkstra: 0..k-1 the corners, k = a, k + 1 = b
        dist, prev, queue = {k: 0.0}, {}, [(0.0, k)]
        while queue:
            d, i = heapq.heappop(queue)
            if i == k + 1:
                break
            if d > dist.get(i, math.inf):
                continue
            here = pa if i == k else self.nodes[i]
            reach = from_a if i == k else self.vis[i]
            steps = [
                (int(j), float(np.linalg.norm(self.nodes[j] - here))) for j in np.flatnonzero(reach)
            ]
            if i < k and to_b[i]:
                steps.append((k + 1, float(np.linalg.norm(pb - here))))
            for j, w in steps:
                if d + w < dist.get(j, math.inf):
                    dist[j], prev[j] = d + w, i
                    heapq.heappush(queue, (d + w, j))
        if k + 1 not in prev:
            return []
        chain, i = [], prev[k + 1]
        while i != k:
            chain.append(i)
            i = prev[i]
        corners = self._lonlat(self.nodes[chain[::-1]])
        return [a, *(tuple(c) for c in corners), b]


# --- the generator --------------------------------------------------------------------


def load_fir(seeds: Path = ROOT / "seeds") -> np.ndarray:
    """SVZM's outer ring (lon, lat) from the repository's seeds, only to place traffic."""
    data = json.loads((seeds / "firs.geojson").read_text(encoding="utf-8"))
    for feature in data["features"]:
        if feature["properties"].get("icao") == FIR:
            g = feature["geometry"]
            ring = g["coordinates"][0] if g["type"] == "Polygon" else g["coordinates"][0][0]
            return np.array(ring, dtype=float)
    raise LookupError(f"{FIR} not in {seeds / 'firs.geojson'}")


class Generator:
    def __init__(self, variant: Variant, ring: np.ndarray | None = None):
        self.v = variant
        self.rng = np.random.default_rng(variant.seed)
        self.ring = load_fir() if ring is None else ring
        self.serial: dict[str, int] = {}
        self.used_addresses: set[int] = set()
        day = variant.start + timedelta(days=variant.normal_days)
        jitter = float(self.rng.uniform(-1.5, 1.5))
        self.event = (day + timedelta(hours=variant.event_hour_utc + jitter)).replace(
            second=0, microsecond=0
        )
        self.end = self.event + timedelta(hours=variant.hours_after)
        self.flights: list[Flight] = []

    # schedules
    def _departures(self, origin: str, per_day: float) -> list[datetime]:
        """Departure times over the whole span, Poisson per day, shaped by local hour."""
        offset = AIRPORTS[origin][3]
        weights = np.roll(DIURNAL, -offset)  # index = UTC hour: local hour = UTC + offset
        weights = weights / weights.sum()
        out: list[datetime] = []
        day = self.v.start - timedelta(days=1)
        while day < self.end:
            for _ in range(self.rng.poisson(per_day)):
                hour = int(self.rng.choice(24, p=weights))
                at = day + timedelta(hours=hour, minutes=float(self.rng.uniform(0, 60)))
                out.append(at.replace(second=0, microsecond=0))
            day += timedelta(days=1)
        return out

    def _identity(self, op: str) -> tuple[str, str]:
        n = self.serial.get(op, 0) + 1
        self.serial[op] = n
        base = OPERATORS[op][0]
        while True:
            address = base + int(self.rng.integers(0, 0x3FF))
            if address not in self.used_addresses:
                self.used_addresses.add(address)
                return f"{op}{100 + n}", f"{address:06x}"

    def build(self) -> list[Flight]:
        scale = {"dense": 4.0, "sparse": 0.4}[self.v.density]
        margin = float(self.rng.uniform(40, 90))
        avoider = Avoider(self.ring, margin)
        for origin, destination, ops, per_day, kind in ROUTES:
            domestic = kind == "dom"
            rate = per_day * (1.0 if domestic else scale)
            if kind == "bg":  # the rest of the box: busy either way (the feed's coverage)
                rate = per_day * (2.0 if self.v.density == "dense" else 0.7)
            for a, b in ((origin, destination), (destination, origin)):
                for dep in self._departures(a, rate):
                    op = ops[int(self.rng.integers(0, len(ops)))]
                    flight = self._flight(op, a, b, kind, domestic, dep)
                    if flight is not None:
                        self._apply_event(flight, avoider)
                        self.flights.append(flight)
        self.flights.sort(key=lambda f: f.departs_at)
        return self.flights

    def _flight(self, op, a, b, kind, domestic, dep) -> Flight | None:
        if dep >= self.end:
            return None
        callsign, icao24 = self._identity(op)
        _, country, cruise = OPERATORS[op]
        oa, ob = AIRPORTS[a], AIRPORTS[b]
        path = great_circle((oa[1], oa[0]), (ob[1], ob[0]))
        f = Flight(
            callsign=callsign,
            icao24=icao24,
            operator=op,
            country=country,
            origin=a,
            destination=b,
            kind=kind,
            domestic=domestic,
            departs_at=dep,
            cruise_ft=int(cruise - self.rng.integers(0, 3) * 1000),
            cruise_kmh=float(
                self.rng.uniform(760, 880) if not domestic else self.rng.uniform(620, 720)
            ),
            path=path,
        )
        f.gc_km = float(path_km(path)[-1])
        f.gc_crosses = bool(inside(self.ring, path[:, 0], path[:, 1]).any())
        self._fly(f)
        return f

    def _fly(self, f: Flight) -> None:
        """Time table along the path: slow near the ends (climb, approach), cruise between."""
        cum = path_km(f.path)
        total = cum[-1]
        s = np.linspace(0.0, total, max(50, int(total / 2)))
        ramp = np.minimum(1.0, np.minimum(s, total - s) / 120.0)
        speed = 300.0 + (f.cruise_kmh - 300.0) * ramp  # km/h
        dt_h = np.diff(s) / ((speed[1:] + speed[:-1]) / 2)
        t = np.concatenate([[0.0], np.cumsum(dt_h)]) * 3600 + 300  # 5 min taxi-out on ground
        f.t_s = np.concatenate([[0.0], t, [t[-1] + 240]])  # 4 min rollout and taxi-in
        f.s_km = np.concatenate([[0.0], s, [total]])
        f.cum_km = cum
        f.flown_km = float(total)
        f.arrives_at = f.departs_at + timedelta(seconds=float(f.t_s[-2]))
        ins = inside(self.ring, f.path[:, 0], f.path[:, 1])
        f.flown_crosses = bool(ins.any())
        f.enters_fir_at = None
        if ins.any():
            km = cum[int(np.argmax(ins))]
            f.enters_fir_at = f.departs_at + timedelta(seconds=float(np.interp(km, f.s_km, f.t_s)))

    def _apply_event(self, f: Flight, avoider: Avoider) -> None:
        """At the event foreign traffic avoids SVZM: services to Venezuela stop, flights whose
        great circle crosses it go round (those still before the FIR turn where they are),
        those already inside carry on out. Domestic traffic carries on or stops."""
        if f.domestic:
            if self.v.domestic_after == "stops" and f.departs_at >= self.event:
                f.cancelled = True
            return
        if f.origin in VENEZUELA or f.destination in VENEZUELA:
            if f.departs_at >= self.event:
                f.cancelled = True
            return
        if not f.gc_crosses or f.arrives_at <= self.event:
            return
        if f.departs_at >= self.event:
            start_km = 0.0
        elif f.enters_fir_at is not None and f.enters_fir_at > self.event + timedelta(minutes=5):
            start_km = float(np.interp((self.event - f.departs_at).total_seconds(), f.t_s, f.s_km))
        else:
            return  # inside (or about to be) at the event: it carries on out
        k = int(np.searchsorted(f.cum_km, start_km))
        here = tuple(f.path[k])
        if avoider.contains(here):
            return
        wps = avoider.waypoints(here, tuple(f.path[-1]))
        if not wps:
            return
        legs = [f.path[: k + 1]]
        for p, q in itertools.pairwise(wps):
            legs.append(great_circle(p, q)[1:])
        path = np.concatenate(legs)
        if inside(self.ring, path[:, 0], path[:, 1]).any():
            return  # the plane geometry fell short of the sphere: keep it honest, no reroute
        f.path = path
        f.rerouted, f.rerouted_in_flight = True, start_km > 0
        self._fly(f)

    # positions and recording
    def state(self, f: Flight, at: datetime) -> list[Any] | None:
        """The OpenSky state vector of ``f`` at ``at``, or None when it is not flying."""
        if f.cancelled:
            return None
        t = (at - f.departs_at).total_seconds()
        if t < 0 or t > f.t_s[-1]:
            return None
        s = float(np.interp(t, f.t_s, f.s_km))
        lon = float(np.interp(s, f.cum_km, f.path[:, 0]))
        lat = float(np.interp(s, f.cum_km, f.path[:, 1]))
        s2 = float(np.interp(t + 30, f.t_s, f.s_km))
        lon2 = float(np.interp(s2, f.cum_km, f.path[:, 0]))
        lat2 = float(np.interp(s2, f.cum_km, f.path[:, 1]))
        total = f.flown_km
        on_ground = bool(t < 300 or t > float(f.t_s[-2]))
        elev = AIRPORTS[f.origin if s < total / 2 else f.destination][2]
        # climb to cruise over the first 180 km, a 3-degree descent on the way in
        climb = elev + min(1.0, s / 180.0) * (f.cruise_ft - elev)
        descend = elev + (total - s) * 165.0  # ft per km of a 3-degree descent
        alt_ft = 0.0 if on_ground else min(climb, descend, float(f.cruise_ft))
        speed_ms = 0.0 if on_ground else (s2 - s) * 1000 / 30
        track = (
            math.degrees(math.atan2((lon2 - lon) * math.cos(math.radians(lat)), lat2 - lat)) % 360
        )
        baro = None if on_ground else round(alt_ft * 0.3048, 1)
        ts = int(at.timestamp()) - int(self.rng.integers(0, 6))
        return [
            f.icao24,
            f"{f.callsign:<8}",
            f.country,
            ts,
            ts,
            round(lon, 4),
            round(lat, 4),
            baro,
            on_ground,
            round(speed_ms, 1),
            round(track, 1),
            0.0,
            None,
            None if baro is None else round(baro + 60.0, 1),
            None,
            False,
            0,
        ]

    def polls(self):
        """(fetched_at, body) of every poll, on the poll interval from the start."""
        at = self.v.start
        step = timedelta(seconds=self.v.poll_s)
        lo, la = (BOX["lomin"], BOX["lomax"]), (BOX["lamin"], BOX["lamax"])
        flights = sorted(self.flights, key=lambda f: f.departs_at)
        nxt, active = 0, []
        while at <= self.end:
            while nxt < len(flights) and flights[nxt].departs_at <= at:
                if not flights[nxt].cancelled:
                    active.append(flights[nxt])
                nxt += 1
            active = [f for f in active if f.departs_at + timedelta(seconds=f.t_s[-1]) >= at]
            states = []
            for f in active:
                sv = self.state(f, at)
                if sv and (
                    self.v.feed != "opensky"
                    or (lo[0] <= sv[5] <= lo[1] and la[0] <= sv[6] <= la[1])
                ):
                    states.append(sv)
            fetched = at + timedelta(seconds=float(self.rng.uniform(1, self.v.jitter_s)))
            yield fetched, {"time": int(at.timestamp()), "states": states or None}
            at += step

    def write(self, recording: Path, truth: Path) -> dict[str, Any]:
        """Write the recording (JSON Lines, schemas/recording.schema.json) and its truth."""
        if not self.flights:
            self.build()
        credits = 4000
        plans = {f"{f.callsign:<8}": f for f in self.flights}
        asked: set[str] = set()
        with recording.open("w", encoding="utf-8") as out:
            for fetched, body in self.polls():
                if self.v.routes:
                    new = [sv for sv in body["states"] or [] if sv[1] not in asked]
                    asked.update(sv[1] for sv in new)
                    if new:
                        line = self._routeset(fetched, new, plans)
                        out.write(json.dumps(line, separators=(",", ":")) + "\n")
                if self.v.feed == "adsbx":
                    for line in self._points(fetched, body):
                        out.write(json.dumps(line, separators=(",", ":")) + "\n")
                    continue
                credits = credits - 1 if credits > 1 else 4000
                line = {
                    "source": "opensky",
                    "fetched_at": fetched.isoformat().replace("+00:00", "Z"),
                    "request": {"method": "GET", "url": STATES_URL, "params": dict(BOX)},
                    "status": 200,
                    "headers": {
                        "content-type": "application/json",
                        "x-rate-limit-remaining": str(credits),
                    },
                    "body": body,
                }
                out.write(json.dumps(line, separators=(",", ":")) + "\n")
        data = self.truth()
        truth.write_text(json.dumps(data, indent=1), encoding="utf-8")
        return data

    def _routeset(self, fetched: datetime, states: list[list[Any]], plans: dict[str, Flight]):
        """An adsb.lol routeset look-up of newly seen callsigns, answered from the plans."""
        planes = [{"callsign": sv[1].strip(), "lat": sv[6], "lng": sv[5]} for sv in states]
        answer = [
            {
                "callsign": sv[1].strip(),
                "airport_codes": f"{plans[sv[1]].origin}-{plans[sv[1]].destination}",
                "plausible": 1,
            }
            for sv in states
        ]
        return {
            "source": "routes",
            "fetched_at": (fetched + timedelta(seconds=2)).isoformat().replace("+00:00", "Z"),
            "request": {
                "method": "POST",
                "url": "https://api.adsb.lol/api/0/routeset",
                "json": {"planes": planes},
            },
            "status": 200,
            "headers": {"content-type": "application/json"},
            "body": answer,
        }

    def _points(self, fetched: datetime, body: dict[str, Any]):
        """One poll as ADS-B v2 point queries: the aircraft within each circle, jv2 fields."""
        states = body["states"] or []
        lon = np.array([sv[5] for sv in states])
        lat = np.array([sv[6] for sv in states])
        for k, (plat, plon, radius) in enumerate(POINTS):
            at = fetched + timedelta(seconds=0.4 * k)
            now_ms = int(at.timestamp() * 1000)
            if states:
                d = np.radians([lat - plat, lon - plon])
                h = (
                    np.sin(d[0] / 2) ** 2
                    + np.cos(np.radians(lat)) * math.cos(math.radians(plat)) * np.sin(d[1] / 2) ** 2
                )
                near = 2 * EARTH_KM * np.arcsin(np.sqrt(h)) <= radius * 1.852
            else:
                near = np.zeros(0, dtype=bool)
            ac = []
            for sv, keep in zip(states, near, strict=True):
                if not keep:
                    continue
                seen = round(now_ms / 1000 - sv[3], 1)
                ac.append(
                    {
                        "hex": sv[0],
                        "type": "adsb_icao",
                        "flight": sv[1],
                        "alt_baro": "ground" if sv[8] else round(sv[7] / 0.3048),
                        "alt_geom": None if sv[8] else round(sv[13] / 0.3048),
                        "gs": round(sv[9] * 1.943844, 1),
                        "track": sv[10],
                        "baro_rate": 0,
                        "lat": sv[6],
                        "lon": sv[5],
                        "seen_pos": seen,
                        "seen": seen,
                        "messages": 1000,
                        "rssi": -20.0,
                    }
                )
            url = POINT_URL.format(lat=plat, lon=plon, radius=radius)
            yield {
                "source": "adsbx",
                "fetched_at": at.isoformat().replace("+00:00", "Z"),
                "request": {"method": "GET", "url": url},
                "status": 200,
                "headers": {"content-type": "application/json"},
                "body": {
                    "ac": ac,
                    "msg": "No error",
                    "now": now_ms,
                    "total": len(ac),
                    "ctime": now_ms,
                    "ptime": 1,
                },
            }

    def truth(self) -> dict[str, Any]:
        onset, level = self.collapse()
        flights = []
        for f in self.flights:
            row = {k: v for k, v in asdict(f).items() if k not in ("path", "t_s", "s_km", "cum_km")}
            for k in ("departs_at", "arrives_at", "enters_fir_at"):
                row[k] = row[k].isoformat() if row[k] else None
            row["extra_km"] = round(f.flown_km - f.gc_km, 1)
            flights.append(row)
        return {
            "generator": "tests/foreign/traffic_gen.py",
            "variant": {**asdict(self.v), "start": self.v.start.isoformat()},
            "airspace": FIR,
            "start": self.v.start.isoformat(),
            "end": self.end.isoformat(),
            "event": self.event.isoformat(),
            "collapse": onset.isoformat() if onset else None,
            "foreign_level_before": level,
            "collapse_definition": "first minute at or after the event from which foreign "
            "aircraft airborne in SVZM stay at or below 20% of their mean over the 2 h "
            "before the event, for 30 minutes",
            "flights": flights,
        }

    def foreign_inside(self, times: list[datetime]) -> np.ndarray:
        """Foreign aircraft airborne inside the FIR at each time."""
        counts = np.zeros(len(times), dtype=int)
        for f in self.flights:
            if f.domestic or f.cancelled or not f.flown_crosses:
                continue
            for i, at in enumerate(times):
                t = (at - f.departs_at).total_seconds()
                if 300 <= t <= f.t_s[-2]:
                    s = float(np.interp(t, f.t_s, f.s_km))
                    lon = np.interp(s, f.cum_km, f.path[:, 0])
                    lat = np.interp(s, f.cum_km, f.path[:, 1])
                    counts[i] += int(inside(self.ring, np.array([lon]), np.array([lat]))[0])
        return counts

    def collapse(self) -> tuple[datetime | None, float]:
        minutes = [self.event + timedelta(minutes=m) for m in range(-120, 360)]
        counts = self.foreign_inside(minutes)
        level = float(counts[:120].mean())
        low = counts[120:] <= 0.2 * level
        for i in range(len(low) - 30):
            if low[i : i + 31].all():
                return minutes[120 + i], level
        return None, level


def generate(variant: Variant, out_dir: Path) -> tuple[Path, dict[str, Any]]:
    """Write ``<name>.jsonl`` and ``<name>.truth.json`` into ``out_dir``; the recording path and
    the truth."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rec = out_dir / f"{variant.name}.jsonl"
    truth = Generator(variant).write(rec, out_dir / f"{variant.name}.truth.json")
    return rec, truth
