"""firwatch's OpenSky client and the emulator price a /states/all call from separate tables
(the emulator's is written from OpenSky's documentation), so a wrong one shows up here."""

from __future__ import annotations

import random

import pytest

from service.feeds.opensky import WORLD, area_cost
from service.sim.emulator.opensky import GLOBAL_COST, states_cost


def _box(lat_span: float, lon_span: float, lamin: float = 0.0, lomin: float = 0.0):
    return (lamin, lomin, lamin + lat_span, lomin + lon_span)


@pytest.mark.parametrize(
    "area", [0.0, 1.0, 24.999, 25.0, 25.001, 99.99, 100.0, 100.01, 399.9, 400.0, 400.1, 10_000.0]
)
def test_tables_agree_at_the_tier_boundaries(area):
    box = _box(area / 10, 10.0)
    assert area_cost(*box) == states_cost(box)


def test_tables_agree_on_random_boxes():
    rng = random.Random(20251121)
    costs = set()
    for _ in range(5000):
        lamin, lomin = rng.uniform(-90, 80), rng.uniform(-180, 170)
        box = _box(
            rng.uniform(0, 90 - lamin) ** rng.uniform(0.3, 1),
            rng.uniform(0, 180 - lomin),
            lamin,
            lomin,
        )
        cost = states_cost(box)
        assert area_cost(*box) == cost, box
        costs.add(cost)
    assert costs == {1, 2, 3, 4}  # the sweep reached every tier


def test_a_world_poll_costs_what_a_call_without_a_box_costs():
    lomin, lamin, lomax, lamax = WORLD
    assert area_cost(lamin, lomin, lamax, lomax) == states_cost((None,) * 4) == GLOBAL_COST
