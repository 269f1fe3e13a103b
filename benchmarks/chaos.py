"""Chaos run: does every alert change reach a subscriber, once per id, whatever breaks?

Three `firwatch serve` replicas on one PostgreSQL (through a TCP proxy that can cut it),
the Venezuela scenario played by the loopback emulator at N× speed, one webhook receiver.
On a fixed timeline the run SIGKILLs the leader, a standby, two replicas at once and the
leader again (each restarted a few seconds later); cuts the database; stops the receiver
long enough for the subscription to be disabled (then resumes it through the API); and
finally lets the receiver answer 500, stall past the timeout or drop the request at
random.  At the end of the scenario the receiver heals and the run waits for the outbox
to drain.  A clean run (same timeline, no faults) is made first, to count the alerts the
faults cost detection.

Figures: alert changes stored, messages queued, delivered (a verified signature and a
2xx), lost (a change whose message never got through), duplicate ids (a change under two
ids), POSTs per id, time to drain, alerts missing against the clean run.

Usage: python benchmarks/chaos.py [--speed 150] [--cut-s 20] [--receiver-outage-s 60]
       [--seed 1] [--no-reference]
Needs PostgreSQL at FIRWATCH_TEST_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select
from standardwebhooks import Webhook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.api.auth import create_key  # noqa: E402
from service.sim.clock import ScenarioClock  # noqa: E402
from service.sim.emulator import create_emulator_app  # noqa: E402
from service.sim.scenario import load_scenario  # noqa: E402
from service.store.db import make_engine, make_sessionmaker, upgrade  # noqa: E402
from service.store.models import AlertChangeRow, AlertRow, WebhookDeliveryRow  # noqa: E402
from tests.conftest import PG_ADMIN_URL, create_pg_database, drop_pg_database  # noqa: E402
from tests.support import TcpProxy, ThreadedServer, free_port, serve_env, wait_for  # noqa: E402

CRED = "chaos"
START = datetime(2025, 11, 21, 17, 30, tzinfo=UTC)
END = datetime(2025, 11, 22, 0, 30, tzinfo=UTC)
FLIGHT_ID = re.compile(r"([0-9a-f]{6})-\d{8}T\d{6}Z")
WHEN = re.compile(r":\d{8}T\d{4,6}Z")


@dataclass
class ChaosReceiver:
    """Webhook receiver: healthy, or answering 500 / stalling / dropping at random."""

    secret: str = ""
    flaky: bool = False
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    accepted: list[tuple[str, bytes]] = field(default_factory=list)  # (webhook-id, body)
    posts: int = 0
    bad_signatures: int = 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.posts += 1
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        roll = self.rng.random() if self.flaky else 1.0
        if roll < 0.15:
            return await self._answer(send, 500)
        if roll < 0.25:
            await asyncio.sleep(5.0)  # past the sender's timeout: it retries, same id
        elif roll < 0.32:
            raise RuntimeError("receiver dropped the request")  # uvicorn: a bare 500
        try:
            Webhook(self.secret).verify(body, headers)
        except Exception:
            self.bad_signatures += 1
            return await self._answer(send, 400)
        self.accepted.append((headers["webhook-id"], body))
        await self._answer(send, 200)

    @staticmethod
    async def _answer(send, status: int) -> None:
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


class Replicas:
    def __init__(self, env: dict[str, str], workdir: Path):
        self.env, self.workdir = env, workdir
        self.procs: dict[int, subprocess.Popen] = {}
        self.logs: dict[int, Path] = {}

    def start(self, port: int) -> None:
        log = self.workdir / f"serve-{port}.log"
        self.logs[port] = log
        self.procs[port] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "service.cli",
                "serve",
                "--port",
                str(port),
                "--config",
                str(ROOT / "config.yaml"),
            ],
            env=self.env,
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=log.open("a"),
        )

    def kill(self, port: int) -> None:
        self.procs[port].send_signal(signal.SIGKILL)
        self.procs[port].wait(timeout=10)

    def role(self, port: int) -> str | None:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).json()["scheduler"]
        except (httpx.HTTPError, ValueError, KeyError):
            return None

    def leader(self) -> int:
        return wait_for(
            lambda: next((p for p in self.procs if self.role(p) == "leader"), None), 30, "a leader"
        )

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def normalised(dedup_key: str) -> str:
    """A flight's id depends on when a poll first saw it, a status change's key on the poll
    that saw it: the ICAO address and the airspace, route or status do not."""
    return WHEN.sub("", FLIGHT_ID.sub(r"\1", dedup_key))


def truth_reroutes(scenario) -> set[str]:
    """The scenario's rerouted flights that land before the run ends (ICAO addresses)."""
    return {
        f["icao24"]
        for f in scenario.truth()["flights"]
        if f["behaviour"] == "rerouted" and datetime.fromisoformat(f["arrives_at"]) <= END
    }


