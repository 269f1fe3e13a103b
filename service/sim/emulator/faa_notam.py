"""The FAA NOTAM API v1 search (``/notamapi/v1/notams``): header credentials, filters, pages."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from service.domain import ensure_utc
from service.geo.geodesy import distance_km
from service.sim.emulator.wire import KM_PER_NM, EmulatorState

MAX_PAGE_SIZE = 1000
MAX_RADIUS_NM = 100


def faa_notam_router(
    state: EmulatorState, expected_id: str | None, expected_secret: str | None
) -> APIRouter:
    """Without ``expected_id`` any caller is let in."""
    router = APIRouter()

    @router.get("/notamapi/v1/notams")
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
        if expected_id is not None and (
            request.headers.get("client_id") != expected_id
            or request.headers.get("client_secret") != expected_secret
        ):
            return JSONResponse({"message": "Unauthorized", "http_status_code": 401}, 401)
        if not 1 <= pageSize <= MAX_PAGE_SIZE or pageNum < 1:
            return JSONResponse({"error": "pageSize must be 1..1000 and pageNum >= 1"}, 400)
        if locationRadius is not None and not 0 < locationRadius <= MAX_RADIUS_NM:
            return JSONResponse({"error": "locationRadius must be at most 100"}, 400)
        wanted = {
            "icaoLocation": icaoLocation,
            "classification": classification,
            "notamNumber": notamNumber,
            "effectiveStartDate": effectiveStartDate,
            "effectiveEndDate": effectiveEndDate,
            "lastUpdatedDate": lastUpdatedDate,
        }
        circle = (
            (locationLongitude, locationLatitude, locationRadius)
            if None not in (locationRadius, locationLatitude, locationLongitude)
            else None
        )
        items = [
            {k: v for k, v in item.items() if not k.startswith("_")}
            for item in state.scenario.visible_notams(state.clock.now())
            if _matches(item["properties"]["coreNOTAMData"]["notam"], wanted, circle)
        ]
        return JSONResponse(_page(items, pageSize, pageNum))

    return router


def _matches(n: dict[str, Any], wanted: dict[str, str | None], circle: Any) -> bool:
    """Whether one NOTAM passes every filter the request gave."""
    location, classification = wanted["icaoLocation"], wanted["classification"]
    number, start = wanted["notamNumber"], wanted["effectiveStartDate"]
    end, updated = wanted["effectiveEndDate"], wanted["lastUpdatedDate"]
    if location and location.upper() not in (n["icaoLocation"], n["affectedFIR"]):
        return False
    if classification and classification.upper() != n["classification"]:
        return False
    if number and number.upper() != n["number"]:
        return False
    if updated and n["lastUpdated"] < faa_time(updated):
        return False
    if end and n["effectiveStart"] > faa_time(end):
        return False
    if start and n["effectiveEnd"] < faa_time(start):
        return False
    if circle is not None:
        if "coordinates" not in n:
            return False
        centre_lon, centre_lat, radius_nm = circle
        lon, lat = q_centre(n["coordinates"])
        return distance_km(centre_lon, centre_lat, lon, lat) <= radius_nm * KM_PER_NM
    return True


def _page(items: list[dict[str, Any]], size: int, number: int) -> dict[str, Any]:
    total = len(items)
    return {
        "pageSize": size,
        "pageNum": number,
        "totalCount": total,
        "totalPages": math.ceil(total / size) if total else 0,
        "items": items[(number - 1) * size : number * size],
    }


def faa_time(value: str) -> str:
    """An ISO date-time parameter in the items' own string format, for comparisons.

    >>> faa_time("2025-11-21T17:43Z")
    '2025-11-21T17:43:00.000Z'
    """
    at = ensure_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def q_centre(value: str) -> tuple[float, float]:
    """(lon, lat) of a Q-line style centre ``DDMM[NS]DDDMM[EW]``.

    >>> q_centre("1036N06659W")
    (-66.98333333333333, 10.6)
    """
    lat = int(value[0:2]) + int(value[2:4]) / 60
    lat = -lat if value[4] == "S" else lat
    lon = int(value[5:8]) + int(value[8:10]) / 60
    lon = -lon if value[10] == "W" else lon
    return lon, lat
