"""What every feed client shares: one HTTP exchange, its errors, its recording, its counters.

Every failure a feed can produce — timeout, reset, 4xx/5xx, 429, a body that is
not JSON — becomes one :class:`FeedError` with a one-line reason, so the
scheduler logs it, records it in feed health and carries on.
"""

from __future__ import annotations

import enum
import json as stdlib_json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import httpx
import msgspec

from service.domain import from_unix

log = logging.getLogger("firwatch.feeds")

Clock = Callable[[], datetime]
T = TypeVar("T")
Recorder = Callable[[dict[str, Any]], None]


class FeedError(Exception):
    """A feed could not be read this time; ``retry_after_s`` when it said when to come back."""

    def __init__(
        self,
        feed: str,
        message: str,
        *,
        status: int | None = None,
        retry_after_s: float | None = None,
    ):
        super().__init__(f"{feed}: {message}")
        self.feed = feed
        self.status = status
        self.retry_after_s = retry_after_s


@dataclass(slots=True)
class FeedStats:
    requests: int = 0
    failures: int = 0
    rejected_total: int = 0
    rejected_last: int = 0
    skipped_last: int = 0
    credits_remaining: int | None = None
    last_status: int | None = None
    last_error: str | None = None

    def count_rejected(self, rejected: int, skipped: int | None = None) -> None:
        """One answer's tally: malformed records rejected and (position feeds) records
        without a position skipped."""
        self.rejected_last = rejected
        self.rejected_total += rejected
        if skipped is not None:
            self.skipped_last = skipped


RECORD_ERRORS = (ValueError, TypeError, OverflowError, OSError)  # what a malformed record raises


def parse_each(
    records: Iterable[Any], parse: Callable[[Any], T | None], what: str
) -> tuple[list[T], int, int]:
    """Each record parsed on its own: (parsed, rejected, skipped).  A record the parser
    refuses is rejected (logged at debug) and one it maps to None is skipped, so one bad
    record never costs the rest of the answer.

    >>> parse_each(["1", "x", ""], lambda r: int(r) if r else None, "number")
    ([1], 1, 1)
    """
    parsed: list[T] = []
    rejected = skipped = 0
    for record in records:
        try:
            value = parse(record)
        except RECORD_ERRORS as exc:
            rejected += 1
            log.debug("rejected %s %r: %s", what, record, exc)
            continue
        if value is None:
            skipped += 1
        else:
            parsed.append(value)
    return parsed, rejected, skipped


def data_time(feed: str, seconds: Any, field: str) -> datetime:
    """A feed's data time (Unix seconds in ``field``) as aware UTC; FeedError if it is none.

    >>> data_time("opensky", 1763747000, "time").isoformat()
    '2025-11-21T17:43:20+00:00'
    >>> data_time("adsbx", 1e20, "now")
    Traceback (most recent call last):
    service.feeds.base.FeedError: adsbx: 'now' 1e+20 is not a Unix time
    """
    try:
        return from_unix(seconds)
    except (ValueError, OverflowError, OSError):
        raise FeedError(feed, f"'{field}' {seconds!r} is not a Unix time") from None


