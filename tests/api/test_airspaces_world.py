"""Every FIR watched: status filters and the compact world summary."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.config import load_settings
from service.store.models import AirspaceStatusRow
from tests.conftest import ROOT

T0 = datetime(2025, 6, 13, 6, 0, tzinfo=UTC)


@pytest.fixture
def world_client(database_url, sessions):
    settings = load_settings(
        ROOT / "config.yaml",
        database_url=database_url,
        seeds_dir=str(ROOT / "seeds"),
        watch={"airspaces": "all", "routes_file": str(ROOT / "seeds" / "watched_routes.yaml")},
        api={"cache_s": 0},
    )
    with TestClient(create_app(settings, start_scheduler=False)) as c:
        yield c, settings


@pytest.mark.parametrize("seed", range(3))
def test_status_filter_and_summary_over_every_fir(world_client, sessions, seed):
    client, settings = world_client
    rng = random.Random(seed)
    codes = settings.watch.airspaces
    assert len(codes) > 400
    chosen = rng.sample(codes, 12)
    statuses = {c: rng.choice(["CLOSED", "RESTRICTED", "ADVISORY"]) for c in chosen}
    with sessions.begin() as session:
        for code, status in statuses.items():
            baseline = rng.uniform(5, 40)
            session.add(
                AirspaceStatusRow(
                    airspace=code,
                    status=status,
                    since=T0,
                    updated_at=T0 + timedelta(minutes=5),
                    foreign_count=rng.randint(0, 3),
                    domestic_count=0,
                    baseline_foreign=baseline,
                    evidence={},
                )
            )
    r = client.get("/api/v1/airspaces", params={"status": "RESTRICTED,CLOSED"})
    assert r.status_code == 200
    got = {a["airspace"]: a["status"] for a in r.json()}
    assert got == {c: s for c, s in statuses.items() if s in ("RESTRICTED", "CLOSED")}
    assert len(client.get("/api/v1/airspaces").json()) == len(codes)

    summary = client.get("/api/v1/airspaces/summary").json()
    assert summary["world"] is True and summary["watched"] == len(codes)
    for status in ("CLOSED", "RESTRICTED", "ADVISORY"):
        assert summary["counts"][status] == sum(1 for s in statuses.values() if s == status)
    assert summary["counts"]["NORMAL"] == len(codes) - len(chosen)
    top = summary["most_disrupted"]
    assert {t["airspace"] for t in top} == set(chosen)
    order = ["CLOSED", "RESTRICTED", "ADVISORY"]
    keys = [(order.index(t["status"]), t["traffic_ratio"]) for t in top]
    assert keys == sorted(keys)


def test_bad_status_filter_is_a_problem(world_client):
    client, _ = world_client
    r = client.get("/api/v1/airspaces", params={"status": "RESTRICTED,SHUT"})
    assert r.status_code == 400  # a parameter outside its declared syntax (the pattern)
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "SHUT" in r.json()["detail"]


def test_map_boundaries_once_with_an_etag_then_only_what_changes(world_client):
    """With every FIR watched the boundaries are ~1.7 MB: served once by /map/firs (ETag,
    304 when unchanged) and left out of the refreshed /map?firs=false."""
    client, _ = world_client
    firs = client.get("/api/v1/map/firs")
    assert firs.status_code == 200 and firs.headers["content-type"] == "application/geo+json"
    body = firs.json()
    kinds = {f["properties"]["kind"] for f in body["features"]}
    assert kinds <= {"fir", "airport"}
    assert sum(f["properties"]["kind"] == "fir" for f in body["features"]) > 400
    etag = firs.headers["etag"]
    again = client.get("/api/v1/map/firs", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag and not again.content
    assert client.get("/api/v1/map/firs", headers={"If-None-Match": '"other"'}).status_code == 200
    full = client.get("/api/v1/map")
    light = client.get("/api/v1/map", params={"firs": "false"})
    assert light.status_code == 200
    assert not [
        f for f in light.json()["features"] if f["properties"]["kind"] in ("fir", "airport")
    ]
    assert light.json()["bbox"] == full.json()["bbox"] == body["bbox"]
    # what a refresh sends now, against before
    assert len(light.content) * 50 < len(full.content)
    assert len(full.content) > 500_000  # 853 kB here with no aircraft (compact JSON)
