"""Positions → flights.

A flight is one aircraft (icao24) from its first sighting to a landing or to a
gap longer than ``flight_gap_minutes``.  Feeds overlap (OpenSky and ADSBx report
the same aircraft) and arrive out of order, so positions are merged by time and
exact duplicates dropped.  State is kept in memory with a bound; flights that
ended are handed back to the caller once and then forgotten.
"""

from __future__ import annotations

import bisect
import math
import operator
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import compress, repeat

import numpy as np

from service.domain import Position, Route
from service.geo.geodesy import path_length_km, segment_lengths_m


@dataclass(slots=True)
class TrackPoint:
    observed_at: datetime
    lon: float
    lat: float
    altitude_ft: float | None
    on_ground: bool
    track_deg: float | None = None  # true track over ground, when the feed reports it
    ground_speed_kt: float | None = None  # when the feed reports it


@dataclass(slots=True)
class ActiveFlight:
    """A flight being assembled; mutable by design, owned by :class:`TrackAssembler`."""

    id: str
    icao24: str
    callsign: str | None
    domestic: bool
    first_seen: datetime
    last_seen: datetime
    points: list[TrackPoint] = field(default_factory=list)
    airborne_seen: bool = False
    landed_at: str | None = None
    landed_time: datetime | None = None
    route: Route | None = None
    origin_inferred: str | None = None
    airspaces: set[str] = field(default_factory=set)
    finalized: bool = False
    state: str = "airborne"
    # (points measured, km, last point measured, last airborne point measured)
    _km_cache: tuple[int, float, TrackPoint | None, TrackPoint | None] = field(
        default=(0, 0.0, None, None), repr=False
    )
    rejected_in_a_row: int = 0  # consistent with one another, see TrackAssembler._reject
    last_rejected: TrackPoint | None = field(default=None, repr=False)
    rejected: int = 0  # reports dropped as frozen or physically impossible
    # how the landing airport was decided (method, confidence, candidates): see landings.py
    landing_evidence: dict | None = None
    # (data time, state) when its row was last written; see service.ingest.FLIGHT_REFRESH
    persisted: tuple[datetime, str] | None = field(default=None, repr=False)
    # (route cache writes, callsign) when the route cache last had no route for it
    route_checked: tuple[int, str] | None = field(default=None, repr=False)

    @property
    def origin(self) -> str | None:
        return self.route.origin if self.route else self.origin_inferred

    @property
    def destination(self) -> str | None:
        return self.route.destination if self.route else None

    def add(self, point: TrackPoint) -> bool:
        """Insert in time order; False for a duplicate timestamp."""
        if not self.points or point.observed_at > self.points[-1].observed_at:
            self.points.append(point)  # the usual case: the newest report
            self.last_seen = point.observed_at
            self.first_seen = min(self.first_seen, point.observed_at)
            return True
        times = [p.observed_at for p in self.points]
        index = bisect.bisect_left(times, point.observed_at)
        if index < len(times) and times[index] == point.observed_at:
            return False
        self.points.insert(index, point)
        self.first_seen = min(self.first_seen, point.observed_at)
        self.last_seen = max(self.last_seen, point.observed_at)
        return True

    def airborne_points(self) -> list[TrackPoint]:
        return [p for p in self.points if not p.on_ground]

    def airborne_km(self) -> float:
        """Length of the airborne track, extended incrementally while reports arrive in order.

        Called for every flight on every poll, so it must not walk the whole track: the
        cache remembers how many points were measured and the last airborne one, and an
        out-of-order insert (the remembered point moved) triggers a full re-measure.
        """
        n, km, last_point, last_air = self._km_cache
        points = self.points
        if n and n <= len(points) and points[n - 1] is last_point:
            new = [p for p in points[n:] if not p.on_ground]
            chain = [last_air, *new] if last_air is not None else new
            km += path_length_km([p.lon for p in chain], [p.lat for p in chain])
            last_air = new[-1] if new else last_air
        else:
            air = self.airborne_points()
            km = path_length_km([p.lon for p in air], [p.lat for p in air])
            last_air = air[-1] if air else None
        self._km_cache = (len(points), km, points[-1] if points else None, last_air)
        return km


