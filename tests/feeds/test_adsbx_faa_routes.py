"""ADSBx v2 points, FAA NOTAM pages and adsb.lol routeset against mock transports."""

from __future__ import annotations

import json

import httpx
import pytest

from service.feed_settings import AdsbxSettings, FaaNotamSettings, PointQuery, RoutesSettings
from service.feeds.adsbx import AdsbxClient
from service.feeds.base import FeedError
from service.feeds.callsign_routes import RouteClient
from service.feeds.faa_notam import FaaNotamClient
from tests.feeds.conftest import CLOCK, Recorded

NOW_MS = 1763747000000


def mock(handler) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def ac(hex_, lat, lon, **kw):
    return {
        "hex": hex_,
        "type": "adsb_icao",
        "lat": lat,
        "lon": lon,
        "seen_pos": 1.0,
        "mlat": [],
        "tisb": [],
        "messages": 1,
        "seen": 1.0,
        "rssi": -20.0,
        **kw,
    }


async def test_adsbx_merges_points_and_skips_non_icao():
    def handler(request):
        lat = request.url.path.split("/")[3]
        fresher = {"seen_pos": 0.0} if lat == "8" else {}
        body = {
            "ac": [
                ac("4b1814", 12.0, -69.0, flight="KLM737  ", alt_baro=35000, gs=450.0, **fresher),
                ac("~2a01f0", 12.1, -69.1),
                ac("0d8001", 10.6, -67.0, alt_baro="ground"),
                {"hex": "abc123", "lat": "x", "lon": 1.0},
            ],
            "msg": "No error",
            "now": NOW_MS,
            "total": 4,
            "ctime": NOW_MS,
            "ptime": 1,
        }
        return httpx.Response(200, json=body)

    settings = AdsbxSettings(
        base_url="http://adsb.test",
        points=[
            PointQuery(lat=12.2, lon=-69.0, radius_nm=250),
            PointQuery(lat=8, lon=-66, radius_nm=250),
        ],
    )
    c = AdsbxClient(settings, mock(handler), CLOCK)
    snap = await c.fetch()
    by_hex = {p.icao24: p for p in snap.positions}
    assert set(by_hex) == {"4b1814", "0d8001"}
    assert by_hex["4b1814"].observed_at.timestamp() == NOW_MS / 1000  # the fresher report won
    assert by_hex["0d8001"].on_ground and by_hex["0d8001"].altitude_ft == 0.0
    assert snap.rejected == 2 and c.stats.skipped_last == 2 and snap.complete


async def test_adsbx_partial_and_total_failure():
    def half(request):
        if "/8/" in request.url.path:
            return httpx.Response(503)
        return httpx.Response(200, json={"ac": [], "msg": "No error", "now": NOW_MS, "total": 0})

    points = [
        PointQuery(lat=12.2, lon=-69.0, radius_nm=250),
        PointQuery(lat=8, lon=-66, radius_nm=250),
    ]
    snap = await AdsbxClient(AdsbxSettings(points=points), mock(half), CLOCK).fetch()
    assert snap.complete is False
    with pytest.raises(FeedError, match="every query failed"):
        await AdsbxClient(
            AdsbxSettings(points=points), mock(lambda r: httpx.Response(500)), CLOCK
        ).fetch()


def faa_item(i: int) -> dict:
    updated = f"2025-11-21T{10 + i % 10:02d}:00:00.000Z"
    notam = {"id": f"NOTAM_{i}", "lastUpdated": updated}
    return {"type": "Feature", "properties": {"coreNOTAMData": {"notam": notam}}}


