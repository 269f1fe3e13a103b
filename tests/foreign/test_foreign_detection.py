"""Issue 15's standard, judged on traffic firwatch was not built around.

Recordings come from ``tests/foreign/traffic_gen.py`` (independent of ``service.sim`` and of
detection: numpy and the standard library only), replayed through the replay function that
``firwatch replay`` runs, with the shipped config.yaml; scored by ``tests/foreign/measure.py``.
The standard (issue 15, "Done when"): no RESTRICTED/CLOSED of SVZM on normal days; closure
flagged within 30 minutes of the truth's collapse in dense traffic and 90 minutes in sparse;
reroute precision and recall >= 0.95 over every foreign flight whose great circle crossed
SVZM and that flew round it.

Where firwatch does not meet it today the test is an expected failure (strict: the day it
passes, the mark must go) whose reason carries the figure measured here; the test itself is
not weakened.  The figures hold only for these seeded recordings.
"""

from __future__ import annotations

import ast
import functools
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from tests.foreign.measure import Result, run_replay, score
from tests.foreign.traffic_gen import Generator, Variant, generate

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]

# a modest seeded subset of the sweep (tests/foreign/sweep.py): three normal days, then the
# event; at 900 s polls each replays in well under a minute
CASES = {
    "dense-900s": Variant(density="dense", poll_s=900, seed=1, normal_days=3),
    "sparse-900s": Variant(density="sparse", poll_s=900, seed=1, normal_days=3),
    # the same dense traffic seen only by ADS-B v2 point queries (9 circles of 250 NM that
    # cover all of SVZM), with the route look-ups recorded
    "dense-900s-adsbx": Variant(
        density="dense", poll_s=900, seed=1, normal_days=3, feed="adsbx", routes=True
    ),
}
LIMIT_MIN = {"dense": 30.0, "sparse": 90.0}

# Where firwatch (main at 942fee1) misses the standard, measured on these seeded recordings
# with the shipped config.yaml (tests/foreign/sweep.py has the wider sweep).  Strict: when
# firwatch meets the standard the test passes and the mark must go.
XFAIL: dict[tuple[str, str], str] = {
    ("dense-900s", "recall"): (
        "measured: reroute recall 0.21 (8 of 38 foreign flights whose great circle crossed "
        "SVZM and that flew round it got flight.rerouted; 0.23 on those with >= 25 km extra): "
        "at 15-min polls the first report is far from the origin, no origin is inferred"
    ),
    ("sparse-900s", "latency"): (
        "measured: no RESTRICTED/CLOSED in the 6 h after the collapse; status evidence at the "
        "end: 'too little traffic expected to judge', 0 foreign aircraft seen in 180 min "
        "against 2.96 expected (P = 0.0685 > 0.001)"
    ),
    ("sparse-900s", "precision"): (
        "measured: 0 flight.rerouted alerts for 4 true reroutes, precision undefined (no alert "
        "while the airspace stays NORMAL and the route's usual path is not yet known)"
    ),
    ("sparse-900s", "recall"): "measured: reroute recall 0.00 (0 of 4)",
    ("dense-900s-adsbx", "latency"): (
        "measured: RESTRICTED +30.3 min after the collapse (+103 min after the event), one "
        "15-min poll past the limit (before the judging-source fix: never, no sample was "
        "taken from ADS-B polls)"
    ),
    ("dense-900s-adsbx", "recall"): "measured: reroute recall 0.76 (29 of 38)",
}


def case(name: str, check: str):
    """The case's parameter, an expected failure where firwatch misses the standard today."""
    reason = XFAIL.get((name, check))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(name, marks=marks, id=name)


@functools.cache
def measured(name: str) -> Result:
    variant = CASES[name]
    with tempfile.TemporaryDirectory(prefix="firwatch-foreign-") as tmp:
        recording, truth = generate(variant, Path(tmp))
        alerts, report = run_replay(recording)
    result = score(variant.name, alerts, report, truth)
    assert report.skipped == [] and result.failed_rounds == 0, report.summary()
    return result


@pytest.mark.parametrize("name", [case(n, "false") for n in CASES])
def test_no_false_closure_on_normal_days(name: str) -> None:
    result = measured(name)
    assert result.false_closures == [], f"RESTRICTED/CLOSED before the event: {result}"


@pytest.mark.parametrize("name", [case(n, "latency") for n in CASES])
def test_closure_flagged_in_time(name: str) -> None:
    result = measured(name)
    limit = LIMIT_MIN[CASES[name].density]
    assert result.latency_min is not None, f"no RESTRICTED/CLOSED after the event: {result}"
    assert result.latency_min <= limit, (
        f"flagged {result.latency_min:+.0f} min after the collapse (limit {limit:.0f}): {result}"
    )


@pytest.mark.parametrize("name", [case(n, "precision") for n in CASES])
def test_reroute_precision(name: str) -> None:
    result = measured(name)
    assert result.reroute_truth > 0
    assert result.precision is not None and result.precision >= 0.95, (
        f"precision {result.precision}: false {result.false_reroutes}"
    )


@pytest.mark.parametrize("name", [case(n, "recall") for n in CASES])
def test_reroute_recall(name: str) -> None:
    result = measured(name)
    assert result.recall is not None and result.recall >= 0.95, (
        f"recall {result.recall} ({result.reroute_hits}/{result.reroute_truth}): "
        f"missed {result.missed_reroutes}"
    )


def test_generator_writes_the_published_format_and_is_seeded(tmp_path: Path) -> None:
    """Every line validates against schemas/recording.schema.json; the same seed writes the
    same bytes, another seed other traffic."""
    schema = json.loads((ROOT / "schemas" / "recording.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    small = Variant(density="sparse", poll_s=900, seed=5, normal_days=0, hours_after=3)
    rec, truth = generate(small, tmp_path / "a")
    lines = rec.read_text().splitlines()
    assert len(lines) > 50
    for line in lines:
        validator.validate(json.loads(line))
    again, _ = generate(small, tmp_path / "b")
    assert again.read_bytes() == rec.read_bytes()
    other, _ = generate(replace(small, seed=6), tmp_path / "c")
    assert other.read_bytes() != rec.read_bytes()
    assert truth["event"] < truth["end"] and truth["flights"]


def test_reroutes_in_the_truth_avoid_the_fir() -> None:
    """A flight the truth calls rerouted crossed SVZM on its great circle and its flown path
    does not; domestic (0D8000-0DFFFF) flights are never among them."""
    gen = Generator(Variant(density="dense", poll_s=900, seed=3, normal_days=0, hours_after=4))
    flights = gen.build()
    rerouted = [f for f in flights if f.rerouted]
    assert rerouted
    for f in rerouted:
        assert f.gc_crosses and not f.flown_crosses and f.flown_km > f.gc_km
        assert not 0x0D8000 <= int(f.icao24, 16) <= 0x0DFFFF
    assert any(0x0D8000 <= int(f.icao24, 16) <= 0x0DFFFF for f in flights if f.domestic)


def test_generator_is_independent_of_firwatch() -> None:
    """The generator imports numpy and the standard library only: nothing of service/."""
    tree = ast.parse((Path(__file__).parent / "traffic_gen.py").read_text())
    modules = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert modules - {"__future__", "numpy"} <= set(sys.stdlib_module_names), modules
