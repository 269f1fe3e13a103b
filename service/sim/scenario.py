"""The ``venezuela-2025-11`` scenario: a synthetic day over the Caribbean, before and after
the FAA's KICZ A0012/25 warning for the Maiquetía FIR (SVZM).

Before the onset (2025-11-21T17:43Z) every flight flies its great circle, so foreign
traffic crosses SVZM all day.  After it, foreign flights that have not entered SVZM
replan around it (the shortest legs that keep a margin from the boundary), foreign
flights to Caracas are cancelled, one flight to Caracas turns back, one flight to
Curaçao diverts to Aruba, and Venezuelan domestic flights go on.  Everything is
deterministic, and :meth:`Scenario.truth` says what each flight did, so tests can
compare detection with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from service.geo.airspaces import AirportRegistry, AirspaceRegistry
from service.geo.geodesy import distance_km
from service.seeds import load_watched_routes
from service.sim.flightplan import Avoider, FlightBehaviour, FlightPlan, path_km
from service.sim.notams import scenario_notams

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
NAME = "venezuela-2025-11"
START = datetime(2025, 11, 21, 12, 0, tzinfo=UTC)
END = datetime(2025, 11, 22, 4, 0, tzinfo=UTC)
ONSET = datetime(2025, 11, 21, 17, 43, tzinfo=UTC)
FIRST_DEPARTURE = datetime(2025, 11, 21, 0, 0, tzinfo=UTC)
LAST_DEPARTURE = datetime(2025, 11, 22, 4, 30, tzinfo=UTC)
BBOX = shapely.box(-85.0, -10.0, -50.0, 27.0)
REPLAN_AFTER_ONSET = timedelta(minutes=10)
# The closure the traffic maps showed is not an instant in any feed: it is when foreign
# traffic over the FIR fell away.  The truth fixes that instant from the flight plans
# themselves, minute by minute: the first minute after the warning's effective time from
# which foreign aircraft airborne in SVZM stay at or below CLOSURE_SHARE of their mean
# over the LEVEL_WINDOW before it, for CLOSURE_HOLD (a dip between two crossings is not
# a closure).
CLOSURE_SHARE = 0.2
CLOSURE_HOLD = timedelta(minutes=30)
LEVEL_WINDOW = timedelta(hours=2)
WARNING_NOTAM = "A0012/25"
QUIET_LANDINGS = (END - timedelta(minutes=25), END + timedelta(minutes=10))
FOREIGN_KMH, DOMESTIC_KMH = 850.0, 700.0

# airline: (24-bit address block start, country, cruise ft)
AIRLINES = {
    "KLM": (0x484000, "Kingdom of the Netherlands", 37000),
    "TAP": (0x490000, "Portugal", 37000),
    "IBE": (0x340000, "Spain", 38000),
    "AFR": (0x390000, "France", 37000),
    "AVA": (0x0AC000, "Colombia", 35000),
    "CMP": (0x0C2000, "Panama", 37000),
    "BWA": (0x0C6000, "Trinidad and Tobago", 33000),
    "AAL": (0xA10000, "United States", 36000),
    "DAL": (0xA20000, "United States", 38000),
    "TAM": (0xE48000, "Brazil", 39000),
    "GLO": (0xE49000, "Brazil", 37000),
    "AZU": (0xE4A000, "Brazil", 36000),
    "SLM": (0x0C8000, "Suriname", 35000),
    "CKS": (0xA30000, "United States", 35000),
    "VCV": (0x0D8000, "Venezuela", 31000),
    "ROI": (0x0D9000, "Venezuela", 29000),
    "LER": (0x0DA000, "Venezuela", 30000),
}

# (origin, destination, airline, minutes between departures, first departure minute after 00:00Z,
#  departures after the onset?)
SCHEDULE: list[tuple[str, str, str, int, int, bool]] = [
    # ABC islands (watched routes)
    ("EHAM", "TNCC", "KLM", 360, 150, True),
    ("LPPT", "TNCC", "TAP", 720, 240, False),
    ("SKBO", "TNCC", "AVA", 80, 100, True),
    ("SKBO", "TNCA", "AVA", 100, 40, True),
    ("TTPP", "TNCC", "BWA", 100, 70, True),
    ("TTPP", "TNCA", "BWA", 130, 130, True),
    ("MPTO", "TNCA", "CMP", 130, 20, False),
    ("KMIA", "TNCA", "AAL", 130, 60, True),
    # long-haul and regional overflights of SVZM
    ("SBGR", "KMIA", "TAM", 80, 10, True),
    ("SKBO", "LEMD", "IBE", 130, 60, False),
    ("LEMD", "SKBO", "IBE", 130, 200, True),
    ("LPPT", "SKBO", "TAP", 165, 90, True),
    ("LFPG", "SKBO", "AFR", 165, 30, True),
    ("SBBR", "KMIA", "GLO", 100, 80, True),
    ("SBEG", "KMIA", "AZU", 100, 120, True),
    ("KATL", "SBGR", "DAL", 130, 170, True),
    ("SBGR", "MDSD", "GLO", 130, 50, True),
    ("TTPP", "MPTO", "CMP", 100, 110, True),
    ("TTPP", "SKBO", "AVA", 130, 10, True),
    ("SKBO", "TJSJ", "AVA", 130, 150, True),
    ("SMJP", "KMIA", "SLM", 200, 200, True),
    # foreign flights to Caracas (cancelled after the onset)
    ("TTPP", "SVMI", "BWA", 240, 90, True),
    ("MPTO", "SVMI", "CMP", 240, 30, True),
    ("LEMD", "SVMI", "IBE", 720, 50, True),
    # Venezuelan domestic
    ("SVMI", "SVMC", "VCV", 120, 30, True),
    ("SVMC", "SVMI", "VCV", 120, 90, True),
    ("SVMI", "SVPR", "ROI", 120, 60, True),
    ("SVPR", "SVMI", "ROI", 120, 0, True),
    ("SVMI", "SVMG", "LER", 120, 20, True),
    ("SVMG", "SVMI", "LER", 120, 80, True),
    ("SVMC", "SVPR", "ROI", 180, 45, True),
    ("SVPR", "SVMC", "ROI", 180, 110, True),
]
# one Caracas flight turns back after the onset; one Curaçao flight diverts to Aruba
TURN_BACK = (
    "TTPP",
    "SVMI",
    "BWA",
    datetime(2025, 11, 21, 17, 25, tzinfo=UTC),
    timedelta(minutes=27),
)
DIVERSION = ("SKBO", "TNCC", "AVA", datetime(2025, 11, 21, 21, 5, tzinfo=UTC), "TNCA")
# where every foreign carrier avoids SVZM, one cargo flight flies its great circle through
# it anyway, entering hours after the closure: an incursion
INCURSION = ("KMIA", "SBGR", "CKS", datetime(2025, 11, 21, 18, 40, tzinfo=UTC))


@dataclass(frozen=True)
class Variant:
    """What differs between the scenarios built on the same day's schedule."""

    name: str
    warning: bool = True  # KICZ A0012/25 is issued and carriers react to it
    avoiding: frozenset[str] | None = None  # airlines that avoid SVZM; None = every foreign one
    reopen_at: datetime | None = None  # the warning is cancelled; later departures fly direct
    outages: tuple[tuple[datetime, datetime], ...] = ()  # flight-tracking feeds answer 503
    noise: float = 0.0  # share of states dropped (plus duplicates and shuffled order)

    @property
    def expect_closure(self) -> bool:
        return self.warning and self.avoiding is None


