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
