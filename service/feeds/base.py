"""What every feed client shares: one HTTP exchange, its errors, its recording, its counters.

Every failure a feed can produce — timeout, reset, 4xx/5xx, 429, a body that is
not JSON — becomes one :class:`FeedError` with a one-line reason, so the
scheduler logs it, records it in feed health and carries on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

log = logging.getLogger("firwatch.feeds")

Clock = Callable[[], datetime]
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


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from ``X-Rate-Limit-Retry-After-Seconds`` (OpenSky) or ``Retry-After``.

    >>> retry_after(httpx.Response(429, headers={"Retry-After": "30"}))
    30.0
    >>> retry_after(httpx.Response(429)) is None
    True
    """
    for name in ("x-rate-limit-retry-after-seconds", "retry-after"):
        value = response.headers.get(name)
        if value:
            try:
                return max(0.0, float(value))
            except ValueError:
                continue
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
) -> tuple[httpx.Response, Any]:
    """One HTTP exchange returning the parsed JSON body; every failure is a :class:`FeedError`."""
    stats.requests += 1
    try:
        response = await http.request(
            method, url, params=params, headers=headers, json=json, data=data, timeout=timeout
        )
    except httpx.TimeoutException:
        return _fail(stats, FeedError(feed, f"timed out after {timeout:g} s ({url})"))
    except httpx.HTTPError as exc:
        return _fail(stats, FeedError(feed, f"{type(exc).__name__}: {exc or 'transport error'}"))
    stats.last_status = response.status_code
    if recorder is not None and record:
        request: dict[str, Any] = {"method": method, "url": url, "params": params or {}}
        if json is not None:
            request["json"] = json
        recorder(
            {
                "source": feed,
                "fetched_at": rfc3339(clock()),
                "request": request,
                "status": response.status_code,
                "headers": {k.lower(): v for k, v in response.headers.items()},
                "body": _body_for_record(response),
            }
        )
    if response.status_code == 429:
        wait = retry_after(response)
        return _fail(
            stats,
            FeedError(
                feed,
                "rate limited (429)" + (f", retry after {wait:g} s" if wait is not None else ""),
                status=429,
                retry_after_s=wait,
            ),
        )
    if response.status_code >= 400:
        snippet = response.text[:120].replace("\n", " ")
        return _fail(
            stats,
            FeedError(feed, f"HTTP {response.status_code}: {snippet}", status=response.status_code),
        )
    try:
        body = response.json()
    except ValueError:
        return _fail(stats, FeedError(feed, "response body is not valid JSON"))
    stats.last_error = None
    return response, body


def _fail(stats: FeedStats, error: FeedError):
    stats.failures += 1
    stats.last_error = str(error)
    raise error
