"""ADS-B Exchange v2 point queries as adsb.lol serves them (readsb's jv2 envelope)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from service.geo.geodesy import bearing_deg, distance_km
from service.sim.emulator.wire import KM_PER_NM, EmulatorState, noisy, padded

# adsb.lol validates these path parameters (FastAPI: 422 out of range); radius in NM
LIMITS = (("lat", -90, 90), ("lon", -180, 180), ("radius", 0, 250))


def adsbx_router(state: EmulatorState) -> APIRouter:
    """``/v2/point/{lat}/{lon}/{radius}`` and its alias ``/v2/lat/../lon/../dist/..``."""
    router = APIRouter()

    @router.get("/v2/point/{lat}/{lon}/{radius}")
    def point(lat: float, lon: float, radius: float) -> JSONResponse:
        return _point(state, lat, lon, radius)

    @router.get("/v2/lat/{lat}/lon/{lon}/dist/{radius}")
    def point_alias(lat: float, lon: float, radius: float) -> JSONResponse:
        return _point(state, lat, lon, radius)

    return router


def _out_of_range(lat: float, lon: float, radius: float) -> list[dict[str, Any]]:
    """FastAPI's validation errors for path parameters outside adsb.lol's limits."""
    errors = []
    for (name, low, high), value in zip(LIMITS, (lat, lon, radius), strict=True):
        if not low <= value <= high:
            errors.append(
                {
                    "type": "less_than_equal" if value > high else "greater_than_equal",
                    "loc": ["path", name],
                    "msg": f"Input should be between {low} and {high}",
                    "input": str(value),
                }
            )
    return errors


def _point(state: EmulatorState, lat: float, lon: float, radius: float) -> JSONResponse:
    errors = _out_of_range(lat, lon, radius)
    if errors:
        return JSONResponse({"detail": errors}, status_code=422)
    started = time.perf_counter()
    now = state.clock.now()
    if state.scenario.in_outage(now):
        return JSONResponse({"error": "upstream unavailable"}, 503)
    radius_km = int(radius) * KM_PER_NM  # adsb.lol truncates the radius
    aircraft = []
    for flight, s in state.scenario.states_at(now):
        d_km = distance_km(lon, lat, s["lon"], s["lat"])
        if d_km <= radius_km:
            aircraft.append(_aircraft(flight, s, d_km, bearing_deg(lon, lat, s["lon"], s["lat"])))
    aircraft = noisy(aircraft, state.scenario.variant.noise, int(now.timestamp()))
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


def _aircraft(flight: Any, s: dict[str, Any], d_km: float, dir_deg: float) -> dict[str, Any]:
    """One ``ac`` object; keys unknown to the receiver are left out, as readsb does."""
    ac: dict[str, Any] = {
        "hex": flight.icao24,
        "type": "adsb_icao",
        "flight": padded(flight.callsign),
        "alt_baro": "ground" if s["on_ground"] else int(s["altitude_ft"]),
    }
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
            "dir": round(dir_deg, 1),
        }
    )
    return ac
