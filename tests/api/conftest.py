from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app


@pytest.fixture
def client(settings, sessions) -> Iterator[TestClient]:
    """The API on a migrated SQLite database, scheduler off."""
    with TestClient(create_app(settings, start_scheduler=False)) as c:
        yield c


def make_key(sessions, scopes: list[str]) -> dict[str, str]:
    from service.api.auth import create_key

    with sessions.begin() as session:
        _row, key = create_key(session, "test", scopes)
    return {"X-API-Key": key}


@pytest.fixture
def admin(sessions) -> dict[str, str]:
    """Headers carrying an admin API key."""
    return make_key(sessions, ["admin"])


@pytest.fixture
def feed(settings, sessions):
    """Drive snapshots through detection and ingest into the API's database, as a poll
    does: ``feed(snapshot, ..., routes={callsign: Route})`` returns the engine."""
    from service.detect.engine import DetectionEngine
    from service.geo.airspaces import load_registries
    from service.ingest import persist
    from service.seeds import load_route_schedules, load_watched_routes

    path = settings.path(settings.watch.routes_file)
    engine = DetectionEngine(
        settings,
        *load_registries(settings.path(settings.seeds_dir)),
        load_watched_routes(path),
        load_route_schedules(path),
    )

    def run(*snapshots, routes=None):
        engine.set_routes(routes or {})
        for snapshot in snapshots:
            with sessions.begin() as session:
                persist(session, engine, engine.ingest(snapshot), snapshot.fetched_at)
        return engine

    return run
