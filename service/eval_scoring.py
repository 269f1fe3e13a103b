"""Score detection against a scenario's truth: precision and recall per alert type,
closure onset delay, warning delay, false closures, extra-distance error.

Two delays, because the scenario has two events: the warning NOTAM (flagged ADVISORY as
soon as it is published; its effective time is 25 minutes earlier than its publication,
so that delay is shown but cannot be met by anyone), and the closure — foreign traffic
over the FIR falling away — whose instant the truth computes from the flight plans
minute by minute (service.sim.closure_truth.CLOSURE_SHARE).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from service.config import Settings
from service.store.models import AlertRow

POLL = timedelta(minutes=5)
FLIGHT_TYPES = {
    "flight.rerouted": "rerouted",
    "flight.diverted": "diverted",
    "flight.turned_back": "turned_back",
}


@dataclass(frozen=True)
class RouteRules:
    """What route.disrupted means (config.yaml detection.route_*, the watched-routes file):
    the truth's disrupted routes are computed with the same rules from the flight plans,
    so the score measures observing them (tracks, landings, route look-ups), as the
    closure instant does for the airspace."""

    watched: frozenset[tuple[str, str]]
    window: timedelta
    min_flights: int
    service_window: timedelta
    min_expected: float
    collapse_ratio: float
    flights_per_day: dict[tuple[str, str], float]

    @classmethod
    def from_settings(cls, settings: Settings) -> RouteRules:
        from service.seeds import load_route_schedules, load_watched_routes

        det, path = settings.detection, settings.path(settings.watch.routes_file)
        return cls(
            frozenset(load_watched_routes(path)),
            timedelta(hours=det.route_disruption_window_hours),
            det.route_disruption_min_flights,
            timedelta(hours=det.route_service_window_hours),
            det.route_service_min_expected,
            det.collapse_ratio,
            load_route_schedules(path),
        )


def disrupted_routes(
    flights: list[dict[str, Any]],
    rules: RouteRules,
    span: tuple[datetime, datetime],
    outages: list[tuple[datetime, datetime]],
    min_extra_km: float,
) -> set[tuple[str, str]]:
    """Watched routes the detector's own route rules open an alert for when fed the flight
    plans' landings every poll (no data during ``outages``; cancelled flights are absences)."""
    from service.detect.route_disruption import RouteDisruptionTracker, RouteFlight

    tracker = RouteDisruptionTracker(
        rules.watched,
        rules.window,
        rules.min_flights,
        service_window=rules.service_window,
        service_min_expected=rules.min_expected,
        collapse_ratio=rules.collapse_ratio,
        flights_per_day=rules.flights_per_day,
    )
    landings = []
    for f in flights:
        pair, behaviour = (f["origin"], f["destination"]), f["behaviour"]
        if pair not in rules.watched or behaviour == "cancelled":
            continue
        # a reroute shorter than the alert's minimum is, for the route, a flight as usual
        short = behaviour == "rerouted" and (f["extra_km"] or 0) < min_extra_km
        kind = "normal" if behaviour == "normal" or short else behaviour
        landings.append((_at(f["arrives_at"]), pair, RouteFlight(_at(f["arrives_at"]), kind)))
    landings.sort(key=lambda x: x[0])
    out: set[tuple[str, str]] = set()
    start, end = span
    t, i = start, 0
    while t <= end:
        while i < len(landings) and landings[i][0] <= t:
            tracker.flight_finished(landings[i][1], landings[i][2])
            i += 1
        if not any(a <= t < b for a, b in outages):
            tracker.covered(t)
        out |= {(e.origin, e.destination) for e in tracker.evaluate(t) if not e.resolved}
        t += POLL
    return out


