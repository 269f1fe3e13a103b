"""`firwatch replay` on damaged recordings: every bad line skipped and named, honest exit codes."""

from __future__ import annotations

import json
import random
import re

import pytest
from typer.testing import CliRunner

from service.cli import app
from tests.conftest import ROOT

GOOD = {
    "source": "opensky",
    "fetched_at": "2025-11-21T17:40:00Z",
    "request": {"method": "GET", "url": "https://x.test/api/states/all", "params": {}},
    "status": 200,
    "headers": {"x-rate-limit-remaining": "396"},
}
BAD = {
    "request is not an object": json.dumps({**GOOD, "request": "x", "body": None}).encode(),
    "no request": json.dumps({k: v for k, v in GOOD.items() if k != "request"}).encode(),
    "invalid UTF-8": json.dumps({**GOOD, "body": None}).encode().replace(b"x.test", b"x\xff"),
    "is outside 1970-2200": json.dumps({**GOOD, "fetched_at": "0001-01-01T00:00:00Z"}).encode(),
    "has no time zone": json.dumps({**GOOD, "fetched_at": "2025-11-21T17:40:00"}).encode(),
    "invalid JSON": b'{"source": "opensky", "fetched_at": ',
    "not a JSON object": b"[1, 2, 3]",
    "unknown source 'radar'": json.dumps({**GOOD, "source": "radar"}).encode(),
    "is not an HTTP status": json.dumps({**GOOD, "status": "200"}).encode(),
    "neither a status nor an error": json.dumps({**GOOD, "status": None}).encode(),
    "is not one replay reads": json.dumps(
        {**GOOD, "request": {"url": "https://x.test/api/flights/all"}}
    ).encode(),
}


def good_line(minute: int, rng: random.Random) -> bytes:
    t = 1763746800 + 60 * minute
    states = [
        [
            f"a{i:05x}",
            f"TST{i:03d}  ",
            "X",
            t,
            t,
            rng.uniform(-70, -60),
            rng.uniform(2, 14),
            10000.0,
            False,
            230.0,
            90.0,
            0.0,
            None,
            10050.0,
            "2000",
            False,
            0,
        ]
        for i in range(rng.randint(5, 30))
    ]
    at = f"2025-11-21T17:{minute:02d}:00Z"
    return json.dumps({**GOOD, "fetched_at": at, "body": {"time": t, "states": states}}).encode()


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("FIRWATCH_SEEDS_DIR", str(ROOT / "seeds"))
    monkeypatch.setenv("FIRWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'replay.db'}")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    return lambda *args: runner.invoke(app, ["replay", *args])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bad_lines_are_skipped_and_named(cli, tmp_path, seed):
    rng = random.Random(seed)
    lines = [(None, good_line(m, rng)) for m in range(10)]
    bad = rng.sample(sorted(BAD), rng.randint(3, len(BAD)))
    for reason in bad:
        lines.insert(rng.randrange(len(lines) + 1), (reason, BAD[reason]))
    path = tmp_path / "damaged.jsonl"
    path.write_bytes(b"\n".join(line for _, line in lines) + b"\n")

    strict = cli(str(path))
    assert strict.exit_code == 3, strict.output
    assert "Traceback" not in strict.output
    out = strict.output
    assert f"skipped {len(bad)} line(s):" in out
    for number, (reason, _) in enumerate(lines, 1):
        if reason is not None:
            line = next(x for x in out.splitlines() if x.startswith(f"  line {number}: "))
            assert reason in line, (reason, line)
    assert "--max-skipped 0" in out
    assert "opensky" in out and " 10 " in out  # all ten good polls used

    tolerant = cli(str(path), "--max-skipped", str(len(bad)))
    assert tolerant.exit_code == 0, tolerant.output
    assert cli(str(path), "--max-skipped", str(len(bad) - 1)).exit_code == 3


