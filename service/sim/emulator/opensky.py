"""OpenSky's ``/api/states/all`` and its OAuth2 token endpoint, with OpenSky's own limits.

The credit table below is written from OpenSky's documentation (feeds.md §1.3), not taken
from firwatch's client, so a client that prices a call wrongly meets the emulator's 429 at
the time the real server would send it (``tests/sim`` checks that both tables agree).
"""

from __future__ import annotations

import enum
import json
import secrets
import threading
import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, Query
from fastapi.responses import JSONResponse, Response

from service.sim.emulator.faults import DATA_FAULTS, spoil
from service.sim.emulator.wire import FT_PER_M, KT_PER_MS, EmulatorState, noisy, padded

TOKEN_PATH = "/auth/realms/opensky-network/protocol/openid-connect/token"
TOKEN_LIFETIME_S = 1800
HISTORY_S = 3600  # authenticated users may ask up to an hour back


class Tier(enum.Enum):
    """Who is asking: daily /states/* credits and the time resolution of the answer."""

    ANONYMOUS = (400, 10)
    USER = (4000, 5)

    @property
    def daily_credits(self) -> int:
        return self.value[0]

    @property
    def step_s(self) -> int:
        return self.value[1]


# /states/all cost by the box's area (lat span x lon span, square degrees): the first row
# whose upper bound is not exceeded; larger boxes and calls without a box cost GLOBAL_COST
STATES_COST_BY_AREA: tuple[tuple[float, int], ...] = ((25.0, 1), (100.0, 2), (400.0, 3))
GLOBAL_COST = 4


def states_cost(box: tuple[float | None, ...]) -> int:
    """Credits one ``/states/all`` call costs (box = lamin, lomin, lamax, lomax or Nones).

    >>> states_cost((10, -70, 14, -66)), states_cost((0, 0, 10, 10)), states_cost((None,) * 4)
    (1, 2, 4)
    """
    if any(v is None for v in box):
        return GLOBAL_COST
    lamin, lomin, lamax, lomax = box
    area = abs(lamax - lamin) * abs(lomax - lomin)  # type: ignore[operator]
    return next((cost for bound, cost in STATES_COST_BY_AREA if area <= bound), GLOBAL_COST)


