"""The JSONL recording format: one HTTP exchange per line, read without trusting the writer.

A recording may come from ``firwatch record`` or from any other tool that writes the
format (``schemas/recording.schema.json``).  :func:`scan` reads the envelope of every
line — source, ``fetched_at``, request, status or error, headers — and leaves the body
in the file until replay needs it (an hour of global polls is gigabytes of JSON), so a
recording is replayed in ``fetched_at`` order whatever order its lines are in.  A line
that cannot be used is skipped with its line number and reason, never an exception.

Request parameters are normalised so that numbers compare as numbers: a recorded
``"lamin": -10`` and ``"lamin": "-10.0"`` are the same query.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec

from service.domain import FeedName

SOURCES = frozenset(f.value for f in FeedName)
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "recording.schema.json"
# parameters that change from poll to poll without changing what is asked for
VOLATILE_PARAMS = frozenset({"time", "lastUpdatedDate"})
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
# the path each source's data answers come from (anything else of that source is skipped)
DATA_PATHS = {
    FeedName.OPENSKY.value: ("/states/all",),
    FeedName.ADSBX.value: ("/v2/",),
    FeedName.FAA_NOTAM.value: ("/notams",),
    FeedName.ROUTES.value: ("/routeset",),
}


class Envelope(msgspec.Struct):
    """A line as decoded before it is judged; the body stays undecoded bytes."""

    source: Any = None
    fetched_at: Any = None
    request: Any = None
    status: Any = None
    error: Any = None
    headers: Any = None
    body: msgspec.Raw = msgspec.Raw(b"null")


ENVELOPE = msgspec.json.Decoder(Envelope)


@dataclass(slots=True)
class Exchange:
    """One usable line: where it is in the file and what was asked and answered."""

    line_no: int
    offset: int
    length: int
    source: str
    fetched_at: datetime
    method: str
    path: str
    params: dict[str, Any]
    status: int | None
    error: str | None
    headers: dict[str, str]

    @property
    def failed(self) -> bool:
        """Recorded as a failure: a transport error or timeout, or an HTTP error status."""
        return self.status is None or self.status >= 400

    @property
    def key(self) -> tuple[Any, ...]:
        """What was asked, numbers as numbers, without the parameters that vary per poll."""
        return (
            self.method,
            self.path,
            tuple(sorted((k, v) for k, v in self.params.items() if k not in VOLATILE_PARAMS)),
        )


@dataclass(slots=True)
class SkippedLine:
    line_no: int
    source: str | None
    reason: str


@dataclass(slots=True)
class Recording:
    path: Path
    exchanges: list[Exchange] = field(default_factory=list)
    skipped: list[SkippedLine] = field(default_factory=list)
    read: dict[str, int] = field(default_factory=dict)
    # callsign -> the routeset answer recorded for it, and how many route lines were usable
    routes: dict[str, dict[str, Any]] = field(default_factory=dict)
    route_lines_used: int = 0
    route_lines_failed: int = 0


def number_or_text(value: Any) -> Any:
    """A parameter value as it compares: numbers (also numeric strings) as floats.

    >>> number_or_text("-10"), number_or_text(-10), number_or_text("SVZM"), number_or_text(True)
    (-10.0, -10.0, 'SVZM', 'true')
    >>> number_or_text(["b", "a"])
    ('a', 'b')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list | tuple):
        return tuple(sorted((number_or_text(v) for v in value), key=repr))
    text = str(value)
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def parse_fetched_at(value: Any) -> datetime:
    """RFC 3339 with a zone, between 1970 and 2200; ValueError with the reason otherwise.

    >>> parse_fetched_at("2025-11-21T17:40:00Z").isoformat()
    '2025-11-21T17:40:00+00:00'
    >>> parse_fetched_at("0001-01-01T00:00:00Z")
    Traceback (most recent call last):
    ...
    ValueError: fetched_at 0001-01-01T00:00:00Z is outside 1970-2200
    """
    if not isinstance(value, str):
        raise ValueError("fetched_at is not a string")
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"fetched_at {value[:40]!r} is not an RFC 3339 time") from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"fetched_at {value[:40]} has no time zone")
    if not EARLIEST <= at < LATEST:
        raise ValueError(f"fetched_at {value[:40]} is outside 1970-2200")
    return at.astimezone(UTC)


