"""REST API: alerts, airspaces, flights, NOTAMs, webhooks, health; errors are RFC 9457 problems."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import shapely
import shapely.geometry

from service.domain import (
    AlertEvent,
    AlertType,
    Notam,
    NotamClass,
    Position,
    Route,
    Severity,
    Snapshot,
)
from service.ingest import save_notams
from service.store.alerts import save_alert_events
from service.store.models import (
    AirspaceStatusRow,
    AlertRow,
    TrafficSampleRow,
)

T0 = datetime(2025, 11, 21, 18, 0, tzinfo=UTC)


def assert_problem(response, status: int, kind: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    if kind:
        assert body["type"].endswith(kind)
    return body


@pytest.fixture
def alerts(sessions):
    with sessions.begin() as s:
        events = [
            AlertEvent(
                type=AlertType.FLIGHT_REROUTED if i % 2 else AlertType.FLIGHT_DIVERTED,
                severity=Severity.WARNING,
                dedup_key=f"k{i}",
                observed_at=T0 + timedelta(minutes=i),
                title=f"alert {i}",
                airspace="SVZM",
                callsign=f"KLM{i}",
                extra_distance_km=100.0 + i,
            )
            for i in range(7)
        ]
        save_alert_events(s, events, T0)


def test_alert_pagination_and_filters(client, alerts):
    seen, url = [], "/api/v1/alerts?limit=3"
    while url:
        page = client.get(url).json()
        seen += [a["id"] for a in page["items"]]
        url = page["next"]
    assert seen == sorted(seen, reverse=True) and len(seen) == 7
    rerouted = client.get("/api/v1/alerts", params={"type": "flight.rerouted"}).json()["items"]
    assert {a["type"] for a in rerouted} == {"flight.rerouted"} and len(rerouted) == 3
    one = client.get(f"/api/v1/alerts/{seen[0]}").json()
    for key in (
        "id",
        "type",
        "severity",
        "airspace",
        "opened_at",
        "updated_at",
        "resolved_at",
        "observed_at",
        "icao24",
        "callsign",
        "origin",
        "destination",
        "actual_destination",
        "extra_distance_km",
        "status",
        "evidence",
    ):
        assert key in one
    assert one["opened_at"].endswith("Z")
    since = client.get("/api/v1/alerts", params={"since": "2025-11-21T18:05:00Z"}).json()
    assert len(since["items"]) == 2


def test_errors_are_problems(client):
    assert_problem(client.get("/api/v1/alerts/999"), 404, "not-found")
    # a malformed parameter is a 400; a body that breaks the model's rules a 422
    assert_problem(client.get("/api/v1/alerts?limit=0"), 400, "invalid-parameter")
    assert_problem(client.get("/api/v1/alerts?type=nope"), 400)
    assert_problem(client.get("/api/v1/alerts?since=2025-11-21T00:00:00"), 400)
    assert_problem(client.get("/api/v1/alerts?cursor=%%%"), 400, "invalid-cursor")
    assert_problem(client.get("/api/v1/airspaces/XXXX"), 404)
    assert_problem(client.get("/api/v1/flights/nope"), 404)
    assert_problem(client.get("/api/v1/nowhere"), 404)
    assert_problem(client.post("/api/v1/webhooks", json={"url": "x"}), 401, "api-key-required")
    # the key is checked before the body is read
    assert_problem(
        client.post("/api/v1/webhooks", content=b"{", headers={"content-type": "application/json"}),
        401,
    )
    assert_problem(client.delete("/api/v1/alerts"), 405)


def test_airspace_status_and_geometry(client, sessions):
    before = client.get("/api/v1/airspaces/SVZM").json()  # before any poll: no claim
    assert before["status"] == "UNKNOWN" and before["evidence"]["note"] == "no data yet"
    with sessions.begin() as s:
        s.add(
            AirspaceStatusRow(
                airspace="SVZM",
                status="RESTRICTED",
                since=T0,
                updated_at=T0,
                foreign_count=0,
                domestic_count=4,
                baseline_foreign=8.0,
                evidence={"notam_ids": ["A0012/25"], "foreign_count": 0},
            )
        )
    body = client.get("/api/v1/airspaces/svzm").json()
    assert body["status"] == "RESTRICTED" and body["since"] == "2025-11-21T18:00:00Z"
    assert body["evidence"]["baseline_foreign"] == 8.0
    assert [a["airspace"] for a in client.get("/api/v1/airspaces").json()] == ["SVZM"]
    feature = client.get("/api/v1/airspaces/SVZM/geometry").json()
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    lon, lat = feature["geometry"]["coordinates"][0][0][0][:2]
    assert -75 < lon < -55 and 0 < lat < 16  # lon/lat order


def _klm(at, lon, lat, source="opensky"):
    return Position("484b2a", "KLM737", at, lon, lat, 35000.0, False, 450.0, 270.0, source)


def test_flight_track_geojson(client, feed):
    route = {"KLM737": Route("KLM737", "EHAM", "TNCC")}
    feed(
        *(
            Snapshot(
                "opensky",
                T0 + timedelta(minutes=5 * i),
                (_klm(T0 + timedelta(minutes=5 * i), -62.0 - i, 13.0),),
            )
            for i in range(3)
        ),
        routes=route,
    )
    flight_id = "484b2a-20251121T180000Z"
    track = client.get(f"/api/v1/flights/{flight_id}/track").json()
    assert track["geometry"] == {
        "type": "LineString",
        "coordinates": [[-62.0, 13.0], [-63.0, 13.0], [-64.0, 13.0]],
    }
    assert track["properties"]["times"][0] == "2025-11-21T18:00:00Z"
    listed = client.get("/api/v1/flights", params={"destination": "TNCC"}).json()
    assert [f["id"] for f in listed["items"]] == [flight_id]


def test_notams_filters(client, sessions):
    notams = [
        Notam(
            id="N1",
            number="A0012/25",
            raw_text="KICZ A0012/25 ...",
            fir="SVZM",
            classification=NotamClass.WARNING,
            classification_reason="security",
            valid_from=T0,
            valid_to=T0 + timedelta(days=90),
            text="HEIGHTENED MILITARY ACTIVITY",
        ),
        Notam(
            id="N2",
            number="A0100/25",
            raw_text="...",
            fir="TNCF",
            classification=NotamClass.OTHER,
            valid_from=T0 - timedelta(days=10),
            valid_to=T0 - timedelta(days=1),
            text="TWY B CLSD",
        ),
    ]
    with sessions.begin() as s:
        save_notams(s, notams, T0)
    svzm = client.get("/api/v1/notams", params={"fir": "SVZM"}).json()["items"]
    assert [n["number"] for n in svzm] == ["A0012/25"]
    active = client.get("/api/v1/notams", params={"active_at": "2025-11-22T00:00:00Z"}).json()
    assert [n["id"] for n in active["items"]] == ["N1"]
    found = client.get("/api/v1/notams", params={"q": "military"}).json()["items"]
    assert [n["id"] for n in found] == ["N1"]
    one = client.get("/api/v1/notams/N1").json()
    assert one["raw_text"].startswith("KICZ") and one["classification"] == "warning"
    assert client.get("/api/v1/notams/A0012/25").json()["id"] == "N1"


def test_webhook_crud_and_secret(client, admin):
    created = client.post(
        "/api/v1/webhooks",
        json={"url": "https://ops.example.com/hook", "event_types": ["flight.rerouted"]},
        headers=admin,
    )
    assert created.status_code == 201
    hook = created.json()
    assert hook["secret"].startswith("whsec_")
    assert "secret" not in client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin).json()
    assert_problem(
        client.post(
            "/api/v1/webhooks", headers=admin, json={"url": "https://ops.example.com/hook"}
        ),
        409,
    )
    patched = client.patch(
        f"/api/v1/webhooks/{hook['id']}", headers=admin, json={"enabled": False}
    ).json()
    assert patched["enabled"] is False
    rotated = client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret", headers=admin).json()
    assert rotated["secret"] != hook["secret"]
    test = client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=admin)
    assert test.status_code == 202 and test.json()["event_type"] == "webhook.test"
    deliveries = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=admin).json()[
        "items"
    ]
    assert [d["id"] for d in deliveries] == [test.json()["id"]]
    assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin).status_code == 204
    assert_problem(client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin), 404)


def test_health_and_docs(client):
    health = client.get("/health").json()
    assert health["database"] == "ok" and health["scheduler"] == "off"
    schema = client.get("/openapi.json").json()
    assert "/api/v1/alerts" in schema["paths"]
    assert "404" in schema["paths"]["/api/v1/alerts/{alert_id}"]["get"]["responses"]
    assert client.get("/").status_code == 200


def test_map_routes_and_traffic_svg(client, feed):
    # a KLM flight over the Caribbean north of SVZM, seen by OpenSky (whose box covers SVZM:
    # its polls are traffic samples) and ADS-B Exchange
    feed(
        Snapshot("opensky", T0, (_klm(T0, -62.0, 16.0),)),
        Snapshot(
            "adsbx",
            T0 + timedelta(minutes=1),
            (_klm(T0 + timedelta(minutes=1), -62.1, 16.0, "adsbx"),),
        ),
        routes={"KLM737": Route("KLM737", "EHAM", "TNCC")},
    )
    fc = client.get("/api/v1/map").json()
    west, south, east, north = fc["bbox"]  # the watched SVZM, padded
    assert west < -73.0 and east > -59.0 and south < 0.6 and north > 16.0
    kinds = [f["properties"]["kind"] for f in fc["features"]]
    firs = {f["properties"]["icao"] for f in fc["features"] if f["properties"]["kind"] == "fir"}
    # the FIRs the view shows (not the world's 435): SVZM and its neighbours
    assert {"SVZM", "TNCF", "SKED", "TTZP"} <= firs and len(firs) < 60
    assert "OIIX" not in firs and "aircraft" in kinds and "airport" in kinds
    # detection's figures for the route (nothing finished yet: no flight counted)
    routes = {r["route"]: r for r in client.get("/api/v1/routes").json()}
    assert routes["EHAM-TNCC"]["updated_at"] == "2025-11-21T18:01:00Z"
    assert routes["EHAM-TNCC"]["flights_seen"] == 0 and routes["EHAM-TNCC"]["avoiding"] == 0
    one = client.get("/api/v1/routes/eham-tncc").json()
    assert one["watched"] and one["recent_flights"][0]["id"] == "484b2a-20251121T180000Z"
    assert_problem(client.get("/api/v1/routes/nonsense"), 400)  # not origin-destination
    nobody = client.get("/api/v1/routes/abcd-efgh").json()  # a route no flight took
    assert not nobody["watched"] and nobody["recent_flights"] == [] == nobody["alerts"]
    svg = client.get("/api/v1/airspaces/SVZM/traffic.svg")
    assert svg.headers["content-type"] == "image/svg+xml" and svg.text.startswith("<svg")


def test_basemap_is_land_clipped_to_the_view(client):
    land = client.get("/api/v1/map/basemap").json()
    geometry = shapely.geometry.shape(land["geometry"])
    assert geometry.contains(shapely.Point(-69.97, 12.52))  # Aruba
    assert geometry.contains(shapely.Point(-66.90, 10.48))  # Caracas
    assert not geometry.contains(shapely.Point(-67.5, 14.0))  # Caribbean Sea
    assert geometry.bounds[0] >= land["bbox"][0] and geometry.bounds[3] <= land["bbox"][3]
    europe = client.get("/api/v1/map/basemap?bbox=0,45,10,55").json()
    assert shapely.geometry.shape(europe["geometry"]).contains(shapely.Point(4.9, 52.37))
    for bad in ("1,2,3", "a,b,c,d", "0,-95,10,0", "1e1,0,20,10", "181,0,10,10", "nan,0,1,1"):
        assert_problem(client.get(f"/api/v1/map/basemap?bbox={bad}"), 400)
    # every bbox the pattern admits has an answer (RFC 7946 5.2): west > east crosses the
    # antimeridian (Fiji has land on both sides), latitudes in either order, no zero width
    fiji = client.get("/api/v1/map/basemap?bbox=176,-15,-178,-20").json()
    assert fiji["bbox"] == [176.0, -20.0, -178.0, -15.0]
    sides = shapely.geometry.shape(fiji["geometry"])
    assert sides.bounds[0] < -178 + 1e-9 and sides.bounds[2] > 176  # land on both sides
    assert sides.contains(shapely.Point(178.4, -18.1))  # Viti Levu, Suva
    assert sides.contains(shapely.Point(-179.87, -16.7)) or sides.intersects(
        shapely.box(-180, -20, -178, -15)
    )
    for box in ("5,5,5,5", "180,0,-180,10", "10.5,0,10.2,5"):
        r = client.get(f"/api/v1/map/basemap?bbox={box}")
        assert r.status_code == 200 and r.json()["bbox"][1] < r.json()["bbox"][3], box


def test_status_page_files_and_chart_events(client, sessions):
    page = client.get("/")
    assert page.headers["content-type"].startswith("text/html")
    assert '<script src="/static/status.js"' in page.text and "style=" not in page.text
    # no inline script or style: the Content-Security-Policy allows the page's own files only
    assert re.search(r"<script[^>]*>\s*[^<\s]", page.text) is None and "<style" not in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    for name, kind in (("status.js", "text/javascript"), ("status.css", "text/css")):
        asset = client.get(f"/static/{name}")
        assert asset.status_code == 200 and asset.headers["content-type"].startswith(kind)
    assert_problem(client.get("/static/nope.js"), 404)
    assert client.get("/static/..%2Fstatus_page.py").status_code == 404
    with sessions.begin() as s:
        for minutes, foreign in ((0, 9), (60, 9), (120, 1), (180, 0)):
            s.add(
                TrafficSampleRow(
                    airspace="SVZM",
                    observed_at=T0 + timedelta(minutes=minutes),
                    source="opensky",
                    foreign_count=foreign,
                    domestic_count=3,
                )
            )
        for key, kind, minutes, evidence in (
            ("n1", "notam.active", 30, {"number": "A0012/25"}),
            ("n2", "notam.active", 150, {"number": "A0483/25"}),
            ("c1", "airspace.traffic_collapse", 130, {}),
        ):
            at = T0 + timedelta(minutes=minutes)
            s.add(
                AlertRow(
                    dedup_key=key,
                    type=kind,
                    severity="warning",
                    status="open",
                    title=key,
                    airspace="SVZM",
                    opened_at=at,
                    updated_at=at,
                    observed_at=at,
                    evidence=evidence,
                )
            )
    svg = client.get("/api/v1/airspaces/SVZM/traffic.svg").text
    assert "warning: NOTAM A0012/25 18:30Z" in svg and "A0483/25" not in svg  # the first only
    assert "closure: traffic collapse 20:10Z" in svg
    sizes = [int(v) for v in re.findall(r'font-size="(\d+)"', svg)]
    assert sizes and min(sizes) >= 12