@dataclass
class Scenario:
    name: str
    start: datetime
    end: datetime
    onset: datetime
    flights: list[FlightPlan]
    notams: list[dict[str, Any]]
    airports: AirportRegistry
    watched: frozenset[tuple[str, str]]
    cancelled: list[dict[str, Any]] = field(default_factory=list)
    variant: Variant = field(default_factory=lambda: Variant(NAME))
    airspace: str = "SVZM"
    warning_notam: str = WARNING_NOTAM
    closure_onset: datetime | None = None
    # first time each foreign flight is inside the airspace (data time)
    entries: dict[str, datetime] = field(default_factory=dict)
    _by_callsign: dict[str, FlightPlan] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_callsign = {f.callsign: f for f in self.flights}

    def states_at(self, at: datetime) -> list[tuple[FlightPlan, dict[str, Any]]]:
        out = []
        for flight in self.flights:
            state = flight.state_at(at)
            if state is not None:
                out.append((flight, state))
        return out

    def flight_by_callsign(self, callsign: str) -> FlightPlan | None:
        return self._by_callsign.get(callsign.strip().upper())

    def in_outage(self, at: datetime) -> bool:
        return any(start <= at < end for start, end in self.variant.outages)

    def visible_notams(self, at: datetime) -> list[dict[str, Any]]:
        return [n for n in self.notams if n["_visible_from"] <= at]

    def warning_published_at(self) -> datetime | None:
        return next(
            (n["_visible_from"] for n in self.notams
             if n["properties"]["coreNOTAMData"]["notam"]["number"] == self.warning_notam),
            None,
        )  # fmt: skip

    def truth(self) -> dict[str, Any]:
        flights = [
            {
                "callsign": f.callsign,
                "icao24": f.icao24,
                "origin": f.origin,
                "destination": f.destination,
                "domestic": f.domestic,
                "departs_at": f.departs_at.isoformat(),
                "arrives_at": f.arrives_at.isoformat(),
                "behaviour": f.behaviour.value,
                "watched_route": (f.origin, f.destination) in self.watched,
                "extra_km": f.extra_km,
                "actual_destination": f.landing,
                "enters_airspace_at": self.entries[f.callsign].isoformat()
                if f.callsign in self.entries
                else None,
                "path": [[round(x, 4), round(y, 4)] for x, y in f.waypoints],
            }
            for f in self.flights
        ]
        published = self.warning_published_at()
        return {
            "scenario": self.name,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "airspace": self.airspace,
            # the warning's effective time (item B); it was published 25 minutes later
            "onset": self.onset.isoformat() if self.variant.warning else None,
            "warning": {
                "notam": self.warning_notam,
                "effective_from": self.onset.isoformat(),
                "published_at": published.isoformat(),
            }
            if self.variant.warning and published
            else None,
            "closure_onset": self.closure_onset.isoformat() if self.closure_onset else None,
            "closure_definition": {
                "share_of_level": CLOSURE_SHARE,
                "level_window_minutes": LEVEL_WINDOW.total_seconds() / 60,
                "hold_minutes": CLOSURE_HOLD.total_seconds() / 60,
            },
            "expect_closure": self.variant.expect_closure,
            "reopens_at": self.variant.reopen_at.isoformat() if self.variant.reopen_at else None,
            "outages": [[a.isoformat(), b.isoformat()] for a, b in self.variant.outages],
            "noise": self.variant.noise,
            "flights": flights + self.cancelled,
            "notams": [n["properties"]["coreNOTAMData"]["notam"]["number"] for n in self.notams],
        }


