"""How the demo words what it sees: an alert in one line with its key figure, where an
airspace status comes from, a data time as ``HH:MMZ``.  Plain functions of the API's JSON,
so the story and the closing summary say things the same way."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def hhmm(value: str | None) -> str:
    """``2025-11-21T19:04:25Z`` → ``19:04Z`` (data times are UTC).

    >>> hhmm("2025-11-21T19:04:25+00:00"), hhmm(None)
    ('19:04Z', '–')
    """
    if not value:
        return "–"
    return parse_time(value).strftime("%H:%MZ")


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def count(value: Any) -> str:
    """A number as a person reads it: ``8.0`` → ``8``, ``None`` → ``?``.

    >>> count(8.0), count(2.5), count(None)
    ('8', '2.5', '?')
    """
    if value is None:
        return "?"
    return f"{value:g}" if isinstance(value, float) else str(value)


def status_source(evidence: dict[str, Any]) -> str:
    """Where an airspace status comes from, in words: the NOTAMs, the traffic, or both.

    A traffic collapse under an advisory NOTAM is the case a reader gets wrong: the
    restriction is what the traffic shows, not what the NOTAM says.

    >>> ev = {"status": "RESTRICTED", "traffic_status": "RESTRICTED", "notam_status": "ADVISORY",
    ...       "notam_ids": ["A0012/25"], "foreign_count": 0, "baseline_foreign": 8.0}
    >>> status_source(ev)
    'traffic collapse: foreign aircraft 0 vs 8 expected (NOTAM A0012/25 is only an advisory)'
    >>> status_source({"status": "ADVISORY", "traffic_status": "NORMAL",
    ...                "notam_status": "ADVISORY", "notam_ids": ["A0012/25"]})
    'NOTAM A0012/25 (advisory); traffic normal'
    >>> status_source({"status": "CLOSED", "traffic_status": "CLOSED", "notam_status": "CLOSED",
    ...                "notam_ids": ["A1/25"], "foreign_count": 0, "baseline_foreign": 8})
    'NOTAM A1/25 and traffic collapse: foreign aircraft 0 vs 8 expected'
    """
    status = evidence.get("status")
    notam, traffic = evidence.get("notam_status"), evidence.get("traffic_status")
    ids = ", ".join(evidence.get("notam_ids") or []) or "none"
    figure = (
        f"foreign aircraft {count(evidence.get('foreign_count'))} vs "
        f"{count(evidence.get('baseline_foreign'))} expected"
    )
    from_notam = status is not None and notam == status and status != "NORMAL"
    from_traffic = status is not None and traffic == status and status != "NORMAL"
    if from_notam and from_traffic:
        return f"NOTAM {ids} and traffic collapse: {figure}"
    if from_traffic:
        note = ""
        if notam == "ADVISORY":
            many = len(evidence.get("notam_ids") or []) > 1
            note = (
                f" (NOTAMs {ids} amount only to an advisory)"
                if many
                else f" (NOTAM {ids} is only an advisory)"
            )

        return f"traffic collapse: {figure}{note}"
    if from_notam:
        return f"NOTAM {ids} ({(notam or '').lower()}); traffic normal"
    if status == "NORMAL":
        return f"no NOTAM in force, traffic normal ({figure})"
    return "source unknown"


def describe(change: str, alert: dict[str, Any]) -> str:
    """One line for an alert that opened, resolved or reopened: what and its key figure.

    >>> describe("opened", {"type": "flight.diverted", "title": "KLM735 EHAM–TNCC diverted to TNCA",
    ...                     "evidence": {}})
    'KLM735 EHAM–TNCC diverted to TNCA'
    >>> describe("opened", {"type": "airspace.traffic_collapse", "airspace": "SVZM",
    ...                     "evidence": {"foreign_count": 1, "baseline_foreign": 8.0}})
    'SVZM traffic collapse — foreign aircraft 1 vs 8 expected'
    >>> describe("opened", {"type": "flight.rerouted", "callsign": "BWA184", "origin": "TTPP",
    ...   "destination": "TNCC", "airspace": "SVZM", "extra_distance_km": 570.6,
    ...   "extra_distance_nm": 308.1, "evidence": {}})
    'BWA184 TTPP–TNCC flew around SVZM — +571 km (+308 NM)'
    """
    kind, ev = alert.get("type"), alert.get("evidence") or {}
    airspace = alert.get("airspace") or "?"
    if kind == "airspace.status_changed":
        status = ev.get("status", "?")
        if change == "resolved":
            return f"{airspace} no longer {status}"
        return f"{airspace} {status} — {status_source(ev)}"
    if kind == "airspace.traffic_collapse":
        figure = (
            f"foreign aircraft {count(ev.get('foreign_count'))} vs "
            f"{count(ev.get('baseline_foreign'))} expected"
        )
        word = "traffic recovered" if change == "resolved" else "traffic collapse"
        return f"{airspace} {word} — {figure}"
    if kind == "notam.active":
        number, what = ev.get("number", "?"), ev.get("classification", "?")
        if change == "resolved":
            return f"NOTAM {number} ({what}) no longer in force on {airspace}"
        text = " ".join(str(ev.get("text", "")).split())
        return f"NOTAM {number} ({what}) in force on {airspace} — {text[:90]}…"
    if kind == "flight.rerouted":
        km, nm = alert.get("extra_distance_km"), alert.get("extra_distance_nm")
        route = f"{alert.get('origin')}–{alert.get('destination')}"
        figure = f"+{km:.0f} km (+{nm:.0f} NM)" if km is not None and nm is not None else "?"
        return f"{alert.get('callsign')} {route} flew around {airspace} — {figure}"
    title = str(alert.get("title", kind))
    return f"{title} (resolved)" if change == "resolved" else title
