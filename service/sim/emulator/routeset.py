"""adsb.lol's ``POST /api/0/routeset``: callsign → scheduled route with its airports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from service.sim.emulator.wire import FT_PER_M, EmulatorState
from service.sim.scenario import Scenario

MAX_PLANES = 100  # adsb.lol answers 400 with an empty body to more (or none)


def routeset_router(state: EmulatorState) -> APIRouter:
    router = APIRouter()

    @router.post("/api/0/routeset")
    async def routeset(request: Request) -> Response:
        try:
            body = await request.json()
            planes = body["planes"]
            assert isinstance(planes, list)
        except Exception:
            missing = {"type": "missing", "loc": ["body", "planes"], "msg": "Field required"}
            return JSONResponse({"detail": [missing]}, status_code=422)
        if not 1 <= len(planes) <= MAX_PLANES:
            return Response(status_code=400)
        answers: dict[str, dict[str, Any]] = {}
        for plane in planes:  # in the request's order; duplicates collapse
            callsign = str(plane.get("callsign", "")) if isinstance(plane, dict) else ""
            if callsign not in answers:
                answers[callsign] = _answer(state.scenario, callsign)
        return JSONResponse([dict(sorted(a.items())) for a in answers.values()])

    return router


def _answer(scenario: Scenario, callsign: str) -> dict[str, Any]:
    """One callsign's object: the minimal "unknown" form, or the route with both airports."""
    flight = scenario.flight_by_callsign(callsign)
    if flight is None:
        return {"_airports": [], "airport_codes": "unknown", "callsign": callsign}
    airports = [_airport(scenario, code) for code in (flight.origin, flight.destination)]
    return {
        "_airport_codes_iata": f"{airports[0]['iata']}-{airports[1]['iata']}",
        "_airports": airports,
        "airline_code": callsign[:3],
        "airport_codes": f"{flight.origin}-{flight.destination}",
        "callsign": callsign,
        "number": callsign[3:],
        "plausible": True,
    }


def _airport(scenario: Scenario, code: str) -> dict[str, Any]:
    a = scenario.airports.get(code)
    return {
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
