"""Record feed traffic, and replay a recording into ingest and detection.

Replay answers from the recording, not from the config: every recorded exchange, in
``fetched_at`` order, goes through the feed modules' own parsers
(:func:`~service.feeds.opensky.snapshot_from_states`,
:func:`~service.feeds.adsbx.snapshot_from_points`, the FAA items), then the same
ingest, detection and storage as a live poll, with the clock at its ``fetched_at``.
The area a poll covered comes from its own request (its box, its circles; a poll
without a box covers the world), so a recording made with another box, other points,
other NOTAM queries or by another tool replays whole.  The current config still says
what is watched.  Breaker, backoff and credit budget stand aside: a recorded failure
(5xx, 429, timeout) is the data gap it was live, at the time it happened.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import httpx
import msgspec

from service.domain import FeedName, Route
from service.feeds.adsbx import point_circle, snapshot_from_points
from service.feeds.base import FeedError, decode_json, status_error
from service.feeds.callsign_routes import route_from_answer
from service.feeds.faa_notam import item_id
from service.feeds.opensky import decode_states, snapshot_from_states
from service.recording_format import Exchange, Recording, read_body, scan

log = logging.getLogger("firwatch.replay")

ROUND_GAP_S = 30.0  # records of one source closer than this belong to one poll round
BOX_PARAMS = ("lomin", "lamin", "lomax", "lamax")


class JsonlRecorder:
    """Appends one JSON object per HTTP exchange; flushes every line so a crash loses at most one."""

    def __init__(self, handle: IO[str]):
        self.handle = handle
        self.count = 0

    def __call__(self, record: dict[str, Any]) -> None:
        self.handle.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")
        self.handle.flush()
        self.count += 1


def poll_rounds(exchanges: list[Exchange]) -> list[list[Exchange]]:
    """The exchanges of each poll, in the order the polls completed.

    The scheduler polls every feed in its own job, so one poll's exchanges interleave with
    other feeds' in the file (opensky at 300 s and adsbx at 60 s start together every five
    minutes).  A round is therefore a run of one source's exchanges, whatever lies between
    them, and it ends at a gap of ``ROUND_GAP_S`` or when a request that already succeeded in
    it is made again: the next poll has begun (a request repeated after an error is a retry).
    Requests compare by path and parameters, numbers as numbers.
    """
    open_rounds: dict[str, list[Exchange]] = {}
    succeeded: dict[str, set[tuple[Any, ...]]] = {}
    rounds: list[list[Exchange]] = []
    for exchange in exchanges:
        source, key = exchange.source, exchange.key
        current = open_rounds.get(source)
        if current and (
            (exchange.fetched_at - current[-1].fetched_at).total_seconds() > ROUND_GAP_S
            or key in succeeded[source]
        ):
            rounds.append(current)
            current = None
        if current is None:
            current = open_rounds[source] = []
            succeeded[source] = set()
        current.append(exchange)
        if not exchange.failed:
            succeeded[source].add(key)
    rounds.extend(r for r in open_rounds.values() if r)
    rounds.sort(key=lambda r: (r[-1].fetched_at, r[-1].line_no))
    return rounds


@dataclass(slots=True)
class SourceCounts:
    read: int = 0
    used: int = 0
    failed: int = 0  # failed as recorded: an error status, a timeout, a body no parser takes
    skipped: int = 0  # lines that could not be replayed at all (see ReplayReport.skipped)


@dataclass(slots=True)
class ReplayReport:
    rounds: int = 0
    failed_rounds: int = 0
    alerts: int = 0
    positions: int = 0
    route_records: int = 0
    sources: dict[str, SourceCounts] = field(default_factory=dict)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    errors: list[tuple[int, str]] = field(default_factory=list)  # rounds detection could not take
    # the data time (feed timestamps) the recording spans; fetched_at is wall-clock time
    data_times: dict[str, list[datetime]] = field(default_factory=dict)

    @property
    def used(self) -> int:
        return sum(c.used for c in self.sources.values())

    def counts(self, source: str) -> SourceCounts:
        return self.sources.setdefault(source, SourceCounts())

    def summary(self, max_lines: int = 20) -> list[str]:
        """The per-source table and the skipped lines, for the command line."""
        lines = [
            f"replayed {self.rounds} poll rounds ({self.failed_rounds} failed as recorded), "
            f"{self.positions} positions, {self.alerts} alert changes",
            f"  {'source':<10} {'read':>7} {'used':>7} {'failed':>7} {'skipped':>8}",
        ]
        for source, c in sorted(self.sources.items()):
            lines.append(f"  {source:<10} {c.read:>7} {c.used:>7} {c.failed:>7} {c.skipped:>8}")
        for line_no, error in self.errors[:max_lines]:
            lines.append(f"error in the round from line {line_no}: {error}")
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)} line(s):")
            lines += [f"  line {n}: {reason}" for n, reason in self.skipped[:max_lines]]
            if len(self.skipped) > max_lines:
                lines.append(f"  ... and {len(self.skipped) - max_lines} more")
        return lines


class ReplayClock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class RecordedRoutes:
    """Answers the poller's callsign look-ups from the routeset answers in the recording."""

    def __init__(self, answers: dict[str, dict[str, Any]]):
        self.answers = answers

    async def lookup(self, planes: list[tuple[str, float, float]]) -> dict[str, Route | None]:
        out: dict[str, Route | None] = {}
        for callsign, lat, lon in planes:
            key = callsign.strip().upper()
            answer = self.answers.get(key)
            out[key] = route_from_answer(answer, lat, lon) if answer else None
        return out


