"""Adversarial, randomised (seeded) traffic scenarios over SVZM, each with its truth.

The bundled ``venezuela-2025-11`` day and its variants grew up with the detector.  These
are built to break it: several normal days before the event (3–4), sparse traffic (a few
foreign aircraft, near-empty nights), dense traffic (tens at a time), a strong day/night
cycle, a collapse that takes hours instead of minutes, a recording that starts in the
middle of the event (no history at all), a feed outage and a poll that sees only part of
the box, and normal days with no event at all.  Departures are a Poisson process whose
rate follows the local time of day; after the event's onset each foreign carrier reacts
at its own time (all at once for an abrupt collapse, spread over hours for a slow one)
and flies around SVZM from then on.

Names: ``adv-<kind>-<seed>``, kind one of :data:`KINDS`.  The poll interval is the
player's (``firwatch eval --poll-s``, :mod:`service.evaluate_sweep`), not the scenario's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import shapely

from service.geo.airspaces import AirportRegistry, AirspaceRegistry
from service.geo.geodesy import distance_km
from service.sim.flightplan import Avoider, FlightPlan, path_km

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
PREFIX = "adv-"
DAY0 = datetime(2025, 11, 17, 0, 0, tzinfo=UTC)
LOCAL_OFFSET_H = -4.0  # Venezuela
REACTION = timedelta(minutes=10)  # a carrier replans this long after it decides to avoid
FOREIGN_KMH, DOMESTIC_KMH = 850.0, 700.0
GROUND = timedelta(minutes=25)  # a flight is visible on the ground this long around its flight

# foreign city pairs whose great circle crosses SVZM (both directions are flown)
FOREIGN_PAIRS = [
    ("SBGR", "KMIA"),
    ("SBBR", "KMIA"),
    ("SBEG", "KMIA"),
    ("KATL", "SBGR"),
    ("SBGR", "MDSD"),
    ("TTPP", "MPTO"),
    ("TTPP", "SKBO"),
    ("SMJP", "KMIA"),
    ("LPPT", "SKBO"),
    ("LFPG", "SKBO"),
    ("LEMD", "SKBO"),
    ("SKBO", "TJSJ"),
    ("TTPP", "TNCC"),
    ("TTPP", "TNCA"),
    ("SBGR", "TNCC"),
]
DOMESTIC_PAIRS = [("SVMI", "SVMC"), ("SVMI", "SVPR"), ("SVMI", "SVMG"), ("SVMC", "SVPR")]
FOREIGN_AIRLINES = {  # prefix: (24-bit block start, country, cruise ft)
    "TAM": (0xE48000, "Brazil", 39000),
    "AAL": (0xA10000, "United States", 36000),
    "CMP": (0x0C2000, "Panama", 37000),
    "AVA": (0x0AC000, "Colombia", 35000),
    "IBE": (0x340000, "Spain", 38000),
    "KLM": (0x484000, "Kingdom of the Netherlands", 37000),
}
DOMESTIC_AIRLINES = {"VCV": (0x0D8000, "Venezuela", 31000), "ROI": (0x0D9000, "Venezuela", 29000)}


@dataclass(frozen=True)
class Kind:
    """What one adversarial scenario family varies."""

    peak_foreign: tuple[float, float]  # foreign aircraft inside at the busiest hour (range)
    night_floor: float  # quietest hour's share of the busiest
    normal_days: tuple[int, int] = (3, 4)
    event: bool = True
    collapse_hours: tuple[float, float] = (0.0, 0.0)  # carriers react over this long
    mid_event_h: float | None = None  # the recording starts this long after the onset
    domestic_stop: bool = False  # domestic flights stop too (CLOSED expected)
    outage_h: float = 0.0  # a feed outage this long on a normal day
    partial_share: float = 0.0  # a 3-hour stretch when the feed returns only this share
    peak_domestic: float = 3.0

    @property
    def sparse(self) -> bool:
        return self.peak_foreign[1] <= 6


KINDS: dict[str, Kind] = {
    "sparse": Kind((3.0, 5.0), 0.08),
    "dense": Kind((20.0, 35.0), 0.3),
    "diurnal": Kind((10.0, 16.0), 0.03),
    "slow": Kind((12.0, 20.0), 0.3, collapse_hours=(3.0, 5.0)),
    "sparse-slow": Kind((3.0, 5.0), 0.08, collapse_hours=(2.0, 3.0)),
    "midevent": Kind((10.0, 20.0), 0.3, normal_days=(0, 0), mid_event_h=2.0),
    "shutdown": Kind((8.0, 14.0), 0.3, domestic_stop=True),
    "normal": Kind((2.0, 30.0), 0.05, normal_days=(5, 5), event=False),
    "outage": Kind((8.0, 20.0), 0.2, event=False, outage_h=3.0),
    "partial": Kind((8.0, 20.0), 0.2, event=False, partial_share=0.3),
}


@dataclass
class Adversarial:
    """A generated scenario's flights and truth (fed to the emulator or the sweep)."""

    name: str
    kind: Kind
    start: datetime
    end: datetime
    onset: datetime | None
    flights: list[FlightPlan]
    outages: list[tuple[datetime, datetime]]
    partial: tuple[datetime, datetime, float] | None
    peak_foreign: float
    closure_onset: datetime | None
    expect_closed: bool


