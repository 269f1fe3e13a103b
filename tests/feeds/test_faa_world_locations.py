"""``watch.airspaces: all``: the FAA NOTAM API is asked for KICZ and for the FIRs whose
status changed lately (bounded), each new one for everything it has in force."""

from __future__ import annotations

from datetime import timedelta

import httpx

from service.config import load_settings
from service.detect.engine import DetectionEngine
from service.domain import AirspaceStatus
from service.feed_settings import FaaNotamSettings
from service.feeds.faa_notam import FaaNotamClient
from service.geo.airspaces import load_registries
from tests.conftest import ROOT
from tests.feeds.conftest import CLOCK


async def test_extra_locations_are_asked_whole_the_first_time():
    asked: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(dict(request.url.params))
        item = {
            "properties": {
                "coreNOTAMData": {
                    "notam": {
                        "id": f"N{request.url.params['icaoLocation']}",
                        "lastUpdated": "2025-11-21T11:00:00Z",
                    }
                }
            }
        }
        return httpx.Response(200, json={"items": [item], "totalPages": 1})

    client = FaaNotamClient(
        FaaNotamSettings(locations=["KICZ"]),
        httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        CLOCK,
    )
    await client.fetch()
    client.extra_locations = ["OIIX", "KICZ"]  # a repeated location is asked once
    await client.fetch()
    second = asked[1:]
    assert [a["icaoLocation"] for a in second] == ["KICZ", "OIIX"]
    assert "lastUpdatedDate" in second[0]  # KICZ: only what changed
    assert "lastUpdatedDate" not in second[1]  # OIIX: new, everything in force
    assert client.last_round_ids["OIIX"] == {"NOIIX"}
    await client.fetch()
    assert "lastUpdatedDate" in asked[-1]  # OIIX from then on: only what changed


def test_disrupted_airspaces_latest_first_and_bounded():
    settings = load_settings(
        ROOT / "config.yaml", seeds_dir=str(ROOT / "seeds"), watch={"airspaces": "all"}
    )
    airspaces, airports = load_registries(ROOT / "seeds")
    engine = DetectionEngine(settings, airspaces, airports, [])
    t0 = CLOCK()
    assert engine.disrupted_airspaces(5) == []
    for code, hours, status in (
        ("OIIX", 3, "CLOSED"),
        ("ORBB", 2, "RESTRICTED"),
        ("LTAA", 30, "RESTRICTED"),
    ):
        at = t0 - timedelta(hours=hours)
        engine._log_status(code, at - timedelta(hours=1), "NORMAL")
        engine._log_status(code, at, status)
        engine.trackers[code].status, engine.trackers[code].since = AirspaceStatus(status), at
    # OJAC was RESTRICTED 5 h ago and is NORMAL again since 4 h: still asked
    engine._log_status("OJAC", t0 - timedelta(hours=6), "NORMAL")
    engine._log_status("OJAC", t0 - timedelta(hours=5), "RESTRICTED")
    engine._log_status("OJAC", t0 - timedelta(hours=4), "NORMAL")
    # LLLL was RESTRICTED two days ago only: not asked
    engine._log_status("LLLL", t0 - timedelta(hours=50), "RESTRICTED")
    engine._log_status("LLLL", t0 - timedelta(hours=48), "NORMAL")
    engine.data_time = t0
    assert engine.disrupted_airspaces(10) == ["ORBB", "OIIX", "OJAC", "LTAA"]
    assert engine.disrupted_airspaces(2) == ["ORBB", "OIIX"]
    assert engine.disrupted_airspaces(0) == []