@dataclass
class Score:
    rows: list[dict[str, Any]] = field(default_factory=list)
    airspace: str = "?"
    # closure: first RESTRICTED/CLOSED status against the truth's closure instant
    closure_onset: datetime | None = None
    closure_polls: float | None = None
    # warning: first status change of any kind against the warning NOTAM
    warning_notam: str | None = None
    warning_published: datetime | None = None
    warning_effective: datetime | None = None
    warning_polls: float | None = None
    warning_effective_polls: float | None = None
    false_closures: int = 0
    poll_minutes: float | None = None
    extra_error_mean: float | None = None
    extra_error_median: float | None = None  # the criterion (≤ 5 % at 5-min samples)
    extra_error_max: float | None = None
    final_status: str = "NORMAL"
    expected_final: str | None = None
    # after a reopening: the airspace's collapse and NOTAM alerts that never resolved
    still_open: list[str] | None = None

    def failures(
        self,
        min_precision: float,
        min_recall: float,
        max_extra_error: float,
        max_onset_polls: float | None,
        max_warning_polls: float | None = None,
    ) -> list[str]:
        out = []
        for row in self.rows:
            if row["precision"] is not None and row["precision"] < min_precision:
                out.append(f"{row['type']} precision {row['precision']:.2f} < {min_precision}")
            if row["recall"] is not None and row["recall"] < min_recall:
                out.append(f"{row['type']} recall {row['recall']:.2f} < {min_recall}")
        if self.extra_error_max is not None and self.extra_error_max > max_extra_error:
            out.append(f"extra-distance error {self.extra_error_max:.1%} > {max_extra_error:.0%}")
        if self.false_closures:
            out.append(f"{self.false_closures} false closures")
        if self.expected_final and self.final_status != self.expected_final:
            out.append(f"final status {self.final_status}, expected {self.expected_final}")
        if self.still_open:
            out.append(f"still open after the reopening: {', '.join(self.still_open)}")
        # an early flag counts as much as a late one: both are off the truth by that much
        if (
            max_onset_polls is not None
            and self.closure_onset is not None
            and (self.closure_polls is None or abs(self.closure_polls) > max_onset_polls)
        ):
            out.append(f"closure onset {_polls(self.closure_polls)} polls, limit {max_onset_polls}")
        if (
            max_warning_polls is not None
            and self.warning_published is not None
            and (self.warning_polls is None or self.warning_polls > max_warning_polls)
        ):
            out.append(f"warning {_polls(self.warning_polls)} polls, limit {max_warning_polls}")
        return out

    def table(self) -> str:
        lines = [
            f"{'alert type':<34} {'truth':>6} {'found':>6} {'hits':>5} {'precision':>9} {'recall':>7}"
        ]
        for r in self.rows:
            p = "-" if r["precision"] is None else f"{r['precision']:.2f}"
            rc = "-" if r["recall"] is None else f"{r['recall']:.2f}"
            lines.append(
                f"{r['type']:<34} {r['truth']:>6} {r['found']:>6} {r['hits']:>5} {p:>9} {rc:>7}"
            )
        if self.closure_onset is not None:
            lines.append(
                f"closure onset delay: {_polls(self.closure_polls)} polls after foreign traffic in "
                f"{self.airspace} collapsed ({self.closure_onset:%H:%MZ} in the truth)"
            )
        else:
            lines.append(f"closure onset delay: - (no closure of {self.airspace} in the truth)")
        if self.warning_published is not None and self.warning_effective is not None:
            lines.append(
                f"warning delay: {_polls(self.warning_polls)} polls after {self.warning_notam} "
                f"was published ({self.warning_published:%H:%MZ}), "
                f"{_polls(self.warning_effective_polls)} after its effective time "
                f"({self.warning_effective:%H:%MZ})"
            )
        if self.closure_polls is not None and self.poll_minutes:
            lines.append(
                f"closure onset delay in minutes: {self.closure_polls * self.poll_minutes:+.0f}"
            )
        lines.append(
            f"false closures (restricted/closed where the truth has none): {self.false_closures}"
        )
        expected = f" (expected {self.expected_final})" if self.expected_final else ""
        lines.append(f"final status: {self.final_status}{expected}")
        if self.still_open is not None:
            lines.append(
                f"alerts still open after the reopening: {len(self.still_open)}"
                + (f" ({', '.join(self.still_open)})" if self.still_open else "")
            )
        if self.extra_error_mean is not None:
            lines.append(
                f"extra-distance error: mean {self.extra_error_mean:.1%}, "
                f"median {self.extra_error_median:.1%}, max {self.extra_error_max:.1%}"
            )
        return "\n".join(lines)


def _row(alert_type: str, expected: set[str], found: set[str]) -> dict[str, Any]:
    hits = expected & found
    return {
        "type": alert_type,
        "truth": len(expected),
        "found": len(found),
        "hits": len(hits),
        "precision": len(hits) / len(found) if found else (None if not expected else 0.0),
        "recall": len(hits) / len(expected) if expected else None,
    }


