"""API keys, scopes, read policy, rate limiting, body limits and the SSE alert stream."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from service.api.app import create_app
from service.domain import AlertEvent, AlertType, Severity
from service.store.alerts import save_alert_events
from tests.api.conftest import make_key
from tests.api.test_api import assert_problem

T0 = datetime(2025, 11, 21, 18, 0, tzinfo=UTC)


def raise_alert(sessions, key: str, resolved: bool = False, at: datetime = T0) -> None:
    with sessions.begin() as s:
        save_alert_events(
            s,
            [
                AlertEvent(
                    type=AlertType.AIRSPACE_STATUS_CHANGED,
                    severity=Severity.CRITICAL,
                    dedup_key=key,
                    observed_at=at,
                    title=f"status {key}",
                    airspace="SVZM",
                    resolved=resolved,
                )
            ],
            T0,
        )


def test_scopes(client, sessions):
    read = make_key(sessions, ["read"])
    assert_problem(client.get("/api/v1/webhooks", headers=read), 403, "insufficient-scope")
    assert_problem(client.get("/api/v1/webhooks"), 401, "api-key-required")
    assert client.get("/api/v1/alerts").status_code == 200  # loopback bind: open reads
    assert client.get("/api/v1/alerts", headers=read).status_code == 200


def test_reads_need_key_off_loopback(settings, sessions):
    settings.api.host = "0.0.0.0"
    with TestClient(create_app(settings, start_scheduler=False)) as c:
        assert_problem(c.get("/api/v1/alerts"), 401)
        assert c.get("/api/v1/alerts", headers=make_key(sessions, ["read"])).status_code == 200
        assert c.get("/health").status_code == 200  # health stays open for probes


def test_rate_limit(settings, sessions):
    settings.api.rate_limit_per_minute = 3
    with TestClient(create_app(settings, start_scheduler=False)) as c:
        codes = [c.get("/api/v1/alerts").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = c.get("/api/v1/alerts")
        assert_problem(limited, 429)
        assert int(limited.headers["retry-after"]) >= 1


def test_body_limit(client, admin):
    big = {"url": "https://ops.example.com/hook", "description": "x" * 70000}
    assert_problem(client.post("/api/v1/webhooks", json=big, headers=admin), 413)


def test_stream_resumes_with_last_event_id(client, sessions):
    raise_alert(sessions, "a")
    raise_alert(sessions, "b")
    raise_alert(sessions, "a", resolved=True, at=T0 + timedelta(hours=1))
    with client.stream("GET", "/api/v1/alerts/stream?since_id=0&once=true") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    events = [block for block in text.split("\n\n") if block.startswith("id:")]
    assert [e.splitlines()[1] for e in events] == [
        "event: alert.opened",
        "event: alert.opened",
        "event: alert.resolved",
    ]
    first_id = events[0].splitlines()[0].split(": ")[1]
    with client.stream(
        "GET", "/api/v1/alerts/stream?once=true", headers={"Last-Event-ID": first_id}
    ) as response:
        resumed = [b for b in "".join(response.iter_text()).split("\n\n") if b.startswith("id:")]
    assert len(resumed) == 2 and '"status": "resolved"' in resumed[-1]
    assert_problem(client.get("/api/v1/alerts/stream", headers={"Last-Event-ID": "x"}), 400)


def test_hot_gets_are_cached_briefly(settings, sessions):
    settings.api.cache_s = 30.0
    with TestClient(create_app(settings, start_scheduler=False)) as c:
        assert c.get("/api/v1/alerts").json()["items"] == []
        raise_alert(sessions, "cached")
        assert c.get("/api/v1/alerts").json()["items"] == []  # the rendered page, for up to 30 s
        assert len(c.get("/api/v1/alerts?limit=10").json()["items"]) == 1  # another URL: fresh
        assert c.get("/api/v1/alerts").headers["x-request-id"]  # middleware still runs
    assert c.get("/api/v1/alerts").headers["x-cache"] == "hit"


def test_cache_hits_still_check_credentials_and_rate(settings, sessions):
    """A cached page is only served to the same credentials, and hits count toward the limit."""
    settings.api.cache_s = 30.0
    settings.api.read_auth = "always"
    settings.api.rate_limit_per_minute = 3
    with TestClient(create_app(settings, start_scheduler=False)) as c:
        key = make_key(sessions, ["read"])
        assert c.get("/api/v1/alerts", headers=key).status_code == 200
        assert c.get("/api/v1/alerts", headers=key).headers["x-cache"] == "hit"
        assert_problem(c.get("/api/v1/alerts"), 401, "api-key-required")  # no key: no hit
        forged = {"X-API-Key": key["X-API-Key"][:-2] + "xx"}
        assert_problem(c.get("/api/v1/alerts", headers=forged), 401, "invalid-api-key")
        assert c.get("/api/v1/alerts", headers=key).headers["x-cache"] == "hit"
        assert_problem(c.get("/api/v1/alerts", headers=key), 429)  # 4th for this key: over 3/min


def test_cache_lets_one_request_refresh_while_others_get_the_previous_body(monkeypatch):
    from starlette.requests import Request

    from service.api import cache as cache_mod

    now = [100.0]
    monkeypatch.setattr(cache_mod.time, "monotonic", lambda: now[0])
    c = cache_mod.ResponseCache(1.0)
    scope = {"type": "http", "path": "/api/v1/alerts", "query_string": b"", "headers": []}
    key = cache_mod.cache_key(scope, None)
    assert c.get(key) is None  # cold: full path
    c.respond(Request(scope), lambda: {"n": 1})
    assert c.get(key) == b'{"n":1}'
    now[0] += 1.5  # expired
    assert c.get(key) is None  # this request refreshes...
    assert c.get(key) == b'{"n":1}'  # ...and concurrent ones get the previous body
    c.respond(Request(scope), lambda: {"n": 2})
    assert c.get(key) == b'{"n":2}'
    now[0] += 5.0  # too old to serve even while someone refreshes
    assert c.get(key) is None and c.get(key) is None
