"""Drive detection with a :mod:`service.sim.realistic_tracks` world and score it.

The same :class:`~service.detect.engine.DetectionEngine` as live, fed poll by poll; the
scores are what an ops desk would check: was each arrival's landing airport right, was
each entry of the small restricted area (lasting 60 s or more) found, did any flight get
``flight.rerouted`` while the area was NORMAL and it flew its usual path, were the
reroutes, diversions and turn-backs found, and how far off the extra distance is.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from service.config import Settings
from service.detect.engine import DetectionEngine
from service.domain import AlertType, Notam, NotamClass
from service.geo.airspaces import Airspace, AirspaceRegistry
from service.sim.realistic_tracks import TerminalWorld

MIN_ENTRY = timedelta(seconds=60)


@dataclass
class TerminalScore:
    seed: int
    poll_s: float
    notam: bool
    arrivals: int = 0
    landing_right: int = 0
    landing_wrong: list[tuple[str, str, str | None]] = field(default_factory=list)
    entries: int = 0
    entries_found: int = 0
    false_entries: int = 0
    rerouted_normal: int = 0  # flight.rerouted while the area was NORMAL (must be 0)
    reroute_truth: int = 0
    reroute_found: int = 0
    reroute_hits: int = 0
    extra_errors: list[float] = field(default_factory=list)
    diversions: int = 0
    diversions_found: int = 0
    false_diversions: int = 0
    turn_backs: int = 0
    turn_backs_found: int = 0
    rejected: int = 0

    def figures(self) -> dict[str, Any]:
        def share(a: int, b: int) -> float | None:
            return round(a / b, 3) if b else None

        return {
            "seed": self.seed,
            "poll_s": self.poll_s,
            "notam": self.notam,
            "landing_right": share(self.landing_right, self.arrivals),
            "arrivals": self.arrivals,
            "entries_found": share(self.entries_found, self.entries),
            "entries": self.entries,
            "false_entries": self.false_entries,
            "rerouted_normal": self.rerouted_normal,
            "reroute_precision": share(self.reroute_hits, self.reroute_found),
            "reroute_recall": share(self.reroute_hits, self.reroute_truth),
            "extra_error_median": round(statistics.median(self.extra_errors), 4)
            if self.extra_errors
            else None,
            "diversions": f"{self.diversions_found}/{self.diversions}",
            "false_diversions": self.false_diversions,
            "turn_backs": f"{self.turn_backs_found}/{self.turn_backs}",
            "rejected_reports": self.rejected,
        }


def run_world(
    world: TerminalWorld, settings: Settings, poll_s: float, *, notam: bool, phase_s: float = 0.0
) -> TerminalScore:
    """Feed the world's polls to a fresh engine watching its restricted area; score it.

    ``notam``: a warning NOTAM covers the area for the whole run (ADVISORY), so flights
    avoiding it are reroutes; without it the area stays NORMAL and none is."""
    code = world.area_code
    watch = settings.watch.model_copy(
        update={"airspaces": [code], "airports": [], "domestic_addresses": {}}
    )
    det = settings.detection.model_copy(update={"expected_foreign": {}})
    run = settings.model_copy(update={"watch": watch, "detection": det})
    engine = DetectionEngine(
        run,
        AirspaceRegistry([Airspace(code, "test restricted area", world.area)]),
        world.airports,
        [(world.inbound_origin.icao, world.hub.icao)],
    )
    engine.set_routes(world.routes())
    first = min(f.trajectory.t0 for f in world.flights)
    if notam:
        engine.set_notams(
            [
                Notam(
                    id="W-ZRA1",
                    number="A0001/26",
                    raw_text="",
                    fir=code,
                    valid_from=first - timedelta(hours=1),
                    text="DANGER AREA ACTIVE",
                    classification=NotamClass.WARNING,
                )
            ]
        )
    alerts, finished, entered = [], {}, {}
    for snapshot in world.snapshots(poll_s, phase_s):
        result = engine.ingest(snapshot)
        alerts.extend(result.alerts)
        for update in result.flights.values():
            f = update.flight
            if code in f.airspaces:
                entered[f.icao24] = True
            if f.state != "airborne":
                # the aircraft's flight with the most reports (not a fragment after it)
                kept = finished.get(f.icao24)
                if kept is None or kept is f or len(f.points) > len(kept.points):
                    finished[f.icao24] = f
    for f in engine.tracks.flights():
        if code in f.airspaces:
            entered[f.icao24] = True
    statuses = [a for a in alerts if a.type == AlertType.AIRSPACE_STATUS_CHANGED]
    area_normal = not notam and not any(
        (a.evidence or {}).get("status") not in (None, "NORMAL") for a in statuses
    )
    out = TerminalScore(world.seed, poll_s, notam)
    by_type: dict[AlertType, dict[str, Any]] = {}
    for a in alerts:
        by_type.setdefault(a.type, {})[a.icao24] = a
    for t in world.flights:
        flight = finished.get(t.icao24)
        if t.landed_at and t.kind in ("arrival", "diversion", "inbound", "turn_back"):
            out.arrivals += 1
            got = flight.landed_at if flight else None
            if got == t.landed_at:
                out.landing_right += 1
            else:
                out.landing_wrong.append((t.callsign, t.landed_at, got))
        long_entry = any(b - a >= MIN_ENTRY for a, b in t.area_entries)
        if long_entry:
            out.entries += 1
            out.entries_found += bool(entered.get(t.icao24))
        elif not t.area_entries and entered.get(t.icao24):
            out.false_entries += 1
        rerouted = by_type.get(AlertType.FLIGHT_REROUTED, {}).get(t.icao24)
        # a dog-leg is news while the area is not NORMAL, or once the route's usual path
        # (enough of its flights flew direct before this one) is the direct one
        direct_before = sum(
            1
            for o in world.flights
            if o.kind == "inbound"
            and o.inbound_path == "direct"
            and o.trajectory.end < t.trajectory.t0
        )
        expected = (
            t.kind == "inbound"
            and t.inbound_path == "usual"
            and (notam or direct_before >= settings.detection.reroute_usual_min_flights)
        )
        if rerouted is not None and area_normal and not expected:
            out.rerouted_normal += 1
        if t.kind == "inbound":
            out.reroute_truth += expected
            out.reroute_found += rerouted is not None
            if expected and rerouted is not None:
                out.reroute_hits += 1
                out.extra_errors.append(abs(rerouted.extra_distance_km - t.extra_km) / t.extra_km)
        if t.kind == "diversion" and t.route_known:  # a diversion needs a known destination
            out.diversions += 1
            out.diversions_found += t.icao24 in by_type.get(AlertType.FLIGHT_DIVERTED, {})
        elif t.icao24 in by_type.get(AlertType.FLIGHT_DIVERTED, {}):
            out.false_diversions += 1
            out.landing_wrong.append((t.callsign, t.landed_at, "false diversion"))
        if t.kind == "turn_back":
            out.turn_backs += 1
            out.turn_backs_found += t.icao24 in by_type.get(AlertType.FLIGHT_TURNED_BACK, {})
    out.rejected = sum(f.rejected for f in finished.values())
    return out


def run_fir_world(world, settings: Settings, poll_s: float, phase_s: float = 0.0) -> dict[str, Any]:
    """Reroutes around a large airspace (``build_fir_world``): precision and recall over
    every flight whose great circle crosses it, and the extra-distance error."""
    code = world.area_code
    watch = settings.watch.model_copy(
        update={"airspaces": [code], "airports": [], "domestic_addresses": {}}
    )
    det = settings.detection.model_copy(update={"expected_foreign": {}})
    run = settings.model_copy(update={"watch": watch, "detection": det})
    engine = DetectionEngine(
        run, AirspaceRegistry([Airspace(code, "test FIR", world.area)]), world.airports, []
    )
    engine.set_routes(world.routes())
    engine.set_notams(
        [
            Notam(
                id="W-ZFIR",
                number="A0002/26",
                raw_text="",
                fir=code,
                valid_from=world.warning_at,
                text="EXERCISE CAUTION",
                classification=NotamClass.WARNING,
            )
        ]
    )
    found: dict[str, Any] = {}
    for snapshot in world.snapshots(poll_s, phase_s):
        for a in engine.ingest(snapshot).alerts:
            if a.type == AlertType.FLIGHT_REROUTED:
                found[a.icao24] = a
    min_km = settings.detection.reroute_min_extra_km
    truth = {f.icao24: f for f in world.flights if f.kind == "rerouted" and f.extra_km >= min_km}
    hits = set(truth) & set(found)
    errors = [abs(found[i].extra_distance_km - truth[i].extra_km) / truth[i].extra_km for i in hits]
    return {
        "seed": world.seed,
        "poll_s": poll_s,
        "crossing": len(world.flights),
        "truth": len(truth),
        "found": len(found),
        "hits": len(hits),
        "precision": round(len(hits) / len(found), 3) if found else None,
        "recall": round(len(hits) / len(truth), 3) if truth else None,
        "extra_error_median": round(statistics.median(errors), 4) if errors else None,
        "extra_error_max": round(max(errors), 4) if errors else None,
    }
