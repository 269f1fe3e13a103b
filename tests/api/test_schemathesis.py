"""schemathesis against a live server: every check, every phase (stateful included), admin key.

Time-boxed: ``FIRWATCH_SCHEMATHESIS_EXAMPLES`` examples per operation within
``FIRWATCH_SCHEMATHESIS_TIMEOUT_S`` seconds: 20 in ``make test`` (keeps it near 4 minutes on 2
cores), 150 in ``make test-contract`` (run by hand; CI runs the 20).  Runs on SQLite and, with
``FIRWATCH_TEST_DB=postgresql``, on PostgreSQL; passes only with 0 failures of any kind.
No configuration file and no excluded operation: every status schemathesis expects is the
default, so a schema-valid request the API refuses is a failure (cursors, bbox, times and
free text declare their exact syntax as patterns to make that hold).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("FIRWATCH_SCHEMATHESIS_EXAMPLES", "20"))
TIMEOUT_S = float(os.environ.get("FIRWATCH_SCHEMATHESIS_TIMEOUT_S", "900"))


def test_schemathesis_finds_nothing(tmp_path, database_url):
    port = free_port()
    key_file = tmp_path / "key"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.api.schemathesis_server",
            str(ROOT / "config.yaml"),
            database_url,
            str(ROOT / "seeds"),
            str(port),
            str(key_file),
        ],
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while not key_file.exists() or not _up(port):
            assert server.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        result = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "run",
                f"http://127.0.0.1:{port}/openapi.json",
                "--checks",
                "all",
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--max-examples",
                str(EXAMPLES),
                "--seed",
                "18",
                "--no-color",
                "-H",
                f"X-API-Key: {key_file.read_text()}",
                "--generation-database",
                "none",
            ],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            cwd=tmp_path,
        )
        tail = result.stdout[-6000:]
        print(result.stdout.split("SUMMARY")[-1])  # the figures, shown by pytest -rP
        assert result.returncode == 0, tail
        assert (
            " 0 failures" in result.stdout
            or "No issues found" in result.stdout
            or ("failures" not in result.stdout.split("SUMMARY")[-1])
        ), tail
    finally:
        server.terminate()
        server.wait(10)


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
