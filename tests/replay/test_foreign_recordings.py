"""Recordings that firwatch did not make replay whole, with the alerts of the equivalent live run.

For each plan (seeded random boxes and points), a foreign tool polls the emulator and
writes its own recording; a live firwatch configured to ask what that tool asked polls
the same emulator at the same times through the same outages.  The recording is then
replayed with the *default* config (another box, other points, other NOTAM locations):
nothing may be skipped, every exchange is used or failed as recorded, and the alerts
must equal the live run's.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jsonschema
import pytest
from sqlalchemy import select

from service.geo.airspaces import load_registries
from service.recording_format import SCHEMA_PATH
from service.replay import JsonlRecorder, replay
from service.runtime import build_runtime
from service.sim.clock import ScenarioClock
from service.sim.emulator import create_emulator_app
from service.sim.scenario import load_scenario
from service.store.db import make_engine, make_sessionmaker, upgrade
from service.store.models import AlertRow
from tests.replay.foreign_writer import ForeignWriter, Outages, Plan
from tests.support import ThreadedServer, scenario_settings

T0 = datetime(2025, 11, 21, 17, 30, tzinfo=UTC)
STEP = timedelta(minutes=5)
TICKS = 43  # 17:30 to 21:00, across the warning and the closure
PATH_SOURCE = {"/api/states/": "opensky", "/v2/": "adsbx", "/notamapi/": "faa_notam"}


def plan_for(kind: str, seed: int) -> tuple[Plan, dict]:
    """A foreign plan and the feed settings of the live firwatch that asks the same."""
    rng = random.Random(seed)
    box = {
        "lamin": rng.randint(-6, -1),
        "lomin": rng.randint(-82, -76),
        "lamax": rng.randint(17, 24),
        "lomax": rng.randint(-58, -52),
    }
    points = [
        (rng.randint(6, 13), rng.randint(-72, -62), rng.choice([150, 250]))
        for _ in range(rng.randint(1, 3))
    ]
    live_box = {k: float(v) for k, v in box.items()}
    live_points = [{"lat": a, "lon": o, "radius_nm": r} for a, o, r in points]
    if kind == "integer-box":
        plan = Plan(
            opensky_params=box,
            adsbx_paths=[f"/v2/point/{a}/{o}/{r}" for a, o, r in points],
            notam_queries=[{"icaoLocation": "svzm", "pageSize": 1000}],
        )
        feeds = {
            "opensky": {"bbox": live_box},
            "adsbx": {"points": live_points},
            "faa_notam": {"locations": ["SVZM"]},
        }
    elif kind == "global":
        # no box, no ADSBx; NOTAMs asked with no parameters at all and around a point
        plan = Plan(
            opensky_params=None,
            notam_queries=[
                {},
                {"locationLatitude": 10.6, "locationLongitude": -66.9, "locationRadius": 100},
            ],
        )
        feeds = {
            "opensky": {"bbox": {"lamin": -90, "lomin": -180, "lamax": 90, "lomax": 180}},
            "adsbx": {"enabled": False},
            "faa_notam": {"locations": ["SVZM", "TNCF", "KICZ", "SVMI", "TNCC"]},
        }
    else:  # outages: 503s in a row, timeouts, a 429, credits in headers, box in the URL
        outages: Outages = {}
        first = rng.randint(8, 30)
        for k in range(first, first + rng.randint(3, 5)):
            outages[("opensky", k)] = "503"
        for k in rng.sample(range(5, 40), 3):
            outages[("adsbx", k)] = "timeout"
        outages[("faa_notam", rng.randint(5, 40))] = "429"
        plan = Plan(
            opensky_params={k: v + 0.5 for k, v in box.items()},
            opensky_in_url=True,
            adsbx_paths=[f"/v2/lat/{a}/lon/{o}/dist/{r}" for a, o, r in points],
            notam_queries=[{"icaoLocation": "SVZM"}],
            outages=outages,
        )
        feeds = {
            "opensky": {"bbox": {k: v + 0.5 for k, v in live_box.items()}},
            "adsbx": {"points": live_points},
            "faa_notam": {"locations": ["SVZM"]},
        }
    feeds["opensky"] |= {"client_id": None, "client_secret": None}  # both anonymous
    return plan, feeds


class Outage(httpx.AsyncBaseTransport):
    """The live run meets the foreign tool's outages at the same ticks."""

    def __init__(self, outages: Outages, clock: ScenarioClock):
        self.inner = httpx.AsyncHTTPTransport()
        self.outages = outages
        self.clock = clock

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        tick = round((self.clock.now() - T0) / STEP)
        source = next((s for p, s in PATH_SOURCE.items() if request.url.path.startswith(p)), "")
        kind = self.outages.get((source, tick))
        if kind == "timeout":
            raise httpx.ReadTimeout("emulated", request=request)
        if kind == "429":
            return httpx.Response(429, headers={"retry-after": "30"})
        if kind == "503":
            return httpx.Response(503, text="Service Unavailable")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def alerts(url: str) -> dict[str, str]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        out = {r.dedup_key: r.status for r in session.scalars(select(AlertRow))}
    engine.dispose()
    return out