class Credits:
    """Per-bucket daily credits, refilled when the scenario's UTC day changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: dict[tuple[str, str], int] = {}

    def spend(self, bucket: str, day: str, cost: int, limit: int) -> int | None:
        """Credits left after this call, or None when the bucket cannot pay for it."""
        with self._lock:
            used = self._used.get((bucket, day), 0)
            if used + cost > limit:
                return None
            self._used[(bucket, day)] = used + cost
            return limit - used - cost


def opensky_router(
    state: EmulatorState, expected_id: str | None, expected_secret: str | None
) -> APIRouter:
    """Token endpoint and ``/api/states/all``; without ``expected_id`` no token is issued."""
    router = APIRouter()
    credits = Credits()

    _add_token_endpoint(router, state, expected_id, expected_secret)

    @router.get("/api/states/all")
    def states_all(
        lamin: float | None = None,
        lomin: float | None = None,
        lamax: float | None = None,
        lomax: float | None = None,
        extended: bool = False,  # OpenSky takes 1 or true (python-opensky sends "true")
        time_: Annotated[int | None, Query(alias="time")] = None,
        icao24: Annotated[list[str] | None, Query()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        caller = _caller(state, authorization)
        if caller is None:
            return Response(status_code=401)
        bucket, tier = caller
        now = state.clock.now()
        if state.scenario.in_outage(now):
            return Response("Service Unavailable", 503)
        box = (lamin, lomin, lamax, lomax)
        if any(v is None for v in box) and any(v is not None for v in box):
            return Response("Bad Request: lamin, lomin, lamax and lomax go together", 400)
        remaining = credits.spend(
            bucket, now.date().isoformat(), states_cost(box), tier.daily_credits
        )
        if remaining is None:
            seconds_left = 86400 - (now.hour * 3600 + now.minute * 60 + now.second)
            return Response(
                status_code=429, headers={"X-Rate-Limit-Retry-After-Seconds": str(seconds_left)}
            )
        at_s = int(now.timestamp()) // tier.step_s * tier.step_s
        if time_ and tier is Tier.USER:  # anonymous users always get the latest data
            if time_ < at_s - HISTORY_S:
                return Response("Bad Request: time is more than an hour in the past", 400)
            at_s = min(at_s, time_ // tier.step_s * tier.step_s)
        rows = _state_rows(state, at_s, box, {h.strip().lower() for h in icao24 or []}, extended)
        # allow_nan: a NaN fault sends what a broken upstream sends
        text = json.dumps({"time": at_s, "states": rows or None}, allow_nan=True)
        return Response(
            text, media_type="application/json", headers={"X-Rate-Limit-Remaining": str(remaining)}
        )

    return router


def _add_token_endpoint(
    router: APIRouter, state: EmulatorState, expected_id: str | None, expected_secret: str | None
) -> None:
    """OAuth2 client credentials (a Keycloak realm): a bearer token for 30 minutes."""

    @router.post(TOKEN_PATH)
    def token(
        grant_type: Annotated[str, Form()] = "",
        client_id: Annotated[str, Form()] = "",
        client_secret: Annotated[str, Form()] = "",
    ) -> JSONResponse:
        if grant_type != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if expected_id is None or (client_id, client_secret) != (expected_id, expected_secret):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Invalid client credentials"},
                status_code=401,
            )
        value = secrets.token_urlsafe(32)
        state.tokens[value] = time.monotonic() + TOKEN_LIFETIME_S
        return JSONResponse(
            {
                "access_token": value,
                "expires_in": TOKEN_LIFETIME_S,
                "refresh_expires_in": 0,
                "token_type": "Bearer",
                "not-before-policy": 0,
                "scope": "profile email",
            }
        )


def _caller(state: EmulatorState, authorization: str | None) -> tuple[str, Tier] | None:
    """(credit bucket, tier) of a request; None for an unknown or expired bearer token."""
    if not authorization:
        return "anonymous", Tier.ANONYMOUS
    value = authorization.removeprefix("Bearer ").strip()
    expires = state.tokens.get(value)
    if expires is None or expires < time.monotonic():
        return None
    return f"token:{value[:8]}", Tier.USER


def _state_rows(
    state: EmulatorState,
    at_s: int,
    box: tuple[float | None, ...],
    wanted: set[str],
    extended: bool,
) -> list[list[Any]]:
    """The scenario's state vectors at ``at_s`` inside the box, as OpenSky's positional rows."""
    lamin, lomin, lamax, lomax = box
    rows = []
    at = datetime.fromtimestamp(at_s, state.clock.now().tzinfo)
    for flight, s in state.scenario.states_at(at):
        if None not in box and not (lamin <= s["lat"] <= lamax and lomin <= s["lon"] <= lomax):  # type: ignore[operator]
            continue
        if wanted and flight.icao24 not in wanted:
            continue
        row = _state_row(flight, s, at_s)
        if extended:
            row.append(4)  # category: large
        rows.append(row)
    rows = noisy(rows, state.scenario.variant.noise, at_s)
    data_fault = state.faults.take("opensky", DATA_FAULTS)
    return spoil(rows, data_fault, at_s) if data_fault and rows else rows


def _state_row(flight: Any, s: dict[str, Any], at_s: int) -> list[Any]:
    """One state vector: 17 columns in SI units (metres, m/s)."""
    speed = s["speed_kt"] / KT_PER_MS if s["speed_kt"] is not None else None
    return [
        flight.icao24,
        padded(flight.callsign),
        flight.country,
        at_s,
        at_s,
        round(s["lon"], 4),
        round(s["lat"], 4),
        None if s["on_ground"] else round(s["altitude_ft"] / FT_PER_M, 2),
        s["on_ground"],
        round(speed, 2) if speed is not None else None,
        s["track_deg"],
        0.0,
        None,
        None if s["on_ground"] else round(s["altitude_ft"] / FT_PER_M + 60, 2),
        "2000",
        False,
        0,
    ]
