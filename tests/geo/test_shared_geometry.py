"""Shared FIR geometries stay unprepared; detection judges against its own prepared copies.

GEOS prepared geometries are not thread-safe (libgeos#825) and shapely uses a geometry's
prepared form for every predicate once it exists.  CI crashed with a segmentation fault when
the poller's worker thread classified positions against a prepared SVZM while the event loop
parsed a NOTAM against the same object.  These tests pin the rule that prevents it.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import shapely

from service.config import load_settings
from service.detect.engine import DetectionEngine
from service.domain import Position, Snapshot
from service.geo.airspaces import AirportRegistry, AirspaceRegistry
from service.notam.parser import parse_icao
from tests.conftest import ROOT

T0 = datetime(2025, 11, 21, 20, 0, tzinfo=UTC)
KICZ = (ROOT / "seeds" / "notams" / "kicz_a0012_25.txt").read_text(encoding="utf-8")


def build() -> tuple[AirspaceRegistry, DetectionEngine]:
    seeds = ROOT / "seeds"
    registry = AirspaceRegistry.from_geojson(seeds / "firs.geojson")
    settings = load_settings(ROOT / "config.yaml")
    airports = AirportRegistry.from_csv(seeds / "airports.csv")
    return registry, DetectionEngine(settings, registry, airports, [])


def snapshot(k: int) -> Snapshot:
    at = T0 + timedelta(minutes=k)
    positions = tuple(
        Position(
            f"a{i:05x}",
            f"TST{i}",
            at,
            -72.0 + 0.01 * (i + k),
            2.0 + 0.1 * i,
            35000.0,
            False,
            source="adsbx",
        )
        for i in range(150)
    )
    return Snapshot(source="adsbx", fetched_at=at, positions=positions)


def test_detection_never_prepares_the_shared_registry():
    registry, engine = build()
    engine.ingest(snapshot(0))
    assert not any(shapely.is_prepared(registry.geometries)), "a shared FIR was prepared"
    svzm = registry.get("SVZM").geometry
    assert all(g is not svzm for g in engine.context.watched_airspaces.values())


def test_detection_and_notam_parsing_in_two_threads():
    """The crash as it happened, many times over: detection in one thread, NOTAM parsing
    against the same registry in another (a segmentation fault ends the test process)."""
    registry, engine = build()
    errors: list[BaseException] = []

    def detect() -> None:
        try:
            for k in range(60):
                engine.ingest(snapshot(k))
        except BaseException as exc:  # reported below
            errors.append(exc)

    worker = threading.Thread(target=detect)
    worker.start()
    parsed = 0
    while worker.is_alive() or parsed < 20:
        parse_icao(KICZ, airspaces=registry)
        parsed += 1
    worker.join()
    assert not errors
    assert parsed >= 20
