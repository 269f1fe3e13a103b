"""compose.yaml (service + PostgreSQL): what the service would see, and the documented
commands run outside Docker against the local PostgreSQL (no engine here)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml
from sqlalchemy.engine import make_url

from service.config import load_settings
from tests.conftest import create_pg_database, drop_pg_database
from tests.test_dockerfile import image_env

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def service_env() -> dict[str, str]:
    """The firwatch container's environment: the image's ENV, then compose's, with
    ``${VAR:-default}`` resolved as compose does when VAR is unset."""
    env = image_env()
    for key, value in COMPOSE["services"]["firwatch"]["environment"].items():
        env[key] = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))
    return env


def test_compose_settings_are_valid_and_point_at_the_db_service(monkeypatch):
    env = service_env()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FIRWATCH_CONFIG", str(ROOT / "config.yaml"))  # /app/config.yaml there
    settings = load_settings()
    url = make_url(settings.database_url)
    db = COMPOSE["services"]["db"]
    assert url.drivername == "postgresql+psycopg" and url.host == "db" and url.port == 5432
    assert (url.username, url.password, url.database) == (
        db["environment"]["POSTGRES_USER"],
        db["environment"]["POSTGRES_PASSWORD"],
        db["environment"]["POSTGRES_DB"],
    )
    assert COMPOSE["services"]["firwatch"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert f"{settings.api.port}:{settings.api.port}" in COMPOSE["services"]["firwatch"]["ports"]
    assert settings.api.reads_need_key()  # bound to 0.0.0.0: the key command below is needed
    assert settings.feeds.opensky.client_id is not None and not settings.feeds.opensky.client_id
    assert settings.log_format == "json"


def test_compose_commands_run_outside_docker(tmp_path):
    """`firwatch db upgrade` and the README's `keys create` with the compose URL's form (host,
    user and database swapped for the local test cluster)."""
    local = create_pg_database()
    try:
        url = make_url(service_env()["FIRWATCH_DATABASE_URL"]).set(
            host="127.0.0.1", username="postgres", password=None, database=make_url(local).database
        )
        env = {**os.environ, **service_env(), "FIRWATCH_CONFIG": str(ROOT / "config.yaml"),
               "FIRWATCH_DATABASE_URL": url.render_as_string(hide_password=False)}  # fmt: skip
        comment = (ROOT / "compose.yaml").read_text(encoding="utf-8")
        keys_line = next(line for line in comment.splitlines() if "keys create" in line)
        keys_cmd = shlex.split(keys_line.split("docker compose exec firwatch ", 1)[1].split("#")[0])
        for cmd in (["firwatch", "db", "upgrade"], keys_cmd):
            done = subprocess.run(
                [sys.executable, "-m", "service.cli", *cmd[1:]], env=env, cwd=tmp_path,
                capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert done.returncode == 0, (cmd, done.stderr)
        assert done.stdout.startswith("fw_")  # the key, printed once
    finally:
        drop_pg_database(local)
