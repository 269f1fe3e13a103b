"""A short-lived cache of rendered GET responses, answered before the framework runs.

Dashboards and status pages ask for the same few URLs every few seconds, while alerts and
statuses change at poll pace.  A route opts in by rendering through ``ResponseCache.respond``;
for up to ``api.cache_s`` seconds (1 by default) later requests for the same URL *with the
same credentials* are answered by ``CachedResponses`` from memory.  ``CachedResponses`` sits
inside the ``Guard`` middleware, so every hit has been authenticated (a revoked key is refused
at once, not after the entry expires), rate-limited and checked for its scope first.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from starlette.datastructures import Headers

from service.api.auth import presented_key

MAX_ENTRIES = 512


def cache_key(scope: dict[str, Any], key: str | None) -> str:
    """URL and (a digest of) the presented API key ``key``."""
    who = hashlib.blake2b(key.encode(), digest_size=8).hexdigest() if key else "-"
    return f"{scope['path']}?{scope['query_string'].decode('latin-1')}#{who}"


class ResponseCache:
    """Rendered bodies by ``cache_key``, fresh for ``ttl_s``, then refreshed by one request.

    When an entry expires, the first request for it goes down the full path to refresh it
    while concurrent ones keep getting the previous body (stale-while-revalidate, for at
    most another ``ttl_s``): without that, 50 clients arriving together would all miss at
    once and the burst of full renders is what the slowest responses would be made of.
    """

    def __init__(self, ttl_s: float):
        self.ttl_s = ttl_s
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._refreshing: dict[str, float] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        """The body to serve, or None: the caller takes the full path (and refreshes)."""
        if self.ttl_s <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            age = now - hit[0]
            if age < self.ttl_s:
                return hit[1]
            started = self._refreshing.get(key)
            if age < 2 * self.ttl_s and started is not None and now - started < self.ttl_s:
                return hit[1]  # someone is re-rendering it
            self._refreshing[key] = now
            return None

    def respond(self, request: Request, build: Callable[[], Any]) -> Response:
        """``build()`` rendered as JSON, and kept for the next ``ttl_s`` seconds."""
        value = build()
        try:  # the routes build plain JSON values; the encoder's deep walk is for the rest
            body = json.dumps(value, separators=(",", ":"), allow_nan=False).encode()
        except (TypeError, ValueError):
            body = json.dumps(jsonable_encoder(value), separators=(",", ":")).encode()
        if self.ttl_s > 0:
            key = cache_key(request.scope, presented_key(request.headers))
            with self._lock:
                self._entries[key] = (time.monotonic(), body)
                self._entries.move_to_end(key)
                self._refreshing.pop(key, None)
                while len(self._entries) > MAX_ENTRIES:
                    old, _ = self._entries.popitem(last=False)
                    self._refreshing.pop(old, None)
        return Response(body, media_type="application/json")


class CachedResponses:
    """ASGI middleware answering GETs from ``ResponseCache`` (everything else passes through)."""

    def __init__(self, app: Any, cache: ResponseCache):
        self.app = app
        self.cache = cache

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and self.cache.ttl_s > 0:
            key = presented_key(Headers(scope=scope))
            body = self.cache.get(cache_key(scope, key))
            if body is not None:
                headers = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-cache", b"hit"),
                ]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
