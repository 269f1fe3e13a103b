"""`firwatch eval` plays the scenario and scores detection against its truth."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from service.cli import app
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def scores() -> dict:
    return {}


@pytest.fixture
def shared_play(scores, monkeypatch):
    """`firwatch eval` as it runs, but a scenario already played and scored in this module
    with the same settings is not played again: the tests that differ only in their
    thresholds share one play (~10 s of CPU), each through the whole command."""
    import service.evaluate

    real = service.evaluate.evaluate

    async def evaluate(target, truth_path, settings, *args):
        key = (target, truth_path, settings.model_dump_json(), *args)
        if key not in scores:
            scores[key] = await real(target, truth_path, settings, *args)
        return scores[key]

    monkeypatch.setattr(service.evaluate, "evaluate", evaluate)


def test_eval_scenario_meets_targets(monkeypatch, tmp_path, shared_play):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "venezuela-2025-11",
            "--config",
            str(ROOT / "config.yaml"),
            "--min-precision",
            "0.95",
            "--min-recall",
            "0.95",
            "--max-extra-error",
            "0.10",
            "--max-onset-polls",
            "6",
            "--max-warning-polls",
            "2",
        ],
        env={"FIRWATCH_SEEDS_DIR": str(ROOT / "seeds")},
    )
    assert result.exit_code == 0, result.output
    delays = re.search(
        r"closure onset delay: (-?[\d.]+) polls after foreign traffic in SVZM collapsed "
        r"\(18:50Z in the truth\)\nwarning delay: ([\d.]+) polls after A0012/25 was published",
        result.output,
    )
    assert delays, result.output
    # the traffic model needs significant evidence held for 10 minutes
    # (service/detect/traffic_model.py): 25 minutes after the truth on this day-one recording
    assert abs(float(delays[1])) <= 6 and 0 <= float(delays[2]) <= 2
    lines = {
        line.split()[0]: line.split()
        for line in result.output.splitlines()
        if line.startswith(("flight.", "route."))
    }
    for kind in (
        "flight.rerouted",
        "flight.diverted",
        "flight.turned_back",
        "flight.entered_restricted_airspace",
        "route.disrupted",
    ):
        truth, found, hits, precision, recall = lines[kind][1:]
        assert int(found) == int(hits) == int(truth)
        assert int(truth) >= 1 and precision == "1.00" and recall == "1.00", lines[kind]
    assert "false closures (restricted/closed where the truth has none): 0" in result.output


def test_eval_fails_below_threshold(monkeypatch, tmp_path, shared_play):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "venezuela-2025-11",
            "--config",
            str(ROOT / "config.yaml"),
            "--max-onset-polls",
            "0.5",
        ],
        env={"FIRWATCH_SEEDS_DIR": str(ROOT / "seeds")},
    )
    # the tail probability reaches detection.collapse_probability and holds for
    # collapse_confirm_minutes five polls after the truth's collapse (a day-one baseline)
    assert result.exit_code == 1, result.output
    assert "below threshold: closure onset 5.0 polls, limit 0.5" in result.output


@pytest.mark.parametrize("variant", ["outage", "partial", "reopening", "noisy"])
def test_eval_variants(variant, monkeypatch, tmp_path):
    """A feed outage is no closure, partial avoidance is no closure, a reopening ends NORMAL,
    and a noisy feed still finds every rerouted, diverted and turned-back flight."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "eval",
            f"venezuela-2025-11-{variant}",
            "--config",
            str(ROOT / "config.yaml"),
            "--min-precision",
            "0.95",
            "--min-recall",
            "0.95",
            "--max-extra-error",
            "0.10",
            "--max-onset-polls",
            "6",
            "--max-warning-polls",
            "2",
        ],
        env={"FIRWATCH_SEEDS_DIR": str(ROOT / "seeds")},
    )
    assert result.exit_code == 0, result.output
    assert "false closures (restricted/closed where the truth has none): 0" in result.output
    closure = "polls after foreign traffic in SVZM collapsed (18:50Z in the truth)"
    assert (closure in result.output) == (variant in ("reopening", "noisy")), result.output
    if variant == "reopening":
        assert "final status: NORMAL (expected NORMAL)" in result.output
        assert "alerts still open after the reopening: 0" in result.output
    if variant == "outage":
        assert "final status: NORMAL" in result.output


def test_closure_target_holds_when_polls_fall_late(monkeypatch, tmp_path):
    """Polls 4 minutes after the round five: the worst phase against the truth's 18:50Z."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "venezuela-2025-11",
            "--config",
            str(ROOT / "config.yaml"),
            "--poll-phase",
            "4",
            "--max-onset-polls",
            "6",
            "--max-warning-polls",
            "2",
        ],
        env={"FIRWATCH_SEEDS_DIR": str(ROOT / "seeds")},
    )
    assert result.exit_code == 0, result.output
    assert "closure onset delay: 5.8 polls after foreign traffic in SVZM collapsed" in result.output
    assert re.search(r"flight\.rerouted +55 +55 +55 +1\.00 +1\.00", result.output), result.output
