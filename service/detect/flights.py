"""What a finished flight tells us: reroute, diversion or turn-back.

Decided when the flight ends (landing, or a gap after a low approach), because
only a complete track says whether the flight flew around an airspace and where
it really went.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry

from service.detect.reroute import RerouteAssessment, assess_reroute, with_turns
from service.detect.tracks import ActiveFlight
from service.domain import AlertEvent, AlertType, Severity
from service.geo.airspaces import AirportRegistry


@dataclass(frozen=True, slots=True)
class FlightContext:
    airports: AirportRegistry
    watched_routes: frozenset[tuple[str, str]]
    watched_airports: frozenset[str]
    watched_airspaces: dict[str, BaseGeometry]
    reroute_min_extra_km: float
    reroute_min_positions: int


def _base(flight: ActiveFlight, at: datetime) -> dict[str, Any]:
    return {
        "observed_at": at,
        "icao24": flight.icao24,
        "callsign": flight.callsign,
        "origin": flight.origin,
        "destination": flight.destination,
        "actual_destination": flight.landed_at,
        "flight_id": flight.id,
    }


def evaluate_finished_flight(
    flight: ActiveFlight, ctx: FlightContext, at: datetime, statuses: dict[str, str]
) -> tuple[list[AlertEvent], RerouteAssessment | None]:
    """Alerts for a flight that just ended, plus its reroute assessment when one was made."""
    events: list[AlertEvent] = []
    origin, destination, landed = flight.origin, flight.destination, flight.landed_at
    route_txt = f"{origin or '????'}–{destination or '????'}"
    who = flight.callsign or flight.icao24
    if landed and origin and destination and landed == origin and destination != origin:
        events.append(
            AlertEvent(
                type=AlertType.FLIGHT_TURNED_BACK,
                severity=Severity.WARNING,
                dedup_key=f"flight.turned_back:{flight.id}",
                title=f"{who} {route_txt} turned back and landed at {landed}",
                evidence={"landed_at": landed, "landed_time": _iso(flight.landed_time)},
                **_base(flight, at),
            )
        )
    elif (
        landed
        and destination
        and landed != destination
        and (destination in ctx.watched_airports or (origin, destination) in ctx.watched_routes)
    ):
        events.append(
            AlertEvent(
                type=AlertType.FLIGHT_DIVERTED,
                severity=Severity.WARNING,
                dedup_key=f"flight.diverted:{flight.id}",
                title=f"{who} {route_txt} diverted to {landed}",
                evidence={
                    "scheduled_destination": destination,
                    "landed_at": landed,
                    "landed_time": _iso(flight.landed_time),
                },
                **_base(flight, at),
            )
        )

    assessment = None
    target = destination or landed
    if origin and target and landed == target and origin != target:
        track = with_turns([(p.lon, p.lat, p.track_deg) for p in flight.airborne_points()])
        if (
            len(track) >= ctx.reroute_min_positions
            and origin in ctx.airports
            and target in ctx.airports
        ):
            o, d = ctx.airports.get(origin), ctx.airports.get(target)
            assessment = assess_reroute(
                (o.lon, o.lat), (d.lon, d.lat), track, ctx.watched_airspaces
            )
            if (
                (origin, target) in ctx.watched_routes
                and assessment.avoided
                and assessment.extra_km >= ctx.reroute_min_extra_km
            ):
                events.append(
                    AlertEvent(
                        type=AlertType.FLIGHT_REROUTED,
                        severity=Severity.WARNING,
                        dedup_key=f"flight.rerouted:{flight.id}",
                        title=(
                            f"{who} {origin}–{target} flew around {', '.join(assessment.avoided)}: "
                            f"+{assessment.extra_km:.0f} km (+{assessment.extra_nm:.0f} NM, "
                            f"~{assessment.extra_minutes:.0f} min)"
                        ),
                        airspace=assessment.avoided[0],
                        extra_distance_km=round(assessment.extra_km, 1),
                        evidence={
                            "great_circle_km": round(assessment.great_circle_km, 1),
                            "flown_km": round(assessment.flown_km, 1),
                            "extra_km": round(assessment.extra_km, 1),
                            "extra_nm": round(assessment.extra_nm, 1),
                            "extra_minutes": round(assessment.extra_minutes, 1),
                            "avoided_airspaces": list(assessment.avoided),
                            "airspace_status": {a: statuses.get(a) for a in assessment.avoided},
                            "positions": len(track),
                            "first_observed": [track[0][0], track[0][1]],
                            "last_observed": [track[-1][0], track[-1][1]],
                            "method": "great circle to first and from last observed position "
                            "+ observed track, minus great circle origin→destination",
                        },
                        **_base(flight, at),
                    )
                )
    return events, assessment


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
