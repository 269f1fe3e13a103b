"""The emulator speaks each feed's wire format (status codes, headers, envelopes, errors)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from service.sim.clock import ScenarioClock
from service.sim.emulator import create_emulator_app
from service.sim.scenario import load_scenario

CRED = "emu-test"
T = datetime(2025, 11, 21, 16, 0, tzinfo=UTC)


@pytest.fixture
def emu():
    scenario = load_scenario("venezuela-2025-11")
    clock = ScenarioClock(scenario.start, scenario.end)
    clock.set(T)
    app = create_emulator_app(
        scenario,
        clock,
        faa_client_id=CRED,
        faa_client_secret=CRED,
        opensky_client_id=CRED,
        opensky_client_secret=CRED,
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://emu"), clock


BOX = {"lamin": -10, "lomin": -85, "lamax": 27, "lomax": -50}


async def token(client) -> str:
    r = await client.post(
        "/auth/realms/opensky-network/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": CRED, "client_secret": CRED},
    )
    assert r.status_code == 200 and r.json()["expires_in"] == 1800
    return r.json()["access_token"]


async def test_opensky_states(emu):
    client, _ = emu
    r = await client.get("/api/states/all", params=BOX)
    body = r.json()
    assert body["time"] == int(T.timestamp())
    rows = body["states"]
    assert rows and all(len(row) == 17 for row in rows)
    airborne = next(row for row in rows if not row[8])
    assert len(airborne[1]) == 8 and 3000 < airborne[7] < 13000  # metres
    assert 150 < airborne[9] < 300  # m/s
    assert int(r.headers["x-rate-limit-remaining"]) == 400 - 4
    extended = (await client.get("/api/states/all", params={**BOX, "extended": 1})).json()
    assert all(len(row) == 18 for row in extended["states"])
    empty = await client.get(
        "/api/states/all", params={"lamin": -60, "lomin": 0, "lamax": -59, "lomax": 1}
    )
    assert empty.json()["states"] is None
    assert (await client.get("/api/states/all", params={"lamin": 1})).status_code == 400


async def test_opensky_auth_and_credits(emu):
    client, _ = emu
    bad = await client.post(
        "/auth/realms/opensky-network/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": CRED, "client_secret": "x"},
    )
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    assert (
        await client.get("/api/states/all", params=BOX, headers={"Authorization": "Bearer nope"})
    ).status_code == 401
    headers = {"Authorization": f"Bearer {await token(client)}"}
    r = await client.get("/api/states/all", params=BOX, headers=headers)
    assert int(r.headers["x-rate-limit-remaining"]) == 4000 - 4
    small = {"lamin": 10, "lomin": -70, "lamax": 14, "lomax": -66}
    r = await client.get("/api/states/all", params=small, headers=headers)
    assert int(r.headers["x-rate-limit-remaining"]) == 4000 - 5
    for _ in range(100):  # anonymous: 400 credits at 4 a call
        last = await client.get("/api/states/all", params=BOX)
    assert last.status_code == 200
    limited = await client.get("/api/states/all", params=BOX)
    assert limited.status_code == 429
    assert int(limited.headers["x-rate-limit-retry-after-seconds"]) > 0


async def test_adsbx_point(emu):
    client, _ = emu
    body = (await client.get("/v2/point/12.2/-69.0/250")).json()
    assert list(body) == ["ac", "msg", "now", "total", "ctime", "ptime"]
    assert body["msg"] == "No error" and body["now"] == int(T.timestamp() * 1000)
    assert body["total"] == len(body["ac"]) > 0
    for ac in body["ac"]:
        assert ac["dst"] <= 250 and len(ac["flight"]) == 8
        assert isinstance(ac["alt_baro"], int) or ac["alt_baro"] == "ground"
        assert ac["mlat"] == [] and "hex" in ac
    assert (await client.get("/v2/point/12.2/-69.0/300")).status_code == 422
    alias = (await client.get("/v2/lat/12.2/lon/-69.0/dist/250")).json()
    assert alias["total"] == body["total"]


async def test_routeset(emu):
    client, _ = emu
    states = (await client.get("/api/states/all", params=BOX)).json()["states"]
    callsign = states[0][1].strip()
    r = await client.post(
        "/api/0/routeset",
        json={
            "planes": [
                {"callsign": callsign, "lat": 10.0, "lng": -66.0},
                {"callsign": "ZZZ999", "lat": 0, "lng": 0},
            ]
        },
    )
    known, unknown = r.json()
    assert list(known) == sorted(known) and known["plausible"] is True
    assert len(known["airport_codes"].split("-")) == 2 and len(known["_airports"]) == 2
    assert unknown == {"_airports": [], "airport_codes": "unknown", "callsign": "ZZZ999"}
    assert (await client.post("/api/0/routeset", json={"planes": []})).status_code == 400
    many = [{"callsign": "X", "lat": 0, "lng": 0}] * 101
    assert (await client.post("/api/0/routeset", json={"planes": many})).status_code == 400


async def test_faa_notams(emu):
    client, clock = emu
    headers = {"client_id": CRED, "client_secret": CRED}
    r = await client.get("/notamapi/v1/notams", params={"icaoLocation": "SVZM"})
    assert r.status_code == 401 and r.json()["http_status_code"] == 401
    clock.set(datetime(2025, 11, 21, 18, 0, tzinfo=UTC))
    before = (
        await client.get("/notamapi/v1/notams", params={"icaoLocation": "SVZM"}, headers=headers)
    ).json()
    numbers = [i["properties"]["coreNOTAMData"]["notam"]["number"] for i in before["items"]]
    assert "A0012/25" not in numbers
    clock.set(datetime(2025, 11, 21, 18, 10, tzinfo=UTC))
    after = (
        await client.get("/notamapi/v1/notams", params={"icaoLocation": "SVZM"}, headers=headers)
    ).json()
    kicz = next(
        i
        for i in after["items"]
        if i["properties"]["coreNOTAMData"]["notam"]["number"] == "A0012/25"
    )
    notam = kicz["properties"]["coreNOTAMData"]["notam"]
    assert notam["icaoLocation"] == "KICZ" and notam["affectedFIR"] == "SVZM"
    assert all(isinstance(v, str) for v in notam.values())
    page1 = (
        await client.get(
            "/notamapi/v1/notams", params={"pageSize": 2, "pageNum": 1}, headers=headers
        )
    ).json()
    page2 = (
        await client.get(
            "/notamapi/v1/notams", params={"pageSize": 2, "pageNum": 2}, headers=headers
        )
    ).json()
    assert page1["totalPages"] == -(-page1["totalCount"] // 2) and page1["items"] != page2["items"]
    assert (
        await client.get("/notamapi/v1/notams", params={"pageSize": 5000}, headers=headers)
    ).status_code == 400


async def test_clock_control(emu):
    client, _ = emu
    r = await client.post("/_emulator/clock", json={"now": "2025-11-21T20:00:00Z"})
    assert r.json()["now"] == "2025-11-21T20:00:00+00:00" and r.json()["done"] is False
    assert (await client.get("/_emulator/truth")).json()["scenario"] == "venezuela-2025-11"