def run(args: argparse.Namespace, faults: bool, workdir: Path) -> dict:
    scenario = load_scenario("venezuela-2025-11")
    url = create_pg_database()
    upgrade(url)
    pg_port = int(PG_ADMIN_URL.rsplit(":", 1)[1].split("/")[0])
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as s:
        _, key = create_key(s, "chaos", ["admin"])
    clock = ScenarioClock(scenario.start, scenario.end, speed=0.0)
    clock.set(START)
    emulator = create_emulator_app(
        scenario,
        clock,
        faa_client_id=CRED,
        faa_client_secret=CRED,
        opensky_client_id=CRED,
        opensky_client_secret=CRED,
    )
    receiver = ChaosReceiver(rng=random.Random(args.seed))
    hook_port = free_port()
    figures: dict = {"faults": faults}
    try:
        with ThreadedServer(emulator) as emu, TcpProxy(pg_port) as proxy:
            env = serve_env(
                url.replace(f":{pg_port}/", f":{proxy.port}/"),
                emu.url,
                CRED,
                FIRWATCH_FEEDS__OPENSKY__INTERVAL_S="1",
                FIRWATCH_FEEDS__ADSBX__INTERVAL_S="1",
                FIRWATCH_FEEDS__FAA_NOTAM__INTERVAL_S="5",
                FIRWATCH_WEBHOOKS__ALLOW_PRIVATE_TARGETS="true",
                FIRWATCH_WEBHOOKS__INTERVAL_S="0.5",
                FIRWATCH_WEBHOOKS__TIMEOUT_S="3",
                FIRWATCH_WEBHOOKS__LEASE_S="10",
                FIRWATCH_WEBHOOKS__DISABLE_AFTER_FAILURES="3",
                FIRWATCH_LOG_LEVEL="WARNING",
            )
            replicas = Replicas(env, workdir)
            ports = [free_port() for _ in range(3)]
            for port in ports:
                replicas.start(port)
            wait_for(lambda: replicas.role(ports[0]) is not None, 60, "the API")

            def api() -> str:  # any replica that answers (one may be restarting)
                port = wait_for(
                    lambda: next((p for p in ports if replicas.role(p)), None), 30, "an API"
                )
                return f"http://127.0.0.1:{port}"

            hook = ThreadedServer(receiver, port=hook_port).__enter__()
            created = httpx.post(
                f"{api()}/api/v1/webhooks",
                headers={"X-API-Key": key},
                json={"url": f"http://127.0.0.1:{hook_port}/hook"},
                timeout=10,
            )
            created.raise_for_status()
            receiver.secret = created.json()["secret"]
            replicas.leader()
            clock.set(START)
            clock.speed = args.speed
            t0 = time.monotonic()
            events: list[str] = []

            def at(seconds: float) -> None:
                time.sleep(max(0.0, t0 + seconds - time.monotonic()))

            def note(text: str) -> None:
                events.append(f"t={time.monotonic() - t0:5.1f} s  {text}")
                print(events[-1], flush=True)

            def kill_and_restart(victims: list[int], pause_s: float = 3.0) -> None:
                for port in victims:
                    replicas.kill(port)
                time.sleep(pause_s)
                for port in victims:
                    replicas.start(port)

            chosen = set(args.faults.split(",")) if faults else set()
            if "kills" in chosen:
                at(10)
                leader = replicas.leader()
                note(f"SIGKILL leader :{leader}")
                kill_and_restart([leader])
                at(25)
                standby = next(p for p in ports if replicas.role(p) == "standby")
                note(f"SIGKILL standby :{standby}")
                kill_and_restart([standby])
                at(40)
                leader = replicas.leader()
                other = next(p for p in ports if p != leader)
                note(f"SIGKILL two replicas at once: leader :{leader} and :{other}")
                kill_and_restart([leader, other])
            if "cut" in chosen:
                at(60)
                before = replicas.leader()
                note(f"database cut for {args.cut_s:g} s (leader :{before})")
                proxy.drop()
                at(60 + args.cut_s)
                proxy.restore()
                time.sleep(3)
                after = replicas.leader()
                figures["leader_kept_through_cut"] = after == before
                note(f"database back; leader :{after}")
            if "receiver" in chosen:
                at(90)
                note(f"receiver down for {args.receiver_outage_s:g} s")
                hook.__exit__(None, None, None)
                at(90 + args.receiver_outage_s)
                hook = ThreadedServer(receiver, port=hook_port).__enter__()
                hook_id = created.json()["id"]
                state = httpx.get(
                    f"{api()}/api/v1/webhooks/{hook_id}", headers={"X-API-Key": key}, timeout=10
                ).json()
                figures["disabled_by_outage"] = not state["enabled"]
                r = httpx.post(
                    f"{api()}/api/v1/webhooks/{hook_id}/resume",
                    headers={"X-API-Key": key},
                    timeout=10,
                )
                note(
                    f"receiver back; subscription was {'disabled' if not state['enabled'] else 'on'}"
                    f"; resumed with {r.json().get('messages')} waiting"
                )
            if "flaky" in chosen:
                at(90 + args.receiver_outage_s)
                receiver.flaky = True
                note("receiver flaky: 15 % 500, 10 % 5 s stall, 7 % dropped")
            if "kills" in chosen:
                at(90 + args.receiver_outage_s + 20)
                leader = replicas.leader()
                note(f"SIGKILL leader :{leader}")
                kill_and_restart([leader])
            wait_for(lambda: clock.now() >= END, 3600, "the end of the scenario")
            receiver.flaky = False
            note("scenario over; receiver healthy; waiting for the outbox to drain")
            done_at = time.monotonic()

            def drained() -> bool:
                with sessions() as s:
                    rows = s.scalars(select(WebhookDeliveryRow)).all()
                    return bool(rows) and all(r.status == "delivered" for r in rows)

            try:
                wait_for(drained, 300, "the outbox drained")
                figures["drain_s"] = round(time.monotonic() - done_at, 1)
            except AssertionError:
                figures["drain_s"] = None
            replicas.stop()
            hook.__exit__(None, None, None)
            figures["events"] = events
            figures["tracebacks"] = sum(
                p.read_text().count("Traceback") for p in replicas.logs.values()
            )
    finally:
        with sessions() as s:
            changes = s.execute(select(AlertChangeRow, AlertRow).join(AlertRow)).all()
            rows = s.scalars(select(WebhookDeliveryRow)).all()
            alerts = s.scalars(select(AlertRow)).all()
        engine.dispose()
        drop_pg_database(url)
    kinds = {"opened": "open", "reopened": "open", "resolved": "resolved"}
    # a subscription's own webhook.disabled notice is not sent to it, by design
    stored = Counter((a.id, kinds[c.change]) for c, a in changes if a.type != "webhook.disabled")
    ids_per_change: dict[tuple, set[str]] = defaultdict(set)
    for row in rows:
        data = json.loads(row.payload)["data"]
        ids_per_change[(data["id"], data["status"])].add(row.id)
    accepted = Counter(i for i, _ in receiver.accepted)
    delivered_changes = Counter()
    for change, ids in ids_per_change.items():
        delivered_changes[change] = sum(1 for i in ids if accepted[i])
    lost = sum(max(0, n - delivered_changes[c]) for c, n in stored.items())
    figures.update(
        changes_stored=sum(stored.values()),
        messages=len(rows),
        delivered=sum(1 for r in rows if accepted[r.id]),
        lost=lost,
        duplicate_ids=sum(max(0, len(ids) - stored[c]) for c, ids in ids_per_change.items()),
        posts=receiver.posts,
        posts_per_id=round(sum(accepted.values()) / max(1, len(accepted)), 2),
        bad_signatures=receiver.bad_signatures,
        alerts={normalised(a.dedup_key) for a in alerts if a.type != "webhook.disabled"},
        reroutes={a.icao24 for a in alerts if a.type == "flight.rerouted"},
        truth_reroutes=truth_reroutes(scenario),
    )
    return figures


