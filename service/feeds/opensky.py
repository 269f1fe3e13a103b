"""OpenSky Network REST: ``GET /states/all`` over a bounding box.

Rows are positional arrays (17 columns, 18 with ``extended=1``) in SI units;
they become :class:`Position` in feet and knots.  Authentication is OAuth2
client credentials (tokens cached until 30 s before expiry, refreshed once on a
401); without credentials the client is anonymous.  A 429 stops all calls until
the time the server named, because every further call would only burn credits.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import timedelta
from functools import lru_cache
from typing import Any

import httpx
import msgspec
import numpy as np

from service.domain import FeedName, Position, Snapshot, from_unix, normalize_icao24
from service.feeds.base import (
    FeedClient,
    FeedError,
    FeedStats,
    data_time,
    decode_json,
    parse_each,
    request_json,
)
from service.position_batch import PositionBatch

log = logging.getLogger("firwatch.feeds.opensky")

FEED = FeedName.OPENSKY.value
M_TO_FT = 3.28084
MS_TO_KT = 1.943844
TOKEN_EARLY_S = 30.0
WORLD = (-180.0, -90.0, 180.0, 90.0)  # lomin, lamin, lomax, lamax: a poll without a box


_NUMBER_TYPES = frozenset((int, float))  # by exact type: bool is an int but not a number here


def _num(value: Any) -> float | None:
    if value is None:
        return None
    if type(value) not in _NUMBER_TYPES:
        raise ValueError(f"not a number: {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"not finite: {value!r}")
    return float(value)


def parse_state(row: Any) -> Position | None:
    """One state vector → Position; None when it has no position; ValueError when malformed.

    >>> p = parse_state(["4b1814", "SWR12A  ", "Switzerland", 1767225599, 1767225600,
    ...     8.5492, 47.4581, 3345.18, False, 152.4, 276.3, -4.88, None, 3421.38, "1000",
    ...     False, 0])
    >>> p.callsign, round(p.altitude_ft), round(p.ground_speed_kt), p.lon
    ('SWR12A', 10975, 296, 8.5492)
    """
    if not isinstance(row, list) or len(row) < 17:
        raise ValueError("state vector is not a list of 17+ fields")
    icao24, callsign = row[0], row[1]
    if not isinstance(icao24, str) or not (callsign is None or isinstance(callsign, str)):
        raise ValueError("icao24/callsign of the wrong type")
    lon, lat = _num(row[5]), _num(row[6])
    if lon is None or lat is None:
        return None
    seen = _num(row[3]) or _num(row[4])
    if seen is None:
        raise ValueError("no time_position or last_contact")
    on_ground = row[8]
    if not isinstance(on_ground, bool):
        raise ValueError("on_ground is not a boolean")
    altitude_m = _num(row[7])
    if altitude_m is None:
        altitude_m = _num(row[13])
    speed, track = _num(row[9]), _num(row[10])
    return Position(
        icao24=icao24,
        callsign=callsign,
        observed_at=from_unix(seen),
        lon=lon,
        lat=lat,
        altitude_ft=altitude_m * M_TO_FT if altitude_m is not None else None,
        on_ground=on_ground,
        ground_speed_kt=speed * MS_TO_KT if speed is not None else None,
        track_deg=track,
        source=FEED,
    )


class StateRow(msgspec.Struct, array_like=True):
    """One state vector as msgspec decodes it: types checked in C, 17 or more columns."""

    icao24: str
    callsign: str | None
    origin_country: Any
    time_position: float | None
    last_contact: float | None
    longitude: float | None
    latitude: float | None
    baro_altitude: float | None
    on_ground: bool
    velocity: float | None
    true_track: float | None
    vertical_rate: Any
    sensors: Any
    geo_altitude: float | None
    squawk: Any
    spi: Any
    position_source: Any


class StatesBody(msgspec.Struct):
    time: float
    states: list[StateRow] | None = None


_STATES = msgspec.json.Decoder(StatesBody)


def decode_states(content: bytes) -> Any:
    """A ``/states/all`` body: typed (every row checked in one C pass) when every row is
    well formed, else the generic decode whose rows :func:`parse_state` judges one by one.

    >>> decode_states(b'{"time": 5, "states": null}')
    StatesBody(time=5.0, states=None)
    >>> decode_states(b'{"time": 5, "states": [["abc", true]]}')["states"]
    [['abc', True]]
    """
    try:
        return _STATES.decode(content)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return decode_json(content)


@lru_cache(maxsize=65536)
def _clean_callsign(callsign: str | None) -> str | None:
    """A callsign as :class:`Position` keeps it (cached: the same aircraft recur)."""
    return callsign.strip() or None if callsign is not None else None


def _typed_positions(rows: list[StateRow]) -> tuple[PositionBatch, int, int]:
    """Rows whose types msgspec already checked → a column batch; (batch, rejected, skipped).

    What is left after decoding is done per column, not per row: units, ranges and the
    observation time (converted once per distinct second) with numpy, the aircraft address
    through :func:`normalize_icao24`'s cache, and :class:`Position`'s own rules (a batch
    holds what a Position would accept, nothing else).  Numbers are finite here: msgspec
    refuses out-of-range numbers and ``NaN`` is not JSON, so a NaN column value is a null.
    """
    n = len(rows)
    lon = np.array([r.longitude for r in rows], dtype=float)
    lat = np.array([r.latitude for r in rows], dtype=float)
    has_fix = ~(np.isnan(lon) | np.isnan(lat))
    skipped = n - int(np.count_nonzero(has_fix))
    time_position = np.array([r.time_position for r in rows], dtype=float)
    last_contact = np.array([r.last_contact for r in rows], dtype=float)
    # ``time_position or last_contact``: a zero or null time_position falls back
    use_position = ~np.isnan(time_position) & (time_position != 0)
    seen = np.where(use_position, time_position, last_contact)
    ok = has_fix & ~np.isnan(seen)
    ok &= (lon >= -180.0) & (lon <= 180.0) & (lat >= -90.0) & (lat <= 90.0)
    seconds, inverse = np.unique(seen, return_inverse=True)
    times: list[Any] = []
    for value in seconds.tolist():
        try:
            times.append(None if value != value else from_unix(value))
        except (ValueError, OverflowError, OSError):
            times.append(None)
    observed = [times[k] for k in inverse.tolist()]
    baro = np.array([r.baro_altitude for r in rows], dtype=float)
    geo = np.array([r.geo_altitude for r in rows], dtype=float)
    altitude = np.where(np.isnan(baro), geo, baro) * M_TO_FT
    speed = np.array([r.velocity for r in rows], dtype=float) * MS_TO_KT
    addresses = [r.icao24 for r in rows]
    icao: list[str] | None = None
    if ok.all() and None not in observed:
        try:  # the usual poll: every row usable, no index lists needed
            icao = list(map(normalize_icao24, addresses))
        except ValueError:
            icao = None
    if icao is not None:
        keep: Any = slice(None)
        picked = rows
    else:
        keep, icao = [], []
        for i, (usable, address) in enumerate(zip(ok.tolist(), addresses, strict=True)):
            if not usable or observed[i] is None:
                continue
            try:
                icao.append(normalize_icao24(address))
            except ValueError:
                continue
            keep.append(i)
        picked = [rows[i] for i in keep]
        observed = [observed[i] for i in keep]
    rejected = n - skipped - len(picked)
    altitude_ft, speed_kt = altitude[keep].tolist(), speed[keep].tolist()
    batch = PositionBatch(
        icao,
        list(map(_clean_callsign, [r.callsign for r in picked])),
        observed,
        lon[keep].tolist(),
        lat[keep].tolist(),
        [None if a != a else a for a in altitude_ft],
        [r.on_ground for r in picked],
        [None if v != v else v for v in speed_kt],
        [r.true_track for r in picked],
        [FEED] * len(picked),
    )
    if rejected:
        log.debug("rejected %d state vectors (no time, a bad address or out of range)", rejected)
    return batch, rejected, skipped


def snapshot_from_states(
    body: Any, bbox: tuple[float, float, float, float] | None, stats: FeedStats | None = None
) -> Snapshot:
    """A ``/states/all`` answer → Snapshot; the one parser of live polls and replay.

    ``bbox`` (lomin, lamin, lomax, lamax) is the area the request covered; ``None`` means
    the request had no box, i.e. the whole world.
    """
    positions: Any
    if isinstance(body, StatesBody):
        time_s, rows = body.time, body.states or []
        positions, rejected, skipped = _typed_positions(rows)
    else:
        if not isinstance(body, dict) or type(body.get("time")) not in _NUMBER_TYPES:
            raise FeedError(FEED, "response is not an object with a numeric 'time'")
        time_s, rows = body["time"], body.get("states") or []
        if not isinstance(rows, list):
            raise FeedError(FEED, "'states' is neither a list nor null")
        positions, rejected, skipped = parse_each(rows, parse_state, "state")
    fetched_at = data_time(FEED, time_s, "time")
    if stats is not None:
        stats.count_rejected(rejected, skipped)
    if rejected:
        log.warning("opensky: %d malformed state vectors rejected", rejected)
    return Snapshot(
        source=FEED,
        fetched_at=fetched_at,
        positions=positions if isinstance(positions, PositionBatch) else tuple(positions),
        rejected=rejected,
        bbox=bbox if bbox is not None else WORLD,
    )


def area_cost(lamin: float, lomin: float, lamax: float, lomax: float) -> int:
    """Credits one /states/all call costs, by bounding-box area in square degrees.

    >>> area_cost(10, -70, 14, -66), area_cost(-10, -85, 27, -50)
    (1, 4)
    """
    area = abs(lamax - lamin) * abs(lomax - lomin)
    return 1 if area <= 25 else 2 if area <= 100 else 3 if area <= 400 else 4


class OpenSkyClient(FeedClient):
    feed = FEED

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._token: str | None = None
        self._token_expires = 0.0
        self._last_call: float | None = None

    @property
    def authenticated(self) -> bool:
        return bool(self.settings.client_id and self.settings.client_secret)

    async def _bearer(self, *, refresh: bool = False) -> dict[str, str]:
        if not self.authenticated:
            return {}
        if refresh or self._token is None or time.monotonic() >= self._token_expires:
            assert self.settings.client_id and self.settings.client_secret
            _, body = await request_json(
                self.http,
                FEED,
                "POST",
                self.settings.token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.settings.client_id.get_secret_value(),
                    "client_secret": self.settings.client_secret.get_secret_value(),
                },
                stats=self.stats,
                clock=self.clock,
                timeout=self.settings.timeout_s,
                record=False,  # the answer is a bearer token
            )
            token = body.get("access_token") if isinstance(body, dict) else None
            if not isinstance(token, str):
                raise FeedError(FEED, "token endpoint answered without an access_token")
            expires = body.get("expires_in", 1800)
            expires = float(expires) if isinstance(expires, int | float) else 1800.0
            self._token = token
            self._token_expires = time.monotonic() + max(0.0, expires - TOKEN_EARLY_S)
        return {"Authorization": f"Bearer {self._token}"}

    async def fetch(self) -> Snapshot:
        return await self.guarded(self._fetch)

    def budget_check(self) -> None:
        """Spread the credits left over the rest of the UTC day (they refill at midnight).

        While the configured interval fits the remaining credits nothing changes; when it
        does not, calls are spaced so that polling never runs dry before the day ends.
        """
        remaining = self.stats.credits_remaining
        if not self.settings.credit_budget or remaining is None or self._last_call is None:
            return
        b = self.settings.bbox
        cost = 4 if b is None else area_cost(b.lamin, b.lomin, b.lamax, b.lomax)
        now = self.clock()
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        seconds_left = (midnight - now).total_seconds()
        calls_left = remaining // cost
        if calls_left <= 0:
            raise FeedError(
                FEED,
                f"daily credits spent ({remaining} left); they refill at 00:00Z",
                status=429,
                retry_after_s=seconds_left,
            )
        if seconds_left / self.settings.interval_s * cost <= remaining:
            return
        gap = seconds_left / calls_left
        since = now.timestamp() - self._last_call
        if since < gap:
            raise FeedError(
                FEED,
                f"credit budget: {remaining} credits for {seconds_left / 3600:.1f} h, "
                f"one call every {gap:.0f} s; next in {gap - since:.0f} s",
            )

    async def _fetch(self) -> Snapshot:
        self.budget_check()
        b = self.settings.bbox
        # no box (watch.airspaces: all): the global call, 4 credits like any box over 400 sq deg
        world = b is None or b.is_world
        params = (
            {}
            if world
            else {"lamin": b.lamin, "lomin": b.lomin, "lamax": b.lamax, "lomax": b.lomax}
        )
        url = self.settings.base_url.rstrip("/") + "/states/all"
        response, body = await self._get(url, params)
        self._last_call = self.clock().timestamp()  # the budget runs on the feed's clock
        remaining = response.headers.get("x-rate-limit-remaining")
        if remaining is not None and remaining.strip().lstrip("-").isdigit():
            self.stats.credits_remaining = int(remaining)
        return self._snapshot(
            body, (-180.0, -90.0, 180.0, 90.0) if world else (b.lomin, b.lamin, b.lomax, b.lamax)
        )

    async def _get(self, url: str, params: dict[str, Any]) -> tuple[httpx.Response, Any]:
        headers = await self._bearer()
        common = {
            "stats": self.stats,
            "clock": self.clock,
            "timeout": self.settings.timeout_s,
            "recorder": self.recorder,
            "params": params,
        }
        try:
            return await request_json(
                self.http, FEED, "GET", url, headers=headers, decode=decode_states, **common
            )
        except FeedError as exc:
            if exc.status != 401 or not self.authenticated:
                raise
        headers = await self._bearer(refresh=True)  # expired or revoked token: once more
        return await request_json(
            self.http, FEED, "GET", url, headers=headers, decode=decode_states, **common
        )

    def _snapshot(self, body: Any, bbox: tuple[float, float, float, float]) -> Snapshot:
        return snapshot_from_states(body, bbox, self.stats)
