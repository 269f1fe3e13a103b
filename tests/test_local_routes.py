"""Callsigns the route source does not know are looked up in the local routes table."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from service.domain import Position, Snapshot
from service.geo.airspaces import load_seed_registries
from service.runtime import build_runtime
from tests.conftest import ROOT

T0 = datetime(2025, 11, 21, 20, 0, tzinfo=UTC)


async def test_local_table_fills_unknown_routes(settings, sessions, tmp_path):
    table = tmp_path / "routes.csv"
    table.write_text("# test\ncallsign,origin,destination\nTST123,SKBO,TNCC\n", encoding="utf-8")
    settings.feeds.routes.local_file = str(table)

    def unknown(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json=[
                {"callsign": "TST123", "airport_codes": "unknown", "_airports": []},
                {"callsign": "XYZ9", "airport_codes": "unknown", "_airports": []},
            ],
        )

    seeds = ROOT / "seeds"
    async with httpx.AsyncClient(transport=httpx.MockTransport(unknown)) as http:
        registries = load_seed_registries(seeds)
        poller = build_runtime(settings, sessions=sessions, http=http, registries=registries).poller
        assert poller is not None
        snapshot = Snapshot(
            "adsbx",
            T0,
            (
                Position("a00001", "TST123", T0, -70.0, 12.0, 30000.0, False),
                Position("a00002", "XYZ9", T0, -70.5, 12.5, 30000.0, False),
            ),
        )
        await poller._resolve_routes(snapshot)
    route = poller.engine.routes["TST123"]
    assert (route.origin, route.destination, route.source) == ("SKBO", "TNCC", "local")
    assert poller.engine.routes["XYZ9"] is None  # neither source knows it: inferred from the track
