"""API under load: 100,000 stored alerts, 50 concurrent clients on loopback.

The service runs as its own process (``firwatch serve --role api``); the load comes from
``wrk`` (Debian package ``wrk``) when it is installed, else from a bounded asyncio client in
this process, which is itself CPU-bound and so a floor on the figures (2 cores here: the
load generator and the server share them).
Prints requests/s and p50/p95/p99 latency for GET /api/v1/alerts and GET /api/v1/airspaces/SVZM.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from service.store.db import make_engine, upgrade
from service.store.models import AlertRow

ROOT = Path(__file__).resolve().parents[1]
ALERTS = 100_000
CLIENTS = 50
SECONDS = 10.0
PORT = 8765


def seed(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    t0 = datetime(2025, 11, 21, tzinfo=UTC)
    types = ["flight.rerouted", "flight.diverted", "airspace.status_changed", "notam.active"]
    rows = [
        {
            "dedup_key": f"bench:{i}",
            "type": types[i % 4],
            "severity": "warning",
            "status": "open",
            "title": f"bench alert {i}",
            "airspace": "SVZM",
            "callsign": f"TST{i % 9999}",
            "opened_at": t0 + timedelta(seconds=i),
            "updated_at": t0 + timedelta(seconds=i),
            "observed_at": t0 + timedelta(seconds=i),
            "evidence": {"i": i},
        }
        for i in range(ALERTS)
    ]
    with engine.begin() as conn:
        for k in range(0, ALERTS, 10_000):
            conn.execute(insert(AlertRow), rows[k : k + 10_000])
    engine.dispose()


async def load(path: str) -> tuple[float, list[float]]:
    latencies: list[float] = []
    deadline = time.perf_counter() + SECONDS
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{PORT}", limits=limits, timeout=30
    ) as c:

        async def worker() -> None:
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                r = await c.get(path)
                r.raise_for_status()
                latencies.append((time.perf_counter() - t) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
        return len(latencies) / (time.perf_counter() - started), latencies


WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %.3f %.3f %.3f %.3f %d\\n", summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, summary.errors.status + summary.errors.connect +
    summary.errors.read + summary.errors.timeout))
end
"""


def load_wrk(wrk: str, path: str, tmp: Path) -> str:
    script = tmp / "report.lua"
    script.write_text(WRK_REPORT)
    out = subprocess.run(
        [
            wrk,
            "-t2",
            f"-c{CLIENTS}",
            f"-d{int(SECONDS)}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{PORT}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    m = re.search(r"RESULT (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", out)
    if m is None:
        raise SystemExit(f"wrk printed no result:\n{out}")
    n, secs, p50, p95, p99, errors = m.groups()
    return (
        f"{int(n) / float(secs):.0f} req/s with {CLIENTS} clients (wrk), {ALERTS:,} alerts "
        f"stored; p50 {float(p50):.1f} ms, p95 {float(p95):.1f} ms, p99 {float(p99):.1f} ms; "
        f"{errors} errors"
    )


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'api.db'}"
    seed(url)
    env = {
        **os.environ,
        "FIRWATCH_DATABASE_URL": url,
        "FIRWATCH_LOG_LEVEL": "WARNING",
        "FIRWATCH_API__RATE_LIMIT_PER_MINUTE": "0",
        "FIRWATCH_SEEDS_DIR": str(ROOT / "seeds"),
        "FIRWATCH_FEEDS__OPENSKY__ENABLED": "false",
        "FIRWATCH_FEEDS__ADSBX__ENABLED": "false",
        "FIRWATCH_FEEDS__FAA_NOTAM__ENABLED": "false",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "service.cli",
            "serve",
            "--role",
            "api",
            "--port",
            str(PORT),
            "--config",
            str(ROOT / "config.yaml"),
        ],
        env=env,
        cwd=tmp,
    )
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{PORT}/health/live", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        wrk = shutil.which("wrk")
        for path in ("/api/v1/alerts?limit=50", "/api/v1/airspaces/SVZM"):
            if wrk:
                print(f"GET {path}: {load_wrk(wrk, path, tmp)}")
                continue
            rate, lat = asyncio.run(load(path))
            q = statistics.quantiles(lat, n=100)
            print(
                f"GET {path}: {rate:.0f} req/s with {CLIENTS} clients (python client), "
                f"{ALERTS:,} alerts stored; p50 {q[49]:.1f} ms, p95 {q[94]:.1f} ms, "
                f"p99 {q[98]:.1f} ms"
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