def main() -> None:
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)  # the receiver's own drops
    parser = argparse.ArgumentParser()
    parser.add_argument("--speed", type=float, default=150.0)
    parser.add_argument("--cut-s", type=float, default=20.0)
    parser.add_argument("--receiver-outage-s", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument(
        "--faults",
        default="kills,cut,receiver,flaky",
        help="comma-separated subset of kills, cut, receiver, flaky",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="firwatch-chaos-") as tmp:
        reference = None if args.no_reference else run(args, False, Path(tmp))
        chaos = run(args, True, Path(tmp))
    for name, figures in (("clean", reference), ("chaos", chaos)):
        if figures is None:
            continue
        print(
            f"{name}: {figures['changes_stored']} alert changes stored, {figures['messages']} "
            f"messages, {figures['delivered']} delivered, {figures['lost']} lost, "
            f"{figures['duplicate_ids']} duplicate ids, {figures['posts_per_id']} POSTs accepted "
            f"per id ({figures['posts']} POSTs in all), {figures['bad_signatures']} bad "
            f"signatures, drained {figures['drain_s']} s after the scenario, "
            f"{figures['tracebacks']} tracebacks in the logs; flight.rerouted: "
            f"{len(figures['reroutes'] & figures['truth_reroutes'])} of "
            f"{len(figures['truth_reroutes'])} rerouted flights in the scenario's truth, "
            f"{len(figures['reroutes'] - figures['truth_reroutes'])} others"
        )
    if reference is not None:
        missing = sorted(reference["alerts"] - chaos["alerts"])
        extra = sorted(chaos["alerts"] - reference["alerts"])
        print(
            f"alerts: clean {len(reference['alerts'])}, chaos {len(chaos['alerts'])}, "
            f"missing under chaos {len(missing)} {missing}, extra {len(extra)} {extra}"
        )
    if "disabled_by_outage" in chaos:
        print(f"receiver outage disabled the subscription: {chaos['disabled_by_outage']}")


if __name__ == "__main__":
    main()