# The longest a feed's Retry-After is honoured: one hour.  A server asking for more (71,622 s
# was seen) would otherwise silence the feed for a day; past the cap the poll tries again.
RETRY_AFTER_CAP_S = 3600.0


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from ``X-Rate-Limit-Retry-After-Seconds`` (OpenSky) or ``Retry-After``,
    capped at ``RETRY_AFTER_CAP_S``.

    >>> retry_after(httpx.Response(429, headers={"Retry-After": "30"}))
    30.0
    >>> retry_after(httpx.Response(429, headers={"Retry-After": "71622"}))
    3600.0
    >>> retry_after(httpx.Response(429, headers={"Retry-After": "nan"})) is None
    True
    >>> retry_after(httpx.Response(429)) is None
    True
    """
    return retry_after_from(response.headers)


def retry_after_from(headers: Any) -> float | None:
    """:func:`retry_after` for any mapping of lower-case (or case-insensitive) headers."""
    for name in ("x-rate-limit-retry-after-seconds", "retry-after"):
        value = headers.get(name)
        if value:
            try:
                seconds = float(value)
            except ValueError:
                continue
            if seconds == seconds:  # not NaN
                return min(RETRY_AFTER_CAP_S, max(0.0, seconds))
    return None


def rfc3339(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _body_for_record(response: httpx.Response) -> Any:
    if "json" in response.headers.get("content-type", ""):
        try:
            return response.json()
        except ValueError:
            pass
    return response.text


def decode_json(content: bytes) -> Any:
    """A JSON body: msgspec's decoder (about twice json.loads' speed), falling back to the
    standard library for what only it reads (``NaN``, which a broken upstream sends and whose
    rows the parsers then reject one by one).

    >>> decode_json(b'{"time": 1, "states": null}')
    {'time': 1, 'states': None}
    >>> decode_json(b'[NaN]')
    [nan]
    """
    try:
        return msgspec.json.decode(content)
    except msgspec.DecodeError:
        return stdlib_json.loads(content)


def status_error(feed: str, status: int, headers: Any, text: str) -> FeedError | None:
    """The error an HTTP status means for a feed (None for a success); shared by live
    requests and replay, so a recorded 503 or 429 is the same data gap it was live.

    >>> str(status_error("opensky", 503, {}, "Service Unavailable"))
    'opensky: HTTP 503: Service Unavailable'
    >>> status_error("opensky", 429, {"retry-after": "30"}, "").retry_after_s
    30.0
    """
    if status == 429:
        wait = retry_after_from(headers)
        return FeedError(
            feed,
            "rate limited (429)" + (f", retry after {wait:g} s" if wait is not None else ""),
            status=429,
            retry_after_s=wait,
        )
    if status >= 400:
        snippet = text[:120].replace("\n", " ")
        return FeedError(feed, f"HTTP {status}: {snippet}", status=status)
    return None


def _exchange_record(
    feed: str, clock: Clock, method: str, url: str, params: Any, json: Any, outcome: dict[str, Any]
) -> dict[str, Any]:
    """One recording line: the feed, when, the request, then its outcome (an answer's
    status, headers and body, or the error that stood for one)."""
    request: dict[str, Any] = {"method": method, "url": url, "params": params or {}}
    if json is not None:
        request["json"] = json
    return {"source": feed, "fetched_at": rfc3339(clock()), "request": request, **outcome}


async def request_json(
    http: httpx.AsyncClient,
    feed: str,
    method: str,
    url: str,
    *,
    stats: FeedStats,
    clock: Clock,
    timeout: float,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    json: Any = None,
    data: dict[str, str] | None = None,
    recorder: Recorder | None = None,
    record: bool = True,
    decode: Callable[[bytes], Any] = decode_json,
) -> tuple[httpx.Response, Any]:
    """One HTTP exchange returning the parsed JSON body; every failure is a :class:`FeedError`.

    Timeouts and transport errors are recorded too (``error`` instead of ``status``): a
    replay must see the same data gap the live run had.
    """
    stats.requests += 1
    try:
        response = await http.request(
            method, url, params=params, headers=headers, json=json, data=data, timeout=timeout
        )
    except httpx.HTTPError as exc:
        timed_out = isinstance(exc, httpx.TimeoutException)
        reason = (
            f"timed out after {timeout:g} s ({url})"
            if timed_out
            else f"{type(exc).__name__}: {exc or 'transport error'}"
        )
        if recorder is not None and record:
            recorder(
                _exchange_record(
                    feed,
                    clock,
                    method,
                    url,
                    params,
                    json,
                    {"error": "timeout" if timed_out else reason},
                )
            )
        return _fail(stats, FeedError(feed, reason))
    stats.last_status = response.status_code
    if recorder is not None and record:
        outcome = {
            "status": response.status_code,
            "headers": {k.lower(): v for k, v in response.headers.items()},
            "body": _body_for_record(response),
        }
        recorder(_exchange_record(feed, clock, method, url, params, json, outcome))
    error = status_error(feed, response.status_code, response.headers, response.text)
    if error is not None:
        return _fail(stats, error)
    try:
        body = decode(response.content)
    except ValueError:
        return _fail(stats, FeedError(feed, "response body is not valid JSON"))
    stats.last_error = None
    return response, body


def _fail(stats: FeedStats, error: FeedError):
    stats.failures += 1
    stats.last_error = str(error)
    raise error


class BreakerState(enum.Enum):
    """Whether a feed's circuit breaker lets requests through, and why not."""

    CLOSED = "closed"  # requests go out
    OPEN = "open"  # paused after failures in a row
    RATE_LIMITED = "rate_limited"  # paused for as long as the server said


