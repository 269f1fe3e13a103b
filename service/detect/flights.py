"""What a finished flight tells us: reroute, diversion or turn-back.

Decided when the flight ends (landing, or a gap after a low approach), because
only a complete track says whether the flight flew around an airspace and where
it really went.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry

from service.detect.reroute import (
    RerouteAssessment,
    assess_reroute,
    track_length_km,
    with_turns,
)
from service.detect.tracks import ActiveFlight
from service.domain import AlertEvent, AlertType, Severity
from service.geo.airspaces import AirportRegistry

LEFT_COVERAGE_MIN_FT = 10_000.0


@dataclass(frozen=True, slots=True)
class FlightContext:
    airports: AirportRegistry
    watched_routes: frozenset[tuple[str, str]]
    watched_airports: frozenset[str]
    watched_airspaces: dict[str, BaseGeometry]
    reroute_min_extra_km: float
    reroute_min_positions: int
    reroute_alerts: str = "all"  # or "watched_routes"
    diversion_alerts: str = "all"  # or "watched_airports"
    # (west, south, east, north) in degrees: diversions landing here are reported
    region: tuple[float, float, float, float] = (-180.0, -90.0, 180.0, 90.0)
    reroute_usual_min_flights: int = 3


@dataclass(frozen=True, slots=True)
class FlightHistory:
    """What the flight's surroundings were while it flew, supplied by the engine.

    ``worst_status``: each watched airspace's most severe status between the flight's first
    report and its end; ``usual_flown_km``: how far the same route's recent flights that
    avoided nothing flew (its usual path).
    """

    worst_status: dict[str, str] = field(default_factory=dict)
    usual_flown_km: tuple[float, ...] = ()


def _in_region(ctx: FlightContext, code: str) -> bool:
    if code not in ctx.airports:
        return False
    airport = ctx.airports.get(code)
    west, south, east, north = ctx.region
    return west <= airport.lon <= east and south <= airport.lat <= north


def _diversion_watched(
    ctx: FlightContext, origin: str | None, destination: str, landed: str
) -> bool:
    if destination in ctx.watched_airports or (origin, destination) in ctx.watched_routes:
        return True
    return ctx.diversion_alerts == "all" and _in_region(ctx, landed)


def reroute_reason(
    ctx: FlightContext, assessment: RerouteAssessment, history: FlightHistory
) -> dict[str, Any] | None:
    """Why this avoidance is news, or None when it is not.

    A flight whose great circle crosses an airspace but whose usual path does not (airways,
    winds, a one-off special flight) "avoids" it every day: only an airspace that was not
    NORMAL during the flight, or a path longer than the route's usual one, makes it a reroute.
    """
    not_normal = {
        a: history.worst_status[a]
        for a in assessment.avoided
        if history.worst_status.get(a, "NORMAL") != "NORMAL"
    }
    usual = history.usual_flown_km
    vs_usual = None
    if len(usual) >= ctx.reroute_usual_min_flights:
        median = statistics.median(usual)
        vs_usual = {
            "usual_flown_km": round(median, 1),
            "usual_flights": len(usual),
            "extra_vs_usual_km": round(assessment.flown_km - median, 1),
        }
    deviates = vs_usual is not None and vs_usual["extra_vs_usual_km"] >= ctx.reroute_min_extra_km
    if not (not_normal or deviates):
        return None
    reasons = []
    if not_normal:
        reasons.append(
            "avoided airspace not NORMAL during the flight: "
            + ", ".join(f"{a} {s}" for a, s in not_normal.items())
        )
    if deviates:
        reasons.append(
            f"flew {vs_usual['extra_vs_usual_km']:.0f} km more than the route's "
            f"usual path ({vs_usual['usual_flights']} flights)"
        )
    return {
        "reroute_reason": reasons,
        "avoided_status_during_flight": not_normal,
        **(vs_usual or {}),
    }


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
    flight: ActiveFlight,
    ctx: FlightContext,
    at: datetime,
    statuses: dict[str, str],
    history: FlightHistory | None = None,
) -> tuple[list[AlertEvent], RerouteAssessment | None]:
    """Alerts for a flight that just ended, plus its reroute assessment when one was made."""
    history = history or FlightHistory(worst_status=dict(statuses))
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
                evidence={
                    "landed_at": landed,
                    "landed_time": _iso(flight.landed_time),
                    "landing": flight.landing_evidence,
                },
                **_base(flight, at),
            )
        )
    elif (
        landed
        and destination
        and landed != destination
        and _diversion_watched(ctx, origin, destination, landed)
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
                    "landing": flight.landing_evidence,
                },
                **_base(flight, at),
            )
        )

    assessment = None
    target = destination or landed
    if origin and target and origin != target and (landed == target or _left_coverage(flight)):
        airborne = flight.airborne_points()
        track = with_turns([(p.lon, p.lat, p.track_deg) for p in airborne])
        if (
            len(track) >= ctx.reroute_min_positions
            and origin in ctx.airports
            and target in ctx.airports
        ):
            o, d = ctx.airports.get(origin), ctx.airports.get(target)
            assessment = assess_reroute(
                (o.lon, o.lat),
                (d.lon, d.lat),
                track,
                ctx.watched_airspaces,
                track_length_km(
                    [
                        (p.lon, p.lat, p.track_deg, p.ground_speed_kt, p.observed_at.timestamp())
                        for p in airborne
                    ]
                ),
            )
            alerting = ctx.reroute_alerts == "all" or (origin, target) in ctx.watched_routes
            reason = (
                reroute_reason(ctx, assessment, history)
                if alerting
                and assessment.avoided
                and assessment.extra_km >= ctx.reroute_min_extra_km
                else None
            )
            if reason is not None:
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
                            "track_end": "landed" if landed == target else "left coverage",
                            "method": "great circle to first and from last observed position "
                            "+ observed track, minus great circle origin→destination",
                            **reason,
                        },
                        **_base(flight, at),
                    )
                )
    return events, assessment


def _left_coverage(flight: ActiveFlight) -> bool:
    """Lost at cruise with a known destination: it flew on out of the feeds' view, and the
    rest of its way is taken as the great circle (an airspace that leg crosses is not
    counted as avoided)."""
    if flight.landed_at is not None or flight.destination is None or not flight.points:
        return False
    air = [p for p in flight.points if not p.on_ground]
    return bool(air) and (air[-1].altitude_ft or 0) >= LEFT_COVERAGE_MIN_FT


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
