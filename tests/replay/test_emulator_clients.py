"""Clients that are not firwatch read the emulator: the PyPI ``python-opensky`` client, and
plain requests copied from the feeds' documentation (shared/reference/feeds.md).

python-opensky always talks ``https://opensky-network.org:443``; here a resolver sends
that name to the loopback emulator served with a test CA's certificate (trustme), so the
client runs unmodified, TLS and all.
"""

from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime

import aiohttp
import httpx
import pytest
import trustme
import uvicorn
from aiohttp.abc import AbstractResolver
from python_opensky import BoundingBox, OpenSky

from service.sim.clock import ScenarioClock
from service.sim.emulator import create_emulator_app
from service.sim.scenario import load_scenario
from tests.support import ThreadedServer

AT = datetime(2025, 11, 21, 17, 40, tzinfo=UTC)
HOST = "opensky-network.org"


class Loopback(AbstractResolver):
    """Resolves every name to the emulator's loopback port (nothing leaves 127.0.0.1)."""

    def __init__(self, port: int):
        self.port = port

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET):
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": self.port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        return None


@pytest.fixture(scope="module")
def emulator():
    scenario = load_scenario("venezuela-2025-11")
    clock = ScenarioClock(scenario.start, scenario.end)
    clock.set(AT)
    return create_emulator_app(scenario, clock, faa_client_id="id", faa_client_secret="secret")


@pytest.fixture
def tls_emulator(emulator, tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert(HOST)
    key, chain = tmp_path / "key.pem", tmp_path / "cert.pem"
    cert.private_key_pem.write_to_path(str(key))
    cert.cert_chain_pems[0].write_to_path(str(chain))
    server = ThreadedServer(emulator)
    server.server = uvicorn.Server(
        uvicorn.Config(
            emulator,
            host="127.0.0.1",
            port=server.port,
            log_level="warning",
            lifespan="off",
            ssl_keyfile=str(key),
            ssl_certfile=str(chain),
        )
    )
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with server:
        yield server.port, context


async def test_python_opensky_reads_the_emulator(tls_emulator):
    port, context = tls_emulator
    connector = aiohttp.TCPConnector(resolver=Loopback(port), ssl=context)
    async with aiohttp.ClientSession(connector=connector) as session:
        opensky = OpenSky(session=session)  # anonymous, extended=true, time=0
        box = BoundingBox(
            min_latitude=0.0, max_latitude=16.0, min_longitude=-75.0, max_longitude=-58.0
        )
        states = await opensky.get_states(bounding_box=box)
        everything = await opensky.get_states()  # global: no box at all
    assert states.time == int(AT.timestamp()) // 10 * 10
    assert states.states, "the scenario has traffic over Venezuela at 17:40Z"
    for s in states.states:
        assert 0.0 <= s.latitude <= 16.0 and -75.0 <= s.longitude <= -58.0
        assert len(s.icao24) == 6 and s.category is not None  # the 18th column of extended
    assert len(everything.states) >= len(states.states)


@pytest.fixture
def emu(emulator):
    with ThreadedServer(emulator) as server:
        yield server.url


@pytest.mark.parametrize(
    "query",
    [
        # feeds.md §1.1, the constructed example's request, and the same box as integers
        "lamin=45.8&lomin=5.9&lamax=47.8&lomax=10.5&extended=1",
        "lamin=0&lomin=-75&lamax=16&lomax=-58&extended=true",
        "lamin=0.0&lomin=-75.0&lamax=16.0&lomax=-58.0",
        "",  # all states, no parameters
        "time=0&extended=1",
    ],
)
def test_opensky_requests_from_the_docs(emu, query):
    response = httpx.get(f"{emu}/api/states/all?{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert int(response.headers["x-rate-limit-remaining"]) < 400
    body = response.json()
    assert isinstance(body["time"], int)
    width = 18 if "extended=1" in query or "extended=true" in query else 17
    assert all(len(row) == width for row in body["states"] or [])


@pytest.mark.parametrize(
    ("query", "status"),
    [("lamin=abc&lomin=0&lamax=1&lomax=1", 400), ("lamin=1&lomin=0", 400), ("extended=maybe", 400)],
)
def test_opensky_refuses_bad_parameters_as_opensky_does(emu, query, status):
    response = httpx.get(f"{emu}/api/states/all?{query}")
    assert response.status_code == status
    assert "Bad Request" in response.text


def test_adsbx_and_routes_requests_from_the_docs(emu):
    for path in ("/v2/point/10.6/-66.9/250", "/v2/lat/10.6/lon/-66.9/dist/250"):
        body = httpx.get(emu + path).json()
        assert list(body)[:6] == ["ac", "msg", "now", "total", "ctime", "ptime"]
        assert body["total"] == len(body["ac"]) and body["msg"] == "No error"
    refused = httpx.get(f"{emu}/v2/point/95/0/10")  # out of range: FastAPI's 422
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["path", "lat"]
    answer = httpx.post(
        f"{emu}/api/0/routeset",
        json={"planes": [{"callsign": "XYZ999", "lat": 40.0, "lng": -73.0}]},
    ).json()
    assert answer == [{"_airports": [], "airport_codes": "unknown", "callsign": "XYZ999"}]
    assert httpx.post(f"{emu}/api/0/routeset", json={"planes": []}).status_code == 400


def test_faa_requests_from_the_docs(emu):
    creds = {"client_id": "id", "client_secret": "secret"}
    url = f"{emu}/notamapi/v1/notams"
    denied = httpx.get(url, params={"icaoLocation": "SVZM"})
    assert denied.status_code == 401
    assert denied.json() == {"message": "Unauthorized", "http_status_code": 401}
    body = httpx.get(
        url + "?icaoLocation=SVZM&responseFormat=geoJson&pageSize=2", headers=creds
    ).json()
    assert set(body) == {"pageSize", "pageNum", "totalCount", "totalPages", "items"}
    assert body["pageSize"] == 2 and len(body["items"]) <= 2
    assert httpx.get(url + "?pageSize=abc", headers=creds).status_code == 400
    assert (
        httpx.get(
            url + "?locationRadius=150&locationLatitude=1&locationLongitude=1", headers=creds
        ).status_code
        == 400
    )