def is_adversarial(name: str) -> bool:
    return name.startswith(PREFIX)


def parse(name: str) -> tuple[str, int]:
    """``adv-dense-3`` → ("dense", 3).

    >>> parse("adv-sparse-slow-12")
    ('sparse-slow', 12)
    """
    body = name.removeprefix(PREFIX)
    kind, _, seed = body.rpartition("-")
    if kind not in KINDS or not seed.isdigit():
        known = ", ".join(f"{PREFIX}{k}-<seed>" for k in KINDS)
        raise ValueError(f"unknown scenario {name!r}; generated ones: {known}")
    return kind, int(seed)


def _shape(at_h: np.ndarray, floor: float) -> np.ndarray:
    """Share of the peak rate at UTC hours ``at_h``: busiest mid-afternoon local, quietest
    before dawn."""
    local = (at_h + LOCAL_OFFSET_H) % 24
    wave = 0.5 + 0.5 * np.cos(2 * np.pi * (local - 14.0) / 24)
    return floor + (1 - floor) * wave**2


class _Maker:
    def __init__(self) -> None:
        self.airports = AirportRegistry.from_csv(SEEDS / "airports.csv")
        self.svzm = AirspaceRegistry.from_geojson(SEEDS / "firs.geojson").get("SVZM").geometry
        shapely.prepare(self.svzm)
        self.avoider = Avoider(self.svzm)
        self.detours: dict[tuple[str, str], list[tuple[float, float]]] = {}
        self.serial: dict[str, int] = {}

    def plan(
        self,
        o: str,
        d: str,
        airline: str,
        departs: datetime,
        domestic: bool,
        path: list[tuple[float, float]] | None = None,
        behaviour: str = "normal",
    ) -> FlightPlan:
        a, b = self.airports.get(o), self.airports.get(d)
        table = DOMESTIC_AIRLINES if domestic else FOREIGN_AIRLINES
        block, country, cruise = table[airline]
        n = self.serial.get(airline, 0) + 1
        self.serial[airline] = n
        waypoints = path or [(a.lon, a.lat), (b.lon, b.lat)]
        extra = round(path_km(waypoints) - distance_km(a.lon, a.lat, b.lon, b.lat), 1)
        return FlightPlan(
            callsign=f"{airline}{n}",
            icao24=f"{block + n % 0x8000:06x}",
            country=country,
            origin=o,
            destination=d,
            landing=d,
            domestic=domestic,
            departs_at=departs,
            waypoints=waypoints,
            speed_kmh=DOMESTIC_KMH if domestic else FOREIGN_KMH,
            cruise_ft=float(cruise),
            origin_elev_ft=a.elevation_ft,
            landing_elev_ft=b.elevation_ft,
            behaviour=behaviour,
            extra_km=extra if behaviour == "rerouted" else 0.0,
        )

    def replan(self, plan: FlightPlan, at: datetime) -> FlightPlan | None:
        """``plan`` flown on its great circle until ``at``, then around SVZM to its destination
        (None when it is too close to the boundary by then to be sent around)."""
        state = plan.state_at(at)
        if state is None or state["on_ground"]:
            return None
        here = (state["lon"], state["lat"])
        try:
            around = self.avoider.path(here, tuple(plan.waypoints[-1]))
        except ValueError:
            return None
        airline = plan.callsign.rstrip("0123456789")
        return self.plan(
            plan.origin,
            plan.destination,
            airline,
            plan.departs_at,
            False,
            [plan.waypoints[0], *around],
            "rerouted",
        )

    def detour(self, o: str, d: str) -> list[tuple[float, float]]:
        if (o, d) not in self.detours:
            a, b = self.airports.get(o), self.airports.get(d)
            self.detours[(o, d)] = self.avoider.path((a.lon, a.lat), (b.lon, b.lat))
        return self.detours[(o, d)]


