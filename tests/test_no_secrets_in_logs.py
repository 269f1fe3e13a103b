"""Marker secrets (a database password, an API key, a whsec_ signing secret) never reach a
log line or stderr, whichever path carries them there (issue 18)."""

from __future__ import annotations

import logging

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service import cli
from service.api.app import create_app
from service.logs import setup_logging
from tests.api.conftest import make_key

PASSWORD = "PW-marker-7f3a9"


def test_markers_never_reach_logs_or_stderr(settings, sessions, capfd, monkeypatch):
    setup_logging("DEBUG")
    # SQLAlchemy at INFO logs every statement with its parameters: the widest leak path
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    try:
        with TestClient(create_app(settings, start_scheduler=False)) as c:
            admin = make_key(sessions, ["admin"])
            api_key = admin["X-API-Key"]
            hook = c.post("/api/v1/webhooks", json={"url": "https://a.example/h"}, headers=admin)
            secret = hook.json()["secret"]
            rotated = c.post(f"/api/v1/webhooks/{hook.json()['id']}/rotate-secret", headers=admin)
            new_secret = rotated.json()["secret"]
            c.get("/api/v1/alerts", headers={"X-API-Key": api_key[:-1] + "Z"})  # a wrong key
            log = logging.getLogger("firwatch.test")
            try:  # an exception whose text carries all of them, as a driver error might
                raise RuntimeError(f"failed: key={api_key} secret={secret} {new_secret}")
            except RuntimeError:
                log.exception("unexpected: postgresql://u:%s@db/x", PASSWORD)
            log.info("Failing row contains (wh_1, https://a.example/h, %s).", secret)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
        logging.getLogger().handlers[:] = []
    monkeypatch.setenv("FIRWATCH_DATABASE_URL", f"postgresql+psycopg://u:{PASSWORD}@127.0.0.1:1/x")
    result = CliRunner().invoke(cli.app, ["alerts"])
    out, err = capfd.readouterr()
    everything = out + err + result.output
    assert "INSERT INTO webhooks" in everything  # the statements were logged...
    for marker in (PASSWORD, api_key.split("_", 2)[2], secret[6:], new_secret[6:]):
        assert marker not in everything  # ...but no secret with them