class _Builder:
    def __init__(self, variant: Variant) -> None:
        self.variant = variant
        self.airports = AirportRegistry.from_csv(SEEDS / "airports.csv")
        self.svzm = AirspaceRegistry.from_geojson(SEEDS / "firs.geojson").get("SVZM").geometry
        shapely.prepare(self.svzm)
        self.avoider = Avoider(self.svzm)
        self.serial: dict[str, int] = {}
        self.flights: list[FlightPlan] = []
        self.cancelled: list[dict[str, Any]] = []

    def _identity(self, airline: str) -> tuple[str, str, str]:
        n = self.serial.get(airline, 0) + 1
        self.serial[airline] = n
        block, country, _ = AIRLINES[airline]
        return f"{airline}{100 + n * 7 % 900 + n // 130}", f"{block + n * 37:06x}", country

    def plan(
        self,
        origin: str,
        destination: str,
        airline: str,
        departs: datetime,
        waypoints: list[tuple[float, float]] | None = None,
        landing: str | None = None,
        behaviour: FlightBehaviour = FlightBehaviour.NORMAL,
    ) -> FlightPlan:
        o, d = self.airports.get(origin), self.airports.get(destination)
        landing = landing or destination
        l_ap = self.airports.get(landing)
        callsign, icao24, country = self._identity(airline)
        domestic = country == "Venezuela"
        path = waypoints or [(o.lon, o.lat), (l_ap.lon, l_ap.lat)]
        extra = round(path_km(path) - distance_km(o.lon, o.lat, d.lon, d.lat), 1)
        return FlightPlan(
            callsign=callsign, icao24=icao24, country=country, origin=origin,
            destination=destination, landing=landing, domestic=domestic, departs_at=departs,
            waypoints=path, speed_kmh=DOMESTIC_KMH if domestic else FOREIGN_KMH,
            cruise_ft=float(AIRLINES[airline][2]), origin_elev_ft=o.elevation_ft,
            landing_elev_ft=l_ap.elevation_ft, behaviour=behaviour,
            extra_km=extra if behaviour == FlightBehaviour.REROUTED else (0.0 if landing == destination else extra),
        )  # fmt: skip

    def exit_time(self, plan: FlightPlan) -> datetime | None:
        inside = shapely.contains_xy(self.svzm, plan.dense[:, 0], plan.dense[:, 1])
        if not inside.any():
            return None
        last = len(inside) - 1 - int(np.argmax(inside[::-1]))
        return plan.departs_at + timedelta(hours=float(plan.cumulative_km[last]) / plan.speed_kmh)

    def schedule(
        self, origin: str, destination: str, airline: str, departs: datetime, after_onset: bool
    ) -> None:
        gc = self.plan(origin, destination, airline, departs)
        foreign = not gc.domestic
        v = self.variant
        reacts = v.warning and (v.avoiding is None or airline in v.avoiding)
        reopened = v.reopen_at is not None and departs >= v.reopen_at
        if not reacts or reopened:
            if reopened or departs < ONSET or after_onset:
                self.flights.append(gc)  # flies its great circle, warning or not
            return
        if not foreign or not gc.crosses(self.svzm):
            if departs >= ONSET and not after_onset:
                return
            self.flights.append(gc)
            return
        if departs >= ONSET:
            if destination == "SVMI":
                self.cancelled.append(self._cancelled(gc))
                return
            if not after_onset:
                return
            path = self.avoider.path(gc.waypoints[0], gc.waypoints[-1])
            self.flights.append(
                self.plan(
                    origin, destination, airline, departs, path, behaviour=FlightBehaviour.REROUTED
                )
            )
            return
        entry = gc.entry_time(self.svzm)
        assert entry is not None
        replan_at = max(ONSET + REPLAN_AFTER_ONSET, gc.entry_time(BBOX) or departs)
        replan_at = max(replan_at, departs) + timedelta(minutes=15)
        if gc.arrives_at <= ONSET or (self.exit_time(gc) or departs) <= ONSET:
            self.flights.append(gc)  # done with SVZM before the warning
        elif entry <= ONSET + REPLAN_AFTER_ONSET:
            # inside (or entering) when the warning came: it finishes crossing, unless that
            # would keep a foreign aircraft in SVZM long after the warning
            exit_at = self.exit_time(gc) or departs
            if exit_at <= ONSET + timedelta(minutes=100) and (
                destination != "SVMI" or gc.arrives_at <= ONSET + timedelta(minutes=75)
            ):
                self.flights.append(gc)
        elif destination != "SVMI" and replan_at < entry - timedelta(minutes=10):
            p = gc.position_at(replan_at)
            if shapely.contains_xy(self.avoider.keep_out, *p):
                return
            path = [gc.waypoints[0], p, *self.avoider.path(p, gc.waypoints[-1])[1:]]
            self.flights.append(
                self.plan(
                    origin, destination, airline, departs, path, behaviour=FlightBehaviour.REROUTED
                )
            )

    def closure_onset(self, flights: list[FlightPlan]) -> datetime | None:
        """The truth's closure instant (see CLOSURE_SHARE), or None when traffic never collapses."""
        return traffic_collapse_onset(flights, self.svzm, ONSET, END)

    def _cancelled(self, gc: FlightPlan) -> dict[str, Any]:
        return {
            "callsign": gc.callsign, "icao24": gc.icao24, "origin": gc.origin,
            "destination": gc.destination, "domestic": gc.domestic,
            "departs_at": gc.departs_at.isoformat(), "arrives_at": gc.arrives_at.isoformat(),
            "behaviour": FlightBehaviour.CANCELLED.value, "watched_route": False, "extra_km": None,
            "actual_destination": None, "path": [],
        }  # fmt: skip

    def build(self) -> list[FlightPlan]:
        for origin, destination, airline, every, first, after in SCHEDULE:
            t = FIRST_DEPARTURE + timedelta(minutes=first)
            while t <= LAST_DEPARTURE:
                self.schedule(origin, destination, airline, t, after)
                t += timedelta(minutes=every)
        if self.variant.warning:
            self._special()
        if self.variant.expect_closure:
            origin, destination, airline, departs = INCURSION
            self.flights.append(self.plan(origin, destination, airline, departs))
        # no foreign landing right at the end of the window, where "landed" or "still airborne"
        # would depend on the poll phase (domestic flights raise no flight alerts)
        return [
            f
            for f in self.flights
            if f.domestic or not QUIET_LANDINGS[0] <= f.arrives_at <= QUIET_LANDINGS[1]
        ]

    def _special(self) -> None:
        origin, destination, airline, departs, after = TURN_BACK
        gc = self.plan(origin, destination, airline, departs)
        turn = gc.position_at(departs + after)
        o = gc.waypoints[0]
        self.flights.append(
            self.plan(
                origin,
                destination,
                airline,
                departs,
                [o, turn, o],
                landing=origin,
                behaviour=FlightBehaviour.TURNED_BACK,
            )
        )
        origin, destination, airline, departs, landing = DIVERSION
        o, land = self.airports.get(origin), self.airports.get(landing)
        path = self.avoider.path((o.lon, o.lat), (land.lon, land.lat))
        self.flights.append(
            self.plan(
                origin,
                destination,
                airline,
                departs,
                path,
                landing=landing,
                behaviour=FlightBehaviour.DIVERTED,
            )
        )