def airborne_km_many(flights: list[ActiveFlight]) -> list[float]:
    """:meth:`ActiveFlight.airborne_km` of many flights with one geodesic call.

    The same cache, the same segments and the same in-order sum per flight (so the same
    figures to the bit), but one vectorised ``Geod.inv`` over every flight's new segments
    instead of one ``line_length`` per flight: a global poll refreshes hundreds of rows.
    """
    plans: list[tuple[ActiveFlight, float, int, TrackPoint | None]] = []
    lons: list[float] = []
    lats: list[float] = []
    ends: list[int] = []  # where each flight's chain of points ends in lons/lats
    for flight in flights:
        n, km, last_point, last_air = flight._km_cache
        points = flight.points
        if n and n <= len(points) and points[n - 1] is last_point:
            new = [p for p in points[n:] if not p.on_ground]
            chain = [last_air, *new] if last_air is not None else new
            last_air = new[-1] if new else last_air
        else:
            chain = [p for p in points if not p.on_ground]
            km = 0.0
            last_air = chain[-1] if chain else None
        lons += [p.lon for p in chain]
        lats += [p.lat for p in chain]
        ends.append(len(lons))
        plans.append((flight, km, len(chain), last_air))
    metres: list[float] = []
    if len(lons) > 1:
        x, y = np.array(lons), np.array(lats)
        joins = np.ones(len(lons) - 1, dtype=bool)  # consecutive points of one chain
        cuts = [e - 1 for e in ends if 0 < e < len(lons)]  # the pair from one chain to the next
        joins[np.array(cuts, dtype=np.intp)] = False
        metres = segment_lengths_m(x[:-1][joins], y[:-1][joins], x[1:][joins], y[1:][joins])
    out: list[float] = []
    at = 0
    for flight, km, count, last_air in plans:
        if count > 1:
            total = 0.0
            for d in metres[at : at + count - 1]:
                total += d  # in order, as Geod.line_length sums
            km += total / 1000.0
            at += count - 1
        points = flight.points
        flight._km_cache = (len(points), km, points[-1] if points else None, last_air)
        out.append(km)
    return out


# A report that implies more than this ground speed from the flight's previous report is
# a position spike (no airliner is that fast over the ground), and more than this climb or
# descent rate an altitude spike; both are dropped before any judgement.
MAX_GROUND_SPEED_KT = 750.0
MAX_VERTICAL_FT_PER_MIN = 9_000.0
# nor climb or descend more than this plus this per km flown (an airliner's steepest
# climb is about 500 ft per km, an emergency descent about 650): a garbage altitude on a
# slow or frozen fix
MAX_HEIGHT_CHANGE_FT = 1_500.0
MAX_GRADIENT_FT_PER_KM = 700.0
# reports closer in time than this are not judged for speed (feeds round timestamps)
MIN_JUDGED_INTERVAL_S = 5.0
# after this many rejections in a row the flight's last accepted report is the suspect one
MAX_REJECTED_IN_A_ROW = 3
FROZEN_DEG = 1e-5  # about 1 m: an airborne aircraft that has not moved is a repeated report
# a feed that loses an aircraft after touchdown may repeat one of its last airborne positions
FROZEN_LOOKBACK = 6


def implausible(previous: TrackPoint, point: TrackPoint) -> str | None:
    """Why ``point`` cannot follow ``previous`` physically, or None when it can.

    >>> from datetime import UTC
    >>> t = datetime(2025, 11, 21, 12, tzinfo=UTC)
    >>> a = TrackPoint(t, -66.0, 12.0, 35000.0, False)
    >>> implausible(a, TrackPoint(t + timedelta(seconds=300), -66.0, 12.0, 12000.0, False))
    'frozen'
    >>> implausible(a, TrackPoint(t + timedelta(seconds=300), -60.0, 12.0, 35000.0, False))
    'speed'
    >>> implausible(a, TrackPoint(t + timedelta(seconds=300), -65.7, 12.0, 34000.0, False)) is None
    True
    """
    seconds = (point.observed_at - previous.observed_at).total_seconds()
    if seconds <= 0:
        return None  # out of order: judged against its own neighbours when it was newest
    if _frozen(previous, point, seconds):
        return "frozen"
    if seconds < MIN_JUDGED_INTERVAL_S:
        return None
    km = _plane_km(previous.lon, previous.lat, point.lon, point.lat)
    if km / 1.852 / (seconds / 3600) > MAX_GROUND_SPEED_KT:
        return "speed"
    if (
        point.altitude_ft is not None
        and previous.altitude_ft is not None
        and not point.on_ground
        and not previous.on_ground
    ):
        change = abs(point.altitude_ft - previous.altitude_ft)
        if change / (seconds / 60) > MAX_VERTICAL_FT_PER_MIN:
            return "vertical"
        if change > MAX_HEIGHT_CHANGE_FT + MAX_GRADIENT_FT_PER_KM * km:
            return "gradient"  # thousands of feet up or down while hardly moving
    return None


