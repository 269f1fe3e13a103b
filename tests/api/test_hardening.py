"""One test per finding of the adversarial review (issue 18), each replaying the request."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import text

from service.api.app import create_app
from service.domain import AlertEvent, AlertType, Severity
from service.store.alerts import save_alert_events
from service.store.models import ApiKeyRow
from tests.api.conftest import make_key
from tests.api.test_api import assert_problem

T0 = datetime(2025, 11, 21, 18, 0, tzinfo=UTC)
HOOK = {"url": "https://ops.example.com/hooks/a"}


def disabled_webhook_alert(sessions, url: str) -> None:
    from service.store.models import WebhookRow
    from service.webhooks.delivery import disabled_notice

    with sessions.begin() as s:
        hook = WebhookRow(id="wh_x", url=url, secret="whsec_AAAA", created_at=T0)
        save_alert_events(s, [disabled_notice(hook, T0, "410 Gone")], T0)


def test_webhook_urls_are_admin_only_evidence(client, sessions, admin):
    url = "https://hooks.example.com/T0KEN-capability"
    disabled_webhook_alert(sessions, url)
    read = make_key(sessions, ["read"])
    for headers in ({}, read):
        body = client.get("/api/v1/alerts", headers=headers).text
        assert "T0KEN" not in body and "wh_x" in body
        alert_id = client.get("/api/v1/alerts", headers=headers).json()["items"][0]["id"]
        assert "T0KEN" not in client.get(f"/api/v1/alerts/{alert_id}", headers=headers).text
        with client.stream(
            "GET", "/api/v1/alerts/stream?since_id=0&once=true", headers=headers
        ) as r:
            assert "T0KEN" not in "".join(r.iter_text())
    # the notice no longer carries the URL at all (other subscribers' payloads are built from it)
    from service.store.alerts import alert_to_dict
    from service.store.models import AlertRow

    with sessions() as s:
        row = s.query(AlertRow).one()
        assert "url" not in alert_to_dict(row)["evidence"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/alerts?since=0001-01-01T00:00:00%2B14:00",
        "/api/v1/alerts?until=9999-12-31T23:59:59-14:00",
        "/api/v1/flights?since=0001-01-01T00:00:00%2B14:00",
        "/api/v1/airspaces/SVZM/traffic?since=0001-01-01T00:00:00%2B14:00",
        "/api/v1/notams?active_at=9999-12-31T23:00:00-05:00",
        "/api/v1/alerts?since=0.5",
        "/api/v1/alerts?since=1732212000",
        "/api/v1/alerts/9223372036854775808",
        "/api/v1/alerts/0",
        "/api/v1/alerts/stream?since_id=9223372036854775808",
    ],
)
def test_out_of_range_times_and_ids_are_400(client, path):
    assert_problem(client.get(path), 400)


def test_last_event_id_beyond_int64_is_400(client):
    r = client.get("/api/v1/alerts/stream", headers={"Last-Event-ID": "9" * 19})
    assert_problem(r, 400)


def test_cursors_outside_their_pattern_are_400_and_any_other_is_a_page(client, admin):
    """A cursor's syntax is declared (a pattern per list); every string that matches it is a
    position (schemathesis counts a 400 for a schema-valid value as a contract failure), and
    what does not match is a 400 "invalid-cursor", including the old base64-JSON shapes."""
    hook = client.post("/api/v1/webhooks", json=HOOK, headers=admin).json()
    deliveries = f"/api/v1/webhooks/{hook['id']}/deliveries"
    wrong = {
        "/api/v1/alerts": ["!!!", "-1", "1" * 20, "1.5", "NDI", " 1", "\u0661"],
        "/api/v1/flights": ["x", "1", "-1.AAAA", "1" * 17 + ".AA", "1.A", "1.AAAA=", "1.a b"],
        deliveries: ["1", "1.A", "nope"],
        "/api/v1/notams": ["A", "AAAAA", "a/b", "AA==", "x" * 260],
    }
    for path, cursors in wrong.items():
        for cursor in cursors:
            r = client.get(path, params={"cursor": cursor}, headers=admin)
            assert_problem(r, 400, "invalid-cursor")
    forged = {
        # beyond every 64-bit id: the page starts at the newest alert
        "/api/v1/alerts": ["0", "9" * 19],
        # year 1970 and year 2286; an id that is not UTF-8 (0xff) or is NUL (no text holds it)
        "/api/v1/flights": ["0.", "9" * 16 + ".AAAA", "1.__8", "5.AA"],
        deliveries: ["0.", "1763748000000000.bXNnXzE"],
        "/api/v1/notams": ["_w", "AA", ""],
    }
    for path, cursors in forged.items():
        for cursor in cursors:
            r = client.get(path, params={"cursor": cursor}, headers=admin)
            assert r.status_code == 200 and isinstance(r.json()["items"], list), (path, r.text)


def test_flight_notam_and_delivery_pages_follow_next_to_the_end(client, sessions, admin):
    from service.store.models import FlightRow, NotamRow, WebhookDeliveryRow, WebhookRow

    with sessions.begin() as s:
        s.add(
            WebhookRow(
                id="wh_p", url="https://ops.example.com/p", secret="whsec_AAAA", created_at=T0
            )
        )
        s.flush()
        for i in range(7):  # pairs share a time: the id breaks the tie
            at = T0 + timedelta(minutes=i // 2, microseconds=5)
            s.add(
                FlightRow(
                    id=f"f/{i}",
                    icao24=f"00000{i}",
                    callsign=f"X{i}",
                    domestic=False,
                    first_seen=T0,
                    last_seen=at,
                    state="landed",
                    position_count=0,
                )
            )
            s.add(
                NotamRow(
                    id=f"N {i}/25",
                    number=f"A000{i}/25",
                    kind="N",
                    raw_text="x",
                    text="x",
                    classification="other",
                    fetched_at=T0,
                )
            )
            s.add(
                WebhookDeliveryRow(
                    id=f"msg_{i}",
                    webhook_id="wh_p",
                    event_type="t",
                    payload="{}",
                    status="pending",
                    attempts=0,
                    next_attempt_at=at,
                    created_at=at,
                )
            )
    for first, expect in (
        ("/api/v1/flights?limit=2", [f"f/{i}" for i in reversed(range(7))]),
        ("/api/v1/notams?limit=2", [f"N {i}/25" for i in range(7)]),
        ("/api/v1/webhooks/wh_p/deliveries?limit=2", [f"msg_{i}" for i in reversed(range(7))]),
    ):
        seen, url = [], first
        while url:
            page = client.get(url, headers=admin).json()
            seen += [item["id"] for item in page["items"]]
            url = page["next"]
        assert seen == expect, first


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("0002-01-01T00:00:00+23:59", 200),  # the extremes the pattern admits stay in range
        ("9998-12-31T23:59:59.999999-23:59", 200),
        ("2025-11-21T18:00:00.5Z", 200),
        ("0001-06-01T00:00:00Z", 400),  # years 0001 and 9999 are outside the pattern
        ("9999-01-01T00:00:00Z", 400),
        ("2025-11-21t18:00:00z", 400),  # the format allows lower case, the pattern does not
        ("2025-11-21T18:00:00.1234567Z", 400),  # beyond microseconds
        ("2025-02-30T00:00:00Z", 400),  # the calendar: the date-time format's rule
        ("2025-11-21T18:00:60Z", 400),
        ("2025-11-21T18:00:00+24:00", 400),
        ("\u0662025-11-21T18:00:00Z", 400),  # a non-ASCII digit
    ],
)
def test_time_parameters_follow_their_declared_pattern(client, value, status):
    from service.api.params import RFC3339

    r = client.get("/api/v1/alerts", params={"since": value})
    assert r.status_code == status, r.text
    if status == 400:
        assert_problem(r, 400, "invalid-parameter")
    doc = client.get("/openapi.json").json()
    (since,) = [
        p for p in doc["paths"]["/api/v1/alerts"]["get"]["parameters"] if p["name"] == "since"
    ]
    assert since["schema"]["pattern"] == RFC3339.pattern.replace(r"\Z", "$")


@pytest.mark.parametrize("field", ["url", "enabled", "description", "event_types", "filters"])
def test_patch_with_null_is_422(client, admin, field):
    hook = client.post("/api/v1/webhooks", json=HOOK, headers=admin).json()
    r = client.patch(f"/api/v1/webhooks/{hook['id']}", json={field: None}, headers=admin)
    assert_problem(r, 422)
    assert client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin).json()["url"] == HOOK["url"]


def test_patch_to_a_duplicate_url_is_409(client, admin):
    a = client.post("/api/v1/webhooks", json=HOOK, headers=admin).json()
    b = client.post("/api/v1/webhooks", json={"url": "https://ops.example.com/b"}, headers=admin)
    r = client.patch(f"/api/v1/webhooks/{b.json()['id']}", json={"url": a["url"]}, headers=admin)
    assert_problem(r, 409, "webhook-exists")
    same = client.patch(f"/api/v1/webhooks/{a['id']}", json={"url": a["url"]}, headers=admin)
    assert same.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",
        "http://10.1.2.3/x",
        "http://[::1]/x",
        "http://localhost/x",
        "http://169.254.169.254/latest",
        "http://user:pw@ops.example.com/x",
    ],
)
def test_unsafe_webhook_urls_are_refused_at_registration(settings, sessions, url):
    settings.webhooks.allow_private_targets = False
    with TestClient(create_app(settings, start_scheduler=False)) as c:
        admin = make_key(sessions, ["admin"])
        assert_problem(c.post("/api/v1/webhooks", json={"url": url}, headers=admin), 422)
        ok = c.post("/api/v1/webhooks", json={"url": "https://93.184.215.14/hook"}, headers=admin)
        assert ok.status_code == 201
        patched = c.patch(f"/api/v1/webhooks/{ok.json()['id']}", json={"url": url}, headers=admin)
        assert_problem(patched, 422)


def test_basemap_narrow_boxes_across_antimeridian_polygons_answer(client):
    """Found by the 150-example schemathesis run: a 1-degree strip such as -180,-90,-180,90
    (widened to -180..-179) or -156,-90,-155,90 was a 500 (GEOS: a 3-point ring), because
    Antarctica, Eurasia, Wrangel Island and a Fiji island are published as rings that jump
    across the antimeridian.  They are now cut at ±180 when the land is loaded."""
    from service.geo.basemap import land
    from tests.conftest import ROOT

    world = land(ROOT / "seeds")
    assert world.is_valid
    assert world.contains(shapely.Point(0, -89.5))  # Antarctica reaches the pole
    assert world.contains(shapely.Point(-175, 66)) and world.contains(shapely.Point(178, 66))
    boxes = ["-180.000,-90.00000000000,-180,90", "-156,-90,-155,90", "179.5,-90,-179.5,-60"]
    boxes += [f"{w},-90,{w + 1},90" for w in range(-180, 180, 12)]
    for box in boxes:
        r = client.get(f"/api/v1/map/basemap?bbox={box}")
        assert r.status_code == 200, (box, r.text)


def test_basemap_whole_world_is_cached_and_does_not_raise(client):
    first = client.get("/api/v1/map/basemap?bbox=-180,-90,180,90")
    assert first.status_code == 200, first.text
    assert first.headers["content-type"].startswith("application/geo+json")
    from service.api.endpoints.map import land_geojson

    hits = land_geojson.cache_info().hits
    assert client.get("/api/v1/map/basemap?bbox=-179.5,-89.9,179.9,89.9").status_code == 200
    assert land_geojson.cache_info().hits == hits + 1  # same whole-degree box: served from cache


def test_nul_bytes_are_400(client, admin):
    for path in ("/api/v1/flights/a%00b", "/api/v1/alerts?callsign=A%00", "/api/v1/notams/A%00"):
        assert_problem(client.get(path), 400)
    body = {"url": "https://ops.example.com/n", "description": "a\u0000b"}
    assert_problem(client.post("/api/v1/webhooks", json=body, headers=admin), 422)


def test_wrong_keys_are_rate_limited(settings, sessions):
    settings.api.rate_limit_per_minute = 5
    with TestClient(create_app(settings, start_scheduler=False)) as c:
        codes = [
            c.get("/api/v1/alerts", headers={"X-API-Key": f"fw_{i:012x}_guess"}).status_code
            for i in range(8)
        ]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}


def test_revoked_key_is_not_served_from_the_cache_and_closes_the_stream(settings, sessions):
    settings.api.cache_s = 60.0
    settings.api.read_auth = "always"
    with TestClient(create_app(settings, start_scheduler=False)) as c:
        key = make_key(sessions, ["read"])
        assert c.get("/api/v1/alerts", headers=key).status_code == 200
        assert c.get("/api/v1/alerts", headers=key).headers.get("x-cache") == "hit"
        kid = key["X-API-Key"].split("_")[1]
        with c.stream("GET", "/api/v1/alerts/stream", headers=key) as stream:
            with sessions.begin() as s:
                s.get(ApiKeyRow, kid).revoked_at = datetime.now(UTC)
            text_ = ""
            for chunk in stream.iter_text():  # ends on its own once the key is gone
                text_ += chunk
        assert "revoked" in text_
        assert_problem(c.get("/api/v1/alerts", headers=key), 401, "invalid-api-key")


def test_next_links_are_url_encoded(client, sessions):
    with sessions.begin() as s:
        events = [
            AlertEvent(
                type=AlertType.AIRSPACE_STATUS_CHANGED,
                severity=Severity.WARNING,
                dedup_key=f"k{i}",
                observed_at=T0 + timedelta(minutes=i),
                title="t",
                airspace="SVZM",
                flight_id="x&limit=500#",
            )
            for i in range(3)
        ]
        save_alert_events(s, events, T0)
    r = client.get("/api/v1/alerts", params={"limit": 1, "flight_id": "x&limit=500#"})
    link = r.json()["next"]
    assert "#" not in link and "&limit=500" not in link
    nxt = client.get(link).json()
    assert len(nxt["items"]) == 1 and nxt["items"][0]["id"] < r.json()["items"][0]["id"]


def test_unknown_query_parameters_are_400_and_route_filters_flights(client, sessions):
    assert_problem(
        client.get("/api/v1/alerts?sinse=2025-01-01T00:00:00Z"), 400, "unknown-parameter"
    )
    assert_problem(client.get("/api/v1/flights?rout=SKBO-TNCC"), 400, "unknown-parameter")
    from service.store.models import FlightRow

    with sessions.begin() as s:
        for i, (o, d) in enumerate([("SKBO", "TNCC"), ("EHAM", "TNCC"), ("SKBO", "TNCC")]):
            s.add(
                FlightRow(
                    id=f"f{i}",
                    icao24=f"00000{i}",
                    callsign=f"X{i}",
                    domestic=False,
                    first_seen=T0,
                    last_seen=T0 + timedelta(minutes=i),
                    origin=o,
                    destination=d,
                    state="landed",
                    position_count=0,
                )
            )
    items = client.get("/api/v1/flights?route=SKBO-TNCC").json()["items"]
    assert sorted(f["id"] for f in items) == ["f0", "f2"]
    # filters combine (a schema-valid combination is never refused): all must hold
    both = client.get("/api/v1/flights?route=SKBO-TNCC&origin=skbo").json()["items"]
    assert sorted(f["id"] for f in both) == ["f0", "f2"]
    assert client.get("/api/v1/flights?route=SKBO-TNCC&origin=EHAM").json()["items"] == []


def test_geojson_is_geo_json_with_counter_clockwise_outer_rings(client):
    for path in ("/api/v1/map", "/api/v1/airspaces/SVZM/geometry", "/api/v1/map/basemap"):
        r = client.get(path)
        assert r.headers["content-type"].startswith("application/geo+json"), path
        doc = r.json()
        features = doc["features"] if doc["type"] == "FeatureCollection" else [doc]
        for f in features:
            g = shapely.geometry.shape(f["geometry"])
            for poly in getattr(g, "geoms", [g]):
                if poly.geom_type == "Polygon":
                    assert poly.exterior.is_ccw, path
                    assert all(not h.is_ccw for h in poly.interiors), path


def test_notam_active_is_judged_at_data_time(client, sessions):
    from service.store.models import NotamRow, PositionRow

    with sessions.begin() as s:
        s.add(
            NotamRow(
                id="N1",
                number="A0012/25",
                kind="N",
                fir="SVZM",
                locations=["KICZ"],
                classification="warning",
                classification_reason="t",
                valid_from=T0,
                valid_to=T0 + timedelta(days=30),
                valid_to_estimated=False,
                permanent=False,
                text="SECURITY",
                raw_text="A0012/25 NOTAMN",
                problems=[],
                fetched_at=datetime.now(UTC),
            )
        )
        s.add(
            PositionRow(
                icao24="abcdef",
                observed_at=T0 + timedelta(hours=1),
                lat=10.0,
                lon=-66.0,
                on_ground=False,
                source="opensky",
            )
        )
    assert client.get("/api/v1/notams/A0012/25").json()["active"] is True  # 2025 data, not 2026


def test_openapi_declares_security_problems_and_descriptions(client):
    doc = client.get("/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["ApiKeyHeader"] == {
        **schemes["ApiKeyHeader"],
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    assert schemes["BearerKey"]["scheme"].lower() == "bearer"
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op.get("description") or op.get("summary"), (method, path)
            assert "400" in op["responses"] or not op.get("parameters"), (method, path)
            for p in op.get("parameters", []):
                assert p.get("description"), (method, path, p["name"])
            ok = next(v for k, v in op["responses"].items() if k.startswith("2"))
            if "content" in ok:
                for media, content in ok["content"].items():
                    assert content.get("schema"), (method, path, media)
            for code, response in op["responses"].items():
                if code[0] == "4":
                    assert list(response["content"]) == ["application/problem+json"], (path, code)
    assert doc["paths"]["/api/v1/map"]["get"]["responses"]["200"]["content"].keys() == {
        "application/geo+json"
    }


def test_problem_for_405_lists_every_method_of_the_path(client, admin):
    hook = client.post("/api/v1/webhooks", json=HOOK, headers=admin).json()
    r = client.request("OPTIONS", f"/api/v1/webhooks/{hook['id']}", headers=admin)
    assert r.status_code == 405
    assert set(r.headers["allow"].split(", ")) == {"GET", "PATCH", "DELETE"}


def test_webhook_secrets_are_encrypted_at_rest(client, sessions, admin):
    hook = client.post("/api/v1/webhooks", json=HOOK, headers=admin).json()
    with sessions() as s:
        stored = s.execute(text("SELECT secret FROM webhooks")).scalar_one()
    assert stored.startswith("fernet:") and hook["secret"] not in stored
    rotated = client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret", headers=admin).json()
    with sessions() as s:
        cur, prev = s.execute(text("SELECT secret, previous_secret FROM webhooks")).one()
    assert rotated["secret"] not in cur and hook["secret"] not in prev
    assert base64.b64decode(rotated["secret"][6:])  # the plaintext is still a whsec_ secret


def test_host_flag_decides_read_auth(monkeypatch, tmp_path):
    """``firwatch serve --host 0.0.0.0`` must need keys for reads, like the env setting does."""
    import uvicorn

    from service import cli

    seen = {}

    def fake_run(app, **kwargs):
        seen["host"] = kwargs["host"]
        seen["needs_key"] = app.state.settings.api.reads_need_key()

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setenv("FIRWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("FIRWATCH_AUTO_MIGRATE", "true")
    from typer.testing import CliRunner

    result = CliRunner().invoke(cli.app, ["serve", "--host", "0.0.0.0", "--role", "api"])
    assert result.exit_code == 0, result.output
    assert seen == {"host": "0.0.0.0", "needs_key": True}


def test_cli_database_errors_hide_the_password(monkeypatch):
    from typer.testing import CliRunner

    from service import cli

    monkeypatch.setenv(
        "FIRWATCH_DATABASE_URL", "postgresql+psycopg://postgres:S3CRET-PW@127.0.0.1:1/nodb"
    )
    result = CliRunner().invoke(cli.app, ["alerts"])
    assert result.exit_code != 0
    assert "S3CRET-PW" not in result.output and "postgres:***@" in result.output


def test_feed_retry_after_is_capped():
    import httpx

    from service.feeds.base import RETRY_AFTER_CAP_S, retry_after

    assert retry_after(httpx.Response(429, headers={"Retry-After": "71622"})) == RETRY_AFTER_CAP_S
    assert retry_after(httpx.Response(429, headers={"Retry-After": "12"})) == 12.0


def test_alert_json_round_trip(client):
    assert json.loads(client.get("/api/v1/alerts").text) == {"items": [], "next": None}


def test_status_page_headers(client):
    r = client.get("/")
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


def test_secret_key_rotation(client, sessions, admin, monkeypatch, settings):
    from cryptography.fernet import Fernet
    from typer.testing import CliRunner

    from service import cli

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("FIRWATCH_SECRET_KEY", old)
    hook = client.post("/api/v1/webhooks", json=HOOK, headers=admin).json()
    monkeypatch.setenv("FIRWATCH_SECRET_KEY", f"{new},{old}")  # new first: old still decrypts
    monkeypatch.setenv("FIRWATCH_DATABASE_URL", settings.resolved_database_url)
    result = CliRunner().invoke(cli.app, ["db", "reencrypt-secrets"])
    assert result.exit_code == 0 and "re-encrypted 1" in result.output, result.output
    monkeypatch.setenv("FIRWATCH_SECRET_KEY", new)  # old dropped: still readable
    from service.store.models import WebhookRow

    with sessions() as s:
        assert s.get(WebhookRow, hook["id"]).secret == hook["secret"]
    monkeypatch.setenv("FIRWATCH_SECRET_KEY", old)  # only the dropped key: refused, not garbage
    from service.store.crypto import SecretKeyError

    with sessions() as s, pytest.raises(SecretKeyError):
        s.get(WebhookRow, hook["id"])


def test_notam_id_schema_leaves_parse_to_the_post_route(client):
    """`/notams/parse` is the POST route's: the path parameter's pattern says so too, so a
    schema-valid GET is never the 405 that path answers."""
    import re

    doc = client.get("/openapi.json").json()
    (param,) = doc["paths"]["/api/v1/notams/{notam_id}"]["get"]["parameters"]
    pattern = param["schema"]["pattern"]
    assert not re.search(pattern, "parse")
    assert all(re.search(pattern, ok) for ok in ("A0012/25", "pars", "parsed", "Parse"))
    assert client.get("/api/v1/notams/parse").status_code == 405
    assert_problem(client.get("/api/v1/notams/parsed"), 404)
