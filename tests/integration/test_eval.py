"""`firwatch eval` plays the scenario and scores detection against its truth."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from service.cli import app
from tests.conftest import ROOT


def test_eval_scenario_meets_targets(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app,
        ["eval", "venezuela-2025-11", "--config", str(ROOT / "config.yaml"),
         "--min-precision", "0.95", "--min-recall", "0.95", "--max-extra-error", "0.10"],
        env={"FIRWATCH_SEEDS_DIR": str(ROOT / "seeds")},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = {
        line.split()[0]: line.split()
        for line in result.output.splitlines()
        if line.startswith("flight.")
    }
    for kind in ("flight.rerouted", "flight.diverted", "flight.turned_back"):
        truth, found, hits, precision, recall = lines[kind][1:]
        assert int(found) == int(hits) == int(truth)
        assert int(truth) >= 1 and precision == "1.00" and recall == "1.00", lines[kind]
    assert "false closures (restricted/closed where the truth has none): 0" in result.output


def test_eval_fails_below_threshold(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app,
        ["eval", "venezuela-2025-11", "--config", str(ROOT / "config.yaml"), "--max-onset-polls", "1"],
        env={"FIRWATCH_SEEDS_DIR": str(ROOT / "seeds")},
    )  # fmt: skip
    # the status changes 5.4 polls after the NOTAM's effective time (it was published 25 min late)
    assert result.exit_code == 1 and "below threshold: status onset 5.4 polls > 1" in result.output


@pytest.mark.parametrize("variant", ["outage", "partial", "reopening", "noisy"])
def test_eval_variants(variant, monkeypatch, tmp_path):
    """A feed outage is no closure, partial avoidance is no closure, a reopening ends NORMAL,
    and a noisy feed still finds every rerouted, diverted and turned-back flight."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app,
        ["eval", f"venezuela-2025-11-{variant}", "--config", str(ROOT / "config.yaml"),
         "--min-precision", "0.95", "--min-recall", "0.95", "--max-extra-error", "0.10"],
        env={"FIRWATCH_SEEDS_DIR": str(ROOT / "seeds")},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "false closures (restricted/closed where the truth has none): 0" in result.output
    if variant == "reopening":
        assert "final status: NORMAL (expected NORMAL)" in result.output
    if variant == "outage":
        assert "final status: NORMAL" in result.output
