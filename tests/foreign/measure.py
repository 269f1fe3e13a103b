"""Replay a foreign recording through firwatch (the replay function ``firwatch replay`` runs,
with the shipped config.yaml) and score its alerts against the generator's truth.

Scoring is our own, not ``service.evaluate``'s: the point is an outside reviewer's reading.
- false closures: airspace.status_changed to RESTRICTED or CLOSED for SVZM before the event;
- latency: first RESTRICTED/CLOSED at or after the event, minus the truth's collapse instant
  (and minus the event instant);
- reroutes: flight.rerouted alerts (by callsign) against every foreign flight whose great
  circle crossed SVZM and whose flown path did not; flights still airborne within two polls
  of the recording's end count neither way.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from service.config import load_settings
from service.geo.airspaces import load_registries
from service.replay import replay
from service.store.db import make_engine, make_sessionmaker, upgrade
from service.store.models import AlertRow

ROOT = Path(__file__).resolve().parents[2]
SEVERE = ("RESTRICTED", "CLOSED")
GAP_MINUTES = 30  # config.yaml detection.flight_gap_minutes
MIN_EXTRA_KM = 25.0  # config.yaml detection.reroute_min_extra_km


@dataclass
class Result:
    name: str
    false_closures: list[str] = field(default_factory=list)  # times (UTC) before the event
    latency_min: float | None = None  # first flag after the truth's collapse (minutes)
    latency_event_min: float | None = None  # ... after the event itself
    first_flag: str | None = None
    statuses_after: list[str] = field(default_factory=list)
    reroute_truth: int = 0
    reroute_found: int = 0
    reroute_hits: int = 0
    false_reroutes: list[str] = field(default_factory=list)
    missed_reroutes: list[str] = field(default_factory=list)
    reroute_truth_25: int = 0
    reroute_found_25: int = 0
    reroute_hits_25: int = 0
    skipped_lines: int = 0
    failed_rounds: int = 0
    rounds: int = 0

    @property
    def precision(self) -> float | None:
        return self.reroute_hits / self.reroute_found if self.reroute_found else None

    @property
    def recall(self) -> float | None:
        return self.reroute_hits / self.reroute_truth if self.reroute_truth else None

    @property
    def precision_25(self) -> float | None:
        return self.reroute_hits_25 / self.reroute_found_25 if self.reroute_found_25 else None

    @property
    def recall_25(self) -> float | None:
        return self.reroute_hits_25 / self.reroute_truth_25 if self.reroute_truth_25 else None


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def run_replay(recording: Path) -> tuple[list[AlertRow], Any]:
    """Replay into a throw-away SQLite database with the shipped config; alerts and report."""
    settings = load_settings(ROOT / "config.yaml")
    with tempfile.TemporaryDirectory(prefix="firwatch-foreign-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'foreign.db'}"
        upgrade(url)
        engine = make_engine(url)
        report = asyncio.run(
            replay(
                recording,
                settings.model_copy(update={"database_url": url}),
                make_sessionmaker(engine),
                *load_registries(settings.path(settings.seeds_dir)),
            )
        )
        with make_sessionmaker(engine)() as session:
            alerts = list(session.scalars(select(AlertRow)))
            for a in alerts:
                session.expunge(a)
        engine.dispose()
    return alerts, report


def score(name: str, alerts: list[AlertRow], report: Any, truth: dict[str, Any]) -> Result:
    out = Result(
        name,
        skipped_lines=len(report.skipped),
        failed_rounds=report.failed_rounds,
        rounds=report.rounds,
    )
    event, collapse, end = _at(truth["event"]), _at(truth["collapse"]), _at(truth["end"])
    poll = timedelta(seconds=truth["variant"]["poll_s"])
    changes = sorted(
        (a for a in alerts if a.type == "airspace.status_changed" and a.airspace == "SVZM"),
        key=lambda a: a.opened_at,
    )
    for a in changes:
        status = (a.evidence or {}).get("status")
        if status not in SEVERE:
            continue
        if a.opened_at < event:
            out.false_closures.append(f"{a.opened_at:%m-%dT%H:%MZ} {status}")
        else:
            out.statuses_after.append(f"{a.opened_at:%m-%dT%H:%MZ} {status}")
            if out.first_flag is None:
                out.first_flag = a.opened_at.isoformat()
                if collapse is not None:
                    out.latency_min = (a.opened_at - collapse).total_seconds() / 60
                out.latency_event_min = (a.opened_at - event).total_seconds() / 60
    flights = truth["flights"]
    # a flight that landed less than firwatch's flight gap (30 min) plus two polls before
    # the end may not be finished yet in any tracker; one that departed before the start
    # was never seen whole: both count neither way
    cut = end - timedelta(minutes=GAP_MINUTES) - 2 * poll
    unjudged = {
        f["callsign"]
        for f in flights
        if f["arrives_at"] is None
        or _at(f["arrives_at"]) > cut
        or _at(f["departs_at"]) < _at(truth["start"])
    }
    expected = {
        f["callsign"]
        for f in flights
        if not f["domestic"]
        and not f["cancelled"]
        and f["gc_crosses"]
        and not f["flown_crosses"]
        and f["callsign"] not in unjudged
    }
    found = {
        a.callsign.strip()
        for a in alerts
        if a.type == "flight.rerouted" and a.callsign and a.callsign.strip() not in unjudged
    }
    out.reroute_truth, out.reroute_found = len(expected), len(found)
    out.reroute_hits = len(expected & found)
    out.false_reroutes = sorted(found - expected)
    out.missed_reroutes = sorted(expected - found)
    # the same against only the flights whose detour reached firwatch's own minimum (25 km):
    # a great circle that clips a corner of the FIR makes a detour of a few km
    big = {
        f["callsign"]
        for f in flights
        if f["callsign"] in expected and f["extra_km"] >= MIN_EXTRA_KM
    }
    small = expected - big
    out.reroute_truth_25 = len(big)
    out.reroute_hits_25 = len(big & found)
    out.reroute_found_25 = len(found - small)
    return out


def fmt(v: float | None, spec: str = ".2f") -> str:
    return "-" if v is None else format(v, spec)


def row(r: Result) -> str:
    return (
        f"| {r.name} | {len(r.false_closures)} | {fmt(r.latency_min, '+.0f')} | "
        f"{fmt(r.latency_event_min, '+.0f')} | {r.reroute_hits}/{r.reroute_found}/"
        f"{r.reroute_truth} | {fmt(r.precision)} | {fmt(r.recall)} | "
        f"{fmt(r.precision_25)} | {fmt(r.recall_25)} |"
    )
