"""Classification against every FIR of the world agrees with exact per-FIR tests."""

from pathlib import Path

import numpy as np
import pytest
import shapely

from service.geo.airspaces import AirspaceRegistry
from service.geo.classify import AirspaceClassifier, GridIndex

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world() -> AirspaceRegistry:
    return AirspaceRegistry.from_world(ROOT / "seeds" / "world" / "firs-world.geojson")


@pytest.fixture(scope="module")
def grid(world) -> GridIndex:
    return GridIndex([a.geometry for a in world])


@pytest.mark.parametrize("seed", range(3))
def test_grid_matches_exact_containment(world, grid, seed):
    rng = np.random.default_rng(seed)
    n = 4000
    lons = rng.uniform(-180, 180, n)
    lats = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    # and points on cell edges and near boundaries, where the grid must defer to exact tests
    lons[:200] = np.round(lons[:200])
    lats[:200] = np.round(lats[:200])
    geoms = [a.geometry for a in world]
    points, owners = grid.pairs(lons, lats)
    got = np.zeros((len(geoms), n), dtype=bool)
    got[owners, points] = True
    exact = np.array([shapely.contains_xy(g, lons, lats) for g in geoms])
    assert (got == exact).all()
    assert got.any(axis=0).mean() > 0.5  # most of the Earth lies in some FIR


def test_classifier_uses_the_grid_for_many_airspaces(world):
    every = AirspaceClassifier(world, world.codes)
    few = AirspaceClassifier(world, ["OIIX", "ORBB"])
    assert every.grid is not None and few.grid is None
    tehran, baghdad = (51.4, 35.7), (44.4, 33.3)
    lons, lats = np.array([tehran[0], baghdad[0]]), np.array([tehran[1], baghdad[1]])
    assert few.first_airspace(lons, lats) == ["OIIX", "ORBB"]
    member = every.membership(lons, lats)
    # TEH (sectors only in the data) overlaps Tehran: overlaps are kept, both are listed
    assert "OIIX" in [world.codes[i] for i in np.flatnonzero(member[:, 0])]
    assert [world.codes[i] for i in np.flatnonzero(member[:, 1])] == ["ORBB"]
