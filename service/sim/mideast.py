"""The ``mideast-2025-06`` scenario: a synthetic night over the Middle East around the
strikes on Iran of 13 June 2025.

Before the onset (2025-06-13T00:30Z) every flight flies its great circle: Europe–Gulf and
Europe–India traffic crosses Iran (OIIX) and Iraq (ORBB), flights serve Tehran, Baghdad,
Amman and Tel Aviv, and Iranian carriers fly domestic legs.  At the onset Iran closes
OIIX; Iraq (ORBB), Jordan (OJAC) and Israel (LLLL) close theirs within the half hour.
Foreign flights that have not entered the closed block replan around it (north via
Turkey and the Caucasus, or south via Saudi Arabia and Egypt, whichever is shorter),
flights to the closed airports are cancelled, two airborne ones divert and one turns
back, and Iranian domestic traffic stops as well.  The NOTAM texts are synthetic and say
so.  Everything is deterministic; :meth:`Scenario.truth` says what each flight did.

Real city pairs and airports (``airportsdata``), real FIR boundaries (VAT-Spy), invented
schedules, callsigns and addresses inside each carrier state's real ICAO block.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import shapely

from service.geo.airspaces import AirportRegistry, prepared_copy
from service.geo.world import load_world
from service.seeds import load_watched_routes
from service.sim.closure_truth import traffic_collapse_onset
from service.sim.flightplan import Avoider, FlightMaker, FlightPlan, exit_time, first_entries
from service.sim.notams import _item
from service.sim.scenario import Scenario, Variant

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
NAME = "mideast-2025-06"
ROUTES_FILE = SEEDS / "scenarios" / "mideast-2025-06-routes.yaml"
START = datetime(2025, 6, 12, 20, 0, tzinfo=UTC)
END = datetime(2025, 6, 13, 8, 0, tzinfo=UTC)
ONSET = datetime(2025, 6, 13, 0, 30, tzinfo=UTC)
FIRST_DEPARTURE = datetime(2025, 6, 12, 12, 0, tzinfo=UTC)
LAST_DEPARTURE = datetime(2025, 6, 13, 8, 30, tzinfo=UTC)
PRIMARY = "OIIX"
CLOSING = ("OIIX", "ORBB", "OJAC", "LLLL")
CLOSED_AIRPORTS = frozenset({"OIIE", "OIII", "OIMM", "OISS", "ORBI", "OJAI", "LLBG"})
WARNING_NOTAM = "A0701/25"
REPLAN_AFTER_ONSET = timedelta(minutes=10)
QUIET_LANDINGS = (END - timedelta(minutes=25), END + timedelta(minutes=10))

# airline: (24-bit address block start, country, cruise ft) — blocks from seeds/world
AIRLINES = {
    "BAW": (0x400000, "United Kingdom", 37000),
    "DLH": (0x3C0000, "Germany", 36000),
    "KLM": (0x484000, "Kingdom of the Netherlands", 37000),
    "AFR": (0x390000, "France", 38000),
    "THY": (0x4B8000, "Turkiye", 35000),
    "UAE": (0x896000, "United Arab Emirates", 39000),
    "QTR": (0x06A000, "Qatar", 38000),
    "AIC": (0x800000, "India", 35000),
    "SVA": (0x710000, "Saudi Arabia", 36000),
    "AFL": (0x150000, "Russian Federation", 35000),
    "IRA": (0x730000, "Iran", 31000),
    "IRM": (0x731000, "Iran", 30000),
    "IRC": (0x732000, "Iran", 29000),
}
DOMESTIC_STATE = "Iran"

# (origin, destination, airline, minutes between departures, first departure minute after
#  FIRST_DEPARTURE)
SCHEDULE: list[tuple[str, str, str, int, int]] = [
    # Europe – Gulf and Europe – India/Pakistan (watched: they cross OIIX or ORBB)
    ("EGLL", "OMDB", "BAW", 90, 20),
    ("OMDB", "EGLL", "UAE", 90, 50),
    ("EDDF", "OMDB", "DLH", 120, 40),
    ("EHAM", "OMDB", "KLM", 150, 70),
    ("LFPG", "OMAA", "AFR", 150, 10),
    ("LTFM", "OMDB", "THY", 60, 5),
    ("OMDB", "LTFM", "UAE", 60, 35),
    ("LTFM", "OTHH", "THY", 120, 25),
    ("LFPG", "OTHH", "QTR", 150, 55),
    ("EGLL", "VABB", "AIC", 180, 30),
    ("EDDF", "VABB", "AIC", 240, 90),
    ("LTFM", "VIDP", "THY", 180, 65),
    ("UUEE", "OMDB", "AFL", 180, 15),
    ("EDDM", "OMDB", "UAE", 180, 100),
    # to the airports that close (cancelled after the onset)
    ("LTFM", "OIIE", "THY", 120, 45),
    ("OMDB", "OIIE", "UAE", 120, 75),
    ("LTFM", "ORBI", "THY", 180, 85),
    ("EDDF", "LLBG", "DLH", 240, 35),
    ("OTHH", "OJAI", "QTR", 240, 95),
    # Gulf - Europe by the west: they skirt Jordan and Israel, so some replan too
    ("OEJN", "LTFM", "SVA", 120, 60),
    ("OTHH", "LFPG", "QTR", 150, 80),
    # background over Turkey (LTAA), far from the block: Europe and Russia to Antalya and
    # Ankara. Without it the only foreign traffic over LTAA was the Europe-Iran crossings,
    # so LTAA's sky emptied too when they replanned south, a collapse real Turkish airspace
    # (hundreds of aircraft, most of them not bound for Iran) would not show
    ("EDDF", "LTAI", "DLH", 30, 0),
    ("LTAI", "EDDF", "DLH", 30, 15),
    ("UUEE", "LTAI", "AFL", 30, 10),
    ("LTAI", "UUEE", "AFL", 30, 25),
    ("EHAM", "LTAC", "KLM", 60, 50),
    ("LTAC", "EHAM", "KLM", 60, 20),
    ("EGLL", "LTAI", "BAW", 45, 35),
    ("LTAI", "EGLL", "BAW", 45, 5),
    ("UUEE", "LTAC", "AFL", 60, 45),
    ("LTAC", "UUEE", "AFL", 60, 15),
    # Iranian domestic (stops at the onset)
    ("OIII", "OIMM", "IRA", 60, 10),
    ("OIMM", "OIII", "IRA", 60, 40),
    ("OIII", "OISS", "IRM", 75, 25),
    ("OISS", "OIII", "IRM", 75, 55),
    ("OIII", "OIKB", "IRC", 90, 15),
    ("OIKB", "OIII", "IRC", 90, 60),
    ("OIMM", "OISS", "IRA", 120, 30),
]
# airborne at the onset, towards an airport that closes:
# (origin, destination, airline, departs, where it lands, behaviour, minutes after the onset)
SPECIALS = [
    ("EDDF", "LLBG", "DLH", datetime(2025, 6, 12, 22, 0, tzinfo=UTC), "LCLK", "diverted", 10),
    ("OTHH", "OJAI", "QTR", datetime(2025, 6, 13, 0, 5, tzinfo=UTC), "OERK", "diverted", 10),
    ("LTFM", "OIIE", "THY", datetime(2025, 6, 12, 23, 50, tzinfo=UTC), "LTFM", "turned_back", 12),
]


class _Builder(FlightMaker):
    def __init__(self) -> None:
        world = load_world(SEEDS.resolve())
        super().__init__(AirportRegistry.from_airportsdata(), AIRLINES, DOMESTIC_STATE)
        self.block = shapely.union_all([world.firs[c].geometry for c in CLOSING])
        # a single outline for the planner: slivers between the FIRs closed up
        self.block = shapely.buffer(shapely.buffer(self.block, 0.3), -0.3)
        if self.block.geom_type == "MultiPolygon":
            self.block = max(self.block.geoms, key=lambda g: g.area)
        self.primary = prepared_copy(world.firs[PRIMARY].geometry)  # the world's is shared
        shapely.prepare(self.block)
        self.avoider = Avoider(self.block)

    def schedule(self, origin: str, destination: str, airline: str, departs: datetime) -> None:
        gc = self.plan(origin, destination, airline, departs)
        if gc.domestic:
            if departs >= ONSET:
                self.cancel(gc)  # Iranian domestic traffic stops too
            else:
                self.flights.append(gc)
            return
        if destination in CLOSED_AIRPORTS:
            if departs >= ONSET:
                self.cancel(gc)
            elif gc.arrives_at <= ONSET:
                self.flights.append(gc)
            # airborne at the onset: the SPECIALS model those
            return
        if not gc.crosses(self.block) or gc.arrives_at <= ONSET:
            self.flights.append(gc)
            return
        exit_at = exit_time(gc, self.block) or departs
        if exit_at <= ONSET:
            self.flights.append(gc)  # done with the block before the strikes
            return
        entry = gc.entry_time(self.block)
        assert entry is not None
        if departs >= ONSET + REPLAN_AFTER_ONSET:
            path = self.avoider.path(gc.waypoints[0], gc.waypoints[-1])
            self.flights.append(
                self.plan(origin, destination, airline, departs, path, behaviour="rerouted")
            )
            return
        if entry <= ONSET:
            # inside when the airspace closed: out by the shortest way it was flying anyway,
            # unless that keeps it there long after the closure or takes it into Iran
            # after Iran closed (then it is left out)
            into_iran = gc.entry_time(self.primary)
            if exit_at <= ONSET + timedelta(minutes=60) and (
                into_iran is None or into_iran <= ONSET
            ):
                self.flights.append(gc)
            return
        if entry <= ONSET + REPLAN_AFTER_ONSET:
            return  # about to enter when it closed: no foreign flight enters after the onset
        replan_at = max(ONSET + REPLAN_AFTER_ONSET, departs) + timedelta(minutes=15)
        if replan_at < entry - timedelta(minutes=10):
            p = gc.position_at(replan_at)
            if shapely.contains_xy(self.avoider.keep_out, *p):
                return
            path = [gc.waypoints[0], p, *self.avoider.path(p, gc.waypoints[-1])[1:]]
            self.flights.append(
                self.plan(origin, destination, airline, departs, path, behaviour="rerouted")
            )

    def specials(self) -> None:
        for origin, destination, airline, departs, landing, behaviour, after in SPECIALS:
            gc = self.plan(origin, destination, airline, departs)
            turn = gc.position_at(ONSET + timedelta(minutes=after))
            o = gc.waypoints[0]
            if behaviour == "turned_back":
                path = [o, turn, o]
            else:
                alt = self.airports.get(landing)
                try:
                    path = [o, turn, *self.avoider.path(turn, (alt.lon, alt.lat))[1:]]
                except ValueError:  # already close to the block: straight to the alternate
                    path = [o, turn, (alt.lon, alt.lat)]
            self.flights.append(
                self.plan(origin, destination, airline, departs, path, landing, behaviour)
            )

    def build(self) -> list[FlightPlan]:
        for origin, destination, airline, every, first in SCHEDULE:
            t = FIRST_DEPARTURE + timedelta(minutes=first)
            while t <= LAST_DEPARTURE:
                self.schedule(origin, destination, airline, t)
                t += timedelta(minutes=every)
        self.specials()
        return [
            f
            for f in self.flights
            if f.domestic or not QUIET_LANDINGS[0] <= f.arrives_at <= QUIET_LANDINGS[1]
        ]

    def closure_onset(self, flights: list[FlightPlan]) -> datetime | None:
        """The truth's closure instant over OIIX, defined as for the Venezuela scenario."""
        return traffic_collapse_onset(flights, self.primary, ONSET, END)