def _polls(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def score(
    alerts: list[AlertRow],
    truth: dict[str, Any],
    min_extra_km: float,
    poll: timedelta = POLL,
    window: tuple[datetime, datetime] | None = None,
    routes: RouteRules | None = None,
    all_reroutes: bool = True,
) -> Score:
    """``all_reroutes``: every flight whose great circle crosses the airspace is judged
    (detection.reroute_alerts: all), not only those on watched routes.

    ``window``: the data time a recording covers, when it is shorter than the truth's day.
    Flights that departed before it, or landed within two polls of its end, cannot be judged
    from it (a track cut short) and count neither way."""
    out = Score(airspace=truth.get("airspace", "SVZM"), poll_minutes=poll / timedelta(minutes=1))
    end = truth["end"]
    onset = _at(truth.get("onset"))
    unjudged: set[str] = set()
    if window is not None:
        end = min(datetime.fromisoformat(end), window[1]).isoformat()
        unjudged = {
            f["callsign"]
            for f in truth["flights"]
            if f["departs_at"] < window[0].isoformat()
            or abs(datetime.fromisoformat(f["arrives_at"]) - window[1]) <= 2 * poll
        }
    expect_closure = truth.get("expect_closure", True)
    flights = truth["flights"]
    extra_errors = []
    for alert_type, behaviour in FLIGHT_TYPES.items():
        expected = {
            f["callsign"]: f
            for f in flights
            if f["behaviour"] == behaviour
            and f["callsign"] not in unjudged
            and f["arrives_at"] <= end
            and (
                behaviour != "rerouted"
                or ((all_reroutes or f["watched_route"]) and (f["extra_km"] or 0) >= min_extra_km)
            )
        }
        # still flying at the end: a reroute may already show (it left the feeds' view past
        # the airspace), or not yet; either way it counts neither way
        airborne = {f["callsign"] for f in flights if f["arrives_at"] > end}
        found = {
            a.callsign: a
            for a in alerts
            if a.type == alert_type and a.callsign not in unjudged | airborne
        }
        hits = set(expected) & set(found)
        out.rows.append(_row(alert_type, set(expected), set(found)))
        if behaviour == "rerouted":
            for cs in hits:
                truth_km = expected[cs]["extra_km"]
                extra_errors.append(abs(found[cs].extra_distance_km - truth_km) / truth_km)
    # incursions: foreign flights entering the airspace while the truth has it closed
    closure_from = _at(truth.get("closure_onset")) if expect_closure else None
    closed_until = min(_at(truth.get("reopens_at")) or _at(end), _at(end))
    entering = {
        f["callsign"]
        for f in flights
        if closure_from is not None
        and not f["domestic"]
        and f["callsign"] not in unjudged
        and f.get("enters_airspace_at")
        and closure_from <= _at(f["enters_airspace_at"]) < closed_until
    }
    out.rows.append(
        _row(
            "flight.entered_restricted_airspace",
            entering,
            {
                a.callsign
                for a in alerts
                if a.type == "flight.entered_restricted_airspace" and a.airspace == out.airspace
            },
        )
    )
    if routes is not None:
        span = window or (_at(truth["start"]), _at(end))
        outages = [(_at(a), _at(b)) for a, b in truth.get("outages") or []]
        judged = [f for f in flights if f["callsign"] not in unjudged]
        expected = disrupted_routes(judged, routes, span, outages, min_extra_km)
        # a route disrupted only when the flights the recording saw in part count as well
        # depends on them: it counts neither way, as they do
        unsure = disrupted_routes(flights, routes, span, outages, min_extra_km) - expected
        out.rows.append(
            _row(
                "route.disrupted",
                {f"{o}-{d}" for o, d in expected},
                {
                    f"{a.origin}-{a.destination}"
                    for a in alerts
                    if a.type == "route.disrupted" and (a.origin, a.destination) not in unsure
                },
            )
        )
    if extra_errors:
        out.extra_error_mean = statistics.mean(extra_errors)
        out.extra_error_median = statistics.median(extra_errors)
        out.extra_error_max = max(extra_errors)
    changes = [a for a in alerts if a.type == "airspace.status_changed"]
    severe = [a for a in changes if (a.evidence or {}).get("status") in ("RESTRICTED", "CLOSED")]
    if expect_closure and onset is not None:
        out.false_closures = sum(1 for a in severe if a.opened_at < onset)
    else:  # partial avoidance, outages: traffic never collapsed, so no closure is right
        out.false_closures = len(severe)
    current = [a for a in changes if a.status == "open"]
    if current:
        out.final_status = (max(current, key=lambda a: a.opened_at).evidence or {}).get(
            "status", "?"
        )
    if truth.get("reopens_at"):
        out.expected_final = "NORMAL"
        out.still_open = sorted(
            a.dedup_key
            for a in alerts
            if a.airspace == out.airspace
            and a.type in ("airspace.traffic_collapse", "notam.active")
            and a.status == "open"
        )
    here = [
        a for a in changes if a.airspace == out.airspace and (onset is None or a.opened_at >= onset)
    ]
    out.closure_onset = _at(truth.get("closure_onset")) if expect_closure else None
    if window is not None and out.closure_onset is not None and out.closure_onset > window[1]:
        out.closure_onset = None  # the recording stops before the closure
    if out.closure_onset is not None:
        flagged = [a.opened_at for a in here if a in severe]
        if flagged:
            out.closure_polls = (min(flagged) - out.closure_onset) / poll
    warning = truth.get("warning") or {}
    out.warning_notam = warning.get("notam")
    out.warning_published = _at(warning.get("published_at"))
    out.warning_effective = _at(warning.get("effective_from"))
    if out.warning_published and out.warning_effective and here:
        first = min(a.opened_at for a in here)
        # a recording that began after the publication is timed from its own first poll:
        # nothing before it could have been seen
        seen_from = max(out.warning_published, window[0]) if window else out.warning_published
        out.warning_polls = (first - seen_from) / poll
        out.warning_effective_polls = (first - out.warning_effective) / poll
    return out
