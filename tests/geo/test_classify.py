from pathlib import Path

import numpy as np
import pytest
from shapely import Point

from service.geo.airspaces import AirportRegistry, AirspaceRegistry
from service.geo.classify import AirspaceClassifier

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="module")
def registry() -> AirspaceRegistry:
    return AirspaceRegistry.from_geojson(SEEDS / "firs.geojson")


def test_vectorized_membership_matches_naive_point_in_polygon(registry):
    rng = np.random.default_rng(7)
    lons = rng.uniform(-85, -50, 5000)
    lats = rng.uniform(-10, 25, 5000)
    codes = ["SVZM", "TNCF", "SKED"]
    member = AirspaceClassifier(registry, codes).membership(lons, lats)
    for i, code in enumerate(codes):
        geom = registry.get(code).geometry
        naive = np.array(
            [Point(x, y).within(geom) for x, y in zip(lons[:500], lats[:500], strict=True)]
        )
        assert (member[i, :500] == naive).all()
    assert member[0].sum() > 100  # SVZM is large: a random sample must hit it


def test_known_places(registry):
    airports = AirportRegistry.from_csv(SEEDS / "airports.csv")
    clf = AirspaceClassifier(registry, ["SVZM", "TNCF"])
    names = ["SVMI", "SVMC", "TNCA", "TNCC", "KMIA"]
    lons = [airports.get(n).lon for n in names]
    lats = [airports.get(n).lat for n in names]
    assert clf.first_airspace(lons, lats) == ["SVZM", "SVZM", "TNCF", "TNCF", None]


def test_nearest_airport_within_radius():
    airports = AirportRegistry.from_csv(SEEDS / "airports.csv")
    code, km = airports.nearest(-68.96, 12.19, within_km=15)
    assert code == "TNCC" and km < 1
    assert airports.nearest(-60.0, 15.0, within_km=15) is None


def test_unknown_codes_are_named(registry):
    with pytest.raises(KeyError, match="XXXX"):
        registry.get("XXXX")
