"""One callsign-route cache: an answer (a route or "unknown") lives for
``feeds.routes.cache_s`` on the data clock, for the route client and the detection engine alike."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from service.domain import Position, Snapshot
from service.feed_settings import RoutesSettings
from service.feeds.callsign_routes import RouteClient
from service.geo.airspaces import load_seed_registries
from service.runtime import build_runtime
from tests.conftest import ROOT

T0 = datetime(2025, 11, 21, 18, 0, tzinfo=UTC)


class DataClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def routeset(asked: list[str]):
    """A routeset server that knows the KLM callsigns only, noting every callsign asked."""

    def handler(request: httpx.Request) -> httpx.Response:
        planes = json.loads(request.content)["planes"]
        asked.extend(p["callsign"] for p in planes)
        return httpx.Response(
            200,
            json=[
                {"callsign": p["callsign"], "airport_codes": "EHAM-TNCC", "_airports": []}
                if p["callsign"].startswith("KLM")
                else {"callsign": p["callsign"], "airport_codes": "unknown", "_airports": []}
                for p in planes
            ],
        )

    return handler


@pytest.mark.parametrize("seed", range(5))
async def test_an_answer_expires_after_cache_s_on_the_data_clock(seed):
    rng = random.Random(seed)
    cache_s = rng.uniform(120.0, 3600.0)
    clock, asked = DataClock(), []
    http = httpx.AsyncClient(transport=httpx.MockTransport(routeset(asked)))
    client = RouteClient(RoutesSettings(cache_s=cache_s), http, clock)
    planes = [("KLM7", 12.0, -69.0), ("XYZ1", 0.0, 0.0)]

    async def ask_at(seconds: float) -> list[str]:
        clock.now = T0 + timedelta(seconds=seconds)
        asked.clear()
        routes = await client.lookup(planes)
        assert routes["KLM7"].destination == "TNCC" and routes["XYZ1"] is None
        return sorted(asked)

    assert await ask_at(0) == ["KLM7", "XYZ1"]
    assert await ask_at(cache_s * rng.uniform(0.01, 0.99)) == []  # both cached
    assert await ask_at(cache_s - 1) == []
    assert await ask_at(cache_s + 1) == ["KLM7", "XYZ1"]  # known or not, asked again
    assert await ask_at(cache_s + 2) == []  # and cached again from then on


async def test_the_engine_reads_the_clients_cache(settings, sessions):
    """Detection asks the route client's cache, so an expired answer is looked up again
    instead of living on in a second copy."""
    settings.feeds.routes.enabled = True
    settings.feeds.routes.cache_s = 600.0
    clock, asked = DataClock(), []
    seeds = ROOT / "seeds"
    async with httpx.AsyncClient(transport=httpx.MockTransport(routeset(asked))) as http:
        registries = load_seed_registries(seeds)
        runtime = build_runtime(
            settings, sessions=sessions, http=http, registries=registries, clock=clock
        )
        poller = runtime.poller
        assert poller is not None
        assert poller.engine.routes is poller.routes.cache

        def snapshot() -> Snapshot:
            return Snapshot(
                "adsbx",
                clock.now,
                (Position("a00001", "KLM7", clock.now, -70.0, 12.0, 30000.0, False),),
            )

        await poller._resolve_routes(snapshot())
        assert poller.engine.routes["KLM7"].destination == "TNCC" and asked == ["KLM7"]
        clock.now = T0 + timedelta(seconds=599)
        assert poller.engine.unknown_callsigns(snapshot()) == []
        clock.now = T0 + timedelta(seconds=601)
        assert [c for c, _, _ in poller.engine.unknown_callsigns(snapshot())] == ["KLM7"]
        assert "KLM7" not in poller.engine.routes
        await poller._resolve_routes(snapshot())
        assert asked == ["KLM7", "KLM7"]
