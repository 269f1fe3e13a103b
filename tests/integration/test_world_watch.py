"""``watch.airspaces: all`` through the whole mideast-2025-06 night: the FIRs that close are
flagged and no other of the world's 435 is."""

import asyncio

import pytest
from sqlalchemy import select

from service.config import load_settings
from service.evaluate import play_scenario
from service.sim import mideast
from service.sim.scenario import scenario_settings
from service.store.db import make_engine, make_sessionmaker, upgrade
from service.store.models import AirspaceStatusRow, AlertRow
from tests.conftest import ROOT


@pytest.mark.slow
def test_watching_the_world_flags_only_the_closed_firs(tmp_path):
    settings = scenario_settings(
        "mideast-2025-06",
        load_settings(
            ROOT / "config.yaml", seeds_dir=str(ROOT / "seeds"), watch={"airspaces": "all"}
        ),
    )
    assert settings.watch.world and len(settings.watch.airspaces) > 400
    assert settings.feeds.opensky.bbox.is_world
    url = f"sqlite:///{tmp_path / 'world.db'}"
    upgrade(url)
    truth = asyncio.run(play_scenario("mideast-2025-06", settings, url))
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        flagged = {
            r.airspace: r.status
            for r in session.scalars(select(AirspaceStatusRow))
            if r.status != "NORMAL"
        }
        changes = list(
            session.scalars(select(AlertRow).where(AlertRow.type == "airspace.status_changed"))
        )
    engine.dispose()
    assert flagged == dict.fromkeys(mideast.CLOSING, "CLOSED")  # at the end of the night
    # nothing is flagged before the strikes
    assert min(a.opened_at for a in changes).isoformat() >= truth["onset"]
    # no other FIR of the world changes status: LTAA, whose only foreign traffic used to be
    # the Europe-Iran crossings (it emptied when they replanned south), now has its own
    # background traffic as real Turkish airspace has
    others = {a.airspace for a in changes} - set(mideast.CLOSING)
    assert others == set(), others