def _notam_times(code: str) -> tuple[datetime, datetime]:
    """(effective, published) of each closure NOTAM: Iran first, the others within 30 min."""
    effective = {"OIIX": ONSET, "ORBB": ONSET + timedelta(minutes=20)}.get(
        code, ONSET + timedelta(minutes=30)
    )
    return effective, effective + timedelta(minutes=15)


def mideast_notams() -> list[dict[str, Any]]:
    """One closure per FIR from its state, plus the FAA's KICZ warning for each (what a
    ``watch.airspaces: all`` poll of KICZ sees).  Synthetic texts, marked as such."""
    names = {"OIIX": "TEHRAN", "ORBB": "BAGHDAD", "OJAC": "AMMAN", "LLLL": "TEL AVIV"}
    numbers = {"OIIX": WARNING_NOTAM, "ORBB": "A0512/25", "OJAC": "A0233/25", "LLLL": "A1187/25"}
    items = []
    for k, code in enumerate(CLOSING):
        effective, published = _notam_times(code)
        until = datetime(2025, 6, 14, 23, 59, tzinfo=UTC)
        text = (
            f"{names[code]} FIR CLOSED FOR ALL CIVIL TRAFFIC DUE TO MILITARY ACTIVITY. "
            "(SYNTHETIC SCENARIO NOTAM)"
        )
        number = numbers[code]
        items.append(
            _item(
                faa_id=f"NOTAM_1_7702{k:04d}",
                number=number,
                location=code,
                fir=code,
                issued=published,
                start=effective,
                end=until,
                classification="INTL",
                text=text,
                selection="QAFLC",
                icao_text=f"{number} NOTAMN\nQ) {code}/QAFLC/IV/NBO/E/000/999/\n"
                f"A) {code} B) {effective:%y%m%d%H%M} C) {until:%y%m%d%H%M}\nE) {text}",
            )
        )
        kicz = f"A00{31 + k}/25"
        warn = (
            f"SECURITY..UNITED STATES OF AMERICA PROHIBITION FOR {names[code]} FIR ({code}). "
            f"ALL FLIGHT OPERATIONS IN THE {code} FIR ARE PROHIBITED DUE TO HAZARDS FROM "
            "MILITARY ACTIVITY. (SYNTHETIC SCENARIO NOTAM)"
        )
        items.append(
            _item(
                faa_id=f"NOTAM_1_7703{k:04d}",
                number=kicz,
                location="KICZ",
                fir=code,
                issued=published + timedelta(minutes=10),
                start=effective,
                end=until,
                classification="INTL",
                text=warn,
                selection="QAFXX",
                icao_text=f"{kicz} NOTAMN\nQ) {code}/QAFXX/IV/NBO/E/000/999/\n"
                f"A) {code} B) {effective:%y%m%d%H%M} C) {until:%y%m%d%H%M}\nE) {warn}",
            )
        )
    return items


