"""A restart in the middle of the scenario gives the same flight alerts as a run without
one: open flights, the route figures, each route's usual path, where flights land and the
airspace's status history come back from the database."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from service.store.db import make_engine, make_sessionmaker, upgrade
from service.store.models import AlertRow
from tests.support import play_scenario_polls

FLIGHT_TYPES = (
    "flight.rerouted",
    "flight.diverted",
    "flight.turned_back",
    "flight.entered_restricted_airspace",
    "route.disrupted",
)


def _alerts(sessions) -> set[tuple]:
    with sessions() as s:
        return {
            (a.type, a.dedup_key, a.extra_distance_km, a.status)
            for a in s.scalars(select(AlertRow).where(AlertRow.type.in_(FLIGHT_TYPES)))
        }


@pytest.mark.parametrize("restart", ["2025-11-21T19:30:00+00:00"])
def test_restart_gives_the_same_flight_alerts(venezuela_played, tmp_path, restart):
    settings, played = venezuela_played  # the run without a restart
    straight = _alerts(played)
    url = f"sqlite:///{tmp_path / 'restarted.db'}"
    upgrade(url)
    engine = make_engine(url)
    restarted = make_sessionmaker(engine)
    play_scenario_polls(
        settings.model_copy(update={"database_url": url}),
        restarted,
        lambda at: None,
        restart_at=datetime.fromisoformat(restart),
    )
    again = _alerts(restarted)
    engine.dispose()
    assert len({a for a in straight if a[0] == "flight.rerouted"}) >= 40
    assert again == straight, sorted(straight ^ again)