VARIANTS = {
    v.name: v
    for v in (
        Variant(NAME),
        # normal traffic, no warning, both flight-tracking feeds down for three hours
        Variant(f"{NAME}-outage", warning=False,
                outages=((datetime(2025, 11, 21, 15, 0, tzinfo=UTC), datetime(2025, 11, 21, 18, 0, tzinfo=UTC)),)),
        # only European and US carriers avoid SVZM; regional carriers fly on
        Variant(f"{NAME}-partial", avoiding=frozenset({"KLM", "TAP", "IBE", "AFR", "AAL", "DAL"})),
        # the warning is cancelled at 22:00Z and later departures fly direct again
        Variant(f"{NAME}-reopening", reopen_at=datetime(2025, 11, 21, 22, 0, tzinfo=UTC)),
        # the 2025-11 closure seen through a feed that drops, repeats and reorders states
        Variant(f"{NAME}-noisy", noise=0.15),
    )
}  # fmt: skip


def traffic_collapse_onset(
    flights: list[FlightPlan], airspace: BaseGeometry, onset: datetime, until: datetime
) -> datetime | None:
    """The first minute after ``onset`` (before ``until``) from which foreign aircraft airborne
    in ``airspace`` stay at or below CLOSURE_SHARE of their mean over the LEVEL_WINDOW before
    the onset, for CLOSURE_HOLD; None when traffic never collapses."""
    step = timedelta(minutes=1)
    t0 = onset - LEVEL_WINDOW
    counts = foreign_airborne_counts(flights, airspace, t0, until, step)
    level = counts[: int(LEVEL_WINDOW / step)].mean()
    low = counts <= CLOSURE_SHARE * level
    hold = int(CLOSURE_HOLD / step)
    for i in range(int(LEVEL_WINDOW / step), len(low) - hold):
        if low[i : i + hold + 1].all():
            return t0 + i * step
    return None