VARIANTS = {NAME: Variant(NAME)}


@cache
def _build(name: str) -> Scenario:
    builder = _Builder()
    flights = builder.build()
    for f in flights:
        if f.behaviour in ("turned_back", "diverted"):
            f.extra_km = None
    return Scenario(
        name=name,
        start=START,
        end=END,
        onset=ONSET,
        flights=flights,
        notams=mideast_notams(),
        airports=builder.airports,
        watched=frozenset(load_watched_routes(ROUTES_FILE)),
        cancelled=builder.cancelled,
        variant=VARIANTS[name],
        airspace=PRIMARY,
        warning_notam=WARNING_NOTAM,
        closure_onset=builder.closure_onset(flights),
        entries=first_entries(flights, builder.primary),
    )


def load(name: str) -> Scenario:
    return _build(name)


# what a user watching this region writes in config.yaml (applied by eval, demo, emulator)
SETTINGS: dict[str, Any] = {
    "watch": {
        "airspaces": list(CLOSING),
        "airports": ["OMDB", "OTHH", "LTFM"],
        "routes_file": str(ROUTES_FILE),
    },
    # the operator's prior for the first day: foreign aircraft usually inside each FIR at
    # that hour, a round figure as config.yaml gives SVZM (near this synthetic night's level
    # before the strikes; OJAC and LLLL see too few overflights here to judge traffic, so
    # their status comes from the NOTAMs)
    "detection": {"expected_foreign": {"OIIX": 9, "ORBB": 5}},
}
