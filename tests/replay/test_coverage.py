"""Which airspaces a poll saw whole comes from the poll's own request, not from the config."""

from __future__ import annotations

from datetime import UTC, datetime

from service.config import load_settings
from service.detect.engine import DetectionEngine
from service.domain import Snapshot
from service.feeds.opensky import WORLD, decode_states, snapshot_from_states
from service.geo.airspaces import load_registries
from tests.conftest import ROOT

AT = datetime(2025, 11, 21, 18, 0, tzinfo=UTC)


def engine() -> DetectionEngine:
    settings = load_settings(
        ROOT / "config.yaml",
        seeds_dir=str(ROOT / "seeds"),
        watch={"routes_file": str(ROOT / "seeds" / "watched_routes.yaml")},
    )
    return DetectionEngine(settings, *load_registries(ROOT / "seeds"), [])


def covered(e: DetectionEngine, **area) -> frozenset[str]:
    return e.covered_airspaces(Snapshot(source="opensky", fetched_at=AT, positions=(), **area))


def test_coverage_follows_the_request():
    e = engine()
    assert covered(e, bbox=WORLD) == {"SVZM"}
    assert covered(e, bbox=(-85.0, -10.0, -50.0, 27.0)) == {"SVZM"}  # the config's box
    assert covered(e, bbox=(-70.0, 5.0, -60.0, 12.0)) == frozenset()  # part of the FIR only
    assert covered(e, bbox=(0.0, 40.0, 20.0, 55.0)) == frozenset()  # Europe
    assert covered(e, circles=((12.2, -69.0, 50.0),)) == frozenset()
    grid = tuple(
        (lat, lon, 250.0) for lat in (2.0, 7.0, 12.0, 17.0) for lon in (-72.0, -66.0, -60.0)
    )
    assert covered(e, circles=grid) == {"SVZM"}  # twelve 250 NM circles over the FIR
    assert covered(e, circles=grid[:6]) == frozenset()  # its southern half


def test_a_global_poll_covers_the_world_and_rows_out_of_range_are_rejected():
    body = (
        b'{"time": 1763748000, "states": [["0d8001", "AVA1", "X", 1763748000, 1763748000,'
        b' -66.9, 10.6, 1e999, false, 1, 2, 0, null, 1, "2", false, 0],'
        b' ["0d8002", "AVA2", "X", 1763748000, 1763748000, -66.8, 10.5, 9000, false, 1, 2,'
        b' 0, null, 1, "2", false, 0, 4]]}'
    )
    snapshot = snapshot_from_states(decode_states(body), None)
    assert snapshot.bbox == WORLD
    assert [p.icao24 for p in snapshot.positions] == ["0d8002"] and snapshot.rejected == 1
