"""Detection on real-format tracks (service.sim.realistic_tracks): seeded terminal areas
with two airports 6–15 km apart, reports that stop on final, frozen and spiking reports,
a small restricted area crossed between polls, and reroutes around a large airspace on
gradual turns.  Seeds here are not the ones the judge was developed on (1–8)."""

from __future__ import annotations

import statistics

import pytest

from service.sim.fir_crossings import build_fir_world
from service.sim.realistic_tracks import build_world
from service.sim.terminal_eval import run_fir_world, run_world

SEEDS = (21, 22, 23)
POLL_S = 300.0


@pytest.fixture(scope="module")
def terminal_scores(request):
    from pathlib import Path

    from service.config import load_settings

    settings = load_settings(Path(__file__).resolve().parents[2] / "config.yaml")
    out = []
    for seed in SEEDS:
        phase = seed * 37 % POLL_S
        usual = run_world(
            build_world(seed, inbound_direct_share=0.0),
            settings,
            POLL_S,
            notam=False,
            phase_s=phase,
        )
        switch = run_world(build_world(seed), settings, POLL_S, notam=True, phase_s=phase)
        out.append((usual, switch))
    return settings, out


def test_landing_airport_right_with_two_airports_within_15_km(terminal_scores):
    _, scores = terminal_scores
    right = sum(s.landing_right for s, _ in scores)
    arrivals = sum(s.arrivals for s, _ in scores)
    assert arrivals >= 3 * 120
    assert right / arrivals >= 0.95, [s.figures() for s, _ in scores]


def test_entries_between_polls_are_found(terminal_scores):
    _, scores = terminal_scores
    entries = sum(s.entries for _, s in scores)
    found = sum(s.entries_found for _, s in scores)
    assert entries >= 30 and found / entries >= 0.95
    assert sum(s.false_entries for _, s in scores) <= 0.05 * entries


def test_no_reroute_alert_for_the_usual_path_around_a_normal_area(terminal_scores):
    _, scores = terminal_scores
    assert all(usual.rerouted_normal == 0 for usual, _ in scores)
    # the same dog-legs while a NOTAM covers the area are reported, with nothing else
    found = sum(s.reroute_found for _, s in scores)
    hits = sum(s.reroute_hits for _, s in scores)
    assert found and hits == found


def test_every_diversion_and_turn_back_with_a_known_route_is_found(terminal_scores):
    _, scores = terminal_scores
    for usual, switch in scores:
        for s in (usual, switch):
            assert s.diversions_found == s.diversions > 0
            assert s.turn_backs_found == s.turn_backs > 0
    arrivals = sum(s.arrivals for s, _ in scores)
    assert sum(s.false_diversions for s, _ in scores) <= 0.01 * arrivals


def test_reroutes_around_a_large_airspace_on_gradual_turns(terminal_scores):
    settings, _ = terminal_scores
    results = [run_fir_world(build_fir_world(seed), settings, POLL_S) for seed in (31, 32)]
    found = sum(r["found"] for r in results)
    hits = sum(r["hits"] for r in results)
    truth = sum(r["truth"] for r in results)
    assert hits / found >= 0.95 and hits / truth >= 0.9, results
    assert statistics.median(r["extra_error_median"] for r in results) <= 0.05, results
