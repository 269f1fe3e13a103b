"""ADS-B Exchange v2-style APIs (adsb.lol, airplanes.live): ``/v2/point/{lat}/{lon}/{radius}``.

One request per configured circle; aircraft seen in several circles are merged
by address keeping the freshest report.  Keys are omitted when unknown, altitude
may be the string ``"ground"``, and ``~``-prefixed addresses are not ICAO
addresses (TIS-B track files) and are skipped.  Some circles failing gives a
snapshot marked incomplete, so detection never reads a hole as an empty sky.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from service.domain import FeedName, Position, Snapshot, from_unix
from service.feeds.base import FeedClient, FeedError, request_json

log = logging.getLogger("firwatch.feeds.adsbx")

FEED = FeedName.ADSBX.value


def _opt_num(obj: dict[str, Any], key: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key} is not a finite number: {value!r}")
    return float(value)


def parse_aircraft(obj: Any, now_s: float) -> Position | None:
    """One ``ac`` object → Position; None when it has no position or no ICAO address.

    >>> p = parse_aircraft({"hex": "406b2c", "flight": "BAW27   ", "alt_baro": 4975,
    ...     "gs": 212.4, "track": 268.1, "lat": 51.47, "lon": -0.30, "seen_pos": 0.4}, 1767225600.0)
    >>> p.callsign, p.altitude_ft, p.on_ground, p.observed_at.isoformat()
    ('BAW27', 4975.0, False, '2025-12-31T23:59:59.600000+00:00')
    >>> parse_aircraft({"hex": "~2a01f0", "lat": 1.0, "lon": 1.0}, 0.0) is None
    True
    """
    if not isinstance(obj, dict):
        raise ValueError("aircraft is not an object")
    hex_ = obj.get("hex")
    if not isinstance(hex_, str):
        raise ValueError("hex missing")
    if hex_.startswith("~"):
        return None
    lat, lon = _opt_num(obj, "lat"), _opt_num(obj, "lon")
    if lat is None or lon is None:
        return None
    alt = obj.get("alt_baro")
    on_ground = alt == "ground"
    altitude = 0.0 if on_ground else _opt_num(obj, "alt_baro")
    if altitude is None:
        altitude = _opt_num(obj, "alt_geom")
    age = _opt_num(obj, "seen_pos")
    if age is None:
        age = _opt_num(obj, "seen") or 0.0
    flight = obj.get("flight")
    return Position(
        icao24=hex_,
        callsign=flight if isinstance(flight, str) else None,
        observed_at=from_unix(now_s - age),
        lon=lon,
        lat=lat,
        altitude_ft=altitude,
        on_ground=on_ground,
        ground_speed_kt=_opt_num(obj, "gs"),
        track_deg=_opt_num(obj, "track"),
        source=FEED,
    )


class AdsbxClient(FeedClient):
    feed = FEED

    async def fetch(self) -> Snapshot:
        return await self.guarded(self._fetch)

    async def _fetch(self) -> Snapshot:
        merged: dict[str, Position] = {}
        rejected = skipped = failed = 0
        newest: float | None = None
        errors: list[str] = []
        for point in self.settings.points:
            url = (
                f"{self.settings.base_url.rstrip('/')}/v2/point/"
                f"{point.lat:g}/{point.lon:g}/{int(point.radius_nm)}"
            )
            try:
                _, body = await request_json(
                    self.http, FEED, "GET", url, stats=self.stats, clock=self.clock,
                    timeout=self.settings.timeout_s, recorder=self.recorder,
                )  # fmt: skip
                now_ms = body.get("now") if isinstance(body, dict) else None
                aircraft = body.get("ac", body.get("aircraft")) if isinstance(body, dict) else None
                if not isinstance(now_ms, int | float) or not isinstance(aircraft, list):
                    raise FeedError(FEED, "response lacks a numeric 'now' and an 'ac' list")
            except FeedError as exc:
                failed += 1
                errors.append(str(exc))
                continue
            now_s = now_ms / 1000.0
            newest = now_s if newest is None else max(newest, now_s)
            for obj in aircraft:
                try:
                    position = parse_aircraft(obj, now_s)
                except (ValueError, TypeError) as exc:
                    rejected += 1
                    log.debug("rejected aircraft %r: %s", obj, exc)
                    continue
                if position is None:
                    skipped += 1
                    continue
                known = merged.get(position.icao24)
                if known is None or position.observed_at > known.observed_at:
                    merged[position.icao24] = position
        if newest is None:
            raise FeedError(FEED, f"every query failed: {errors[0] if errors else 'no points'}")
        self.stats.rejected_last = rejected
        self.stats.rejected_total += rejected
        self.stats.skipped_last = skipped
        if failed:
            log.warning(
                "adsbx: %d of %d queries failed: %s", failed, len(self.settings.points), errors[0]
            )
        return Snapshot(
            source=FEED,
            fetched_at=from_unix(newest),
            positions=tuple(merged.values()),
            rejected=rejected,
            complete=failed == 0,
        )
