"""The Docker image's commands, run outside Docker (no engine here).

The test reads the Dockerfile itself — its ENV, COPY sources, ENTRYPOINT/CMD and
HEALTHCHECK — and runs those same commands against the installed package, so a
change that breaks the image's start-up or health check fails here.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def image_env() -> dict[str, str]:
    env = {}
    for word, rest in instructions():
        if word == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def exec_form(word: str) -> list[str]:
    rest = next(r for w, r in instructions() if w == word)
    return json.loads(rest)


def test_copy_sources_exist():
    for word, rest in instructions():
        if word == "COPY":
            *sources, _dest = rest.split()
            for source in sources:
                assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"


def test_entrypoint_serves_and_healthcheck_passes(tmp_path):
    env = {**os.environ, **image_env()}
    port = free_port()
    # The container's paths and bind address, mapped to this machine
    env.update(
        FIRWATCH_CONFIG=str(ROOT / "config.yaml"),
        FIRWATCH_API__HOST="127.0.0.1",
        FIRWATCH_API__PORT=str(port),
        FIRWATCH_DATABASE_URL=f"sqlite:///{tmp_path / 'image.db'}",
        # no feed polling: tests never leave loopback
        FIRWATCH_FEEDS__OPENSKY__ENABLED="false",
        FIRWATCH_FEEDS__ADSBX__ENABLED="false",
        FIRWATCH_FEEDS__FAA_NOTAM__ENABLED="false",
    )
    command = exec_form("ENTRYPOINT") + exec_form("CMD")
    assert command == ["firwatch", "serve"]
    binary = Path(sys.executable).parent / command[0]
    # The image never migrates at start: the one-off job (compose's `migrate`) runs first.
    assert env["FIRWATCH_AUTO_MIGRATE"] == "false"
    migrate = subprocess.run(
        [str(binary), "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr
    proc = subprocess.Popen(
        [str(binary), *command[1:]],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        health = next(r for w, r in instructions() if w == "HEALTHCHECK")
        check = json.loads(health.split(" CMD ", 1)[1].strip())
        check = [part.replace("8000", str(port)) for part in check]
        check[0] = sys.executable if check[0] == "python" else check[0]
        deadline = time.monotonic() + 30
        result = None
        while time.monotonic() < deadline:
            result = subprocess.run(check, capture_output=True, timeout=10)
            if result.returncode == 0:
                break
            assert proc.poll() is None, proc.stdout.read().decode()
            time.sleep(0.3)
        assert result is not None and result.returncode == 0, result.stderr.decode()
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_dependencies_are_locked_and_installed_before_the_code():
    """Every runtime dependency is pinned in requirements.lock, which the image installs in a
    layer of its own before any project file is copied (a code change keeps that layer)."""
    import tomllib

    from packaging.requirements import Requirement

    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pinned = {
        line.split("==")[0].strip().lower().replace("_", "-")
        for line in lock.splitlines()
        if "==" in line and not line.startswith("#")
    }
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {Requirement(d).name.lower().replace("_", "-") for d in project["dependencies"]}
    assert wanted <= pinned, f"not in requirements.lock (run make lock): {sorted(wanted - pinned)}"
    steps = [(w, r) for w, r in instructions() if w in ("COPY", "RUN", "FROM")]
    lock_install = next(
        i for i, (w, r) in enumerate(steps) if w == "RUN" and "requirements.lock" in r
    )
    first_code = next(i for i, (w, r) in enumerate(steps) if w == "COPY" and "service" in r)
    assert lock_install < first_code
    assert "--no-deps" in next(
        r for w, r in steps[first_code:] if w == "RUN" and "pip install" in r
    )
    base = next(r for w, r in steps if w == "FROM")
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base), base


def test_build_context_leaves_out_the_virtualenv_and_data():
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".venv", ".git", "var", "tests"):
        assert entry in ignored