@cache
def _maker() -> _Maker:
    return _Maker()


def _mean_dwell_h(m: _Maker, pairs: list[tuple[str, str]], kmh: float) -> float:
    """Mean hours a flight of these pairs spends inside SVZM."""
    hours = []
    for o, d in pairs:
        a, b = m.airports.get(o), m.airports.get(d)
        plan = FlightPlan(
            "X",
            "000000",
            "",
            o,
            d,
            d,
            False,
            DAY0,
            [(a.lon, a.lat), (b.lon, b.lat)],
            kmh,
            30000.0,
            0.0,
            0.0,
        )
        inside = shapely.contains_xy(m.svzm, plan.dense[:, 0], plan.dense[:, 1])
        steps = np.diff(plan.cumulative_km)
        hours.append(float(steps[inside[1:]].sum()) / kmh)
    return max(float(np.mean(hours)), 0.2)


def _departures(
    rng: random.Random, start: datetime, end: datetime, peak_per_h: float, floor: float
) -> list[datetime]:
    """A Poisson process of departures, thinned to the time-of-day shape."""
    out = []
    t = 0.0
    span_h = (end - start).total_seconds() / 3600
    while True:
        t += rng.expovariate(peak_per_h)
        if t > span_h:
            return out
        at = start + timedelta(hours=t)
        if rng.random() <= _shape(np.array([at.hour + at.minute / 60]), floor)[0]:
            out.append(at)


@cache
def build(name: str) -> Adversarial:
    kind_name, seed = parse(name)
    kind = KINDS[kind_name]
    rng = random.Random(f"{kind_name}:{seed}")
    m = _maker()
    days = rng.randint(*kind.normal_days)
    peak = rng.uniform(*kind.peak_foreign)
    onset = None
    if kind.event:
        lo, hi = (15.0, 21.0) if kind.sparse else (13.0, 23.0)  # busy local hours
        onset = DAY0 + timedelta(days=days, hours=rng.uniform(lo, hi))
        onset = onset.replace(second=0, microsecond=0)
    start = (
        DAY0
        if onset is None or kind.mid_event_h is None
        else onset + timedelta(hours=kind.mid_event_h + rng.uniform(0, 1))
    )
    end = (onset + timedelta(hours=8)) if onset else DAY0 + timedelta(days=days)
    foreign_pairs = [p for pair in FOREIGN_PAIRS for p in (pair, pair[::-1])]
    dwell_h = _mean_dwell_h(m, foreign_pairs, FOREIGN_KMH)
    # departures start a day early so the first hour already has traffic in the air
    first = min(start, DAY0) - timedelta(hours=12)
    reaction_span = rng.uniform(*kind.collapse_hours)
    flights: list[FlightPlan] = []
    for departs in _departures(rng, first, end, peak / dwell_h, kind.night_floor):
        o, d = rng.choice(foreign_pairs)
        airline = rng.choice(list(FOREIGN_AIRLINES))
        plan = m.plan(o, d, airline, departs, False)
        if onset is not None:
            decides = onset + timedelta(hours=rng.uniform(0, reaction_span))
            entry = plan.entry_time(m.svzm)
            if entry is not None and entry > decides + REACTION:
                if departs >= decides:
                    plan = m.plan(o, d, airline, departs, False, m.detour(o, d), "rerouted")
                else:
                    # airborne when its carrier decided: it turns off its great circle
                    # REACTION later and flies around (it stays in the feeds' box, as a real
                    # one does; removing it made the box look half-covered before the event)
                    plan = m.replan(plan, decides + REACTION)
                    if plan is None:
                        continue
        flights.append(plan)
    domestic_dwell = _mean_dwell_h(m, DOMESTIC_PAIRS, DOMESTIC_KMH)
    for departs in _departures(rng, first, end, kind.peak_domestic / domestic_dwell, 0.1):
        if kind.domestic_stop and onset is not None and departs >= onset:
            continue
        o, d = rng.choice(DOMESTIC_PAIRS)
        if rng.random() < 0.5:
            o, d = d, o
        flights.append(m.plan(o, d, rng.choice(list(DOMESTIC_AIRLINES)), departs, True))
    outages: list[tuple[datetime, datetime]] = []
    partial = None
    if kind.outage_h:
        at = DAY0 + timedelta(days=rng.randint(1, days - 1), hours=rng.uniform(12, 20))
        outages.append((at, at + timedelta(hours=kind.outage_h)))
    if kind.partial_share:
        at = DAY0 + timedelta(days=rng.randint(1, days - 1), hours=rng.uniform(12, 20))
        partial = (at, at + timedelta(hours=3), kind.partial_share)
    closure = _closure_onset(flights, m, onset) if onset else None
    return Adversarial(
        name, kind, start, end, onset, flights, outages, partial, peak, closure, kind.domestic_stop
    )


