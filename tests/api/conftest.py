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
