"""Faults on request: what real feeds do now and then, queued per feed by the tests.

Network faults (timeouts, resets, 5xx, 429, 401, broken bodies) are applied by a middleware
before or after a feed's router answers; data faults (wrong types, NaN, duplicates, stale
rows) by the OpenSky router to the rows it is about to send.
"""

from __future__ import annotations

import asyncio
import enum
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from service.domain import FeedName


class FaultKind(enum.StrEnum):
    TIMEOUT = "timeout"
    RESET = "reset"
    SERVER_ERROR = "5xx"
    RATE_LIMITED = "429"
    UNAUTHORIZED = "401"
    MALFORMED_JSON = "malformed_json"
    TRUNCATED = "truncated"
    WRONG_TYPES = "wrong_types"
    NAN = "nan"
    DUPLICATES = "duplicates"
    STALE = "stale"


NETWORK_FAULTS = frozenset(
    {
        FaultKind.TIMEOUT,
        FaultKind.RESET,
        FaultKind.SERVER_ERROR,
        FaultKind.RATE_LIMITED,
        FaultKind.UNAUTHORIZED,
        FaultKind.MALFORMED_JSON,
        FaultKind.TRUNCATED,
    }
)
DATA_FAULTS = frozenset(FaultKind) - NETWORK_FAULTS
FEED_PATHS = {
    FeedName.OPENSKY: "/api/states/",
    FeedName.ADSBX: "/v2/",
    FeedName.FAA_NOTAM: "/notamapi/",
    FeedName.ROUTES: "/api/0/routeset",
}


class Faults:
    """Faults the next requests of each feed will meet, in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, list[FaultKind]] = {}
        self.delay_s = 30.0

    def add(self, feed: str, kinds: list[str]) -> None:
        unknown = [k for k in kinds if k not in set(FaultKind)]
        if feed not in set(FeedName) or unknown:
            raise ValueError(f"unknown feed {feed!r} or faults {unknown}")
        with self._lock:
            self._queues.setdefault(feed, []).extend(FaultKind(k) for k in kinds)

    def take(self, feed: str, kinds: frozenset[FaultKind]) -> FaultKind | None:
        """The next queued fault of ``feed`` when it is one of ``kinds`` (it is then used up)."""
        with self._lock:
            queue = self._queues.get(feed) or []
            if queue and queue[0] in kinds:
                return queue.pop(0)
        return None


def feed_of(path: str) -> FeedName | None:
    """The emulated feed a request path belongs to.

    >>> feed_of("/v2/point/1/2/3"), feed_of("/_emulator/clock")
    (<FeedName.ADSBX: 'adsbx'>, None)
    """
    return next((f for f, prefix in FEED_PATHS.items() if path.startswith(prefix)), None)


_BEFORE: dict[FaultKind, Callable[[], Response]] = {
    FaultKind.SERVER_ERROR: lambda: Response(
        "<html><body>502 Bad Gateway</body></html>", 502, media_type="text/html"
    ),
    FaultKind.RATE_LIMITED: lambda: Response(
        status_code=429, headers={"Retry-After": "30", "X-Rate-Limit-Retry-After-Seconds": "30"}
    ),
    FaultKind.UNAUTHORIZED: lambda: Response(status_code=401),
    FaultKind.MALFORMED_JSON: lambda: Response(
        '{"time": 1763740000, "states": [["abc", ', 200, media_type="application/json"
    ),
}


def network_fault_middleware(
    faults: Faults, revoke_tokens: Callable[[], None]
) -> Callable[[Request, Callable[[Request], Awaitable[Any]]], Awaitable[Response]]:
    """The HTTP middleware applying the next queued network fault of the feed asked."""

    async def network_faults(request: Request, call_next) -> Response:
        feed = feed_of(request.url.path)
        kind = faults.take(feed, NETWORK_FAULTS) if feed else None
        if kind is None:
            return await call_next(request)
        if kind == FaultKind.TIMEOUT:
            await asyncio.sleep(faults.delay_s)
            return await call_next(request)
        if kind in _BEFORE:
            if kind == FaultKind.UNAUTHORIZED:
                revoke_tokens()  # as if every token had expired
            return _BEFORE[kind]()
        return await _broken_body(await call_next(request), kind)

    return network_faults


async def _broken_body(response: Any, kind: FaultKind) -> Response:
    """Half of the real answer: as a short body (truncated) or a dropped connection (reset)."""
    body = b"".join([chunk async for chunk in response.body_iterator])
    if kind == FaultKind.TRUNCATED:
        return Response(body[: len(body) // 2], response.status_code, media_type="application/json")

    async def reset():  # half the body, then the connection drops
        yield body[: len(body) // 2]
        raise ConnectionResetError("emulated connection reset")

    return StreamingResponse(
        reset(),
        response.status_code,
        media_type="application/json",
        headers={"content-length": str(len(body))},
    )


def spoil(rows: list[list[Any]], kind: FaultKind, at_s: int) -> list[list[Any]]:
    """OpenSky rows with one kind of damage applied to every other row.

    >>> spoil([[0, 1, 2, 3, 4, 5.0], [0]], FaultKind.DUPLICATES, 0)
    [[0, 1, 2, 3, 4, 5.0], [0, 1, 2, 3, 4, 5.0], [0]]
    """
    out = []
    for i, row in enumerate(rows):
        row = list(row)
        if i % 2 == 0:
            if kind == FaultKind.WRONG_TYPES:
                row[6] = str(row[6])
                row[8] = "false"
            elif kind == FaultKind.NAN:
                row[5] = float("nan")
            elif kind == FaultKind.STALE:
                row[3] = row[4] = at_s - 3600
            elif kind == FaultKind.DUPLICATES:
                out.append(list(row))
        out.append(row)
    return out
