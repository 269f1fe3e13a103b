"""The ``venezuela-2025-11`` scenario: a synthetic day over the Caribbean, before and after
the FAA's KICZ A0012/25 warning for the Maiquetía FIR (SVZM).

Before the onset (2025-11-21T17:43Z) every flight flies its great circle, so foreign
traffic crosses SVZM all day.  After it, foreign flights that have not entered SVZM
replan around it (the shortest legs that keep a margin from the boundary), foreign
flights to Caracas are cancelled, one flight to Caracas turns back, one flight to
Curaçao diverts to Aruba, and Venezuelan domestic flights go on.  Everything is
deterministic, and :meth:`Scenario.truth` says what each flight did, so tests can
compare detection with it.  The day's schedule and each flight's reaction are built in
:mod:`service.sim.venezuela_flights`; when the truth says SVZM closed, in
:mod:`service.sim.closure_truth`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import shapely

from service.geo.airspaces import AirportRegistry
from service.seeds import load_watched_routes
from service.sim.closure_truth import CLOSURE_HOLD, CLOSURE_SHARE, LEVEL_WINDOW
from service.sim.flightplan import FlightBehaviour, FlightPlan, first_entries
from service.sim.notams import scenario_notams

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
NAME = "venezuela-2025-11"
START = datetime(2025, 11, 21, 12, 0, tzinfo=UTC)
END = datetime(2025, 11, 22, 4, 0, tzinfo=UTC)
ONSET = datetime(2025, 11, 21, 17, 43, tzinfo=UTC)
BBOX = shapely.box(-85.0, -10.0, -50.0, 27.0)
WARNING_NOTAM = "A0012/25"


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
            (
                n["_visible_from"]
                for n in self.notams
                if n["properties"]["coreNOTAMData"]["notam"]["number"] == self.warning_notam
            ),
            None,
        )

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


VARIANTS = {
    v.name: v
    for v in (
        Variant(NAME),
        # normal traffic, no warning, both flight-tracking feeds down for three hours
        Variant(
            f"{NAME}-outage",
            warning=False,
            outages=(
                (
                    datetime(2025, 11, 21, 15, 0, tzinfo=UTC),
                    datetime(2025, 11, 21, 18, 0, tzinfo=UTC),
                ),
            ),
        ),
        # only European and US carriers avoid SVZM; regional carriers fly on
        Variant(f"{NAME}-partial", avoiding=frozenset({"KLM", "TAP", "IBE", "AFR", "AAL", "DAL"})),
        # the warning is cancelled at 22:00Z and later departures fly direct again
        Variant(f"{NAME}-reopening", reopen_at=datetime(2025, 11, 21, 22, 0, tzinfo=UTC)),
        # the 2025-11 closure seen through a feed that drops, repeats and reorders states
        Variant(f"{NAME}-noisy", noise=0.15),
    )
}


@cache
def _build(name: str) -> Scenario:
    variant = VARIANTS[name]
    from service.sim.venezuela_flights import FlightBuilder

    builder = FlightBuilder(variant)
    flights = builder.build()
    for f in flights:
        if f.behaviour in (FlightBehaviour.TURNED_BACK, FlightBehaviour.DIVERTED):
            f.extra_km = None
    return Scenario(
        name=name,
        start=START,
        end=END,
        onset=ONSET,
        flights=flights,
        notams=scenario_notams(warning=variant.warning, cancelled_at=variant.reopen_at),
        airports=builder.airports,
        watched=frozenset(load_watched_routes(SEEDS / "watched_routes.yaml")),
        cancelled=builder.cancelled,
        variant=variant,
        closure_onset=builder.closure_onset(flights) if variant.warning else None,
        entries=first_entries(flights, builder.svzm),
    )


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
