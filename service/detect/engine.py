"""The detection engine: one snapshot in, rows and alert events out.

Pure in-memory logic with no I/O, so that live polling, replay and tests drive
the same code; the caller persists what :meth:`DetectionEngine.ingest` returns
in one transaction (see :mod:`service.ingest`).  Time is the data's time
(``Snapshot.fetched_at``), never the wall clock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import compress
from typing import Any

import numpy as np
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from service.config import Settings
from service.detect import saved_state
from service.detect.crossings import entry_point, segments_crossing
from service.detect.domestic import DomesticAddresses
from service.detect.flights import FlightContext, FlightHistory, evaluate_finished_flight
from service.detect.landings import ApproachJudge, LandingVerdict
from service.detect.reroute import RerouteAssessment, turn_point
from service.detect.route_disruption import DISRUPTING, RouteDisruptionTracker, RouteFlight
from service.detect.status import NOTAM_STATUS, NotamSignal, StatusTracker
from service.detect.tracks import ActiveFlight, TrackAssembler, TrackPoint
from service.detect.traffic_batch import TrafficBatch, batch_sample
from service.detect.traffic_model import TrafficSample
from service.domain import (
    KM_PER_NM,
    AirspaceStatus,
    AlertEvent,
    AlertType,
    FeedName,
    Notam,
    NotamClass,
    Route,
    Severity,
    Snapshot,
    status_rank,
)
from service.geo.airspaces import AirportRegistry, AirspaceRegistry, prepared_copy
from service.geo.classify import AirspaceClassifier
from service.geo.geodesy import distance_km, geodesic_circle, path_length_km
from service.position_batch import PositionBatch

COVERAGE_MIN_FRACTION = 0.95
NOTAM_COVER_MIN_FRACTION = 0.5
USUAL_FLIGHTS = 50
FAR_TRACK_POINTS = 10
STATUS_LOG_KEEP = timedelta(days=3)
RETURN_MAX_KM = 60.0  # a flight back this close to its origin may be landing there


@dataclass(slots=True)
class FlightUpdate:
    flight: ActiveFlight
    assessment: RerouteAssessment | None = None
    finished: bool = False  # detection judged the flight in this result (stored once)


@dataclass(slots=True)
class IngestResult:
    data_time: datetime
    positions: list[dict[str, Any]] = field(default_factory=list)
    flights: dict[str, FlightUpdate] = field(default_factory=dict)
    samples: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[StatusTracker] = field(default_factory=list)
    alerts: list[AlertEvent] = field(default_factory=list)
    duplicates: int = 0
    # detection's figures per watched route at data_time (stored for the API)
    route_figures: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


def circle_coverage(points: Iterable[tuple[float, float, float]]) -> BaseGeometry:
    """Union of (lat, lon, radius NM) circles as a lon/lat polygon (geodesic, for coverage)."""
    circles = [geodesic_circle(lon, lat, radius_nm * KM_PER_NM) for lat, lon, radius_nm in points]
    return shapely.union_all(circles) if circles else shapely.Polygon()


def sample_row(airspace: str, source: str, sample: TrafficSample) -> dict[str, Any]:
    """One traffic sample as the traffic_samples table stores it."""
    return {
        "airspace": airspace,
        "observed_at": sample.at,
        "source": source,
        "foreign_count": sample.foreign,
        "domestic_count": sample.domestic,
        "foreign_arrivals": sample.foreign_arrivals,
        "domestic_arrivals": sample.domestic_arrivals,
        "outside_count": sample.outside,
        # stored as "not learned": a restart then learns exactly what this run did
        "collapsed": sample.collapsed or sample.warned,
    }


class DetectionEngine:
    def __init__(
        self,
        settings: Settings,
        airspaces: AirspaceRegistry,
        airports: AirportRegistry,
        watched_routes: Iterable[tuple[str, str]],
        flights_per_day: Mapping[tuple[str, str], float] | None = None,
        route_cache: MutableMapping[str, Route | None] | None = None,
    ):
        det = settings.detection
        self.settings = settings
        self.airspaces = airspaces
        self.airports = airports
        self.watched = list(settings.watch.airspaces)
        self.classifier = AirspaceClassifier(airspaces, self.watched)
        self.domestic = DomesticAddresses(settings.watch.domestic_addresses)
        self.tracks = TrackAssembler(
            gap=timedelta(minutes=det.flight_gap_minutes),
            landing_max_altitude_ft=det.landing_max_altitude_ft,
            max_flights=det.track_memory_flights,
            domestic=self.domestic.of_any,
        )
        self.trackers = {
            code: StatusTracker(code, det, settings.watch.domestic_addresses.get(code))
            for code in self.watched
        }
        # every FIR of the world: their traffic models judged together as arrays
        self.batch: TrafficBatch | None = (
            TrafficBatch([t.model for t in self.trackers.values()])
            if settings.watch.world and self.watched
            else None
        )
        # FIRs whose status must be evaluated at the next poll (all at first)
        self._status_dirty = np.ones(len(self.watched), dtype=bool)
        geometries = {code: prepared_copy(airspaces.get(code).geometry) for code in self.watched}
        self.context = FlightContext(
            airports=airports,
            watched_routes=frozenset(watched_routes),
            watched_airports=frozenset(settings.watch.airports),
            watched_airspaces=geometries,
            reroute_min_extra_km=det.reroute_min_extra_km,
            reroute_min_positions=det.reroute_min_positions,
            reroute_alerts=det.reroute_alerts,
            diversion_alerts=det.diversion_alerts,
            reroute_usual_min_flights=det.reroute_usual_min_flights,
        )
        feeds = settings.feeds
        bbox = feeds.opensky.bbox
        coverage = {
            FeedName.OPENSKY.value: box(bbox.lomin, bbox.lamin, bbox.lomax, bbox.lamax)
            if feeds.opensky.enabled
            else None,
            FeedName.ADSBX.value: circle_coverage(
                (p.lat, p.lon, p.radius_nm) for p in feeds.adsbx.points
            )
            if feeds.adsbx.enabled
            else None,
        }
        # Which enabled sources' configured areas see the whole of each airspace: used only
        # for a snapshot whose request does not say what it covered (covered_airspaces).
        self.covering: dict[str, set[str]] = {
            code: {
                source
                for source, area in coverage.items()
                if area is not None
                and shapely.area(shapely.intersection(area, geom)) / shapely.area(geom)
                >= COVERAGE_MIN_FRACTION
            }
            for code, geom in geometries.items()
        }
        # One source judges each airspace's traffic (tracker.source), because two feeds
        # sampling the same minute are one observation, not two: the first whose poll covers
        # it, whatever the config prefers (a recording may hold ADS-B polls only); another
        # takes over after a data gap of the judging one (a feed outage).
        self._judged_at: dict[str, datetime] = {}
        self._takeover_gap = timedelta(minutes=det.sample_max_minutes)
        self._covered_by_area: dict[Any, frozenset[str]] = {}
        self.route_disruptions = RouteDisruptionTracker(
            frozenset(self.context.watched_routes),
            timedelta(hours=det.route_disruption_window_hours),
            det.route_disruption_min_flights,
            service_window=timedelta(hours=det.route_service_window_hours),
            service_min_expected=det.route_service_min_expected,
            collapse_ratio=det.collapse_ratio,
            recover_ratio=det.recover_ratio,
            flights_per_day=dict(flights_per_day or {}),
            max_gap=timedelta(minutes=det.flight_gap_minutes),
        )
        # Positions are stored only near the watched airspaces (and for flights on watched
        # routes): a global snapshot is 12,000 aircraft every few seconds.
        margin = det.store_positions_margin_deg
        bounds = np.array([shapely.bounds(g) for g in geometries.values()])
        self.storage_box = (
            (-180.0, -90.0, 180.0, 90.0)
            if margin >= 180
            else (
                float(bounds[:, 0].min() - margin),
                float(bounds[:, 1].min() - margin),
                float(bounds[:, 2].max() + margin),
                float(bounds[:, 3].max() + margin),
            )
        )
        self.context = replace(self.context, region=self.storage_box)
        # each watched airspace's status changes (data time, status), for "was it NORMAL
        # while this flight flew?"; a few days are kept
        self.status_log: dict[str, deque[tuple[datetime, str]]] = {
            code: deque() for code in self.watched
        }
        self.approach = ApproachJudge(airports)
        # the watched airspaces' box widened by the longest path between two reports judged
        # (flight_gap_minutes at 600 kt, at most 30 degrees)
        reach = min(30.0, det.flight_gap_minutes / 60 * 600 * 1.852 / 111.0)
        self.segment_box = (
            float(bounds[:, 0].min() - reach),
            float(bounds[:, 1].min() - reach),
            float(bounds[:, 2].max() + reach),
            float(bounds[:, 3].max() + reach),
        )
        # callsign → route: the route client's cache, read here and never copied, so an answer
        # expires after feeds.routes.cache_s for detection too (a plain dict without a source)
        self.routes: MutableMapping[str, Route | None] = {} if route_cache is None else route_cache
        # flown distance of each route's recent flights that avoided nothing (the usual way)
        self.usual_flown: dict[tuple[str, str], deque[float]] = {}
        self.notams: dict[str, Notam] = {}
        self.active_notam_alerts: dict[str, Notam] = {}
        self.data_time: datetime | None = None

    # -- routes ---------------------------------------------------------------------
    def unknown_callsigns(self, snapshot: Snapshot) -> list[tuple[str, float, float]]:
        """Callsigns in ``snapshot`` whose route is not cached (never looked up, or expired)."""
        if hasattr(self.routes, "expire"):
            self.routes.expire()  # the route cache drops what is older than its TTL
        batch = PositionBatch.from_positions(snapshot.positions)
        routes = self.routes
        seen: dict[str, tuple[str, float, float]] = {}
        for callsign, lat, lon in zip(batch.callsign, batch.lat, batch.lon, strict=True):
            if callsign and callsign not in routes and callsign not in seen:
                seen[callsign] = (callsign, lat, lon)
        return list(seen.values())

    def set_routes(self, routes: dict[str, Route | None]) -> None:
        self.routes.update(routes)

    # -- NOTAMs ---------------------------------------------------------------------
    def set_notams(self, notams: Iterable[Notam]) -> None:
        for notam in notams:
            self.notams[notam.id] = notam

    def _affects(self, notam: Notam, code: str) -> float:
        """Fraction of the airspace a NOTAM covers (1.0 for a whole-FIR NOTAM)."""
        geometry = self.context.watched_airspaces[code]
        if notam.geometry:
            try:
                shape = shapely.geometry.shape(notam.geometry)
            except (ValueError, TypeError, AttributeError):
                shape = None
            if shape is not None and not shape.is_empty:
                if notam.fir != code and self._is_fir_boundary(notam.fir, shape):
                    return 0.0  # a whole-FIR NOTAM: neighbours' slivers of overlap are not hit
                x0, y0, x1, y1 = shape.bounds
                g0, h0, g1, h1 = geometry.bounds
                if x0 > g1 or x1 < g0 or y0 > h1 or y1 < h0:
                    return 0.0  # far apart (every FIR is checked when the world is watched)
                return float(
                    shapely.area(shapely.intersection(shape, geometry)) / shapely.area(geometry)
                )
        return 1.0 if notam.fir == code or code in notam.locations else 0.0

    def _is_fir_boundary(self, fir: str | None, shape: BaseGeometry) -> bool:
        """Whether a NOTAM's geometry is its FIR's own boundary (a whole-FIR NOTAM)."""
        if not fir or fir not in self.airspaces:
            return False
        own = self.airspaces.get(fir).geometry
        return shape.bounds == own.bounds and abs(shape.area - own.area) <= 1e-9 * own.area

    def _active_notams(self, at: datetime) -> list[Notam]:
        from service.notam.lifecycle import active_set

        grace = timedelta(hours=self.settings.detection.notam_est_grace_hours)
        return active_set(self.notams.values(), at, grace)

    def _notam_events(self, at: datetime) -> list[AlertEvent]:
        active = self._active_notams(at)
        events: list[AlertEvent] = []
        signals = {code: NotamSignal() for code in self.watched}
        now_active: dict[str, Notam] = {}
        for notam in active:
            if notam.classification == NotamClass.OTHER:
                continue
            for code in self.watched:
                fraction = self._affects(notam, code)
                if fraction <= 0:
                    continue
                now_active[f"{notam.id}:{code}"] = notam
                status = NOTAM_STATUS.get(notam.classification, AirspaceStatus.NORMAL)
                if status_rank(status) > status_rank(AirspaceStatus.ADVISORY) and (
                    fraction < NOTAM_COVER_MIN_FRACTION
                ):
                    status = AirspaceStatus.ADVISORY  # a small area inside the FIR
                signal = signals[code]
                if fraction >= NOTAM_COVER_MIN_FRACTION:
                    signal.covering.append(notam.number or notam.id)
                signal.notam_ids.append(notam.number or notam.id)
                signal.reasons.append(f"{notam.number}: {notam.classification_reason}")
                if status_rank(status) > status_rank(signal.status):
                    signal.status = status
        for key, notam in now_active.items():
            if key not in self.active_notam_alerts:
                events.append(self._notam_alert(notam, key.split(":")[-1], at, resolved=False))
        for key, notam in self.active_notam_alerts.items():
            if key not in now_active:
                events.append(self._notam_alert(notam, key.split(":")[-1], at, resolved=True))
        self.active_notam_alerts = now_active
        for i, (code, signal) in enumerate(signals.items()):
            tracker = self.trackers[code]
            if tracker.notam.status != signal.status:
                self._status_dirty[i] = True
            tracker.notam = signal
        return events

    @staticmethod
    def _notam_alert(notam: Notam, code: str, at: datetime, *, resolved: bool) -> AlertEvent:
        severe = notam.classification in (NotamClass.CLOSURE, NotamClass.PROHIBITED)
        return AlertEvent(
            type=AlertType.NOTAM_ACTIVE,
            severity=Severity.CRITICAL if severe else Severity.WARNING,
            dedup_key=f"notam.active:{notam.id}:{code}",
            observed_at=at,
            title=f"NOTAM {notam.number} ({notam.classification.value}) active on {code}",
            airspace=code,
            resolved=resolved,
            evidence={
                "notam_id": notam.id,
                "number": notam.number,
                "classification": notam.classification.value,
                "reason": notam.classification_reason,
                "valid_from": notam.valid_from.isoformat() if notam.valid_from else None,
                "valid_to": notam.valid_to.isoformat() if notam.valid_to else None,
                "text": notam.text[:500],
            },
        )

    # -- snapshots ------------------------------------------------------------------
    def ingest(self, snapshot: Snapshot) -> IngestResult:
        at = snapshot.fetched_at
        self.data_time = max(self.data_time, at) if self.data_time else at
        result = IngestResult(data_time=at)
        # NOTAMs first: an aircraft entering an airspace is judged against what is in force now
        result.alerts.extend(self._notam_events(at))
        # columns, stably sorted by time: a global poll builds no Position per aircraft
        batch = PositionBatch.from_positions(snapshot.positions).sorted_by_time()
        n = len(batch)
        lons, lats = batch.lons, batch.lats
        # (position, airspace) pairs: sparse, as a global snapshot meets all 435 FIRs
        member = self.classifier.pairs(lons, lats)
        first_idx = self.classifier.first_index(member, n)
        inside_any = first_idx < len(self.watched)
        x0, y0, x1, y1 = self.storage_box
        in_region = (lons >= x0) & (lons <= x1) & (lats >= y0) & (lats <= y1)
        crossed = self._crossed_between_reports(batch, inside_any)
        crossed_any = crossed.any(axis=0) if n else np.zeros(0, dtype=bool)

        # per-row reads from lists, not numpy scalars (a global poll is 12,000 rows)
        watched, tracks, routes, flights = self.watched, self.tracks, self.routes, result.flights
        first_l, inside_l = first_idx.tolist(), inside_any.tolist()
        region_l, crossed_l = in_region.tolist(), crossed_any.tolist()
        store = result.positions
        # the usual report of an airborne flight, judged for the whole poll at once: appended
        # without the per-report checks (tracks.plain_reports says when that is exact)
        plain = tracks.plain_reports(
            batch.icao24,
            batch.callsign,
            batch.observed_at,
            lons,
            lats,
            batch.altitude_ft,
            batch.on_ground,
        )
        columns = batch.columns()
        fast = [
            f is not None and not a and not c
            for f, a, c in zip(plain, inside_l, crossed_l, strict=True)
        ]
        start = 0
        for i in [k for k, ok in enumerate(fast) if not ok] + [n]:
            if start < i:  # a run of plain reports, in order, then the next other one
                self._append_plain_run(batch, plain, start, i, region_l, result)
            start = i + 1
            if i == n:
                break
            (
                icao24,
                callsign,
                observed_at,
                lon,
                lat,
                altitude_ft,
                on_ground,
                speed,
                track_deg,
                source,
            ) = (column[i] for column in columns)
            airspace = watched[first_l[i]] if inside_l[i] else None
            before = tracks.get(icao24)
            # outside now, but the straight path from its previous report crossed one
            passed = (
                watched[int(crossed[:, i].argmax())] if crossed_l[i] and airspace is None else None
            )
            was_inside = before is not None and (airspace or passed) in before.airspaces
            previous = before.points[-1] if before is not None and before.points else None
            flight, ended, added = tracks.add_report(
                icao24,
                callsign,
                observed_at,
                lon,
                lat,
                altitude_ft,
                on_ground,
                track_deg,
                airspace,
                speed,
            )
            if passed is not None and added and flight is before:
                result.alerts.extend(self._passed_between(flight, passed, previous, batch[i]))
                flight.airspaces.add(passed)
            entered = airspace is not None and (not was_inside or flight is not before)
            if (
                added
                and entered
                and not on_ground
                and not self.domestic.is_domestic(airspace, flight.icao24)
            ):
                result.alerts.extend(self._incursion(flight, airspace, batch[i]))
            if ended is not None:
                self._close(ended, at, result)
            if not added:
                result.duplicates += 1
                continue
            if flight.route is None and flight.callsign:
                flight.route = routes.get(flight.callsign)
            if flight.origin_inferred is None and len(flight.points) == 1:
                flight.origin_inferred = self._airport_under(on_ground, altitude_ft, lon, lat)
            if (
                flight.airborne_seen
                and flight.landed_at is None
                and on_ground
                and (verdict := self._landing(flight, on_ground=True))
            ):
                flight.landed_at = verdict.airport
                flight.landed_time = observed_at
                flight.landing_evidence = verdict.evidence
                flight.state = "landed"
                self._finish(flight, at, result)
            if flight.id not in flights:
                flights[flight.id] = FlightUpdate(flight)
            if not (region_l[i] or self._on_watched_route(flight)):
                # far from anything watched: keep a short tail in memory (turn-backs, landings),
                # store nothing; memory stays bounded under a global feed
                if len(flight.points) > 2 * FAR_TRACK_POINTS:
                    del flight.points[:-FAR_TRACK_POINTS]
                continue
            store.append(
                {
                    "flight_id": flight.id,
                    "icao24": icao24,
                    "callsign": callsign,
                    "observed_at": observed_at,
                    "lon": lon,
                    "lat": lat,
                    "altitude_ft": altitude_ft,
                    "on_ground": on_ground,
                    "ground_speed_kt": speed,
                    "track_deg": track_deg,
                    "source": source,
                    "airspace": airspace,
                }
            )

        for flight in self.tracks.expire(at):
            self._close(flight, at, result)

        if snapshot.complete:
            self.route_disruptions.covered(at)
            covered = self.covered_airspaces(snapshot)
            if self.batch is not None:
                airborne = ~np.array(batch.on_ground, dtype=bool)
                addresses = np.fromiter((int(a, 16) for a in batch.icao24), dtype=np.int64, count=n)
                self._count_traffic_batch(
                    snapshot.source, at, member, airborne, addresses, result, covered
                )
            else:
                self._count_traffic(snapshot.source, at, member, batch, result, covered)
        self._evaluate_statuses(at, result)
        result.alerts.extend(self.route_disruptions.evaluate(at))
        result.route_figures = dict(self.route_disruptions.latest)
        return result

    def _append_plain_run(
        self,
        batch: PositionBatch,
        plain: list[ActiveFlight | None],
        start: int,
        end: int,
        region: list[bool],
        result: IngestResult,
    ) -> None:
        """Reports ``start:end``, all plain (see :meth:`TrackAssembler.plain_reports`) and
        outside every watched airspace: appended in bulk, then each flight's route, its
        update and its stored position or short tail, in report order as one by one."""
        flights: list[ActiveFlight] = plain[start:end]  # type: ignore[assignment]
        self.tracks.append_plain(
            flights,
            batch.icao24[start:end],
            batch.observed_at[start:end],
            batch.lon[start:end],
            batch.lat[start:end],
            batch.altitude_ft[start:end],
            batch.track_deg[start:end],
            batch.ground_speed_kt[start:end],
        )
        routes, updates, store = self.routes, result.flights, result.positions
        watched_routes = self.context.watched_routes
        # no route cached for a callsign last time and nothing written since: none now either
        writes = getattr(routes, "writes", None)
        for i, flight in enumerate(flights, start):
            route = flight.route
            if route is None and flight.callsign:
                if writes is None:
                    route = flight.route = routes.get(flight.callsign)
                elif flight.route_checked != (writes, flight.callsign):
                    route = flight.route = routes.get(flight.callsign)
                    flight.route_checked = (writes, flight.callsign)
            if flight.id not in updates:
                updates[flight.id] = FlightUpdate(flight)
            if region[i] or (
                route is not None and (route.origin, route.destination) in watched_routes
            ):
                store.append(
                    {
                        "flight_id": flight.id,
                        "icao24": batch.icao24[i],
                        "callsign": batch.callsign[i],
                        "observed_at": batch.observed_at[i],
                        "lon": batch.lon[i],
                        "lat": batch.lat[i],
                        "altitude_ft": batch.altitude_ft[i],
                        "on_ground": batch.on_ground[i],
                        "ground_speed_kt": batch.ground_speed_kt[i],
                        "track_deg": batch.track_deg[i],
                        "source": batch.source[i],
                        "airspace": None,
                    }
                )
            elif len(flight.points) > 2 * FAR_TRACK_POINTS:
                # far from anything watched: keep a short tail in memory (see ingest)
                del flight.points[:-FAR_TRACK_POINTS]

    def _evaluate_statuses(self, at: datetime, result: IngestResult) -> None:
        """Each airspace's status from its two signals; with every FIR watched only those
        whose traffic or NOTAM signal may have changed (the others' status cannot)."""
        if self.batch is None:
            evaluate: Iterable[StatusTracker] = self.trackers.values()
        else:
            trackers = list(self.trackers.values())
            dirty = self._status_dirty | self.batch.collapsed  # CLOSED is judged each poll
            evaluate = [trackers[i] for i in np.flatnonzero(dirty)]
            self._status_dirty[:] = False
        for tracker in evaluate:
            result.alerts.extend(tracker.evaluate(at))
            self._log_status(tracker.airspace, at, tracker.status.value)
        result.statuses.extend(self.trackers.values())

    def covered_airspaces(self, snapshot: Snapshot) -> frozenset[str]:
        """The watched airspaces this snapshot saw whole: from the area its own request covered
        (a box, circles), so a replayed poll of another box or a global poll counts as it did
        live; a snapshot that does not say falls back to the configured feed's area."""
        if snapshot.bbox is None and not snapshot.circles:
            return frozenset(
                c for c, sources in self.covering.items() if snapshot.source in sources
            )
        key = (snapshot.bbox, snapshot.circles)
        cached = self._covered_by_area.get(key)
        if cached is None:
            areas = [circle_coverage(snapshot.circles or ())]
            if snapshot.bbox is not None:
                areas.append(box(*snapshot.bbox))
            area = shapely.union_all(areas)
            cached = frozenset(
                code
                for code, geom in self.context.watched_airspaces.items()
                if shapely.area(shapely.intersection(area, geom)) / shapely.area(geom)
                >= COVERAGE_MIN_FRACTION
            )
            if len(self._covered_by_area) > 256:  # areas come from requests: keep it bounded
                self._covered_by_area.clear()
            self._covered_by_area[key] = cached
        return cached

    def _judges(self, tracker: StatusTracker, source: str, at: datetime) -> bool:
        """Whether ``source``'s covering poll at ``at`` counts for ``tracker``'s airspace
        (see ``_judged_at``); if so it becomes, or stays, the judging source."""
        last = self._judged_at.get(tracker.airspace)  # restore_state sets it too
        if (
            tracker.source not in (None, source)
            and last is not None
            and at - last <= self._takeover_gap
        ):
            return False
        tracker.source = source
        self._judged_at[tracker.airspace] = at
        return True

    def _count_traffic(
        self,
        source: str,
        at: datetime,
        member: tuple[np.ndarray, np.ndarray],
        batch: PositionBatch,
        result: IngestResult,
        covered: frozenset[str],
    ) -> None:
        airborne = ~np.array(batch.on_ground, dtype=bool)
        icao = batch.icao24
        # (position, airspace) pairs of airborne reports, grouped by airspace: sparse, so a
        # global snapshot against every FIR stays linear
        points, rows = member
        keep = airborne[points] if len(points) else np.zeros(0, dtype=bool)
        order = np.argsort(rows[keep], kind="stable")
        points, rows = points[keep][order], rows[keep][order]
        bounds = np.searchsorted(rows, np.arange(len(self.watched) + 1))
        airborne_ids = len(set(compress(icao, airborne.tolist())))
        # integer addresses only of the reports inside a watched airspace (a handful of a
        # global poll), for the domestic blocks
        addresses = np.zeros(len(icao), dtype=np.int64)
        for j in np.unique(points).tolist():
            addresses[j] = int(icao[j], 16)
        for i, code in enumerate(self.watched):
            if code not in covered:
                continue  # this feed does not see the whole airspace: no claim about it
            tracker = self.trackers[code]
            if not self._judges(tracker, source, at):
                continue  # one feed per airspace, so two feeds' polls are not mixed
            inside = points[bounds[i] : bounds[i + 1]]
            domestic = self.domestic.mask(code, addresses[inside])
            foreign_ids = {icao[j] for j in inside[~domestic]}
            domestic_ids = {icao[j] for j in inside[domestic]}
            outside = airborne_ids - len(foreign_ids) - len(domestic_ids)
            events = tracker.observe_traffic(at, foreign_ids, domestic_ids, outside)
            sample = tracker.last_sample
            assert sample is not None
            result.samples.append(sample_row(code, source, sample))
            result.alerts.extend(events)

    def _count_traffic_batch(
        self,
        source: str,
        at: datetime,
        member: tuple[np.ndarray, np.ndarray],
        airborne: np.ndarray,
        addresses: np.ndarray,
        result: IngestResult,
        covered: frozenset[str],
    ) -> None:
        """:meth:`_count_traffic` for every FIR at once (``watch.airspaces: all``): distinct
        foreign/domestic aircraft and arrivals per FIR from the sparse (position, FIR) pairs,
        then one :meth:`TrafficBatch.observe`; only FIRs whose collapse flag changed go
        through their tracker's Python path."""
        batch = self.batch
        assert batch is not None
        n = len(self.watched)
        points, rows = member
        keep = airborne[points] if len(points) else np.zeros(0, dtype=bool)
        # one sorted key per (aircraft, FIR): a repeated report of an aircraft counts once
        keys = np.sort(addresses[points[keep]] * n + rows[keep])
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys
        rows, pair_addresses = keys % n, keys // n
        domestic = self.domestic.pair_mask(self.watched, np.arange(len(keys)), rows, pair_addresses)
        arrived = batch.arrivals.arrivals(keys, at.timestamp())
        counts = np.zeros((4, n))
        counts[0] = np.bincount(rows[~domestic], minlength=n)
        counts[1] = np.bincount(rows[domestic], minlength=n)
        counts[2] = np.bincount(rows[~domestic & arrived], minlength=n)
        counts[3] = np.bincount(rows[domestic & arrived], minlength=n)
        flying = np.sort(addresses[airborne])
        airborne_ids = int(len(flying) and 1 + np.count_nonzero(flying[1:] != flying[:-1]))
        outside = airborne_ids - counts[0] - counts[1]
        seen = np.array([c in covered for c in self.watched], dtype=bool)
        trackers = list(self.trackers.values())
        # one feed per airspace, so two feeds' polls are not mixed
        for i in np.flatnonzero(seen):
            if not self._judges(trackers[i], source, at):
                seen[i] = False
        warned = np.array([bool(t.notam.covering) for t in trackers], dtype=bool)
        changed = batch.observe(at, seen, counts, outside, warned)
        self._status_dirty |= changed
        for i in np.flatnonzero(changed):
            sample = batch_sample(counts, outside, int(i), at)
            sample.warned, sample.collapsed = bool(warned[i]), bool(batch.collapsed[i])
            result.alerts.extend(trackers[i].after_model(sample, was=not sample.collapsed))
        # the other FIRs: counts and baseline remembered, samples stored, as plain values
        idx = np.flatnonzero(seen & ~changed)
        values = counts[:, idx].astype(np.int64).tolist()
        stored = (batch.collapsed[idx] | warned[idx]).tolist()
        for i in batch.refreshed.tolist():  # the others' expectation is the one they have
            trackers[i].last_baseline = trackers[i].baseline(at)
        for i, f, d, fa, da, out, flag in zip(
            idx.tolist(), *values, outside[idx].astype(np.int64).tolist(), stored, strict=True
        ):
            tracker = trackers[i]
            tracker.last_counts = (f, d)
            result.samples.append(
                {
                    "airspace": tracker.airspace,
                    "observed_at": at,
                    "source": source,
                    "foreign_count": f,
                    "domestic_count": d,
                    "foreign_arrivals": fa,
                    "domestic_arrivals": da,
                    "outside_count": out,
                    "collapsed": flag,
                }
            )
        for i in np.flatnonzero(changed):
            sample = trackers[i].last_sample
            assert sample is not None
            result.samples.append(sample_row(trackers[i].airspace, source, sample))

    def _crossed_between_reports(self, batch: PositionBatch, inside_any: np.ndarray) -> np.ndarray:
        """``[airspace, position]``: the segment from the aircraft's previous report crosses it."""
        n, lons, lats = len(batch), batch.lons, batch.lats
        lon0, lat0 = np.zeros(n), np.zeros(n)
        turns = np.full((n, 2), np.nan)
        judge = np.zeros(n, dtype=bool)
        # only reports that could have come from inside a watched airspace's box since the
        # aircraft's previous report (a global snapshot is mostly far away)
        x0, y0, x1, y1 = self.segment_box
        near = (lons >= x0) & (lons <= x1) & (lats >= y0) & (lats <= y1) & ~inside_any
        for i in np.flatnonzero(near).tolist():
            flight = self.tracks.get(batch.icao24[i])
            if flight is None or not flight.points:
                continue
            last, observed_at = flight.points[-1], batch.observed_at[i]
            if last.observed_at < observed_at and observed_at - last.observed_at <= self.tracks.gap:
                lon0[i], lat0[i], judge[i] = last.lon, last.lat, True
                turn = turn_point(
                    last.lon, last.lat, last.track_deg, lons[i], lats[i], batch.track_deg[i]
                )
                if turn is not None:
                    turns[i] = turn
        geometries = [self.context.watched_airspaces[c] for c in self.watched]
        return segments_crossing(geometries, lon0, lat0, lons, lats, judge, turns)

    def _passed_between(
        self, flight: ActiveFlight, code: str, previous: TrackPoint | None, position
    ) -> list[AlertEvent]:
        """An entry found only on the path between two reports (entered and left between polls)."""
        if previous is None or code in flight.airspaces:
            return []
        turn = turn_point(
            previous.lon,
            previous.lat,
            previous.track_deg,
            position.lon,
            position.lat,
            position.track_deg,
        )
        lon, lat, fraction = entry_point(
            self.context.watched_airspaces[code],
            previous.lon,
            previous.lat,
            position.lon,
            position.lat,
            turn,
        )
        at = previous.observed_at + (position.observed_at - previous.observed_at) * fraction
        if self.domestic.is_domestic(code, flight.icao24) or position.on_ground:
            return []
        estimated = replace(position, lon=lon, lat=lat, observed_at=at)
        events = self._incursion(flight, code, estimated)
        return [
            replace(
                e,
                evidence={
                    **e.evidence,
                    "between_reports": {
                        "previous": [previous.lon, previous.lat, previous.observed_at.isoformat()],
                        "next": [position.lon, position.lat, position.observed_at.isoformat()],
                        "method": (
                            "straight path between two reports crosses the airspace"
                            if turn is None
                            else "path between two reports, turning where their tracks "
                            "meet, crosses the airspace"
                        ),
                    },
                },
            )
            for e in events
        ]

    def _on_watched_route(self, flight: ActiveFlight) -> bool:
        route = flight.route
        return (
            route is not None and (route.origin, route.destination) in self.context.watched_routes
        )

    def _incursion(self, flight: ActiveFlight, code: str, position) -> list[AlertEvent]:
        """A foreign aircraft entering an airspace that is currently restricted or closed.

        Traffic alone can make an airspace RESTRICTED, but an aircraft entering it then, with
        no NOTAM over the airspace in force, is the traffic coming back (a warning
        cancelled, a reopening), not a violation: an incursion needs both."""
        tracker = self.trackers[code]
        if (
            tracker.status not in (AirspaceStatus.RESTRICTED, AirspaceStatus.CLOSED)
            or not tracker.notam.covering
        ):
            return []
        return [
            AlertEvent(
                type=AlertType.FLIGHT_ENTERED_RESTRICTED,
                severity=Severity.CRITICAL
                if tracker.status == AirspaceStatus.CLOSED
                else Severity.WARNING,
                dedup_key=f"flight.entered_restricted_airspace:{flight.id}:{code}",
                observed_at=position.observed_at,
                title=f"{flight.callsign or flight.icao24} entered {code} while it is "
                f"{tracker.status.value}",
                airspace=code,
                icao24=flight.icao24,
                callsign=flight.callsign,
                origin=flight.origin,
                destination=flight.destination,
                flight_id=flight.id,
                evidence={
                    "position": [position.lon, position.lat],
                    "altitude_ft": position.altitude_ft,
                    "airspace_status": tracker.status.value,
                    "status_since": tracker.since.isoformat() if tracker.since else None,
                    "notams": list(tracker.notam.covering),
                    "source": position.source,
                },
            )
        ]

    def _airport_below(self, position, origin: bool = False) -> str | None:
        return self._airport_under(
            position.on_ground, position.altitude_ft, position.lon, position.lat
        )

    def _airport_under(
        self, on_ground: bool, altitude_ft: float | None, lon: float, lat: float
    ) -> str | None:
        low = on_ground or (altitude_ft or 0) <= self.settings.detection.landing_max_altitude_ft
        return self._airport_near(lon, lat) if low else None

    def _airport_near(self, lon: float, lat: float) -> str | None:
        found = self.airports.nearest(lon, lat, self.settings.detection.landing_radius_km)
        return found[0] if found else None

    def _close(self, flight: ActiveFlight, at: datetime, result: IngestResult) -> None:
        """End a flight that was not seen landing: a last low report near an
        airport counts as a landing there, anything else is a lost track."""
        if flight.landed_at is None:
            verdict = self._landing(flight, on_ground=False) if flight.airborne_seen else None
            if verdict is not None:
                flight.landed_at, flight.landed_time, flight.state = (
                    verdict.airport,
                    flight.points[-1].observed_at,
                    "landed",
                )
                flight.landing_evidence = verdict.evidence
            else:
                flight.state = "lost"
        self._finish(flight, at, result)

    def _landing(self, flight: ActiveFlight, *, on_ground: bool) -> LandingVerdict | None:
        """The airport a track ends at, from its approach (service.detect.landings)."""
        det = self.settings.detection
        verdict = self.approach.judge(
            flight.points,
            flight.destination,
            landed=on_ground,
            max_altitude_agl_ft=det.landing_max_altitude_ft,
            returning_to=self._returning_to(flight),
        )
        if verdict is None:
            return None
        self.approach.confirmed(verdict)
        last = flight.points[-1]
        near = distance_km(last.lon, last.lat, *self._airport_lonlat(verdict.airport))
        if verdict.method != "inferred" and near > det.landing_radius_km:
            return None
        return verdict

    def _returning_to(self, flight: ActiveFlight) -> str | None:
        """The origin, when the track went out and came back to within a third of the way."""
        origin = flight.origin
        if origin is None or origin not in self.airports or len(flight.points) < 3:
            return None
        lon, lat = self._airport_lonlat(origin)
        away = [distance_km(lon, lat, p.lon, p.lat) for p in flight.points]
        return origin if away[-1] <= RETURN_MAX_KM and away[-1] < max(away) / 3 else None

    def _airport_lonlat(self, code: str) -> tuple[float, float]:
        airport = self.airports.get(code)
        return airport.lon, airport.lat

    def _log_status(self, code: str, at: datetime, status: str) -> None:
        log = self.status_log[code]
        if not log or log[-1][1] != status:
            log.append((at, status))
        while len(log) > 1 and at - log[1][0] > STATUS_LOG_KEEP:
            log.popleft()  # the entry before the cut stays: the status in force then

    def disrupted_airspaces(self, limit: int, within: timedelta = timedelta(hours=24)) -> list[str]:
        """Watched airspaces not NORMAL now or at some time in the last ``within`` of data,
        the latest change first, at most ``limit``: with every FIR watched, the FIRs whose
        NOTAMs are worth asking for (the FAA API is asked one location at a time)."""
        if self.data_time is None:
            return []
        horizon = self.data_time - within
        found: list[tuple[datetime, str]] = []
        for code, log in self.status_log.items():
            status = self.trackers[code].status
            changed = [t for t, s in log if s != AirspaceStatus.NORMAL.value and t >= horizon]
            if status != AirspaceStatus.NORMAL:
                changed.append(self.trackers[code].since or self.data_time)
            elif log and log[-1][0] >= horizon and len(log) > 1:
                changed.append(log[-1][0])  # back to NORMAL recently
            if changed:
                found.append((max(changed), code))
        found.sort(key=lambda x: (-x[0].timestamp(), x[1]))
        return [code for _, code in found[:limit]]

    def _worst_status(self, start: datetime, end: datetime) -> dict[str, str]:
        """Each watched airspace's most severe status between ``start`` and ``end``."""
        out: dict[str, str] = {}
        for code, tracker in self.trackers.items():
            log = self.status_log[code]
            during = [
                s
                for i, (t, s) in enumerate(log)
                if t <= end and (t >= start or i + 1 == len(log) or log[i + 1][0] > start)
            ]
            during.append(tracker.status.value)
            out[code] = max(during, key=lambda s: status_rank(AirspaceStatus(s)))
        return out

    def _finish(self, flight: ActiveFlight, at: datetime, result: IngestResult) -> None:
        if flight.finalized:
            return
        statuses = {code: t.status.value for code, t in self.trackers.items()}
        usual = self.usual_flown.setdefault(
            (flight.origin or "", flight.landed_at or ""), deque(maxlen=USUAL_FLIGHTS)
        )
        history = FlightHistory(
            worst_status=self._worst_status(flight.first_seen, flight.landed_time or at),
            usual_flown_km=tuple(usual),
        )
        events, assessment = evaluate_finished_flight(flight, self.context, at, statuses, history)
        flight.finalized = True
        if assessment is not None and flight.origin and flight.landed_at and not assessment.avoided:
            usual.append(assessment.flown_km)  # how this route is flown when nothing is avoided
        result.alerts.extend(events)
        if flight.landed_at and flight.origin and flight.destination:
            case = next((e for e in events if e.type in DISRUPTING), None)
            self.route_disruptions.flight_finished(
                (flight.origin, flight.destination),
                RouteFlight(
                    finished_at=flight.landed_time or at,
                    kind=DISRUPTING[case.type] if case else "normal",
                    callsign=flight.callsign,
                    extra_km=case.extra_distance_km if case else None,
                    alert_key=case.dedup_key if case else None,
                ),
            )
        update = result.flights.setdefault(flight.id, FlightUpdate(flight))
        update.assessment, update.finished = assessment, True

    def track_km(self, flight: ActiveFlight) -> float:
        pts = flight.airborne_points()
        return path_length_km([p.lon for p in pts], [p.lat for p in pts])

    def restore_state(self, state: saved_state.EngineState) -> None:
        """Take back what a restart restores (:mod:`service.detect.saved_state`): the store
        reads it, only detection knows where each part goes."""
        saved_state.restore_state(self, state)
