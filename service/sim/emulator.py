"""The feed emulator: one loopback HTTP server speaking each feed's wire format.

OpenSky (``/api/states/all`` with OAuth2 tokens, credits and 429s), ADS-B Exchange v2
(``/v2/point/...``, jv2 envelope), adsb.lol routes (``/api/0/routeset``) and the FAA
NOTAM API (``/notamapi/v1/notams``, header credentials, pages), all answered from a
scenario at the scenario clock's time.  ``/_emulator/clock`` and
``/_emulator/truth`` let tests and the demo drive time and read what really happened.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import math
import os
import random
import secrets
import threading
import time
from datetime import datetime
from typing import Annotated, Any

import uvicorn
from fastapi import FastAPI, Form, Header, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel

from service.domain import ensure_utc
from service.feeds.opensky import area_cost
from service.geo.geodesy import bearing_deg, distance_km
from service.sim.clock import ScenarioClock
from service.sim.scenario import Scenario, load_scenario

FT_PER_M = 3.28084
KT_PER_MS = 1.943844
KM_PER_NM = 1.852
ANONYMOUS_CREDITS = 400
USER_CREDITS = 4000
TOKEN_LIFETIME_S = 1800
DEMO_CREDENTIAL = "firwatch-demo"


NETWORK_FAULTS = {"timeout", "reset", "5xx", "429", "401", "malformed_json", "truncated"}
DATA_FAULTS = {"wrong_types", "nan", "duplicates", "stale"}
FEED_PATHS = {
    "opensky": "/api/states/",
    "adsbx": "/v2/",
    "faa_notam": "/notamapi/",
    "routes": "/api/0/routeset",
}


class FaultRequest(BaseModel):
    """Faults the next requests of one feed will meet, in order."""

    feed: str
    kinds: list[str]
    delay_s: float = 30.0


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, list[str]] = {}
        self.delay_s = 30.0

    def add(self, feed: str, kinds: list[str]) -> None:
        unknown = [k for k in kinds if k not in NETWORK_FAULTS | DATA_FAULTS]
        if feed not in FEED_PATHS or unknown:
            raise ValueError(f"unknown feed {feed!r} or faults {unknown}")
        with self._lock:
            self._queues.setdefault(feed, []).extend(kinds)

    def take(self, feed: str, kinds: set[str]) -> str | None:
        with self._lock:
            queue = self._queues.get(feed) or []
            if queue and queue[0] in kinds:
                return queue.pop(0)
        return None


class ClockUpdate(BaseModel):
    now: datetime | None = None
    speed: float | None = None


class _Credits:
    """Per-bucket daily credits, refilled when the scenario's UTC day changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: dict[tuple[str, str], int] = {}

    def spend(self, bucket: str, day: str, cost: int, limit: int) -> int | None:
        with self._lock:
            used = self._used.get((bucket, day), 0)
            if used + cost > limit:
                return None
            self._used[(bucket, day)] = used + cost
            return limit - used - cost


def _padded(callsign: str) -> str:
    return callsign.ljust(8)[:8]


