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
from tests.test_dockerfile import image_env

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


# What the operator exports before `docker compose up` (compose refuses to start without it).
REQUIRED = {"POSTGRES_PASSWORD": "compose-test-secret"}


def resolve(value: object) -> str:
    """``${VAR:-default}`` as compose resolves it when VAR is unset, ``${VAR:?msg}`` from REQUIRED."""
    text = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))
    return re.sub(r"\$\{(\w+):\?[^}]*\}", lambda m: REQUIRED[m.group(1)], text)


def service_env(service: str = "firwatch") -> dict[str, str]:
    """A container's environment: the image's ENV, then compose's, resolved."""
    env = image_env()
    for key, value in COMPOSE["services"][service]["environment"].items():
        env[key] = resolve(value)
    return env


def test_no_secret_is_written_in_compose():
    """The database password comes from the operator's environment, never from the file."""
    db_env = COMPOSE["services"]["db"]["environment"]
    assert db_env["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert (
        "${POSTGRES_PASSWORD:?"
        in COMPOSE["services"]["firwatch"]["environment"]["FIRWATCH_DATABASE_URL"]
    )


def test_migrations_run_once_as_a_job_before_the_service():
    services = COMPOSE["services"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    deps = services["firwatch"]["depends_on"]
    assert deps["migrate"]["condition"] == "service_completed_successfully"
    assert service_env("firwatch").get("FIRWATCH_AUTO_MIGRATE", "false").lower() == "false"
    assert service_env("migrate")["FIRWATCH_DATABASE_URL"] == service_env()["FIRWATCH_DATABASE_URL"]


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
        resolve(db["environment"]["POSTGRES_PASSWORD"]),
        db["environment"]["POSTGRES_DB"],
    )
    assert COMPOSE["services"]["firwatch"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert f"{settings.api.port}:{settings.api.port}" in COMPOSE["services"]["firwatch"]["ports"]
    assert settings.api.reads_need_key()  # bound to 0.0.0.0: the key command below is needed
    assert settings.feeds.opensky.client_id is not None and not settings.feeds.opensky.client_id
    assert settings.log_format == "json"


def test_compose_commands_run_outside_docker(tmp_path, pg_database):
    """The `migrate` job's command (`firwatch db upgrade`) and the README's `keys create` with the
    compose URL's form (host, user and database swapped for the local test cluster)."""
    url = make_url(service_env()["FIRWATCH_DATABASE_URL"]).set(
        host="127.0.0.1",
        username="postgres",
        password=None,
        database=make_url(pg_database).database,
    )
    env = {
        **os.environ,
        **service_env(),
        "FIRWATCH_CONFIG": str(ROOT / "config.yaml"),
        "FIRWATCH_DATABASE_URL": url.render_as_string(hide_password=False),
    }
    comment = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    keys_line = next(line for line in comment.splitlines() if "keys create" in line)
    keys_cmd = shlex.split(keys_line.split("docker compose exec firwatch ", 1)[1].split("#")[0])
    migrate_cmd = ["firwatch", *COMPOSE["services"]["migrate"]["command"]]
    for cmd in (migrate_cmd, keys_cmd):
        done = subprocess.run(
            [sys.executable, "-m", "service.cli", *cmd[1:]],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (cmd, done.stderr)
    assert done.stdout.startswith("fw_")  # the key, printed once
