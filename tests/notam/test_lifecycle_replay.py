"""NOTAM lifecycle through replays of FAA API responses: cancel, replace, EST expiry, withdrawal, item D.

Each test writes a recording (the JSONL format ``firwatch record`` writes) of FAA NOTAM API
answers for SVZM every five minutes, with an ADS-B Exchange answer after each, and replays it
through the real feed clients, parsers, detection and storage.  What is checked is what a
user sees: the ``notam.active`` alert of each NOTAM (open or resolved, and when) and the
NOTAM ids behind the SVZM status.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from service.domain import Notam
from service.geo.airspaces import load_registries
from service.ingest import notam_from_row
from service.notam.lifecycle import active_set
from service.replay import replay
from service.store.models import AirspaceStatusRow, AlertRow, NotamRow
from tests.conftest import ROOT

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
STEP = timedelta(minutes=5)
FAA_URL = "https://external-api.faa.gov/notamapi/v1/notams"
ADSBX_URL = "https://api.adsb.lol/v2/point/12.2/-69/250"


def stamp(t: datetime) -> str:
    return t.strftime("%y%m%d%H%M")


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def item(
    number: str,
    *,
    kind: str = "N",
    ref: str | None = None,
    start: datetime = T0 - timedelta(hours=1),
    end: datetime | None = T0 + timedelta(days=10),
    est: bool = False,
    schedule: str | None = None,
    body: str = "SVZM FIR CLSD TO ALL CIVIL TRAFFIC",
    issued: datetime = T0 - timedelta(hours=1),
) -> dict:
    """One FAA API item with the ICAO text in notamTranslation, as the API sends it."""
    header = f"({number} NOTAM{kind}" + (f" {ref}" if ref else "")
    c = "" if kind == "C" else f" C) {stamp(end)}{' EST' if est else ''}" if end else " C) PERM"
    d = f"\nD) {schedule}" if schedule else ""
    text = (
        f"{header}\nQ) SVZM/QAFLC/IV/NBO/E/000/999/0800N06600W999\nA) SVZM B) {stamp(start)}{c}"
        f"{d}\nE) {body}\nF) SFC G) UNL)"
    )
    core = {
        "id": f"NOTAM_1_{number.replace('/', '_')}",
        "number": number,
        "type": kind,
        "icaoLocation": "SVZM",
        "affectedFIR": "SVZM",
        "classification": "INTL",
        "issued": iso(issued),
        "lastUpdated": iso(issued),
        "effectiveStart": iso(start),
        "effectiveEnd": (iso(end) + ("EST" if est else "")) if end else "PERM",
        "text": body,
    }
    return {
        "type": "Feature",
        "properties": {
            "coreNOTAMData": {
                "notam": core,
                "notamTranslation": [{"type": "ICAO", "formattedText": text}],
            }
        },
        "geometry": None,
    }


def write_recording(path: Path, rounds: int, items_at: Callable[[int], list[dict]]) -> None:
    """``rounds`` FAA answers five minutes apart, each followed by an (empty) ADS-B answer.

    The answers are whole lists every time; only the requests say which rounds were full.
    """
    with path.open("w", encoding="utf-8") as out:
        for k in range(rounds):
            t = T0 + k * STEP
            items = items_at(k)
            params = {"icaoLocation": "SVZM", "pageNum": 1, "pageSize": 200}
            if k % 6:  # as firwatch's client asks: everything every sixth poll, else what changed
                params["lastUpdatedDate"] = iso(t - timedelta(minutes=15))[:19] + "Z"
            faa = {
                "source": "faa_notam",
                "fetched_at": iso(t),
                "status": 200,
                "request": {"method": "GET", "url": FAA_URL, "params": params},
                "body": {
                    "items": items,
                    "pageSize": 200,
                    "pageNum": 1,
                    "totalCount": len(items),
                    "totalPages": 1,
                },
            }
            adsbx = {
                "source": "adsbx",
                "fetched_at": iso(t + timedelta(seconds=40)),
                "status": 200,
                "request": {"method": "GET", "url": ADSBX_URL, "params": {}},
                "body": {"ac": [], "now": int((t + timedelta(seconds=40)).timestamp() * 1000)},
            }
            out.write(json.dumps(faa) + "\n" + json.dumps(adsbx) + "\n")


@pytest.fixture
def registries():
    return load_registries(ROOT / "seeds")


def run(settings, sessions, registries, path: Path, **detection) -> None:
    tuned = settings.model_copy(
        update={"detection": settings.detection.model_copy(update=detection)}
    )
    report = asyncio.run(replay(path, tuned, sessions, *registries))
    assert report.failed_rounds == 0 and report.rounds > 0


def alert(sessions, number: str) -> AlertRow | None:
    with sessions() as session:
        return session.scalar(
            select(AlertRow).where(
                AlertRow.type == "notam.active",
                AlertRow.dedup_key == f"notam.active:NOTAM_1_{number.replace('/', '_')}:SVZM",
            )
        )


def status_notams(sessions) -> list[str]:
    with sessions() as session:
        row = session.get(AirspaceStatusRow, "SVZM")
        return list(row.evidence.get("notam_ids", [])) if row else []


def at_round(k: int) -> datetime:
    return T0 + k * STEP + timedelta(seconds=40)


def test_notamc_cancels(settings, sessions, registries, tmp_path):
    path = tmp_path / "cancel.jsonl"
    closure = item("A0100/26")
    cancel = item(
        "A0101/26",
        kind="C",
        ref="A0100/26",
        start=T0 + 20 * 60 * timedelta(seconds=1),
        issued=T0 + timedelta(minutes=20),
    )
    write_recording(path, 8, lambda k: [closure] + ([cancel] if k >= 4 else []))
    run(settings, sessions, registries, path)
    a = alert(sessions, "A0100/26")
    assert a.opened_at == at_round(0) and a.status == "resolved" and a.resolved_at == at_round(4)
    assert alert(sessions, "A0101/26") is None  # a cancellation is never itself in force
    assert status_notams(sessions) == []


def test_notamr_replaces(settings, sessions, registries, tmp_path):
    path = tmp_path / "replace.jsonl"
    old = item("A0200/26")
    new = item(
        "A0201/26",
        kind="R",
        ref="A0200/26",
        start=T0 + timedelta(minutes=15),
        body="TEMPORARY RESTRICTED AREA SVZM FIR: ALL FLIGHTS REQUIRE PPR",
    )
    write_recording(path, 6, lambda k: [old] + ([new] if k >= 3 else []))
    run(settings, sessions, registries, path)
    a_old, a_new = alert(sessions, "A0200/26"), alert(sessions, "A0201/26")
    assert a_old.status == "resolved" and a_old.resolved_at == at_round(3)
    assert a_new.status == "open" and a_new.opened_at == at_round(3)
    assert status_notams(sessions) == ["A0201/26"]


@pytest.mark.parametrize("grace_hours", [0.25, 0.5])
def test_est_end_expires_after_the_grace(settings, sessions, registries, tmp_path, grace_hours):
    path = tmp_path / "est.jsonl"
    est = item("A0300/26", end=T0 + timedelta(minutes=10), est=True)
    write_recording(path, 12, lambda k: [est])
    run(settings, sessions, registries, path, notam_est_grace_hours=grace_hours)
    a = alert(sessions, "A0300/26")
    expires = T0 + timedelta(minutes=10) + timedelta(hours=grace_hours)
    first_after = min(at_round(k) for k in range(12) if at_round(k) > expires)
    assert a.status == "resolved" and a.resolved_at == first_after
    assert status_notams(sessions) == []


def test_est_end_replaced_before_the_grace_is_not_expired(settings, sessions, registries, tmp_path):
    path = tmp_path / "est_replaced.jsonl"
    est = item("A0310/26", end=T0 + timedelta(minutes=10), est=True)
    longer = item("A0311/26", kind="R", ref="A0310/26", start=T0 + timedelta(minutes=20))
    write_recording(path, 12, lambda k: [est] + ([longer] if k >= 4 else []))
    run(settings, sessions, registries, path, notam_est_grace_hours=0.5)
    assert alert(sessions, "A0310/26").resolved_at == at_round(4)
    assert alert(sessions, "A0311/26").status == "open"
    assert status_notams(sessions) == ["A0311/26"]


def test_notam_the_api_stops_returning_is_withdrawn(settings, sessions, registries, tmp_path):
    """Gone from the answer for SVZM while SVZM still answers: withdrawn after the grace.

    The FAA client asks for everything (a full round) every sixth poll, in between only
    for what changed, so absence is judged at 0, 30, 60, 90 minutes.
    """
    path = tmp_path / "withdrawn.jsonl"
    gone, stays = item("A0400/26"), item("A0401/26")
    write_recording(path, 20, lambda k: [stays] + ([gone] if k < 3 else []))
    run(settings, sessions, registries, path, notam_withdrawal_grace_minutes=20)
    # missing first at the full round of 30 min, still missing at 60 min >= 30 + 20: withdrawn
    a = alert(sessions, "A0400/26")
    assert a.status == "resolved" and a.resolved_at == at_round(12)
    assert alert(sessions, "A0401/26").status == "open"
    with sessions() as session:
        row = session.get(NotamRow, "NOTAM_1_A0400_26")
        assert row.withdrawn_at == T0 + 12 * STEP
        assert session.get(NotamRow, "NOTAM_1_A0401_26").withdrawn_at is None
        # after a restart the stored withdrawal holds
        restored = [notam_from_row(r) for r in session.scalars(select(NotamRow))]
    assert [n.number for n in active_set(restored, T0 + 13 * STEP)] == ["A0401/26"]
    assert status_notams(sessions) == ["A0401/26"]


def test_an_empty_answer_withdraws_nothing(settings, sessions, registries, tmp_path):
    """A location answering with no NOTAM at all is more likely an upstream fault."""
    path = tmp_path / "empty.jsonl"
    closure = item("A0410/26")
    write_recording(path, 20, lambda k: [closure] if k < 3 else [])
    run(settings, sessions, registries, path, notam_withdrawal_grace_minutes=20)
    assert alert(sessions, "A0410/26").status == "open"


@pytest.mark.parametrize(
    "schedule", ["DAILY 1230-1300", "MAR 02 1230-1300", "MON 1230-1300", "MAR 01-02 1230-1300"]
)
def test_item_d_schedule_is_honoured(settings, sessions, registries, tmp_path, schedule):
    """In force for 12:30-13:00 on the day (a Monday, 2 March): an alert opens and resolves."""
    path = tmp_path / "schedule.jsonl"
    scheduled = item("A0500/26", schedule=schedule)
    write_recording(path, 16, lambda k: [scheduled])
    run(settings, sessions, registries, path)
    a = alert(sessions, "A0500/26")
    assert a.opened_at == at_round(6)  # 12:30:40
    assert a.status == "resolved" and a.resolved_at == at_round(12)  # 13:00:40
    assert status_notams(sessions) == []


@pytest.mark.parametrize(
    "schedule", ["TUE-SUN 1230-1300", "MAR 03 04 1230-1300", "DAILY 1400-1500"]
)
def test_item_d_schedule_outside_the_replay_never_opens(
    settings, sessions, registries, tmp_path, schedule
):
    path = tmp_path / "schedule.jsonl"
    write_recording(path, 16, lambda k: [item("A0510/26", schedule=schedule)])
    run(settings, sessions, registries, path)
    assert alert(sessions, "A0510/26") is None


def test_withdrawal_grace_is_a_setting_and_a_notam_seen_again_returns(tmp_path):
    """The tracker alone: the grace decides, and a NOTAM returned again starts over."""
    from service.notam.lifecycle import Withdrawals

    n = Notam(id="X", number="A0001/26", raw_text="", locations=("SVZM",))
    other = {"Y"}
    for grace_min, expected_at in ((0, 0), (30, 30), (45, 60)):
        w = Withdrawals(timedelta(minutes=grace_min))
        w.full_round(T0 - timedelta(minutes=30), {"SVZM": {"X", "Y"}}, [n])
        out = []
        for minute in (0, 30, 60, 90):
            out += [
                (minute, x)
                for x in w.full_round(T0 + timedelta(minutes=minute), {"SVZM": other}, [n])
            ]
            if out:
                break
        assert out[0][0] == expected_at and out[0][1].withdrawn_at == T0 + timedelta(
            minutes=expected_at
        )
    w = Withdrawals(timedelta(minutes=30))
    w.full_round(T0, {"SVZM": {"Y"}}, [n])
    w.full_round(T0 + timedelta(minutes=20), {"SVZM": {"X", "Y"}}, [n])  # back again
    assert w.full_round(T0 + timedelta(minutes=40), {"SVZM": other}, [n]) == []
    # a location that does not answer for it withdraws nothing
    assert w.full_round(T0 + timedelta(hours=5), {"TNCF": {"Z"}}, [n]) == []


def test_live_client_withdraws_on_its_full_rounds(settings, sessions, registries):
    """The same rule on the live path: the FAA client says which of its rounds were full."""
    import httpx

    from service.metrics import Metrics
    from service.poller import Poller
    from service.runtime import build_runtime

    gone, stays = item("A0600/26"), item("A0601/26")
    asked: list[dict] = []

    def answer(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        k = int((now[0] - T0) / STEP)
        asked.append({**params, "poll": k})
        if params.get("icaoLocation") != "SVZM":
            return httpx.Response(200, json={"items": [], "totalPages": 1, "pageNum": 1})
        items = [stays] + ([gone] if k < 3 else [])
        return httpx.Response(200, json={"items": items, "totalPages": 1, "pageNum": 1})

    tuned = settings.model_copy(
        update={
            "detection": settings.detection.model_copy(
                update={"notam_withdrawal_grace_minutes": 20}
            )
        }
    )
    now = [T0]
    metrics = Metrics()

    async def polls() -> Poller:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
            runtime = build_runtime(
                tuned,
                sessions=sessions,
                http=http,
                registries=registries,
                clock=lambda: now[0],
                restore=False,
                metrics=metrics,
            )
            poller = runtime.poller
            assert poller is not None
            for k in range(13):
                now[0] = T0 + k * STEP
                assert (await poller.poll_notams()).ok
            return poller

    poller = asyncio.run(polls())
    full = sorted({p["poll"] for p in asked if "lastUpdatedDate" not in p})
    assert full == [0, 6, 12]
    held = poller.engine.notams
    assert held["NOTAM_1_A0600_26"].withdrawn_at == T0 + 12 * STEP
    assert held["NOTAM_1_A0601_26"].withdrawn_at is None
    with sessions() as session:
        assert session.get(NotamRow, "NOTAM_1_A0600_26").withdrawn_at == T0 + 12 * STEP
