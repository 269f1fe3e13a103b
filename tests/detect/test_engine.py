"""Engine-level detection: incursions into a restricted airspace, route disruption."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.config import ConfigError, load_settings
from service.detect.engine import DetectionEngine
from service.domain import AirspaceStatus, AlertType, Notam, NotamClass, Position, Snapshot
from service.geo.airspaces import AirportRegistry, AirspaceRegistry
from tests.conftest import ROOT

T0 = datetime(2025, 11, 21, 20, 0, tzinfo=UTC)


def engine(settings) -> DetectionEngine:
    seeds = ROOT / "seeds"
    return DetectionEngine(
        settings,
        AirspaceRegistry.from_geojson(seeds / "firs.geojson"),
        AirportRegistry.from_csv(seeds / "airports.csv"),
        [("EHAM", "TNCC")],
    )


def warn(e: DetectionEngine, fir: str = "SVZM") -> None:
    """A whole-FIR warning NOTAM in force, as KICZ A0012/25 was for SVZM."""
    e.set_notams(
        [
            Notam(
                id=f"W-{fir}",
                number="A0012/25",
                raw_text="",
                fir=fir,
                valid_from=T0 - timedelta(hours=3),
                text="EXERCISE CAUTION",
                classification=NotamClass.WARNING,
            )
        ]
    )


def snap(at, *positions) -> Snapshot:
    return Snapshot(source="adsbx", fetched_at=at, positions=tuple(positions))


def pos(icao24, at, lon, lat) -> Position:
    return Position(icao24, "TST1", at, lon, lat, 35000.0, False, source="adsbx")


def test_incursion_only_when_restricted_and_foreign(settings):
    e = engine(settings)
    warn(e)

    def restrict() -> None:  # as the status tracker would after a traffic collapse
        e.trackers["SVZM"].status = AirspaceStatus.RESTRICTED
        e.trackers["SVZM"].since = T0

    restrict()
    # Caribbean just north of SVZM / 60 km south, inside: 5 minutes apart at 430 kt
    outside, inside = (-66.0, 15.6), (-66.0, 15.06)
    alerts = e.ingest(snap(T0, pos("a00001", T0, *outside), pos("0d8001", T0, *outside))).alerts
    assert not [a for a in alerts if a.type == AlertType.FLIGHT_ENTERED_RESTRICTED]
    t1 = T0 + timedelta(minutes=5)
    restrict()
    alerts = e.ingest(snap(t1, pos("a00001", t1, *inside), pos("0d8001", t1, *inside))).alerts
    entered = [a for a in alerts if a.type == AlertType.FLIGHT_ENTERED_RESTRICTED]
    assert [a.icao24 for a in entered] == ["a00001"]  # the Venezuelan aircraft is domestic
    assert entered[0].airspace == "SVZM" and entered[0].evidence["position"] == [-66.0, 15.06]
    t2 = T0 + timedelta(minutes=10)
    restrict()
    again = e.ingest(snap(t2, pos("a00001", t2, -66.0, 14.5))).alerts
    assert not [a for a in again if a.type == AlertType.FLIGHT_ENTERED_RESTRICTED]


def test_no_incursion_while_normal(settings):
    e = engine(settings)
    warn(e)
    alerts = e.ingest(snap(T0, pos("a00002", T0, -66.0, 15.0))).alerts
    assert not [a for a in alerts if a.type == AlertType.FLIGHT_ENTERED_RESTRICTED]


def test_no_incursion_into_a_restriction_from_traffic_alone(settings):
    """RESTRICTED from a traffic collapse with no NOTAM in force (a warning cancelled, a
    reopening): a foreign aircraft entering is the traffic coming back, not an incursion."""
    e = engine(settings)
    e.trackers["SVZM"].status = AirspaceStatus.RESTRICTED
    e.ingest(snap(T0, pos("a00003", T0, -66.0, 15.6)))
    t1 = T0 + timedelta(minutes=5)
    e.trackers["SVZM"].status = AirspaceStatus.RESTRICTED
    alerts = e.ingest(snap(t1, pos("a00003", t1, -66.0, 15.06))).alerts
    assert not [a for a in alerts if a.type == AlertType.FLIGHT_ENTERED_RESTRICTED]
    warn(e)  # the same entry with the warning in force is one
    t2 = T0 + timedelta(minutes=10)
    e.trackers["SVZM"].status = AirspaceStatus.RESTRICTED
    alerts = e.ingest(snap(t2, pos("a00003", t2, -66.0, 14.5), pos("a00004", t2, -66.0, 15.0)))
    entered = [a for a in alerts.alerts if a.type == AlertType.FLIGHT_ENTERED_RESTRICTED]
    assert [a.icao24 for a in entered] == ["a00004"]
    assert entered[0].evidence["notams"] == ["A0012/25"]


def test_domestic_is_per_watched_airspace(settings):
    """Each watched airspace counts its own state's aircraft apart, from config."""
    watch = settings.watch.model_copy(
        update={
            "airspaces": ["SVZM", "SKED"],
            # a test block for SKED's state; SVZM keeps Venezuela's
            "domestic_addresses": {"SVZM": ["0D8000-0DFFFF"], "SKED": ["0AC000-0ACFFF"]},
        }
    )
    e = engine(settings.model_copy(update={"watch": watch}))
    warn(e, "SKED")
    over_venezuela, over_colombia = (-69.9, 7.0), (-72.5, 7.0)  # 290 km apart
    snapshot = Snapshot(
        source="opensky",
        fetched_at=T0,
        positions=(
            pos("0d8001", T0, *over_venezuela),  # Venezuelan over Venezuela: domestic
            pos("0ac001", T0, *over_venezuela),  # SKED's state over Venezuela: foreign
            pos("0ac002", T0, *over_colombia),  # SKED's state over Colombia: domestic
            pos("0d8002", T0, *over_colombia),  # Venezuelan over Colombia: foreign
            pos("a00001", T0, *over_colombia),  # anyone else: foreign
        ),
    )
    samples = {s["airspace"]: s for s in e.ingest(snapshot).samples}
    assert (samples["SVZM"]["foreign_count"], samples["SVZM"]["domestic_count"]) == (1, 1)
    assert (samples["SKED"]["foreign_count"], samples["SKED"]["domestic_count"]) == (2, 1)
    assert e.trackers["SKED"].evidence()["domestic_addresses"] == ["0AC000-0ACFFF"]

    # an incursion is judged against the airspace entered: the Venezuelan aircraft is
    # foreign in SKED
    e.trackers["SKED"].status = AirspaceStatus.RESTRICTED
    e.trackers["SKED"].since = T0
    t1 = T0 + timedelta(minutes=25)  # 380 kt
    moved = e.ingest(
        Snapshot(
            source="opensky",
            fetched_at=t1,
            positions=(
                pos("0d8001", t1, *over_colombia),
                pos("0ac001", t1, *over_colombia),
            ),
        )
    ).alerts
    entered = [a.icao24 for a in moved if a.type == AlertType.FLIGHT_ENTERED_RESTRICTED]
    assert entered == ["0d8001"]


def test_domestic_blocks_are_validated():
    with pytest.raises(ConfigError, match=r"watch\.domestic_addresses.*ends before it starts"):
        load_settings(
            ROOT / "config.yaml", watch={"domestic_addresses": {"SVZM": ["0DFFFF-0D8000"]}}
        )
