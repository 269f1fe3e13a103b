"""``firwatch notam parse FILE|-``: GeoJSON out, one line and a non-zero exit on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import shapely
from typer.testing import CliRunner

from service.cli import app
from tests.conftest import ROOT
from tests.notam.corpus.score import entries, within_tolerance

runner = CliRunner()
KICZ = ROOT / "seeds" / "notams" / "kicz_a0012_25.txt"


def test_kicz_file(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, ["notam", "parse", str(KICZ)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    (feature,) = body["features"]
    assert feature["properties"]["number"] == "A0012/25" and feature["properties"]["fir"] == "SVZM"
    assert feature["geometry"]["type"] == "MultiPolygon" and feature["properties"]["problems"] == []


def test_every_corpus_entry_from_stdin(tmp_path):
    """The whole corpus as one pasted file through the installed command, read from stdin."""
    corpus = list(entries())
    text = "\n\n".join(e.text for e in corpus)
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "notam", "parse", "-"],
        input=text.encode(),
        capture_output=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    body = json.loads(done.stdout)
    assert body["notams"] == len(corpus)
    ids: list[str] = []
    shapes: dict[str, list] = {}
    for f in body["features"]:
        key = f["properties"]["id"]
        if key not in ids:
            ids.append(key)
        if f["geometry"]:
            shapes.setdefault(key, []).append(shapely.geometry.shape(f["geometry"]))
    assert len(ids) == len(corpus)
    areas = hits = 0
    for key, entry in zip(ids, corpus, strict=True):
        parts = shapes[key]
        geometry = parts[0] if len(parts) == 1 else shapely.GeometryCollection(parts)
        areas += len(entry.areas)
        hits += sum(within_tolerance(a, geometry) for a in entry.areas)
    assert hits / areas >= 0.99, (hits, areas)


def test_multi_area_notam_gives_one_feature_per_area(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    path = tmp_path / "multi.txt"
    path.write_text(
        "(W0001/26 NOTAMN\nQ) SVZM/QRDCA/IV/BO/W/000/100/1030N06630W050\nA) SVZM B) 2603010000 "
        "C) 2603312359\nE) MIL EXER IN FLW AREAS:\nAREA 1: 1000N06700W - 1000N06600W - 1030N06630W\n"
        "AREA 2: RADIUS 5NM CENTRED ON 1100N06630W\nF) SFC G) FL100)"
    )
    result = runner.invoke(app, ["notam", "parse", str(path), "--strict"])
    assert result.exit_code == 0, result.output
    features = json.loads(result.stdout)["features"]
    assert [(f["properties"]["area"], f["properties"]["area_kind"]) for f in features] == [
        ("AREA 1", "polygon"),
        ("AREA 2", "circle"),
    ]


def test_strict_exits_1_on_problems_and_bad_files_are_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    path = tmp_path / "bad.txt"
    path.write_text(
        "(A0001/26 NOTAMN\nQ) SVZM/QRDCA/IV/BO/W/000/100/1030N06630W005\nE) WI 3913N10025E 3914N10026E 3915N10024E)"
    )
    result = runner.invoke(app, ["notam", "parse", str(path), "--strict"])
    assert result.exit_code == 1
    codes = {p["code"] for p in json.loads(result.stdout)["features"][0]["properties"]["problems"]}
    assert "geometry.outside_qline" in codes
    for args, needle in (
        ([str(tmp_path / "missing.txt")], "cannot read"),
        ([str(tmp_path)], "cannot read"),
    ):
        result = runner.invoke(app, ["notam", "parse", *args])
        assert (
            result.exit_code == 2 and needle in result.stderr and "Traceback" not in result.output
        )
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n# only a comment\n")
    result = runner.invoke(app, ["notam", "parse", str(empty)])
    assert result.exit_code == 2 and "no NOTAM text" in result.stderr