def _refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"replay makes no requests ({request.url})")


async def replay(
    path: Path,
    settings: Any,
    sessions: Any,
    airspaces: Any,
    airports: Any,
    *,
    progress: Callable[[int, int], None] | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> ReplayReport:
    """Drive ingest and detection from a recording, as fast as it goes; ``stop`` is asked
    between rounds (a signal ends a replay after the round in hand is committed)."""
    from service.runtime import build_runtime

    recording = scan(path)
    report = _report_for(recording)
    if not recording.exchanges:
        return report
    clock = ReplayClock(recording.exchanges[0].fetched_at)
    rounds = poll_rounds(recording.exchanges)
    # no request leaves a replay: anything that tries meets a transport error
    async with httpx.AsyncClient(transport=httpx.MockTransport(_refuse)) as http:
        # a fresh engine: replaying the same file again then repeats the same events, which the
        # alerts' dedup keys turn into no-ops instead of transitions from the stored end state
        runtime = build_runtime(
            _settings_for(settings, recording),
            sessions=sessions,
            http=http,
            registries=(airspaces, airports),
            clock=clock,
            restore=False,
        )
        poller = runtime.poller
        assert poller is not None
        poller.routes = RecordedRoutes(recording.routes)  # type: ignore[assignment]
        with path.open("rb") as handle:
            for index, group in enumerate(rounds, 1):
                if stop():
                    break
                clock.now = group[-1].fetched_at
                try:
                    await _replay_round(poller, handle, group, report)
                except Exception as exc:  # a bug meeting odd data: that round, not the replay
                    log.debug("round from line %d", group[0].line_no, exc_info=True)
                    report.failed_rounds += 1
                    report.errors.append(
                        (group[0].line_no, f"{type(exc).__name__}: {exc}".splitlines()[0][:200])
                    )
                if progress is not None:
                    progress(index, len(rounds))
    return report


def _report_for(recording: Recording) -> ReplayReport:
    report = ReplayReport(route_records=len(recording.routes))
    for source, n in recording.read.items():
        report.counts(source).read = n
    for line in recording.skipped:
        report.counts(line.source or "(unknown)").skipped += 1
        report.skipped.append((line.line_no, line.reason))
    routes = report.counts(FeedName.ROUTES.value) if recording.read.get("routes") else None
    if routes is not None:
        routes.used, routes.failed = recording.route_lines_used, recording.route_lines_failed
    return report


def _body(handle: Any, exchange: Exchange, decode: Callable[[bytes], Any]) -> Any:
    """The recorded body as the feed's parser takes it; FeedError as a live poll would raise."""
    if exchange.failed:
        if exchange.status is None:
            raise FeedError(exchange.source, f"{exchange.error} (as recorded)")
        raw = read_body(handle, exchange)
        text = raw.decode("utf-8", "replace")
        if raw.startswith(b'"'):
            text = str(msgspec.json.decode(raw))
        error = status_error(exchange.source, exchange.status, exchange.headers, text)
        raise error or FeedError(exchange.source, f"HTTP {exchange.status}")
    raw = read_body(handle, exchange)
    try:
        if raw.startswith(b'"'):  # a body recorded as text: what the server sent, undecoded
            raw = str(msgspec.json.decode(raw)).encode("utf-8")
        return decode(raw)
    except (ValueError, msgspec.DecodeError):
        raise FeedError(exchange.source, "response body is not valid JSON") from None


async def _replay_round(
    poller: Any, handle: Any, group: list[Exchange], report: ReplayReport
) -> None:
    source = group[0].source
    counts = report.counts(source)
    report.rounds += 1
    errors: list[str] = []
    used = 0
    if source == FeedName.OPENSKY.value:
        for exchange in group:
            try:
                body = _body(handle, exchange, decode_states)
                snapshot = snapshot_from_states(body, _box(exchange), poller.opensky.stats)
            except FeedError as exc:
                counts.failed += 1
                errors.append(str(exc))
                continue
            if _partial_box(exchange) and snapshot.positions:
                snapshot = replace(snapshot, bbox=_data_box(snapshot))
            remaining = exchange.headers.get("x-rate-limit-remaining", "").strip()
            if remaining.lstrip("-").isdigit():
                poller.opensky.stats.credits_remaining = int(remaining)
            counts.used += 1
            used += 1
            _count(report, await poller.ingest_positions(snapshot, poller.opensky))
    elif source == FeedName.ADSBX.value:
        answers: list[tuple[Any, Any]] = []
        used_here: list[Exchange] = []
        for exchange in group:
            try:
                answers.append((point_circle(exchange.path), _body(handle, exchange, decode_json)))
                used_here.append(exchange)
            except FeedError as exc:
                counts.failed += 1
                errors.append(str(exc))
        if answers:
            try:
                snapshot = snapshot_from_points(answers, errors, poller.adsbx.stats)
            except FeedError as exc:
                counts.failed += len(used_here)
                errors.append(str(exc))
            else:
                counts.used += len(used_here)
                used += len(used_here)
                _count(report, await poller.ingest_positions(snapshot, poller.adsbx))
    else:
        items: dict[str, dict[str, Any]] = {}
        rejected = 0
        # a round that asked for everything (no lastUpdatedDate): absence can mean withdrawal
        returned: dict[str, set[str]] | None = (
            {} if not any("lastUpdatedDate" in e.params for e in group) else None
        )
        for exchange in group:
            try:
                body = _body(handle, exchange, decode_json)
                if not isinstance(body, dict) or not isinstance(body.get("items"), list):
                    raise FeedError(source, "response has no 'items' list")
            except FeedError as exc:
                counts.failed += 1
                errors.append(str(exc))
                continue
            counts.used += 1
            used += 1
            location = str(exchange.params.get("icaoLocation") or "")
            if returned is not None and location:
                returned.setdefault(location, set())
            for item in body["items"]:
                key = item_id(item)
                if key is None:
                    rejected += 1
                else:
                    items[key] = item
                    if returned is not None and location:
                        returned[location].add(key)
        if used and errors and group[-1].failed:
            # a NOTAM round that ended in a failure was abandoned there (firwatch's client
            # stops at the first failed page): live, none of its items were used
            counts.used -= used
            counts.failed += used
            used = 0
        if used:
            poller.faa.stats.rejected_last = rejected
            whole = returned if returned and not errors else None
            _count(report, await poller.ingest_notams(list(items.values()), whole))
    if not used:
        report.failed_rounds += 1
        reason = errors[0].removeprefix(f"{source}: ") if errors else "no data"
        await poller._failed(source, FeedError(source, reason))


def _count(report: ReplayReport, result: Any) -> None:
    report.alerts += result.alerts
    report.positions += result.positions
    if result.ok and result.data_time is not None:
        report.data_times.setdefault(result.feed, []).append(result.data_time)


def _box(exchange: Exchange) -> tuple[float, float, float, float] | None:
    """The box an OpenSky request asked for (lomin, lamin, lomax, lamax); None: the world."""
    values = [exchange.params.get(k) for k in BOX_PARAMS]
    if all(isinstance(v, float) for v in values):
        return tuple(values)  # type: ignore[return-value]
    return None


def _partial_box(exchange: Exchange) -> bool:
    present = [k in exchange.params for k in BOX_PARAMS]
    return any(present) and _box(exchange) is None


def _data_box(snapshot: Any) -> tuple[float, float, float, float]:
    """What a request with an unreadable box covered, judged from the data it returned."""
    lons = [p.lon for p in snapshot.positions]
    lats = [p.lat for p in snapshot.positions]
    return (min(lons), min(lats), max(lons), max(lats))


def _settings_for(settings: Any, recording: Recording) -> Any:
    """The live settings without credentials; route look-ups answered only from the
    recording (enabled when it holds routeset answers)."""
    feeds = settings.feeds.model_copy(deep=True)
    feeds.opensky.client_id = feeds.opensky.client_secret = None
    feeds.faa_notam.client_id = feeds.faa_notam.client_secret = None
    feeds.routes.enabled = bool(recording.routes)
    return settings.model_copy(update={"feeds": feeds})
