"""Record and replay feed traffic in the fixed JSONL exchange format.

Replay answers the real feed clients from the recording through an
``httpx.MockTransport`` instead of parsing bodies itself, so a replayed day goes
through exactly the code a live day does — clients, parsers, detection, storage —
with the clock taken from each record's ``fetched_at``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import httpx

from service.domain import FeedName, ensure_utc

log = logging.getLogger("firwatch.replay")

SOURCES = {f.value for f in FeedName}
ROUND_GAP_S = 30.0  # records of one source closer than this belong to one poll round
# Query parameters that say which answer a request wants (others, like lastUpdatedDate, may differ)
IDENTIFYING_PARAMS = ("icaoLocation", "pageNum", "lamin", "lomin", "lamax", "lomax")


class JsonlRecorder:
    """Appends one JSON object per HTTP exchange; flushes every line so a crash loses at most one."""

    def __init__(self, handle: IO[str]):
        self.handle = handle
        self.count = 0

    def __call__(self, record: dict[str, Any]) -> None:
        self.handle.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")
        self.handle.flush()
        self.count += 1


@dataclass(slots=True)
class ReplayFile:
    records: list[dict[str, Any]] = field(default_factory=list)
    routes: dict[str, dict[str, Any]] = field(default_factory=dict)
    invalid_json: int = 0
    unknown_source: int = 0
    malformed: int = 0


def parse_time(value: Any) -> datetime:
    return ensure_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))


def read_recording(path: Path) -> ReplayFile:
    """Every usable record in file order; bad lines are counted, never fatal."""
    out = ReplayFile()
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                out.invalid_json += 1
                continue
            if not isinstance(record, dict) or record.get("source") not in SOURCES:
                out.unknown_source += 1
                continue
            try:
                record["_at"] = parse_time(record["fetched_at"])
                request = record.get("request") or {}
                record["_path"] = urlsplit(str(request.get("url", ""))).path
            except (KeyError, ValueError, TypeError):
                out.malformed += 1
                continue
            if record["source"] == FeedName.ROUTES.value:
                body = record.get("body")
                for item in body if isinstance(body, list) else []:
                    if isinstance(item, dict) and item.get("callsign"):
                        out.routes[str(item["callsign"]).strip().upper()] = item
                continue
            out.records.append(record)
    return out


def _request_key(record: dict[str, Any]) -> tuple[str, ...]:
    params = record["request"].get("params") or {}
    return (record["_path"], *(str(params.get(k)) for k in IDENTIFYING_PARAMS))


def poll_rounds(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The exchanges of each poll, in the order the polls completed.

    The scheduler polls every feed in its own job, so one poll's exchanges interleave with
    other feeds' in the file (opensky at 300 s and adsbx at 60 s start together every five
    minutes).  A round is therefore a run of one source's records, whatever lies between
    them, and it ends at a gap of ``ROUND_GAP_S`` or when a request that already succeeded in
    it is made again: the next poll has begun (a request repeated after an error is a retry).
    """
    open_rounds: dict[str, list[dict[str, Any]]] = {}
    succeeded: dict[str, set[tuple[str, ...]]] = {}
    rounds: list[list[dict[str, Any]]] = []
    for record in records:
        source, key = record["source"], _request_key(record)
        current = open_rounds.get(source)
        if current and (
            (record["_at"] - current[-1]["_at"]).total_seconds() > ROUND_GAP_S
            or key in succeeded[source]
        ):
            rounds.append(current)
            current = None
        if current is None:
            current = open_rounds[source] = []
            succeeded[source] = set()
        current.append(record)
        if isinstance(record.get("status"), int) and record["status"] < 400:
            succeeded[source].add(key)
    rounds.extend(r for r in open_rounds.values() if r)
    position = {id(record): i for i, record in enumerate(records)}
    rounds.sort(key=lambda r: (r[-1]["_at"], position[id(r[-1])]))
    return rounds