def _closure_onset(flights: list[FlightPlan], m: _Maker, onset: datetime) -> datetime | None:
    """The truth's closure instant, as for the bundled scenario (see
    :data:`service.sim.closure_truth.CLOSURE_SHARE`)."""
    from service.sim.closure_truth import traffic_collapse_onset

    return traffic_collapse_onset(flights, m.svzm, onset, onset + timedelta(hours=8))


def inside_by_poll(
    scenario: Adversarial, times: list[datetime]
) -> tuple[list[set[str]], list[set[str]], list[int]]:
    """Foreign and domestic aircraft airborne inside SVZM, and airborne aircraft elsewhere,
    at each poll: the counts a feed covering the whole box would give (vectorised per
    flight, not a state per flight and poll)."""
    m = _maker()
    n = len(times)
    ts = np.array([t.timestamp() for t in times])
    foreign: list[set[str]] = [set() for _ in range(n)]
    domestic: list[set[str]] = [set() for _ in range(n)]
    outside = np.zeros(n, dtype=int)
    for f in scenario.flights:
        lo = np.searchsorted(ts, f.departs_at.timestamp(), side="right")
        hi = np.searchsorted(ts, f.arrives_at.timestamp(), side="left")
        if hi <= lo:
            continue
        hours = (ts[lo:hi] - f.departs_at.timestamp()) / 3600
        flown = np.clip(hours * f.speed_kmh, 0.0, f.length_km)
        lon = np.interp(flown, f.cumulative_km, f.dense[:, 0])
        lat = np.interp(flown, f.cumulative_km, f.dense[:, 1])
        inside = shapely.contains_xy(m.svzm, lon, lat)
        target = domestic if f.domestic else foreign
        for j in np.flatnonzero(inside):
            target[lo + j].add(f.icao24)
        outside[lo:hi] += ~inside
    return foreign, domestic, outside.tolist()


def as_scenario(name: str):
    """The generated scenario as a :class:`service.sim.scenario.Scenario` for the emulator
    and ``firwatch eval`` (no NOTAMs: the status must come from traffic)."""
    from service.seeds import load_watched_routes
    from service.sim.scenario import Scenario, Variant

    adv = build(name)
    m = _maker()

    class _Played(Scenario):
        def __post_init__(self) -> None:
            super().__post_init__()
            self._from = np.array([(f.departs_at - GROUND).timestamp() for f in self.flights])
            self._to = np.array([(f.arrives_at + GROUND).timestamp() for f in self.flights])

        def states_at(self, at: datetime):  # indexed: thousands of flights over days
            t = at.timestamp()
            out = []
            for i in np.flatnonzero((self._from <= t) & (self._to >= t)):
                state = self.flights[i].state_at(at)
                if state is not None:
                    out.append((self.flights[i], state))
            return out

        def truth(self):
            truth = super().truth()
            truth.update(
                onset=adv.onset.isoformat() if adv.onset else None,
                expect_closure=adv.kind.event,
                closure_onset=adv.closure_onset.isoformat() if adv.closure_onset else None,
                start=adv.start.isoformat(),
                partial_coverage=[
                    adv.partial[0].isoformat(),
                    adv.partial[1].isoformat(),
                    adv.partial[2],
                ]
                if adv.partial
                else None,
            )
            return truth

    flights = [f for f in adv.flights if f.arrives_at >= adv.start - GROUND]
    return _Played(
        name=name,
        start=adv.start,
        end=adv.end,
        onset=adv.onset or adv.end,
        flights=flights,
        notams=[],
        airports=m.airports,
        watched=frozenset(load_watched_routes(SEEDS / "watched_routes.yaml")),
        variant=Variant(name, warning=False, outages=tuple(adv.outages)),
        closure_onset=adv.closure_onset,
        entries={
            f.callsign: at
            for f in flights
            if not f.domestic and (at := f.entry_time(m.svzm)) is not None
        },
    )
