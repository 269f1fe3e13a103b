"""The ``venezuela-2025-11`` day's flights: its schedule, its airlines, and how each flight
reacts to the warning (see :mod:`service.sim.scenario` for the story).  Deterministic: the same
variant always builds the same plans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import shapely

from service.geo.airspaces import AirportRegistry, AirspaceRegistry
from service.sim.closure_truth import traffic_collapse_onset
from service.sim.flightplan import Avoider, FlightBehaviour, FlightMaker, FlightPlan, exit_time
from service.sim.scenario import BBOX, END, ONSET, SEEDS, Variant

FIRST_DEPARTURE = datetime(2025, 11, 21, 0, 0, tzinfo=UTC)
LAST_DEPARTURE = datetime(2025, 11, 22, 4, 30, tzinfo=UTC)
REPLAN_AFTER_ONSET = timedelta(minutes=10)
QUIET_LANDINGS = (END - timedelta(minutes=25), END + timedelta(minutes=10))

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


class FlightBuilder(FlightMaker):
    """The day's flight plans for one variant: the schedule, and how each flight reacts to
    the warning (flies on, replans around SVZM, is cancelled, turns back, diverts)."""

    def __init__(self, variant: Variant) -> None:
        super().__init__(AirportRegistry.from_csv(SEEDS / "airports.csv"), AIRLINES, "Venezuela")
        self.variant = variant
        self.svzm = AirspaceRegistry.from_geojson(SEEDS / "firs.geojson").get("SVZM").geometry
        shapely.prepare(self.svzm)
        self.avoider = Avoider(self.svzm)

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
                self.cancel(gc)
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
        if gc.arrives_at <= ONSET or (exit_time(gc, self.svzm) or departs) <= ONSET:
            self.flights.append(gc)  # done with SVZM before the warning
        elif entry <= ONSET + REPLAN_AFTER_ONSET:
            # inside (or entering) when the warning came: it finishes crossing, unless that
            # would keep a foreign aircraft in SVZM long after the warning
            exit_at = exit_time(gc, self.svzm) or departs
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
