"""Callsign → scheduled route from adsb.lol's routeset (``POST /api/0/routeset``).

Look-ups are batched (at most 100 planes a request, the server's limit) and each answer,
a route or "unknown", is cached for ``feeds.routes.cache_s``, so a callsign is asked about
once per TTL rather than on every poll.  :class:`CallsignRouteCache` is the one cache of
answers: the client fills it and the detection engine reads it, so an answer expires for
both at once, on the client's clock (the data clock wherever time is simulated).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

from cachetools import Cache, TTLCache

from service.domain import FeedName, Route
from service.feeds.base import FeedClient, request_json

FEED = FeedName.ROUTES.value
CHUNK = 100
MAX_CALLSIGNS = 50_000
_UNASKED: Any = object()


class CallsignRouteCache(TTLCache[str, "Route | None"]):
    """Callsign → route (None: the source does not know it), each answer for ``ttl_s``
    seconds of ``timer``: a ``cachetools.TTLCache`` whose reads skip the clock.

    Reads see the cache as of its last sweep (every write sweeps, and so does :meth:`expire`,
    which the engine calls once a snapshot before it lists the callsigns to look up): a
    global snapshot's 12,000 reads are then plain dictionary look-ups instead of 12,000
    readings of the clock.  Writes and sweeps hold a lock; reads need none, as they change
    nothing (the poller writes from the event loop while detection reads from its thread).

    >>> now = [0.0]
    >>> cache = CallsignRouteCache(ttl_s=1200, timer=lambda: now[0])
    >>> cache["KLM1"] = Route("KLM1", "EHAM", "TNCC"); cache["X1"] = None
    >>> now[0] = 1199.0; swept = cache.expire(); "KLM1" in cache, cache.get("X1", "?") is None
    (True, True)
    >>> now[0] = 1200.0; swept = cache.expire(); "KLM1" in cache, len(cache), len(swept)
    (False, 0, 2)
    """

    def __init__(self, *, ttl_s: float, timer: Callable[[], float], maxsize: int = MAX_CALLSIGNS):
        super().__init__(maxsize, ttl_s, timer=timer)
        self._lock = threading.RLock()  # a write sweeps: the lock is taken again inside
        # answers written so far: a callsign that had no route cannot have one until this
        # moves (expiry only removes), so detection need not ask again (see engine)
        self.writes = 0

    __contains__ = Cache.__contains__  # type: ignore[assignment]
    __getitem__ = Cache.__getitem__  # type: ignore[assignment]

    def get(self, callsign: str, default: Any = None) -> Any:  # type: ignore[override]
        try:
            return Cache.__getitem__(self, callsign)
        except KeyError:
            return default

    def __setitem__(self, callsign: str, route: Route | None) -> None:
        with self._lock:
            super().__setitem__(callsign, route)
            self.writes += 1

    def __delitem__(self, callsign: str) -> None:
        with self._lock:
            super().__delitem__(callsign)

    def expire(self, time: float | None = None) -> Any:
        """Drop every answer older than the TTL (one reading of the clock); returns them."""
        with self._lock:
            return super().expire(time)


def _leg_distance(lat: float, lon: float, a: dict[str, Any], b: dict[str, Any]) -> float:
    """Rough distance (degrees) from a point to the segment a→b; enough to pick a leg."""
    ax, ay, bx, by = a["lon"], a["lat"], b["lon"], b["lat"]
    scale = math.cos(math.radians(lat))
    px, py = (lon - ax) * scale, lat - ay
    dx, dy = (bx - ax) * scale, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, (px * dx + py * dy) / length2))
    return math.hypot(px - t * dx, py - t * dy)


def route_from_answer(answer: dict[str, Any], lat: float, lon: float) -> Route | None:
    """A routeset object → Route; for multi-leg routes the leg nearest the aircraft.

    >>> route_from_answer({"callsign": "KLM1", "airport_codes": "EHAM-TNCC"}, 0, 0)
    Route(callsign='KLM1', origin='EHAM', destination='TNCC', source='routeset')
    >>> airports = [{"icao": "EHAM", "lat": 52.3, "lon": 4.8}, {"icao": "TNCA", "lat": 12.5,
    ...     "lon": -70.0}, {"icao": "TNCC", "lat": 12.2, "lon": -68.9}]
    >>> route_from_answer({"callsign": "KLM2", "airport_codes": "EHAM-TNCA-TNCC",
    ...     "_airports": airports}, 12.3, -69.5).destination
    'TNCC'
    >>> route_from_answer({"callsign": "X", "airport_codes": "unknown"}, 0, 0) is None
    True
    """
    codes = str(answer.get("airport_codes") or "unknown")
    callsign = str(answer.get("callsign", "")).strip().upper()
    if codes == "unknown" or "-" not in codes:
        return None
    legs = codes.split("-")
    if len(legs) == 2:
        return Route(callsign, legs[0], legs[1])
    airports = {a.get("icao"): a for a in answer.get("_airports") or [] if isinstance(a, dict)}
    best: tuple[float, int] | None = None
    for i in range(len(legs) - 1):
        a, b = airports.get(legs[i]), airports.get(legs[i + 1])
        if a is None or b is None:
            continue
        d = _leg_distance(lat, lon, a, b)
        if best is None or d < best[0]:
            best = (d, i)
    if best is None:
        return Route(callsign, legs[0], legs[-1])
    return Route(callsign, legs[best[1]], legs[best[1] + 1])


class RouteClient(FeedClient):
    feed = FEED

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.cache = CallsignRouteCache(
            ttl_s=self.settings.cache_s, timer=lambda: self.clock().timestamp()
        )

    async def lookup(self, planes: list[tuple[str, float, float]]) -> dict[str, Route | None]:
        """Routes of the planes' callsigns: cached answers, the rest asked in chunks."""
        out: dict[str, Route | None] = {}
        self.cache.expire()
        # callsign -> (callsign, lat, lon) of its first plane: a dict keeps this linear (a set
        # rebuilt per callsign made a first global poll of 12,000 callsigns take 5.8 s)
        pending: dict[str, tuple[str, float, float]] = {}
        for callsign, lat, lon in planes:
            key = callsign.strip().upper()
            cached = self.cache.get(key, _UNASKED)
            if cached is not _UNASKED:
                out[key] = cached
            elif key and key not in pending:
                pending[key] = (key, lat, lon)
        wanted = list(pending.values())
        url = self.settings.base_url.rstrip("/") + "/api/0/routeset"
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            body = {"planes": [{"callsign": c, "lat": lat, "lng": lon} for c, lat, lon in chunk]}
            _, answer = await request_json(
                self.http,
                FEED,
                "POST",
                url,
                json=body,
                stats=self.stats,
                clock=self.clock,
                timeout=self.settings.timeout_s,
                recorder=self.recorder,
            )
            by_callsign = {
                str(a.get("callsign", "")).strip().upper(): a
                for a in (answer if isinstance(answer, list) else [])
                if isinstance(a, dict)
            }
            for callsign, lat, lon in chunk:
                found = by_callsign.get(callsign)
                route = route_from_answer(found, lat, lon) if found else None
                self.cache[callsign] = route
                out[callsign] = route
        return out