def _judge(envelope: Envelope) -> tuple[str, dict[str, Any]]:
    """The source and checked fields of an envelope; ValueError(reason) when unusable."""
    source = envelope.source
    if not isinstance(source, str) or source not in SOURCES:
        raise ValueError(f"unknown source {str(source)[:40]!r}")
    at = parse_fetched_at(envelope.fetched_at)
    request = envelope.request
    if request is None:
        raise ValueError("no request")
    if not isinstance(request, dict):
        raise ValueError("request is not an object")
    url = request.get("url")
    if not isinstance(url, str) or not url:
        raise ValueError("request has no url")
    params = request.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ValueError("request params is not an object")
    method = request.get("method", "GET")
    if not isinstance(method, str):
        raise ValueError("request method is not a string")
    status, error = envelope.status, envelope.error
    if status is not None and (
        isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599
    ):
        raise ValueError(f"status {str(status)[:20]!r} is not an HTTP status")
    if status is None and not isinstance(error, str):
        raise ValueError("neither a status nor an error")
    headers = envelope.headers if isinstance(envelope.headers, dict) else {}
    split = urlsplit(url)
    path = split.path
    if not any(marker in path for marker in DATA_PATHS[source]):
        raise ValueError(f"{source} request {path[:60]!r} is not one replay reads")
    merged = dict(params)
    if split.query:  # parameters written into the url count as well
        from urllib.parse import parse_qsl

        for k, v in parse_qsl(split.query):
            merged.setdefault(k, v)
    return source, {
        "fetched_at": at,
        "method": method.upper(),
        "path": path,
        "params": {str(k): number_or_text(v) for k, v in merged.items() if v is not None},
        "status": status,
        "error": None if status is not None else str(error),
        "headers": {str(k).lower(): str(v) for k, v in headers.items()},
    }


def scan(path: Path) -> Recording:
    """Every line's envelope, bodies left in the file; bad lines counted with their reason."""
    out = Recording(path)
    offset = 0
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, 1):
            start, offset = offset, offset + len(raw)
            if not raw.strip():
                continue
            source: str | None = None
            try:
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise ValueError("invalid UTF-8") from None
                try:
                    envelope = ENVELOPE.decode(raw)
                except msgspec.ValidationError:
                    raise ValueError("not a JSON object") from None
                except msgspec.DecodeError:
                    raise ValueError("invalid JSON") from None
                if isinstance(envelope.source, str) and envelope.source in SOURCES:
                    source = envelope.source
                    out.read[source] = out.read.get(source, 0) + 1
                source, fields = _judge(envelope)
            except ValueError as exc:
                out.skipped.append(SkippedLine(line_no, source, str(exc)))
                continue
            exchange = Exchange(line_no, start, len(raw), source, **fields)
            if source == FeedName.ROUTES.value:
                _add_routes(out, exchange, envelope.body)
            else:
                out.exchanges.append(exchange)
    out.exchanges.sort(key=lambda e: (e.fetched_at, e.line_no))
    return out


def _add_routes(out: Recording, exchange: Exchange, raw: msgspec.Raw) -> None:
    if exchange.failed:
        out.route_lines_failed += 1
        return
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        body = None
    if not isinstance(body, list):
        out.route_lines_failed += 1
        return
    out.route_lines_used += 1
    for item in body:
        if isinstance(item, dict) and item.get("callsign"):
            out.routes[str(item["callsign"]).strip().upper()] = item


def read_body(handle: Any, exchange: Exchange) -> bytes:
    """The raw JSON body of a scanned exchange, read back from the file."""
    handle.seek(exchange.offset)
    return bytes(ENVELOPE.decode(handle.read(exchange.length)).body)
