"""OpenSky client against a mock transport: parsing, rejections, OAuth2, credits, 429."""

from __future__ import annotations

import json

import httpx
import pytest

from service.feed_settings import BBox, OpenSkySettings
from service.feeds.base import FeedError
from service.feeds.opensky import OpenSkyClient
from tests.feeds.conftest import CLOCK, Recorded

ROW = [
    "4b1814",
    "SWR12A  ",
    "Switzerland",
    1763747000,
    1763747000,
    -66.5,
    10.6,
    10000.0,
    False,
    230.0,
    270.0,
    0.0,
    None,
    10050.0,
    "1000",
    False,
    0,
]


def settings(**kw) -> OpenSkySettings:
    # the box is derived from watch.airspaces in a full config; here the Caribbean one
    kw.setdefault("bbox", BBox(lamin=-10.0, lomin=-85.0, lamax=27.0, lomax=-50.0))
    return OpenSkySettings(
        base_url="http://feed.test/api", token_url="http://feed.test/token", **kw
    )


def client(handler, **kw) -> tuple[OpenSkyClient, Recorded]:
    recorded = Recorded()
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return OpenSkyClient(settings(**kw), http, CLOCK, recorder=recorded), recorded


async def test_parses_and_rejects():
    rows = [
        ROW,
        [
            "0d8001",
            None,
            "Venezuela",
            None,
            1763747000,
            -67.0,
            10.5,
            None,
            True,
            0.0,
            None,
            None,
            None,
            None,
            None,
            False,
            0,
        ],
        ROW[:10],  # short row
        [*ROW[:6], "10.6", *ROW[7:]],  # latitude as a string
        [*ROW[:5], float("nan"), *ROW[6:]],
        [*ROW[:6], 95.0, *ROW[7:]],  # latitude out of range
        ["zzzzzz", *ROW[1:]],  # not a 24-bit hex address
        [ROW[0], None, "X", None, 1763747000, None, None, *ROW[7:]],  # no position: skipped
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["lamin"] == "-10.0" and request.url.params["lomax"] == "-50.0"
        body = json.dumps({"time": 1763747005, "states": rows}, allow_nan=True)
        return httpx.Response(200, text=body, headers={"X-Rate-Limit-Remaining": "3996"})

    c, recorded = client(handler)
    snap = await c.fetch()
    assert [p.icao24 for p in snap.positions] == ["4b1814", "0d8001"]
    first = snap.positions[0]
    assert (first.lon, first.lat) == (-66.5, 10.6)
    assert first.callsign == "SWR12A"
    assert round(first.altitude_ft) == 32808 and round(first.ground_speed_kt) == 447
    assert snap.positions[1].on_ground and snap.positions[1].altitude_ft is None
    assert snap.rejected == 5 and c.stats.rejected_last == 5 and c.stats.skipped_last == 1
    assert snap.fetched_at.isoformat() == "2025-11-21T17:43:25+00:00"
    assert c.stats.credits_remaining == 3996
    record = recorded.records[0]
    assert record["source"] == "opensky" and record["status"] == 200
    assert record["fetched_at"].endswith("Z") and record["request"]["method"] == "GET"


async def test_null_states_is_empty():
    c, _ = client(lambda r: httpx.Response(200, json={"time": 1763747000, "states": None}))
    assert (await c.fetch()).positions == ()


async def test_bad_body_is_a_feed_error():
    c, _ = client(lambda r: httpx.Response(200, text="<html>oops"))
    with pytest.raises(FeedError, match="not valid JSON"):
        await c.fetch()
    c, _ = client(lambda r: httpx.Response(200, json=[1, 2]))
    with pytest.raises(FeedError, match="numeric 'time'"):
        await c.fetch()


async def test_oauth_token_reused_and_refreshed_on_401():
    calls = {"token": 0, "states": 0}
    valid = {"t1": False, "t2": True}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            calls["token"] += 1
            assert b"grant_type=client_credentials" in request.content
            return httpx.Response(
                200, json={"access_token": f"t{calls['token']}", "expires_in": 1800}
            )
        calls["states"] += 1
        token = request.headers["authorization"].removeprefix("Bearer ")
        if calls["states"] == 1:
            return httpx.Response(200, json={"time": 1, "states": []})
        if not valid[token]:
            return httpx.Response(401)
        return httpx.Response(200, json={"time": 2, "states": []})

    c, recorded = client(handler, client_id="id", client_secret="secret")
    await c.fetch()
    await c.fetch()  # token t1 now refused: one refresh, one retry
    assert calls == {"token": 2, "states": 3}
    assert all("secret" not in json.dumps(r) for r in recorded.records)
    assert not any(r["request"]["url"].endswith("/token") for r in recorded.records)


async def test_token_endpoint_refusal():
    c, _ = client(
        lambda r: httpx.Response(401, json={"error": "invalid_client"}),
        client_id="id",
        client_secret="bad",
    )
    with pytest.raises(FeedError, match="401"):
        await c.fetch()


async def test_429_blocks_until_retry_after():
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(429, headers={"X-Rate-Limit-Retry-After-Seconds": "3600"})

    c, _ = client(handler)
    with pytest.raises(FeedError) as first:
        await c.fetch()
    assert first.value.status == 429 and first.value.retry_after_s == 3600
    with pytest.raises(FeedError, match="rate limited for another"):
        await c.fetch()
    assert len(calls) == 1


async def test_timeout_is_a_feed_error():
    def handler(request):
        raise httpx.ReadTimeout("slow", request=request)

    c, _ = client(handler)
    with pytest.raises(FeedError, match="timed out"):
        await c.fetch()
    assert c.stats.failures == 1


async def test_breaker_and_budget_run_on_the_clients_clock():
    """A rate limit and the credit budget are spans of the feed's clock (the data clock in
    replay and simulations), not of the machine's: when that clock moves on, polls resume."""
    from datetime import timedelta

    now = [CLOCK()]
    remaining = [400]

    def handler(request):
        if len(calls) == 1:
            calls.append(429)
            return httpx.Response(429, headers={"X-Rate-Limit-Retry-After-Seconds": "600"})
        calls.append(200)
        remaining[0] -= 4
        return httpx.Response(
            200,
            json={"time": 1763748000, "states": [ROW]},
            headers={"X-Rate-Limit-Remaining": str(remaining[0])},
        )

    calls: list[int] = [0]
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    c = OpenSkyClient(settings(interval_s=60), http, lambda: now[0])
    with pytest.raises(FeedError, match="rate limited \\(429\\)"):
        await c.fetch()
    with pytest.raises(FeedError, match="rate limited for another 600 s"):
        await c.fetch()
    now[0] += timedelta(seconds=601)
    await c.fetch()  # 6 h to midnight at 60 s needs 1,440 credits: calls get spaced out
    with pytest.raises(FeedError, match="credit budget"):
        await c.fetch()
    now[0] += timedelta(seconds=300)
    await c.fetch()
    assert calls == [0, 429, 200, 200]
