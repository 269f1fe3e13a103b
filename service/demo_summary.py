"""The demo's closing summary: what the database holds, against the scenario's truth.

Printed when the scenario ends and when the person presses Ctrl-C; the truth is compared only
up to the scenario time reached, so an interrupted demo is not scored on flights it never saw.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from service.config import Settings
from service.demo_wording import hhmm, status_source

if TYPE_CHECKING:
    from service.demo_story import DemoStory


def _delivery_counts(settings: Settings) -> Counter[str]:
    from sqlalchemy import func, select

    from service.store.db import make_engine, make_sessionmaker
    from service.store.models import WebhookDeliveryRow

    engine = make_engine(settings.resolved_database_url)
    try:
        with make_sessionmaker(engine)() as session:
            rows = session.execute(
                select(WebhookDeliveryRow.status, func.count()).group_by(WebhookDeliveryRow.status)
            ).all()
    finally:
        engine.dispose()
    return Counter({status: n for status, n in rows})


def _stored(settings: Settings) -> tuple[list[Any], Any]:
    from sqlalchemy import select

    from service.store.db import make_engine, make_sessionmaker
    from service.store.models import AirspaceStatusRow, AlertRow

    engine = make_engine(settings.resolved_database_url)
    try:
        with make_sessionmaker(engine)() as session:
            alerts = list(session.scalars(select(AlertRow).order_by(AlertRow.id)))
            status = session.get(AirspaceStatusRow, settings.watch.airspaces[0])
            session.expunge_all()
    finally:
        engine.dispose()
    return alerts, status


PLURAL = {
    "flight.rerouted": ("reroute", "reroutes"),
    "flight.diverted": ("diversion", "diversions"),
    "flight.turned_back": ("turn-back", "turn-backs"),
    "flight.entered_restricted_airspace": ("incursion", "incursions"),
    "route.disrupted": ("route disrupted", "routes disrupted"),
    "notam.active": ("NOTAM", "NOTAMs"),
    "airspace.status_changed": ("status change", "status changes"),
    "airspace.traffic_collapse": ("traffic collapse", "traffic collapses"),
}


def print_summary(story: DemoStory, reached: str | None) -> int:
    """The summary from the demo's database, against the truth up to the time reached."""
    settings, c = story.settings, story.console
    try:
        alerts, status = _stored(settings)
        deliveries = _delivery_counts(settings)
    except Exception as exc:  # an unmigrated or missing database: say so, never a traceback
        c.print(f"summary unavailable: {str(exc).splitlines()[0][:200]}")
        return 1
    c.rule("summary")
    if status is not None:
        ev = dict(status.evidence or {})
        ev.setdefault("status", status.status)
        c.print(
            f"{story.primary} {status.status} since {status.since:%H:%MZ} — {status_source(ev)}; "
            f"NOTAMs {', '.join(ev.get('notam_ids') or []) or 'none'}"
        )
    else:
        c.print(f"{story.primary}: no data yet (no poll finished before the end)")
    by_type = Counter(a.type for a in alerts)
    parts = [
        f"{n} {PLURAL.get(t, (t, t))[n != 1]}"
        for t, n in sorted(by_type.items(), key=lambda i: -i[1])
    ]
    c.print(f"alerts {len(alerts)}: " + (", ".join(parts) if parts else "none"))
    ok = (
        status is not None
        and status.status in ("RESTRICTED", "CLOSED")
        and by_type["flight.rerouted"] > 0
        and by_type["flight.diverted"] > 0
    )
    truth = story.truth
    if truth is not None:
        until = reached or truth.get("end", "")
        flights = [f for f in truth.get("flights", []) if f.get("arrives_at", "") <= until]
        every = settings.detection.reroute_alerts == "all"  # as eval scores it
        expected = {
            f["callsign"]
            for f in flights
            if f.get("behaviour") == "rerouted"
            and (every or f.get("watched_route"))
            and (f.get("extra_km") or 0) >= settings.detection.reroute_min_extra_km
        }
        # still flying at the time reached: a reroute may show already or not yet
        airborne = {
            f["callsign"] for f in truth.get("flights", []) if f.get("arrives_at", "") > until
        }
        found = {
            a.callsign for a in alerts if a.type == "flight.rerouted" and a.callsign not in airborne
        }
        truth_by_cs = {f["callsign"]: f for f in truth.get("flights", [])}
        errors = [
            abs(a.extra_distance_km - truth_by_cs[a.callsign]["extra_km"])
            / truth_by_cs[a.callsign]["extra_km"]
            for a in alerts
            if a.type == "flight.rerouted"
            and a.extra_distance_km is not None
            and (truth_by_cs.get(a.callsign or "") or {}).get("extra_km")
        ]
        line = (
            f"against the scenario's truth (flights landed by {hhmm(until)}): reroutes "
            f"{len(found & expected)} of {len(expected)} found, {len(found - expected)} not in the truth"
        )
        if errors:
            line += f", extra distance within {100 * max(errors):.1f} %"
        for behaviour, kind in (
            ("diverted", "flight.diverted"),
            ("turned_back", "flight.turned_back"),
        ):
            want = sum(1 for f in flights if f.get("behaviour") == behaviour)
            line += f"; {PLURAL[kind][1]} {by_type[kind]} of {want}"
        c.print(line)
        missed = sorted(expected - found)
        if missed:
            c.print(f"  reroutes not (yet) found: {', '.join(missed)}")
    if story.skipped.count:
        c.print(f"polls skipped while the previous one still ran: {story.skipped.count}")
    total = sum(deliveries.values())
    if total:
        c.print(
            "webhook deliveries: " + ", ".join(f"{n} {s}" for s, n in sorted(deliveries.items()))
        )
    else:
        c.print("webhook deliveries: none (no webhook subscribed)")
    url = settings.resolved_database_url
    c.print(f"database: {url}  (try: FIRWATCH_DATABASE_URL={url} firwatch alerts)", soft_wrap=True)
    c.print(
        "demo result: " + ("OK" if ok else "INCOMPLETE (the story's main events are not all there)")
    )
    return 0 if ok else 1
