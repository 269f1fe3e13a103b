"""PostgreSQL drops every connection while the service runs: health shows the outage, the
process survives and keeps polling (its writes held), and when the database is back it
writes what it held; each job logs the outage in two lines, with no traceback."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import UTC, datetime

import httpx
from sqlalchemy import text

from service.sim.clock import ScenarioClock
from service.sim.emulator import create_emulator_app
from service.sim.scenario import load_scenario
from service.store.db import make_engine
from tests.conftest import PG_ADMIN_URL
from tests.support import TcpProxy, ThreadedServer, free_port, serve_env, start_serve, wait_for

CRED = "outage-test"


def get(port: int, path: str):
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
    except httpx.HTTPError:
        return None


def polls(port: int) -> int:
    r = get(port, "/health")
    if r is None or r.status_code != 200:
        return -1
    return (r.json()["feeds"].get("opensky") or {}).get("polls") or 0


def test_database_outage_and_reconnect(pg_url, tmp_path):
    pg_port = int(PG_ADMIN_URL.rsplit(":", 1)[1].split("/")[0])
    scenario = load_scenario("venezuela-2025-11")
    clock = ScenarioClock(scenario.start, scenario.end, speed=300.0)
    clock.set(datetime(2025, 11, 21, 16, 0, tzinfo=UTC))
    emulator = create_emulator_app(
        scenario,
        clock,
        faa_client_id=CRED,
        faa_client_secret=CRED,
        opensky_client_id=CRED,
        opensky_client_secret=CRED,
    )
    with ThreadedServer(emulator) as emu, TcpProxy(pg_port) as proxy:
        proxied = pg_url.replace(f":{pg_port}/", f":{proxy.port}/")
        env = serve_env(
            proxied,
            emu.url,
            CRED,
            FIRWATCH_FEEDS__OPENSKY__INTERVAL_S="0.3",
            FIRWATCH_FEEDS__ADSBX__ENABLED="false",
            FIRWATCH_FEEDS__FAA_NOTAM__ENABLED="false",
            FIRWATCH_WEBHOOKS__INTERVAL_S="0.3",
            FIRWATCH_LOG_LEVEL="WARNING",
        )
        port = free_port()
        stderr = (tmp_path / "serve.log").open("w")
        proc = start_serve(env, port, tmp_path, stderr)
        try:
            before = wait_for(lambda: polls(port) > 2 and polls(port), 30, "first polls")
            proxy.drop()
            down = wait_for(
                lambda: (r := get(port, "/health")) is not None and r.status_code == 503 and r,
                20,
                "503",
            )
            assert down.json()["database"].startswith("error")
            ready = get(port, "/health/ready")
            assert ready.status_code == 503 and ready.json()["checks"]["database"].startswith(
                "error"
            )
            time.sleep(6)  # polling goes on (every 0.3 s), its writes held in memory
            assert proc.poll() is None
            proxy.restore()
            # the held polls are written: the count jumps by the ~20 polls of the outage
            wait_for(lambda: polls(port) > before + 10, 30, "the held polls written")
            assert get(port, "/health/ready").status_code == 200
            # every job has had a round against the database since
            metrics = wait_for(
                lambda: (
                    (m := get(port, "/metrics")) is not None
                    and all(
                        f'firwatch_database_unreachable{{job="{job}"}} 0.0' in m.text
                        for job in ("poll_opensky", "deliver_webhooks")
                    )
                    and m.text
                ),
                10,
                "every job back on the database",
            )
            for job in ("poll_opensky", "deliver_webhooks"):
                assert f'firwatch_database_outages_total{{job="{job}"}} 1.0' in metrics
                assert f'firwatch_database_unreachable{{job="{job}"}} 0.0' in metrics
            seconds = re.search(
                r'firwatch_database_outage_seconds_total\{job="poll_opensky"\} ([\d.]+)', metrics
            )
            assert seconds and float(seconds[1]) >= 5.0
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            stderr.close()
    log = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in log and "raised an exception" not in log, log[-3000:]
    outage = re.findall(r"firwatch\.\w+: (\w+): database (unreachable|back after)", log)
    per_job = Counter(job for job, _ in outage)
    assert per_job["poll_opensky"] == 2 and per_job["deliver_webhooks"] == 2, log[-3000:]
    assert all(n <= 2 for n in per_job.values()), per_job
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        dupes = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT dedup_key FROM alerts GROUP BY 1 HAVING count(*) > 1) d"
            )
        ).scalar()
    engine.dispose()
    assert dupes == 0
