"""Liveness, readiness, Prometheus metrics and request ids."""

from __future__ import annotations

import json
import logging

from service.logs import JsonFormatter, RequestIdFilter, request_id


def test_live_ready_metrics(client):
    assert client.get("/health/live").json() == {"status": "alive"}
    ready = client.get("/health/ready").json()
    assert ready["status"] == "ready"
    assert ready["checks"] == {"database": "ok", "migrations": "ok", "scheduler": "off"}
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "firwatch_webhook_outbox_pending 0.0" in metrics.text
    assert "firwatch_scheduler_leader 0.0" in metrics.text


def test_request_id_echoed(client):
    response = client.get("/health/live", headers={"X-Request-ID": "abc123"})
    assert response.headers["x-request-id"] == "abc123"
    generated = client.get("/health/live").headers["x-request-id"]
    assert len(generated) == 32


def test_json_log_lines_carry_request_id():
    record = logging.LogRecord(
        "firwatch.api", logging.WARNING, __file__, 1, "hello %s", ("x",), None
    )
    token = request_id.set("rid-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello x" and line["request_id"] == "rid-1"
    assert line["level"] == "WARNING" and line["time"].endswith("Z")
