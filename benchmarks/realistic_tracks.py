"""Detection on real-format tracks: a table per seed and poll interval.

    .venv/bin/python benchmarks/realistic_tracks.py [--seeds 21,22,23] [--polls 60,120,300,900]

Terminal worlds (service.sim.realistic_tracks.build_world): landing airport right among
arrivals with two airports 6–15 km apart, entries (>= 60 s) into a small restricted area
found, flight.rerouted on the usual path around a NORMAL area (must be 0), reroutes of
the dog-legs while a NOTAM covers the area, diversions and turn-backs; large-airspace
worlds (build_fir_world): reroute precision/recall over every crossing flight and the
median extra-distance error.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from service.config import load_settings
from service.sim.fir_crossings import build_fir_world
from service.sim.realistic_tracks import build_world
from service.sim.terminal_eval import run_fir_world, run_world

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="21,22,23")
    parser.add_argument("--polls", default="60,120,300,900")
    args = parser.parse_args()
    settings = load_settings(ROOT / "config.yaml")
    seeds = [int(s) for s in args.seeds.split(",")]
    polls = [float(p) for p in args.polls.split(",")]
    print(
        "| seed | terminal | poll s | landing right | entries found | false entries "
        "| rerouted (NORMAL, usual path) | reroutes P/R (NOTAM) | diversions | false div. "
        "| turn-backs |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for seed in seeds:
        usual_world, world = build_world(seed, inbound_direct_share=0.0), build_world(seed)
        for poll in polls:
            phase = seed * 37 % poll
            usual = run_world(usual_world, settings, poll, notam=False, phase_s=phase)
            s = run_world(world, settings, poll, notam=True, phase_s=phase)
            f = s.figures()
            print(
                f"| {seed} | {world.hub.icao}+{world.other.icao} | {poll:g} "
                f"| {s.landing_right}/{s.arrivals} ({f['landing_right']:.3f}) "
                f"| {s.entries_found}/{s.entries} | {s.false_entries} | {usual.rerouted_normal} "
                f"| {f['reroute_precision']}/{f['reroute_recall']} | {f['diversions']} "
                f"| {s.false_diversions} | {f['turn_backs']} |"
            )
    print()
    print(
        "| seed | poll s | crossing flights | reroutes truth | found | precision | recall "
        "| extra-distance error median | max |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for seed in (s + 10 for s in seeds):
        world = build_fir_world(seed)
        for poll in polls:
            r = run_fir_world(world, settings, poll, phase_s=seed * 37 % poll)
            print(
                f"| {seed} | {poll:g} | {r['crossing']} | {r['truth']} | {r['found']} "
                f"| {r['precision']} | {r['recall']} | {r['extra_error_median']} "
                f"| {r['extra_error_max']} |"
            )


if __name__ == "__main__":
    main()