class CircuitBreaker:
    """A per-feed circuit breaker: while open, no request is made.

    It opens for the time a server named (``Retry-After``, OpenSky's
    ``X-Rate-Limit-Retry-After-Seconds``), or after ``threshold`` consecutive failures
    for an exponentially growing pause (``base_s`` doubling up to ``max_s``), so a dead
    feed is not hammered and a rate limit is not burned through; one success closes it.

    >>> b = CircuitBreaker("opensky", threshold=2, base_s=10, now=lambda: 100.0)
    >>> b.failure(FeedError("opensky", "HTTP 503", status=503)); b.check()
    >>> b.failure(FeedError("opensky", "HTTP 503", status=503)); b.open_for(), b.state.name
    (10.0, 'OPEN')
    >>> b.success(); b.open_for(), b.state.name
    (0.0, 'CLOSED')
    """

    def __init__(
        self,
        feed: str,
        *,
        threshold: int = 3,
        base_s: float = 5.0,
        max_s: float = 600.0,
        now: Callable[[], float] | None = None,
    ):
        self.feed = feed
        self.threshold = threshold
        self.base_s = base_s
        self.max_s = max_s
        self.now = now or time.monotonic
        self.failures = 0
        self._open_until = 0.0
        self._opened = BreakerState.OPEN  # why it is (or was last) open

    @property
    def state(self) -> BreakerState:
        return self._opened if self.open_for() > 0 else BreakerState.CLOSED

    def open_for(self) -> float:
        return max(0.0, self._open_until - self.now())

    def check(self) -> None:
        """Raise :class:`FeedError` while open: the request is not made."""
        wait = self.open_for()
        if wait <= 0:
            return
        if self._opened == BreakerState.RATE_LIMITED:
            raise FeedError(self.feed, f"rate limited for another {wait:.0f} s", status=429)
        raise FeedError(
            self.feed, f"paused for another {wait:.0f} s after {self.failures} failures in a row"
        )

    def success(self) -> None:
        self.failures = 0
        self._open_until = 0.0
        self._opened = BreakerState.OPEN

    def failure(self, error: FeedError) -> None:
        self.failures += 1
        if error.status == 429:
            self._opened = BreakerState.RATE_LIMITED
            self._open_until = self.now() + (error.retry_after_s or 60.0)
        elif self.failures >= self.threshold:
            self._opened = BreakerState.OPEN
            pause = self.base_s * 2 ** (self.failures - self.threshold)
            self._open_until = self.now() + min(self.max_s, pause)


class FeedClient:
    """What every client holds: its settings, the shared HTTP client, the clock, an optional
    recorder, its counters and its circuit breaker."""

    feed: str = ""

    def __init__(
        self,
        settings: Any,
        http: httpx.AsyncClient,
        clock: Clock,
        *,
        recorder: Recorder | None = None,
    ):
        self.settings = settings
        self.http = http
        self.clock = clock
        self.recorder = recorder
        self.stats = FeedStats()
        # the breaker's pauses run on the client's clock: the wall clock live, the data clock
        # wherever time is simulated, so a pause lasts the same stretch of data either way
        self.breaker = CircuitBreaker(self.feed, now=lambda: self.clock().timestamp())

    async def guarded(self, call: Callable[[], Any]) -> Any:
        """Run one fetch behind the breaker: refused while open, and its outcome recorded."""
        self.breaker.check()
        try:
            result = await call()
        except FeedError as exc:
            self.breaker.failure(exc)
            raise
        self.breaker.success()
        return result
