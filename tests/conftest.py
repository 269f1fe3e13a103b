"""Shared fixtures: settings on a throw-away SQLite database, a migrated session factory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings, load_settings
from service.store.db import make_engine, make_sessionmaker, upgrade
from tests.support import Receiver, ThreadedServer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        ROOT / "config.yaml",
        database_url=f"sqlite:///{tmp_path / 'firwatch.db'}",
        seeds_dir=str(ROOT / "seeds"),
        watch={"routes_file": str(ROOT / "seeds" / "watched_routes.yaml")},
        webhooks={"allow_private_targets": True},
    )


@pytest.fixture
def sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, ThreadedServer]]:
    """A webhook receiver on loopback (real HTTP)."""
    app = Receiver()
    with ThreadedServer(app) as server:
        yield app, server