@pytest.mark.parametrize(
    ("kind", "seed"),
    [("integer-box", 1), ("integer-box", 2), ("global", 3), ("outages", 4), ("outages", 5)],
)
async def test_foreign_recording_replays_like_the_live_run(kind, seed, tmp_path):
    scenario = load_scenario("venezuela-2025-11")
    clock = ScenarioClock(scenario.start, scenario.end)
    plan, feeds = plan_for(kind, seed)
    recording = tmp_path / f"{kind}.jsonl"
    live_url = f"sqlite:///{tmp_path / 'live.db'}"
    # each its own emulator (own credit buckets), the same scenario at the same times
    with ThreadedServer(create_emulator_app(scenario, clock)) as emu:
        writer = ForeignWriter(emu.url, plan, clock.now)
        for tick in range(TICKS):
            clock.set(T0 + tick * STEP)
            writer.tick(tick)
        writer.close()
        recording.write_text("\n".join(writer.lines) + "\n", encoding="utf-8")
    with ThreadedServer(create_emulator_app(scenario, clock)) as emu:
        base = scenario_settings(tmp_path, emu.url, live_url)
        live_feeds = base.feeds.model_copy(deep=True)
        for name, values in feeds.items():
            section = getattr(live_feeds, name)
            for key, value in values.items():
                setattr(section, key, value)
        if "bbox" in feeds["opensky"]:
            live_feeds.opensky.bbox = type(base.feeds.opensky.bbox)(**feeds["opensky"]["bbox"])
        if "points" in feeds.get("adsbx", {}):
            point = type(base.feeds.adsbx.points[0])
            live_feeds.adsbx.points = [point(**p) for p in feeds["adsbx"]["points"]]
        live = base.model_copy(update={"feeds": live_feeds})
        upgrade(live_url)
        registries = load_registries(live.path(live.seeds_dir))
        transport = Outage(plan.outages, clock)
        own = tmp_path / "firwatch-record.jsonl"  # what `firwatch record` writes of the live run
        with own.open("w", encoding="utf-8") as handle:
            async with (
                httpx.AsyncClient(transport=transport, timeout=10) as http,
                build_runtime(
                    live,
                    http=http,
                    registries=registries,
                    clock=clock.now,
                    recorder=JsonlRecorder(handle),
                ) as runtime,
            ):
                assert runtime.poller is not None
                for tick in range(TICKS):
                    clock.set(T0 + tick * STEP)
                    await runtime.poller.poll_once()

    schema = json.loads(SCHEMA_PATH.read_text())
    own_lines = own.read_text().splitlines()
    for line in writer.lines + own_lines:
        jsonschema.validate(json.loads(line), schema)
    assert sum('"error":"timeout"' in line for line in own_lines) == sum(
        kind == "timeout" for kind in plan.outages.values()
    ) * len(plan.adsbx_paths)

    # replayed with the default config: another box, other points, other NOTAM locations
    replay_url = f"sqlite:///{tmp_path / 'replay.db'}"
    upgrade(replay_url)
    default = scenario_settings(tmp_path, "http://127.0.0.1:9", replay_url)
    # the box derived from watch.airspaces (SVZM + margin) is not the recording's (-6..-1)
    assert default.feeds.opensky.bbox.lamin < -6 and default.feeds.faa_notam.locations != ["SVZM"]
    engine = make_engine(replay_url)
    report = await replay(recording, default, make_sessionmaker(engine), *registries)
    engine.dispose()

    assert report.skipped == []
    written = [json.loads(line)["source"] for line in writer.lines]
    for source, counts in report.sources.items():
        assert counts.read == written.count(source)
        assert counts.used + counts.failed == counts.read, (source, counts)
        assert counts.failed == writer.failures.get(source, 0), (source, counts)
    outage_rounds = {(s, k) for (s, k) in plan.outages}
    assert report.failed_rounds == len(outage_rounds)
    live_alerts = alerts(live_url)
    assert any(k.startswith("airspace.status_changed") for k in live_alerts)
    assert any(k.startswith("notam.active") for k in live_alerts)
    assert report.positions > 0 and report.used == len(writer.lines) - sum(writer.failures.values())
    assert alerts(replay_url) == live_alerts

    # firwatch's own recording of the live run replays the same way under the other config
    own_url = f"sqlite:///{tmp_path / 'own.db'}"
    upgrade(own_url)
    engine = make_engine(own_url)
    own_report = await replay(own, default, make_sessionmaker(engine), *registries)
    engine.dispose()
    assert own_report.skipped == [] and own_report.failed_rounds == len(outage_rounds)
    assert alerts(own_url) == live_alerts


def test_firwatch_recordings_follow_the_published_schema(tmp_path: Path):
    """The schema accepts what firwatch writes and refuses what replay would skip."""
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    good = {
        "source": "opensky",
        "fetched_at": "2025-11-21T17:40:00Z",
        "request": {"method": "GET", "url": "https://x/api/states/all", "params": {}},
        "status": 200,
        "headers": {"x-rate-limit-remaining": "396"},
        "body": {"time": 1, "states": None},
    }
    jsonschema.validate(good, schema)
    jsonschema.validate({**good, "status": None, "error": "timeout", "body": None}, schema)
    for bad in (
        {**good, "request": "x"},
        {k: v for k, v in good.items() if k != "request"},
        {**good, "fetched_at": "0001-01-01T00:00:00Z"},
        {**good, "fetched_at": "2025-11-21T17:40:00"},
        {**good, "source": "radar"},
        {k: v for k, v in good.items() if k != "status"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
