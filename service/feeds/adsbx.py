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
from service.feeds.base import (
    FeedClient,
    FeedError,
    FeedStats,
    data_time,
    parse_each,
    request_json,
)

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


Circle = tuple[float, float, float]  # lat, lon, radius_nm


def point_circle(path: str) -> Circle | None:
    """The circle of a point query's path (``/v2/point/{lat}/{lon}/{radius}`` or the
    ``/v2/lat/{lat}/lon/{lon}/dist/{radius}`` alias); None for any other query.

    >>> point_circle("/v2/point/12.2/-69/250"), point_circle("/v2/lat/8/lon/-66.5/dist/100")
    ((12.2, -69.0, 250.0), (8.0, -66.5, 100.0))
    >>> point_circle("/v2/mil") is None
    True
    """
    parts = path.rstrip("/").split("/")
    for marker, offsets in (("point", (1, 2, 3)), ("lat", (1, 3, 5))):
        if marker in parts:
            i = parts.index(marker)
            try:
                return tuple(float(parts[i + k]) for k in offsets)  # type: ignore[return-value]
            except (ValueError, IndexError):
                return None
    return None


def _merge_aircraft(
    aircraft: list[Any], now_s: float, merged: dict[str, Position]
) -> tuple[int, int]:
    """One answer's ``ac`` objects into ``merged`` (an aircraft keeps its freshest report);
    returns (rejected, skipped)."""
    positions, rejected, skipped = parse_each(
        aircraft, lambda obj: parse_aircraft(obj, now_s), "aircraft"
    )
    for position in positions:
        known = merged.get(position.icao24)
        if known is None or position.observed_at > known.observed_at:
            merged[position.icao24] = position
    return rejected, skipped


def snapshot_from_points(
    answers: list[tuple[Circle | None, Any]],
    errors: list[str],
    stats: FeedStats | None = None,
) -> Snapshot:
    """The bodies of one poll's point queries → one Snapshot (the parser of live polls and
    replay alike).  An aircraft in several circles keeps its freshest report; a query that
    failed (``errors``) or an answer that is not a jv2 envelope makes the snapshot incomplete.
    """
    merged: dict[str, Position] = {}
    rejected = skipped = 0
    newest: float | None = None
    circles: list[Circle] = []
    queries = len(answers) + len(errors)
    errors = list(errors)
    for circle, body in answers:
        now_ms = body.get("now") if isinstance(body, dict) else None
        aircraft = body.get("ac", body.get("aircraft")) if isinstance(body, dict) else None
        if (
            isinstance(now_ms, bool)
            or not isinstance(now_ms, int | float)
            or not math.isfinite(now_ms)
            or not isinstance(aircraft, list)
        ):
            errors.append(f"{FEED}: response lacks a numeric 'now' and an 'ac' list")
            continue
        now_s = now_ms / 1000.0
        newest = now_s if newest is None else max(newest, now_s)
        if circle is not None:
            circles.append(circle)
        answer_rejected, answer_skipped = _merge_aircraft(aircraft, now_s, merged)
        rejected += answer_rejected
        skipped += answer_skipped
    if newest is None:
        raise FeedError(FEED, f"every query failed: {errors[0] if errors else 'no points'}")
    fetched_at = data_time(FEED, newest, "now")
    if stats is not None:
        stats.count_rejected(rejected, skipped)
    if errors:
        log.warning("adsbx: %d of %d queries failed: %s", len(errors), queries, errors[0])
    bbox = None
    if len(circles) < len(answers) and merged:  # a query other than a circle: what it returned
        lons = [p.lon for p in merged.values()]
        lats = [p.lat for p in merged.values()]
        bbox = (min(lons), min(lats), max(lons), max(lats))
    return Snapshot(
        source=FEED,
        fetched_at=fetched_at,
        positions=tuple(merged.values()),
        rejected=rejected,
        complete=not errors,
        bbox=bbox,
        circles=tuple(circles),
    )


class AdsbxClient(FeedClient):
    feed = FEED

    async def fetch(self) -> Snapshot:
        return await self.guarded(self._fetch)

    async def _fetch(self) -> Snapshot:
        answers: list[tuple[Circle | None, Any]] = []
        errors: list[str] = []
        for point in self.settings.points:
            url = (
                f"{self.settings.base_url.rstrip('/')}/v2/point/"
                f"{point.lat:g}/{point.lon:g}/{int(point.radius_nm)}"
            )
            try:
                _, body = await request_json(
                    self.http,
                    FEED,
                    "GET",
                    url,
                    stats=self.stats,
                    clock=self.clock,
                    timeout=self.settings.timeout_s,
                    recorder=self.recorder,
                )
            except FeedError as exc:
                errors.append(str(exc))
                continue
            answers.append(((point.lat, point.lon, float(int(point.radius_nm))), body))
        return snapshot_from_points(answers, errors, self.stats)