async def test_faa_pages_headers_and_incremental_rounds():
    seen = []

    def handler(request):
        assert request.headers["client_id"] == "id" and request.headers["client_secret"] == "sec"
        params = dict(request.url.params)
        seen.append(params)
        page = int(params["pageNum"])
        items = [faa_item(page * 10 + k) for k in range(2)]
        if page == 3:
            items.append({"type": "Feature", "properties": {}})  # malformed
        return httpx.Response(
            200,
            json={"pageSize": 2, "pageNum": page, "totalCount": 6, "totalPages": 3, "items": items},
        )

    settings = FaaNotamSettings(
        locations=["SVZM"], page_size=2, client_id="id", client_secret="sec"
    )
    c = FaaNotamClient(settings, mock(handler), CLOCK)
    items = await c.fetch()
    assert len(items) == 6 and c.stats.rejected_last == 1
    assert [p["pageNum"] for p in seen] == ["1", "2", "3"]
    assert "lastUpdatedDate" not in seen[0]
    await c.fetch()
    # the newest lastUpdated the API sent (11:00Z) less the 10 min overlap, not our clock
    assert seen[-1]["lastUpdatedDate"] == "2025-11-21T10:50:00Z"


async def test_faa_401():
    c = FaaNotamClient(
        FaaNotamSettings(locations=["SVZM"]),
        mock(lambda r: httpx.Response(401, json={"message": "Unauthorized"})),
        CLOCK,
    )
    with pytest.raises(FeedError, match="refused the credentials"):
        await c.fetch()
    with pytest.raises(ValueError, match="radius_nm"):
        await c.fetch_radius(10.0, -67.0, 150)


async def test_routes_chunks_cache_and_unknown():
    posts = []

    def handler(request):
        body = json.loads(request.content)
        posts.append(len(body["planes"]))
        answer = []
        for plane in body["planes"]:
            cs = plane["callsign"]
            if cs.startswith("KLM"):
                answer.append({"callsign": cs, "airport_codes": "EHAM-TNCC", "_airports": []})
            else:
                answer.append({"callsign": cs, "airport_codes": "unknown", "_airports": []})
        return httpx.Response(200, json=answer)

    recorded = Recorded()
    c = RouteClient(RoutesSettings(), mock(handler), CLOCK, recorder=recorded)
    planes = [(f"KLM{i}", 12.0, -69.0) for i in range(120)] + [("XYZ1", 0.0, 0.0)]
    routes = await c.lookup(planes)
    assert posts == [100, 21]
    assert routes["KLM5"].origin == "EHAM" and routes["KLM5"].destination == "TNCC"
    assert routes["XYZ1"] is None
    again = await c.lookup([("KLM5", 12.0, -69.0)])
    assert posts == [100, 21] and again["KLM5"].destination == "TNCC"  # from the cache
    assert recorded.records[0]["source"] == "routes"
    assert len(recorded.records[0]["request"]["json"]["planes"]) == 100


async def test_faa_429_waits_for_retry_after():
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(429, headers={"Retry-After": "120"})

    c = FaaNotamClient(FaaNotamSettings(locations=["SVZM"]), mock(handler), CLOCK)
    with pytest.raises(FeedError) as first:
        await c.fetch()
    assert first.value.retry_after_s == 120
    with pytest.raises(FeedError, match="rate limited for another"):
        await c.fetch()
    assert len(calls) == 1


async def test_routes_ask_each_callsign_once_whatever_the_spelling():
    """12,000 planes of a global poll, some callsigns repeated or differently padded: every
    distinct callsign asked exactly once, with the first plane's position, 100 a request."""
    asked: list[dict] = []

    def handler(request):
        planes = json.loads(request.content)["planes"]
        asked.extend(planes)
        return httpx.Response(
            200,
            json=[
                {"callsign": p["callsign"], "airport_codes": "unknown", "_airports": []}
                for p in planes
            ],
        )

    c = RouteClient(RoutesSettings(), mock(handler), CLOCK)
    planes = [(f"TST{i % 9000:05d}" + " " * (i % 3), float(i), 0.0) for i in range(12_000)]
    routes = await c.lookup(planes)
    callsigns = [p["callsign"] for p in asked]
    assert len(callsigns) == len(set(callsigns)) == 9000 == len(routes)
    assert asked[0] == {"callsign": "TST00000", "lat": 0.0, "lng": 0.0}  # the first plane's