def _frozen(previous: TrackPoint, point: TrackPoint, seconds: float) -> bool:
    return (
        not point.on_ground
        and seconds >= 30
        and abs(point.lon - previous.lon) < FROZEN_DEG
        and abs(point.lat - previous.lat) < FROZEN_DEG
    )


def _plane_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Equirectangular distance: called for every report, and a plausibility bound needs
    no ellipsoid (within 0.5 % up to a few hundred km)."""
    k = math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot((lon2 - lon1) * k, lat2 - lat1) * 111.2


def _clearly_plausible(
    last: TrackPoint,
    lon: float,
    lat: float,
    altitude_ft: float | None,
    on_ground: bool,
    seconds: float,
) -> bool:
    """A cheap sufficient test (moved, slower than the limit even on the L1 distance, little
    height change), so that only the rare doubtful report pays for :func:`implausible`."""
    dlat, dlon = abs(lat - last.lat), abs(lon - last.lon)
    if dlat < FROZEN_DEG and dlon < FROZEN_DEG and not on_ground:
        return False
    if (dlat + dlon) * 111.2 / 1.852 * 3600 / seconds > MAX_GROUND_SPEED_KT:
        return False
    if on_ground or altitude_ft is None or last.altitude_ft is None:
        return True
    change = abs(altitude_ft - last.altitude_ft)
    return change <= MAX_HEIGHT_CHANGE_FT and change / (seconds / 60) <= MAX_VERTICAL_FT_PER_MIN


def flight_id(icao24: str, first_seen: datetime) -> str:
    """Deterministic id, so that replaying the same data yields the same flights.

    >>> from datetime import UTC
    >>> flight_id("4b1814", datetime(2025, 11, 21, 17, 43, 5, tzinfo=UTC))
    '4b1814-20251121T174305Z'
    """
    return f"{icao24}-{first_seen:%Y%m%dT%H%M%SZ}"


_POINTS = operator.attrgetter("points")


class TrackAssembler:
    """Assigns positions to flights and reports which flights started or ended."""

    def __init__(
        self,
        gap: timedelta,
        landing_max_altitude_ft: float,
        max_flights: int,
        domestic: Callable[[str], bool] = lambda icao24: False,
    ):
        self.gap = gap
        self._gap_s = gap.total_seconds()
        self.domestic = domestic
        self.landing_max_altitude_ft = landing_max_altitude_ft
        self.max_flights = max_flights
        self._flights: OrderedDict[str, ActiveFlight] = OrderedDict()  # icao24 -> flight

    def __len__(self) -> int:
        return len(self._flights)

    def flights(self) -> list[ActiveFlight]:
        return list(self._flights.values())

    def get(self, icao24: str) -> ActiveFlight | None:
        return self._flights.get(icao24)

    def restore(self, flight: ActiveFlight) -> None:
        self._flights[flight.icao24] = flight

    def add(
        self, position: Position, airspace: str | None
    ) -> tuple[ActiveFlight, ActiveFlight | None, bool]:
        """Add one position; returns (its flight, a flight it ended or None, added?).

        A frozen or physically impossible report (see :func:`implausible`) is not added
        (``added`` False, counted on the flight as ``rejected``)."""
        return self.add_report(
            position.icao24,
            position.callsign,
            position.observed_at,
            position.lon,
            position.lat,
            position.altitude_ft,
            position.on_ground,
            position.track_deg,
            airspace,
            position.ground_speed_kt,
        )

    def add_report(
        self,
        icao24: str,
        callsign: str | None,
        observed_at: datetime,
        lon: float,
        lat: float,
        altitude_ft: float | None,
        on_ground: bool,
        track_deg: float | None,
        airspace: str | None,
        ground_speed_kt: float | None = None,
    ) -> tuple[ActiveFlight, ActiveFlight | None, bool]:
        """:meth:`add` from a position's fields (detection reads them from columns, so a
        global poll builds no Position object per aircraft)."""
        ended: ActiveFlight | None = None
        flights = self._flights
        flight = flights.get(icao24)
        if flight is not None:
            if flight.points and self._reject(
                flight, observed_at, lon, lat, altitude_ft, on_ground
            ):
                return flight, None, False
            if self._starts_new_flight(flight, callsign, observed_at, on_ground):
                ended = flight
                flight = None
        if flight is None:
            flight = ActiveFlight(
                id=flight_id(icao24, observed_at),
                icao24=icao24,
                callsign=callsign,
                domestic=self.domestic(icao24),
                first_seen=observed_at,
                last_seen=observed_at,
            )
            if ended is not None and ended.landed_at is not None:
                flight.origin_inferred = ended.landed_at
            flights[icao24] = flight
        flights.move_to_end(icao24)
        point = TrackPoint(
            observed_at, lon, lat, altitude_ft, on_ground, track_deg, ground_speed_kt
        )
        added = flight.add(point)
        if added:
            if flight.callsign is None and callsign:
                flight.callsign = callsign
            if not on_ground and (altitude_ft or 0) > self.landing_max_altitude_ft:
                flight.airborne_seen = True
            if airspace:
                flight.airspaces.add(airspace)
        return flight, ended, added

    def plain_reports(
        self,
        icao24: list[str],
        callsign: list[str | None],
        observed_at: list[datetime],
        lons: np.ndarray,
        lats: np.ndarray,
        altitude_ft: list[float | None],
        on_ground: list[bool],
    ) -> list[ActiveFlight | None]:
        """For each report, its flight when :meth:`add_report` would only append it (the
        usual report of an airborne flight), else None; judged for the whole poll at once.

        Plain means: the aircraft appears once in the batch and has a flight with points,
        no pending rejection and no landing; the report is airborne, in order, 5 s to the
        gap after the last point, with no callsign or the flight's own, and passes
        :func:`_clearly_plausible` (the same arithmetic, on arrays).  Anything else takes
        :meth:`add_report`, which decides exactly as before.
        """
        n = len(icao24)
        flights: list[ActiveFlight | None] = [None] * n
        if n == 0 or len(set(icao24)) != n:
            if n == 0:
                return flights
            counts: dict[str, int] = {}
            for a in icao24:
                counts[a] = counts.get(a, 0) + 1
            once = [counts[a] == 1 for a in icao24]
        else:
            once = [True] * n
        get = self._flights.get
        lasts: list[TrackPoint | None] = [None] * n
        candidates: list[int] = []
        for i, a in enumerate(icao24):
            f = get(a)
            if (
                f is None
                or not once[i]
                or on_ground[i]
                or not f.points
                or f.last_rejected is not None
                or f.landed_at is not None
                or (callsign[i] and f.callsign != callsign[i])
                or f.first_seen > observed_at[i]
            ):
                continue
            last = f.points[-1]
            if last.on_ground:
                continue
            flights[i], lasts[i] = f, last
            candidates.append(i)
        if not candidates:
            return flights
        pts = [lasts[i] for i in candidates]
        seconds = np.array(
            [
                (observed_at[i] - p.observed_at).total_seconds()  # type: ignore[union-attr]
                for i, p in zip(candidates, pts, strict=True)
            ]
        )
        last_lon = np.array([p.lon for p in pts])  # type: ignore[union-attr]
        last_lat = np.array([p.lat for p in pts])  # type: ignore[union-attr]
        last_alt = np.array([p.altitude_ft for p in pts], dtype=float)  # type: ignore[union-attr]
        alt = np.array([altitude_ft[i] for i in candidates], dtype=float)
        idx = np.array(candidates)
        dlat, dlon = np.abs(lats[idx] - last_lat), np.abs(lons[idx] - last_lon)
        with np.errstate(invalid="ignore", divide="ignore"):
            timed = (seconds >= MIN_JUDGED_INTERVAL_S) & (seconds <= self._gap_s)
            moved = ~((dlat < FROZEN_DEG) & (dlon < FROZEN_DEG))
            slow = ~((dlat + dlon) * 111.2 / 1.852 * 3600 / seconds > MAX_GROUND_SPEED_KT)
            change = np.abs(alt - last_alt)
            no_height = np.isnan(alt) | np.isnan(last_alt)
            level = no_height | (
                (change <= MAX_HEIGHT_CHANGE_FT)
                & (change / (seconds / 60) <= MAX_VERTICAL_FT_PER_MIN)
            )
            plain = timed & moved & slow & level
        for k in np.flatnonzero(~plain).tolist():
            flights[candidates[k]] = None
        return flights

    def append_plain(
        self,
        flights: list[ActiveFlight],
        icao24: list[str],
        observed_at: list[datetime],
        lon: list[float],
        lat: list[float],
        altitude_ft: list[float | None],
        track_deg: list[float | None],
        ground_speed_kt: list[float | None],
    ) -> None:
        """:meth:`add_report` of reports :meth:`plain_reports` found plain, in their order,
        one per flight: what it does for such a report (refresh the flight's place in
        memory, append the point, last seen, airborne) with C-level maps, no call per report.
        """
        drain = deque(maxlen=0).extend
        drain(map(self._flights.move_to_end, icao24))
        points = map(
            TrackPoint,
            observed_at,
            lon,
            lat,
            altitude_ft,
            repeat(False),
            track_deg,
            ground_speed_kt,
        )
        drain(map(list.append, map(_POINTS, flights), points))
        drain(map(setattr, flights, repeat("last_seen"), observed_at))
        high = [(a or 0) > self.landing_max_altitude_ft for a in altitude_ft]
        drain(map(setattr, compress(flights, high), repeat("airborne_seen"), repeat(True)))

    def _reject(
        self,
        flight: ActiveFlight,
        observed_at: datetime,
        lon: float,
        lat: float,
        altitude_ft: float | None,
        on_ground: bool,
    ) -> bool:
        last = flight.points[-1]
        seconds = (observed_at - last.observed_at).total_seconds()
        if seconds > self._gap_s:
            return False  # a new flight: nothing to compare with
        if (
            seconds >= MIN_JUDGED_INTERVAL_S
            and not last.on_ground
            and flight.last_rejected is None
            and _clearly_plausible(last, lon, lat, altitude_ft, on_ground, seconds)
        ):
            return False  # the usual case, decided without the full check
        point = TrackPoint(observed_at, lon, lat, altitude_ft, on_ground)
        landed = last.on_ground
        if last.on_ground and not point.on_ground:
            # airborne again: judged against the field, at about the lowest recent altitude
            lows = [
                p.altitude_ft
                for p in flight.points[-FROZEN_LOOKBACK:]
                if not p.on_ground and p.altitude_ft is not None
            ]
            if lows:
                last = TrackPoint(last.observed_at, last.lon, last.lat, min(lows), False)
        # after touchdown a feed may repeat one of the last airborne fixes, not only the last
        lookback = flight.points[-FROZEN_LOOKBACK:-1] if landed else ()
        if implausible(last, point) is None and not any(
            _frozen(p, point, (point.observed_at - p.observed_at).total_seconds()) for p in lookback
        ):
            flight.rejected_in_a_row, flight.last_rejected = 0, None
            return False
        # rejected reports that agree with one another (moving, plausible from one to the
        # next) while all disagreeing with the last accepted one: that one was the spike
        previous = flight.last_rejected
        consistent = previous is not None and implausible(previous, point) is None
        flight.rejected_in_a_row = flight.rejected_in_a_row + 1 if consistent else 1
        flight.last_rejected = point
        if flight.rejected_in_a_row > MAX_REJECTED_IN_A_ROW:
            flight.points.pop()
            flight.rejected_in_a_row, flight.last_rejected = 0, None
            return False
        flight.rejected += 1
        return True

    def _starts_new_flight(
        self, flight: ActiveFlight, callsign: str | None, observed_at: datetime, on_ground: bool
    ) -> bool:
        if observed_at - flight.last_seen > self.gap:
            return True
        if flight.landed_at is not None and not on_ground:
            # Airborne again after the landing: a new flight.  A late, out-of-order
            # report from before the landing still belongs to the old one.
            return observed_at > (flight.landed_time or flight.last_seen)
        return bool(callsign and flight.callsign and callsign != flight.callsign)

    def expire(self, now: datetime) -> list[ActiveFlight]:
        """Remove flights not seen for longer than the gap (and the oldest beyond the bound)."""
        expired = [f for f in self._flights.values() if now - f.last_seen > self.gap]
        for flight in expired:
            del self._flights[flight.icao24]
        while len(self._flights) > self.max_flights:
            _, flight = self._flights.popitem(last=False)
            expired.append(flight)
        return expired