def test_nothing_usable_is_a_failure(cli, tmp_path):
    path = tmp_path / "useless.jsonl"
    path.write_bytes(b"\n".join(BAD.values()) + b"\n")
    result = cli(str(path), "--max-skipped", "100")
    assert result.exit_code == 1, result.output
    assert "nothing in it could be replayed" in result.output

    failed_only = tmp_path / "outage.jsonl"  # every poll failed as recorded: nothing usable
    rows = [
        {
            **GOOD,
            "fetched_at": f"2025-11-21T17:{m:02d}:00Z",
            "status": 503,
            "body": "Service Unavailable",
        }
        for m in range(5)
    ]
    failed_only.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = cli(str(failed_only))
    assert result.exit_code == 1, result.output
    assert "replayed 5 poll rounds (5 failed as recorded)" in result.output


def test_the_readme_example_is_a_valid_recording(cli, tmp_path):
    """The five lines in README's Recordings section follow the schema and replay whole."""
    import jsonschema

    from service.recording_format import SCHEMA_PATH

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Recordings", 1)[1]
    block = section.split("```json\n", 1)[1].split("```", 1)[0]
    lines = block.strip().splitlines()
    assert len(lines) == 5
    schema = json.loads(SCHEMA_PATH.read_text())
    for line in lines:
        jsonschema.validate(json.loads(line), schema)
    path = tmp_path / "readme.jsonl"
    path.write_text(block, encoding="utf-8")
    result = cli(str(path))
    assert result.exit_code == 0, result.output
    assert "replayed 5 poll rounds (2 failed as recorded)" in result.output
    assert "line(s)" not in result.output  # nothing skipped


def test_a_round_detection_cannot_take_is_reported_not_raised(cli, tmp_path, monkeypatch):
    from service.detect.engine import DetectionEngine

    calls = []
    real = DetectionEngine.ingest

    def flaky(self, snapshot):
        calls.append(snapshot.fetched_at)
        if len(calls) == 3:
            raise ZeroDivisionError("odd data")
        return real(self, snapshot)

    monkeypatch.setattr(DetectionEngine, "ingest", flaky)
    rng = random.Random(7)
    path = tmp_path / "five.jsonl"
    path.write_bytes(b"\n".join(good_line(m, rng) for m in range(5)) + b"\n")
    result = cli(str(path))
    assert result.exit_code == 0, result.output
    assert "error in the round from line 3: ZeroDivisionError: odd data" in result.output
    assert "Traceback" not in result.output and len(calls) == 5


def test_a_notam_round_that_ended_in_a_failure_is_a_gap(cli, tmp_path):
    """firwatch's NOTAM client gives up a round at its first failed page, so a round whose
    last exchange failed used nothing live; a tool that carried on after a failure did use
    what came after it."""
    from service.sim.scenario import load_scenario

    scenario = load_scenario("venezuela-2025-11")
    items = [
        {k: v for k, v in n.items() if not k.startswith("_")}
        for n in scenario.visible_notams(scenario.end)
    ]
    url = "https://external-api.faa.gov/notamapi/v1/notams"

    def line(second: int, location: str, status: int) -> str:
        body = (
            {
                "pageSize": 50,
                "pageNum": 1,
                "totalCount": len(items),
                "totalPages": 1,
                "items": items,
            }
            if status == 200
            else "Service Unavailable"
        )
        return json.dumps(
            {
                "source": "faa_notam",
                "fetched_at": f"2025-11-21T18:00:0{second}Z",
                "request": {"url": url, "params": {"icaoLocation": location}},
                "status": status,
                "body": body,
            }
        )

    abandoned = tmp_path / "abandoned.jsonl"
    abandoned.write_text(line(0, "SVZM", 200) + "\n" + line(1, "TNCF", 503) + "\n")
    result = cli(str(abandoned))
    assert result.exit_code == 1, result.output
    assert "replayed 1 poll rounds (1 failed as recorded)" in result.output

    carried_on = tmp_path / "carried-on.jsonl"
    carried_on.write_text(line(0, "SVZM", 503) + "\n" + line(1, "TNCF", 200) + "\n")
    result = cli(str(carried_on))
    assert result.exit_code == 0, result.output
    assert "replayed 1 poll rounds (0 failed as recorded)" in result.output
    assert re.search(r"faa_notam\s+2\s+1\s+1\s+0", result.output), result.output