def foreign_airborne_counts(
    flights: list[FlightPlan], area: BaseGeometry, start: datetime, end: datetime, step: timedelta
) -> np.ndarray:
    """Foreign aircraft airborne inside ``area`` at start, start + step, … end (one array
    per flight rather than a state per flight and instant: ~100× faster for a day)."""
    n = int((end - start) / step) + 1
    counts = np.zeros(n, dtype=int)
    hour = timedelta(hours=1)
    for f in flights:
        if f.domestic:
            continue
        first = max(0, -(-(f.departs_at - start) // step))
        last = min(n - 1, (f.arrives_at - start) // step)
        if last < first:
            continue
        idx = np.arange(first, last + 1)
        hours = (start - f.departs_at) / hour + idx * (step / hour)
        flown = np.clip(hours * f.speed_kmh, 0.0, f.length_km)
        lon = np.interp(flown, f.cumulative_km, f.dense[:, 0])
        lat = np.interp(flown, f.cumulative_km, f.dense[:, 1])
        counts[idx[shapely.contains_xy(area, lon, lat)]] += 1
    return counts


@cache
def _build(name: str) -> Scenario:
    variant = VARIANTS[name]
    builder = _Builder(variant)
    flights = builder.build()
    for f in flights:
        if f.behaviour in (FlightBehaviour.TURNED_BACK, FlightBehaviour.DIVERTED):
            f.extra_km = None
    return Scenario(
        name=name, start=START, end=END, onset=ONSET, flights=flights,
        notams=scenario_notams(warning=variant.warning, cancelled_at=variant.reopen_at),
        airports=builder.airports,
        watched=frozenset(load_watched_routes(SEEDS / "watched_routes.yaml")),
        cancelled=builder.cancelled, variant=variant,
        closure_onset=builder.closure_onset(flights) if variant.warning else None,
        entries={
            f.callsign: at
            for f in flights
            if not f.domestic and (at := f.entry_time(builder.svzm)) is not None
        },
    )  # fmt: skip


def load_scenario(name: str) -> Scenario:
    from service.sim import (
        mideast,  # other regions register here
        variants,  # generated adversarial scenarios (adv-<kind>-<seed>)
    )

    if variants.is_adversarial(name):
        return variants.as_scenario(name)
    if name in mideast.VARIANTS:
        return mideast.load(name)
    if name not in VARIANTS:
        known = ", ".join([*sorted(VARIANTS), *sorted(mideast.VARIANTS)])
        raise ValueError(f"unknown scenario {name!r}; known: {known}")
    return _build(name)


def scenario_settings(name: str, settings: Any) -> Any:
    """``settings`` as a user watching the scenario's region would write them: the
    scenario's airspaces, routes and prior, with the feeds' region derived again."""
    from service.sim import mideast

    if name not in mideast.VARIANTS:
        return settings
    from service.config import deep_merge
    from service.watch import derive_watch

    data = deep_merge(settings.model_dump(), mideast.SETTINGS)
    if settings.watch.world:  # watch.airspaces: all stays all (the world view of the night)
        data["watch"]["airspaces"] = "all"
    # the scenario's prior replaces the config's (SVZM's has no place over the Middle East)
    data["detection"]["expected_foreign"] = dict(mideast.SETTINGS["detection"]["expected_foreign"])
    data["watch"]["domestic_addresses"] = {}
    data["watch"]["world"] = False
    feeds = data["feeds"]
    feeds["opensky"]["bbox"], feeds["adsbx"]["points"], feeds["faa_notam"]["locations"] = (
        None,
        [],
        [],
    )
    for feed in ("opensky", "faa_notam"):  # secrets survive the round trip
        for key in ("client_id", "client_secret"):
            feeds[feed][key] = getattr(getattr(settings.feeds, feed), key)
    return derive_watch(type(settings).model_validate(data))