def create_emulator_app(
    scenario: Scenario,
    clock: ScenarioClock,
    *,
    faa_client_id: str | None = None,
    faa_client_secret: str | None = None,
    opensky_client_id: str | None = None,
    opensky_client_secret: str | None = None,
) -> FastAPI:
    app = FastAPI(title=f"firwatch feed emulator: {scenario.name}", docs_url="/_emulator/docs")
    tokens: dict[str, float] = {}
    credits = _Credits()
    faults = Faults()
    app.state.faults = faults

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(request: Request, exc: RequestValidationError) -> Response:
        """A malformed parameter: OpenSky (a Java server) answers 400 with a short text, the
        FAA API 400 with a JSON error; adsb.lol is FastAPI and answers 422 as FastAPI does."""
        where = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors())
        if request.url.path.startswith("/api/states/"):
            return Response(f"Bad Request: invalid parameter ({where})", 400,
                            media_type="text/plain")  # fmt: skip
        if request.url.path.startswith("/notamapi/"):
            return JSONResponse({"error": f"Invalid request parameter: {where}"}, 400)
        return JSONResponse({"detail": jsonable_encoder(exc.errors())}, 422)

    @app.middleware("http")
    async def network_faults(request: Request, call_next):
        """Timeouts, resets, 5xx, 429, 401, broken bodies: what real feeds do now and then."""
        feed = next(
            (f for f, prefix in FEED_PATHS.items() if request.url.path.startswith(prefix)), None
        )
        kind = faults.take(feed, NETWORK_FAULTS) if feed else None
        if kind is None:
            return await call_next(request)
        if kind == "timeout":
            await asyncio.sleep(faults.delay_s)
            return await call_next(request)
        if kind == "5xx":
            return Response(
                "<html><body>502 Bad Gateway</body></html>", 502, media_type="text/html"
            )
        if kind == "429":
            return Response(
                status_code=429,
                headers={"Retry-After": "30", "X-Rate-Limit-Retry-After-Seconds": "30"},
            )
        if kind == "401":
            tokens.clear()  # as if every token had expired
            return Response(status_code=401)
        if kind == "malformed_json":
            return Response(
                '{"time": 1763740000, "states": [["abc", ', 200, media_type="application/json"
            )
        response = await call_next(request)
        body = b"".join([chunk async for chunk in response.body_iterator])
        if kind == "truncated":
            return Response(
                body[: len(body) // 2], response.status_code, media_type="application/json"
            )

        async def reset():  # half the body, then the connection drops
            yield body[: len(body) // 2]
            raise ConnectionResetError("emulated connection reset")

        return StreamingResponse(reset(), response.status_code, media_type="application/json",
                                 headers={"content-length": str(len(body))})  # fmt: skip

    # -- OpenSky ---------------------------------------------------------------------
    @app.post("/auth/realms/opensky-network/protocol/openid-connect/token")
    def token(
        grant_type: Annotated[str, Form()] = "",
        client_id: Annotated[str, Form()] = "",
        client_secret: Annotated[str, Form()] = "",
    ) -> JSONResponse:
        if grant_type != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if opensky_client_id is None or (client_id, client_secret) != (
            opensky_client_id,
            opensky_client_secret,
        ):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Invalid client credentials"},
                status_code=401,
            )
        value = secrets.token_urlsafe(32)
        tokens[value] = time.monotonic() + TOKEN_LIFETIME_S
        return JSONResponse(
            {"access_token": value, "expires_in": TOKEN_LIFETIME_S, "refresh_expires_in": 0,
             "token_type": "Bearer", "not-before-policy": 0, "scope": "profile email"}
        )  # fmt: skip

    @app.get("/api/states/all")
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
        bucket = "anonymous"
        limit = ANONYMOUS_CREDITS
        if authorization:
            value = authorization.removeprefix("Bearer ").strip()
            expires = tokens.get(value)
            if expires is None or expires < time.monotonic():
                return Response(status_code=401)
            bucket, limit = f"token:{value[:8]}", USER_CREDITS
        if scenario.in_outage(clock.now()):
            return Response("Service Unavailable", 503)
        box = (lamin, lomin, lamax, lomax)
        if any(v is None for v in box) and any(v is not None for v in box):
            return Response("Bad Request: lamin, lomin, lamax and lomax go together", 400)
        now = clock.now()
        cost = area_cost(*box) if None not in box else 4  # type: ignore[arg-type]
        remaining = credits.spend(bucket, now.date().isoformat(), cost, limit)
        if remaining is None:
            seconds_left = 86400 - (now.hour * 3600 + now.minute * 60 + now.second)
            return Response(
                status_code=429, headers={"X-Rate-Limit-Retry-After-Seconds": str(seconds_left)}
            )
        step = 10 if bucket == "anonymous" else 5
        at_s = int(now.timestamp()) // step * step
        if time_ and bucket != "anonymous":  # anonymous users always get the latest data
            if time_ < at_s - 3600:
                return Response("Bad Request: time is more than an hour in the past", 400)
            at_s = min(at_s, time_ // step * step)
        at = datetime.fromtimestamp(at_s, now.tzinfo)
        rows = []
        wanted = {h.strip().lower() for h in icao24 or []}
        for flight, s in scenario.states_at(at):
            if None not in box and not (lamin <= s["lat"] <= lamax and lomin <= s["lon"] <= lomax):  # type: ignore[operator]
                continue
            if wanted and flight.icao24 not in wanted:
                continue
            speed = s["speed_kt"] / KT_PER_MS if s["speed_kt"] is not None else None
            row = [
                flight.icao24, _padded(flight.callsign), flight.country, at_s, at_s,
                round(s["lon"], 4), round(s["lat"], 4),
                None if s["on_ground"] else round(s["altitude_ft"] / FT_PER_M, 2),
                s["on_ground"], round(speed, 2) if speed is not None else None, s["track_deg"],
                0.0, None,
                None if s["on_ground"] else round(s["altitude_ft"] / FT_PER_M + 60, 2),
                "2000", False, 0,
            ]  # fmt: skip
            if extended:
                row.append(4)
            rows.append(row)
        rows = _noisy(rows, scenario.variant.noise, at_s)
        data_fault = faults.take("opensky", DATA_FAULTS)
        if data_fault and rows:
            rows = _spoil(rows, data_fault, at_s)
        body = {"time": at_s, "states": rows or None}
        text = json.dumps(body, allow_nan=True)  # NaN is what a broken upstream sends
        return Response(text, media_type="application/json",
                        headers={"X-Rate-Limit-Remaining": str(remaining)})  # fmt: skip

    # -- ADS-B Exchange v2 (adsb.lol) ----------------------------------------------------------
    def _point(lat: float, lon: float, radius: float) -> JSONResponse:
        errors = []
        for name, value, low, high in (("lat", lat, -90, 90), ("lon", lon, -180, 180),
                                       ("radius", radius, 0, 250)):  # fmt: skip
            if not low <= value <= high:
                errors.append(
                    {
                        "type": "less_than_equal" if value > high else "greater_than_equal",
                        "loc": ["path", name],
                        "msg": f"Input should be between {low} and {high}",
                        "input": str(value),
                    }
                )
        if errors:
            return JSONResponse({"detail": errors}, status_code=422)
        started = time.perf_counter()
        now = clock.now()
        if scenario.in_outage(now):
            return JSONResponse({"error": "upstream unavailable"}, 503)
        radius_km = int(radius) * KM_PER_NM
        aircraft = []
        for flight, s in scenario.states_at(now):
            d_km = distance_km(lon, lat, s["lon"], s["lat"])
            if d_km > radius_km:
                continue
            ac: dict[str, Any] = {
                "hex": flight.icao24, "type": "adsb_icao", "flight": _padded(flight.callsign),
                "alt_baro": "ground" if s["on_ground"] else int(s["altitude_ft"]),
            }  # fmt: skip
            if not s["on_ground"]:
                ac["alt_geom"] = int(s["altitude_ft"]) + 200
            ac["gs"] = s["speed_kt"]
            if s["track_deg"] is not None:
                ac["track"] = s["track_deg"]
            ac.update(
                {
                    "squawk": "2000",
                    "emergency": "none",
                    "category": "A3",
                    "lat": round(s["lat"], 6),
                    "lon": round(s["lon"], 6),
                    "nic": 8,
                    "rc": 186,
                    "seen_pos": 0.0,
                    "version": 2,
                    "mlat": [],
                    "tisb": [],
                    "messages": 1000,
                    "seen": 0.0,
                    "rssi": -20.5,
                    "dst": round(d_km / KM_PER_NM, 3),
                    "dir": round(bearing_deg(lon, lat, s["lon"], s["lat"]), 1),
                }
            )
            aircraft.append(ac)
        aircraft = _noisy(aircraft, scenario.variant.noise, int(now.timestamp()))
        now_ms = int(now.timestamp() * 1000)
        ptime = round((time.perf_counter() - started) * 1000)
        return JSONResponse(
            {
                "ac": aircraft,
                "msg": "No error",
                "now": now_ms,
                "total": len(aircraft),
                "ctime": now_ms,
                "ptime": ptime,
            }
        )

    @app.get("/v2/point/{lat}/{lon}/{radius}")
    def point(lat: float, lon: float, radius: float) -> JSONResponse:
        return _point(lat, lon, radius)

    @app.get("/v2/lat/{lat}/lon/{lon}/dist/{radius}")
    def point_alias(lat: float, lon: float, radius: float) -> JSONResponse:
        return _point(lat, lon, radius)

    @app.post("/api/0/routeset")
    async def routeset(request: Request) -> Response:
        try:
            body = await request.json()
            planes = body["planes"]
            assert isinstance(planes, list)
        except Exception:
            return JSONResponse(
                {
                    "detail": [
                        {"type": "missing", "loc": ["body", "planes"], "msg": "Field required"}
                    ]
                },
                status_code=422,
            )
        if not 1 <= len(planes) <= 100:
            return Response(status_code=400)
        answers: dict[str, dict[str, Any]] = {}
        for plane in planes:
            callsign = str(plane.get("callsign", "")) if isinstance(plane, dict) else ""
            if callsign in answers:
                continue
            flight = scenario.flight_by_callsign(callsign)
            if flight is None:
                answers[callsign] = {
                    "_airports": [],
                    "airport_codes": "unknown",
                    "callsign": callsign,
                }
                continue
            airports = []
            for code in (flight.origin, flight.destination):
                a = scenario.airports.get(code)
                airports.append(
                    {
                        "alt_feet": a.elevation_ft,
                        "alt_meters": round(a.elevation_ft / FT_PER_M, 2),
                        "countryiso2": a.country,
                        "iata": a.iata,
                        "icao": a.icao,
                        "lat": a.lat,
                        "location": a.city,
                        "lon": a.lon,
                        "name": a.name,
                    }
                )
            answers[callsign] = {
                "_airport_codes_iata": f"{airports[0]['iata']}-{airports[1]['iata']}",
                "_airports": airports, "airline_code": callsign[:3],
                "airport_codes": f"{flight.origin}-{flight.destination}", "callsign": callsign,
                "number": callsign[3:], "plausible": True,
            }  # fmt: skip
        return JSONResponse([dict(sorted(a.items())) for a in answers.values()])

    # -- FAA NOTAM API -----------------------------------------------------------------------
    @app.get("/notamapi/v1/notams")
    def notams(
        request: Request,
        icaoLocation: str | None = None,
        classification: str | None = None,
        notamNumber: str | None = None,
        effectiveStartDate: str | None = None,
        effectiveEndDate: str | None = None,
        lastUpdatedDate: str | None = None,
        locationLatitude: float | None = None,
        locationLongitude: float | None = None,
        locationRadius: float | None = None,
        pageSize: Annotated[int, Query()] = 50,
        pageNum: Annotated[int, Query()] = 1,
    ) -> JSONResponse:
        if faa_client_id is not None and (
            request.headers.get("client_id") != faa_client_id
            or request.headers.get("client_secret") != faa_client_secret
        ):
            return JSONResponse({"message": "Unauthorized", "http_status_code": 401}, 401)
        if not 1 <= pageSize <= 1000 or pageNum < 1:
            return JSONResponse({"error": "pageSize must be 1..1000 and pageNum >= 1"}, 400)
        if locationRadius is not None and not 0 < locationRadius <= 100:
            return JSONResponse({"error": "locationRadius must be at most 100"}, 400)
        now = clock.now()
        items = []
        for item in scenario.visible_notams(now):
            n = item["properties"]["coreNOTAMData"]["notam"]
            if icaoLocation and icaoLocation.upper() not in (n["icaoLocation"], n["affectedFIR"]):
                continue
            if classification and classification.upper() != n["classification"]:
                continue
            if notamNumber and notamNumber.upper() != n["number"]:
                continue
            if lastUpdatedDate and n["lastUpdated"] < _faa_time(lastUpdatedDate):
                continue
            if effectiveEndDate and n["effectiveStart"] > _faa_time(effectiveEndDate):
                continue
            if effectiveStartDate and n["effectiveEnd"] < _faa_time(effectiveStartDate):
                continue
            if (
                locationRadius is not None
                and locationLatitude is not None
                and locationLongitude is not None
            ):
                if "coordinates" not in n:
                    continue
                lon, lat = _q_centre(n["coordinates"])
                if (
                    distance_km(locationLongitude, locationLatitude, lon, lat)
                    > locationRadius * KM_PER_NM
                ):
                    continue
            items.append({k: v for k, v in item.items() if not k.startswith("_")})
        total = len(items)
        pages = math.ceil(total / pageSize) if total else 0
        page = items[(pageNum - 1) * pageSize : pageNum * pageSize]
        return JSONResponse(
            {
                "pageSize": pageSize,
                "pageNum": pageNum,
                "totalCount": total,
                "totalPages": pages,
                "items": page,
            }
        )

    # -- control ---------------------------------------------------------------------------
    @app.get("/_emulator/clock")
    def get_clock() -> dict[str, Any]:
        return {"now": clock.now().isoformat(), "start": clock.start.isoformat(),
                "end": clock.end.isoformat(), "speed": clock.speed, "done": clock.done}  # fmt: skip

    @app.post("/_emulator/clock")
    def set_clock(update: ClockUpdate) -> dict[str, Any]:
        if update.now is not None:
            if update.now.tzinfo is None:
                return JSONResponse({"error": "now needs a time zone"}, 422)  # type: ignore[return-value]
            clock.set(ensure_utc(update.now))
        if update.speed is not None:
            clock.speed = update.speed
        return get_clock()

    @app.post("/_emulator/faults")
    def add_faults(request_: FaultRequest) -> dict[str, Any]:
        try:
            faults.add(request_.feed, request_.kinds)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, 422)  # type: ignore[return-value]
        faults.delay_s = request_.delay_s
        return {"queued": request_.kinds, "feed": request_.feed}

    @app.get("/_emulator/truth")
    def truth() -> dict[str, Any]:
        return scenario.truth()

    return app


def _noisy(rows: list[Any], share: float, seed: int) -> list[Any]:
    """Drop ``share`` of the rows, repeat a few and shuffle the order (a flaky receiver network).

    >>> len(_noisy(list(range(100)), 0.0, 1))
    100
    """
    if share <= 0:
        return rows
    rng = random.Random(seed)
    kept = [r for r in rows if rng.random() >= share]
    kept += [r for r in kept if rng.random() < share / 2]
    rng.shuffle(kept)
    return kept


def _spoil(rows: list[list[Any]], kind: str, at_s: int) -> list[list[Any]]:
    """OpenSky rows with one kind of damage applied to every other row."""
    out = []
    for i, row in enumerate(rows):
        row = list(row)
        if i % 2 == 0:
            if kind == "wrong_types":
                row[6] = str(row[6])
                row[8] = "false"
            elif kind == "nan":
                row[5] = float("nan")
            elif kind == "stale":
                row[3] = row[4] = at_s - 3600
            elif kind == "duplicates":
                out.append(list(row))
        out.append(row)
    return out


def _faa_time(value: str) -> str:
    """An ISO date-time parameter in the items' own string format, for comparisons."""
    at = ensure_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _q_centre(value: str) -> tuple[float, float]:
    lat = int(value[0:2]) + int(value[2:4]) / 60
    lat = -lat if value[4] == "S" else lat
    lon = int(value[5:8]) + int(value[8:10]) / 60
    lon = -lon if value[10] == "W" else lon
    return lon, lat


def run_emulator(
    scenario_name: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8900,
    speed: float = 600.0,
    start: datetime | None = None,
) -> None:
    """Serve the emulator until interrupted (loopback addresses only)."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ValueError(f"the emulator binds to loopback addresses only, not {host}")
    scenario = load_scenario(scenario_name)
    clock = ScenarioClock(scenario.start, scenario.end, speed=speed)
    clock.set(start or scenario.start)
    cred = os.environ.get("FIRWATCH_EMULATOR_CLIENT_ID", DEMO_CREDENTIAL)
    secret = os.environ.get("FIRWATCH_EMULATOR_CLIENT_SECRET", DEMO_CREDENTIAL)
    app = create_emulator_app(
        scenario, clock, faa_client_id=cred, faa_client_secret=secret,
        opensky_client_id=cred, opensky_client_secret=secret,
    )  # fmt: skip
    uvicorn.run(app, host=host, port=port, log_level="warning")
