"""What the emulated feeds share: units, the shared state, callsign padding and receiver noise."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from service.sim.clock import ScenarioClock
from service.sim.emulator.faults import Faults
from service.sim.scenario import Scenario

FT_PER_M = 3.28084
KT_PER_MS = 1.943844
KM_PER_NM = 1.852


@dataclass(slots=True)
class EmulatorState:
    """What the routers share: the scenario, its clock, queued faults and OpenSky's tokens
    (a ``401`` fault revokes them all, as if every token had expired)."""

    scenario: Scenario
    clock: ScenarioClock
    faults: Faults = field(default_factory=Faults)
    tokens: dict[str, float] = field(default_factory=dict)


def padded(callsign: str) -> str:
    """A callsign as both feeds send it: 8 characters, right-padded with spaces.

    >>> padded("KLM1")
    'KLM1    '
    """
    return callsign.ljust(8)[:8]


def noisy(rows: list[Any], share: float, seed: int) -> list[Any]:
    """Drop ``share`` of the rows, repeat a few and shuffle the order (a flaky receiver network).

    >>> len(noisy(list(range(100)), 0.0, 1))
    100
    """
    if share <= 0:
        return rows
    rng = random.Random(seed)
    kept = [r for r in rows if rng.random() >= share]
    kept += [r for r in kept if rng.random() < share / 2]
    rng.shuffle(kept)
    return kept