class ReplayTransport(httpx.AsyncBaseTransport):
    """Answers requests from the current round's records, matched by path and query."""

    def __init__(self, routes: dict[str, dict[str, Any]]):
        self.routes = routes
        self.round: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/api/0/routeset"):
            return self._routeset(request)
        params = dict(request.url.params)
        for record in self.round:
            if record["_path"] != request.url.path:
                continue
            recorded = {k: str(v) for k, v in (record["request"].get("params") or {}).items()}
            if all(recorded.get(k) == params.get(k) for k in IDENTIFYING_PARAMS):
                self.round.remove(record)
                return _response(record)
        return httpx.Response(404, json={"error": "not in the recording"})

    def _routeset(self, request: httpx.Request) -> httpx.Response:
        planes = json.loads(request.content or b"{}").get("planes", [])
        answer = []
        for plane in planes:
            callsign = str(plane.get("callsign", "")).strip().upper()
            answer.append(
                self.routes.get(callsign)
                or {"callsign": callsign, "airport_codes": "unknown", "_airports": []}
            )
        return httpx.Response(200, json=answer)


def _response(record: dict[str, Any]) -> httpx.Response:
    headers = {
        k: str(v)
        for k, v in (record.get("headers") or {}).items()
        if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")
    }
    body = record.get("body")
    if isinstance(body, str):
        return httpx.Response(int(record.get("status", 200)), text=body, headers=headers)
    return httpx.Response(int(record.get("status", 200)), json=body, headers=headers)


@dataclass(slots=True)
class ReplayReport:
    rounds: int = 0
    failed_rounds: int = 0
    alerts: int = 0
    positions: int = 0
    invalid_json: int = 0
    unknown_source: int = 0
    malformed: int = 0
    route_records: int = 0
    # the data time (feed timestamps) the recording spans; fetched_at is wall-clock time
    data_times: dict[str, list[datetime]] = field(default_factory=dict)


class ReplayClock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


async def replay(
    path: Path,
    settings: Any,
    sessions: Any,
    airspaces: Any,
    airports: Any,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ReplayReport:
    """Drive ingest and detection from a recording, as fast as it goes."""
    from service.jobs import Poller

    recording = read_recording(path)
    report = ReplayReport(
        invalid_json=recording.invalid_json,
        unknown_source=recording.unknown_source,
        malformed=recording.malformed,
        route_records=len(recording.routes),
    )
    if not recording.records:
        return report
    transport = ReplayTransport(recording.routes)
    clock = ReplayClock(recording.records[0]["_at"])
    replay_settings = _settings_for(settings, recording.records)
    rounds = poll_rounds(recording.records)
    async with httpx.AsyncClient(transport=transport) as http:
        # a fresh engine: replaying the same file again then repeats the same events, which the
        # alerts' dedup keys turn into no-ops instead of transitions from the stored end state
        poller = Poller(
            replay_settings, sessions, http, airspaces, airports, clock=clock, restore=False
        )
        for index, group in enumerate(rounds, 1):
            transport.round = list(group)
            clock.now = group[-1]["_at"]
            source = group[0]["source"]
            if source == FeedName.FAA_NOTAM.value:
                result = await poller.poll_notams()
            else:
                result = await poller.poll_positions(source)
            report.rounds += 1
            report.failed_rounds += 0 if result.ok else 1
            report.alerts += result.alerts
            report.positions += result.positions
            if result.ok and result.data_time is not None and source != FeedName.FAA_NOTAM.value:
                report.data_times.setdefault(source, []).append(result.data_time)
            if progress is not None:
                progress(index, len(rounds))
    return report


def _settings_for(settings: Any, records: list[dict[str, Any]]) -> Any:
    """The live settings, minus credentials, with the ADSBx points the recording queried."""
    points: list[dict[str, float]] = []
    locations: list[str] = []
    for record in records:
        location = (record["request"].get("params") or {}).get("icaoLocation")
        if record["source"] == FeedName.FAA_NOTAM.value and location and location not in locations:
            locations.append(str(location))
        if record["source"] != FeedName.ADSBX.value:
            continue
        parts = record["_path"].rstrip("/").split("/")
        try:
            i = parts.index("point")
            lat, lon, radius = float(parts[i + 1]), float(parts[i + 2]), float(parts[i + 3])
        except (ValueError, IndexError):
            continue
        point = {"lat": lat, "lon": lon, "radius_nm": radius}
        if point not in points:
            points.append(point)
    feeds = settings.feeds.model_copy(deep=True)
    feeds.opensky.client_id = feeds.opensky.client_secret = None
    feeds.faa_notam.client_id = feeds.faa_notam.client_secret = None
    if locations:
        feeds.faa_notam.locations = locations
    if points:
        feeds.adsbx.points = [type(feeds.adsbx.points[0])(**p) for p in points]
    return settings.model_copy(update={"feeds": feeds})
