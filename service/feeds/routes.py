"""Callsign → scheduled route from adsb.lol's routeset (``POST /api/0/routeset``).

Look-ups are batched (at most 100 planes a request, the server's limit) and
cached per callsign like adsb.lol does itself: known routes for ``cache_s``,
unknown ones for a minute, so a callsign is asked about once per TTL rather
than on every poll.
"""

from __future__ import annotations

import math
import time
from typing import Any

from service.domain import FeedName, Route
from service.feeds.base import FeedClient, request_json

FEED = FeedName.ROUTES.value
CHUNK = 100
UNKNOWN_TTL_S = 60.0


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
        self._cache: dict[str, tuple[float, Route | None]] = {}

    async def lookup(self, planes: list[tuple[str, float, float]]) -> dict[str, Route | None]:
        now = time.monotonic()
        out: dict[str, Route | None] = {}
        # callsign -> (callsign, lat, lon) of its first plane: a dict keeps this linear (a set
        # rebuilt per callsign made a first global poll of 12,000 callsigns take 5.8 s)
        pending: dict[str, tuple[str, float, float]] = {}
        for callsign, lat, lon in planes:
            key = callsign.strip().upper()
            cached = self._cache.get(key)
            if cached is not None and cached[0] > now:
                out[key] = cached[1]
            elif key and key not in pending:
                pending[key] = (key, lat, lon)
        wanted = list(pending.values())
        url = self.settings.base_url.rstrip("/") + "/api/0/routeset"
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            body = {"planes": [{"callsign": c, "lat": lat, "lng": lon} for c, lat, lon in chunk]}
            _, answer = await request_json(
                self.http, FEED, "POST", url, json=body, stats=self.stats, clock=self.clock,
                timeout=self.settings.timeout_s, recorder=self.recorder,
            )  # fmt: skip
            by_callsign = {
                str(a.get("callsign", "")).strip().upper(): a
                for a in (answer if isinstance(answer, list) else [])
                if isinstance(a, dict)
            }
            for callsign, lat, lon in chunk:
                found = by_callsign.get(callsign)
                route = route_from_answer(found, lat, lon) if found else None
                ttl = self.settings.cache_s if route else UNKNOWN_TTL_S
                self._cache[callsign] = (now + ttl, route)
                out[callsign] = route
        return out
