"""The mideast-2025-06 scenario: what its flights do, and the settings a user would write."""

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import shapely

from service.config import load_settings
from service.geo.world import load_world
from service.sim import mideast
from service.sim.scenario import load_scenario, scenario_settings

ROOT = Path(__file__).resolve().parents[2]
WORLD = load_world((ROOT / "seeds").resolve())


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("mideast-2025-06")


def _inside_after(flight, area, after) -> bool:
    """Whether the flight is airborne inside ``area`` at any minute after ``after``."""
    t = max(after, flight.departs_at)
    while t <= flight.arrives_at:
        state = flight.state_at(t)
        if (
            state
            and not state["on_ground"]
            and shapely.contains_xy(area, state["lon"], state["lat"])
        ):
            return True
        t += timedelta(minutes=2)
    return False


def test_foreign_traffic_leaves_the_closed_block(scenario):
    closed = shapely.union_all([WORLD.firs[c].geometry for c in mideast.CLOSING])
    late = scenario.onset + timedelta(minutes=75)
    foreign = [f for f in scenario.flights if not f.domestic]
    assert not [f.callsign for f in foreign if _inside_after(f, closed, late)]
    # nobody foreign enters OIIX after the onset: the truth has no incursion
    truth = scenario.truth()
    assert all(
        f.get("enters_airspace_at") is None or f["enters_airspace_at"] < scenario.onset.isoformat()
        for f in truth["flights"]
        if not f["domestic"]
    )
    # and before the strikes, the block is busy
    assert (
        sum(
            _inside_after(f, WORLD.firs["OIIX"].geometry, scenario.onset - timedelta(hours=2))
            for f in foreign
            if f.departs_at < scenario.onset
        )
        >= 15
    )


def test_behaviours_and_truth(scenario):
    truth = scenario.truth()
    kinds = [f["behaviour"] for f in truth["flights"]]
    assert kinds.count("rerouted") >= 30
    assert kinds.count("diverted") == 2 and kinds.count("turned_back") == 1
    assert truth["airspace"] == "OIIX" and truth["warning"]["notam"] == mideast.WARNING_NOTAM
    closure = np.datetime64(truth["closure_onset"][:19])
    assert np.datetime64(truth["onset"][:19]) < closure <= np.datetime64("2025-06-13T02:30")
    # Iranian domestic traffic stops: no Iranian departure after the onset
    iranian = [f for f in scenario.flights if f.domestic]
    assert iranian and all(f.departs_at < scenario.onset for f in iranian)
    assert any(c["domestic"] for c in truth["flights"] if c["behaviour"] == "cancelled")
    # every rerouted flight flies further than its great circle
    assert all((f["extra_km"] or 0) > 0 for f in truth["flights"] if f["behaviour"] == "rerouted")


def test_notams_are_marked_synthetic(scenario):
    for item in scenario.notams:
        notam = item["properties"]["coreNOTAMData"]["notam"]
        assert "(SYNTHETIC SCENARIO NOTAM)" in notam["text"]
    firs = {i["properties"]["coreNOTAMData"]["notam"]["affectedFIR"] for i in scenario.notams}
    assert firs == set(mideast.CLOSING)


def test_scenario_settings_watch_the_region():
    settings = scenario_settings("mideast-2025-06", load_settings(ROOT / "config.yaml"))
    assert settings.watch.airspaces == list(mideast.CLOSING)
    b = settings.feeds.opensky.bbox
    assert b.lomin < 34.0 and b.lomax > 63.3 and b.lamin < 24.7 and b.lamax > 39.8
    assert set(mideast.CLOSING) <= set(settings.feeds.faa_notam.locations)
    assert settings.watch.domestic_addresses["OIIX"] == ["730000-737FFF"]
    assert "SVZM" not in settings.detection.expected_foreign
