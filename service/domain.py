"""Value types shared by feeds, detection, storage and the API.

They are frozen and validated on construction so that a bad value fails where it
is made (in a feed parser, where it is counted as a rejection) instead of deep
inside detection.  Every timestamp is aware UTC, every coordinate is lon/lat.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

KM_PER_NM = 1.852
_HEX6 = re.compile("[0-9a-f]{6}")


def km_to_nm(km: float) -> float:
    """Convert kilometres to nautical miles.

    >>> round(km_to_nm(1.852), 3)
    1.0
    """
    return km / KM_PER_NM


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC, refusing naive datetimes.

    Naive datetimes are refused rather than guessed: a silent local-time guess
    shifts every alert by the server's offset.

    >>> ensure_utc(datetime(2025, 11, 21, 17, 43, tzinfo=UTC)).isoformat()
    '2025-11-21T17:43:00+00:00'
    >>> ensure_utc(datetime(2025, 11, 21))
    Traceback (most recent call last):
    ...
    ValueError: naive datetime 2025-11-21 00:00:00: timestamps must be timezone-aware
    """
    if value.tzinfo is UTC:
        return value  # the usual case, once per position: skip the conversion
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value}: timestamps must be timezone-aware")
    return value.astimezone(UTC)


@lru_cache(maxsize=4096)
def from_unix(seconds: float) -> datetime:
    """Unix seconds to aware UTC (cached: a snapshot's thousands of rows share few seconds).

    >>> from_unix(1763747000).isoformat()
    '2025-11-21T17:43:20+00:00'
    """
    return datetime.fromtimestamp(seconds, tz=UTC)


@lru_cache(maxsize=65536)
def normalize_icao24(value: str) -> str:
    """Lower-case 6-hex-digit address; ValueError otherwise (cached: the same aircraft recur).

    >>> normalize_icao24(" 4B1814 ")
    '4b1814'
    """
    icao24 = value.strip().lower()
    if len(icao24) != 6 or not _HEX6.fullmatch(icao24):
        raise ValueError(f"icao24 is not 6 hex digits: {icao24!r}")
    return icao24


class FeedName(enum.StrEnum):
    OPENSKY = "opensky"
    ADSBX = "adsbx"
    FAA_NOTAM = "faa_notam"
    ROUTES = "routes"


class AirspaceStatus(enum.StrEnum):
    """Ordered from least to most severe (see :func:`status_rank`)."""

    NORMAL = "NORMAL"
    ADVISORY = "ADVISORY"
    RESTRICTED = "RESTRICTED"
    CLOSED = "CLOSED"


_STATUS_ORDER = list(AirspaceStatus)


def status_rank(status: AirspaceStatus) -> int:
    """Severity order of a status, for taking the worst of several signals.

    >>> status_rank(AirspaceStatus.CLOSED) > status_rank(AirspaceStatus.ADVISORY)
    True
    """
    return _STATUS_ORDER.index(status)


class AlertType(enum.StrEnum):
    AIRSPACE_STATUS_CHANGED = "airspace.status_changed"
    AIRSPACE_TRAFFIC_COLLAPSE = "airspace.traffic_collapse"
    NOTAM_ACTIVE = "notam.active"
    FLIGHT_REROUTED = "flight.rerouted"
    FLIGHT_DIVERTED = "flight.diverted"
    FLIGHT_TURNED_BACK = "flight.turned_back"
    FLIGHT_ENTERED_RESTRICTED = "flight.entered_restricted_airspace"
    ROUTE_DISRUPTED = "route.disrupted"
    WEBHOOK_DISABLED = "webhook.disabled"


class Severity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


SEVERITY_ORDER = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class AlertStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class NotamClass(enum.StrEnum):
    """What a NOTAM means for an airspace, worst first."""

    CLOSURE = "closure"
    PROHIBITED = "prohibited"
    RESTRICTED = "restricted"
    DANGER = "danger"
    WARNING = "warning"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Position:
    """One aircraft state as reported by a flight-tracking feed.

    ``altitude_ft`` is barometric altitude in feet (OpenSky metres are
    converted by the feed client); ``None`` when unknown.
    """

    icao24: str
    callsign: str | None
    observed_at: datetime
    lon: float
    lat: float
    altitude_ft: float | None
    on_ground: bool
    ground_speed_kt: float | None = None
    track_deg: float | None = None
    source: str = FeedName.OPENSKY

    def __post_init__(self) -> None:
        object.__setattr__(self, "observed_at", ensure_utc(self.observed_at))
        object.__setattr__(self, "icao24", normalize_icao24(self.icao24))
        if self.callsign is not None:
            object.__setattr__(self, "callsign", self.callsign.strip() or None)
        if not (math.isfinite(self.lon) and -180.0 <= self.lon <= 180.0):
            raise ValueError(f"longitude out of range: {self.lon}")
        if not (math.isfinite(self.lat) and -90.0 <= self.lat <= 90.0):
            raise ValueError(f"latitude out of range: {self.lat}")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The positions one feed returned in one poll.

    ``complete`` is False when the poll failed or was cut short: detection must
    read that as "no data", never as "empty sky".
    """

    source: str
    fetched_at: datetime
    positions: tuple[Position, ...]
    rejected: int = 0
    complete: bool = True
    bbox: tuple[float, float, float, float] | None = None  # lomin, lamin, lomax, lamax
    # the circles a point query covered: (lat, lon, radius_nm) each
    circles: tuple[tuple[float, float, float], ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "fetched_at", ensure_utc(self.fetched_at))


@dataclass(frozen=True, slots=True)
class Route:
    """A callsign's scheduled city pair, as a route source reports it."""

    callsign: str
    origin: str
    destination: str
    source: str = "routeset"


@dataclass(frozen=True, slots=True)
class AltitudeBand:
    """Vertical limits in feet AMSL; ``None`` upper means unlimited."""

    floor_ft: float = 0.0
    ceiling_ft: float | None = None

    def __post_init__(self) -> None:
        if self.ceiling_ft is not None and self.ceiling_ft < self.floor_ft:
            raise ValueError(f"ceiling {self.ceiling_ft} ft below floor {self.floor_ft} ft")


@dataclass(frozen=True, slots=True)
class Notam:
    """A NOTAM as far as it could be read.

    Parsing never raises: what could not be read is listed in ``problems`` so
    ingest keeps the text and a human can still see it.
    ``geometry`` is GeoJSON (lon/lat) or ``None``.
    """

    id: str
    number: str
    raw_text: str
    kind: str = "N"  # N new, R replace, C cancel
    ref: str | None = None
    fir: str | None = None
    locations: tuple[str, ...] = ()
    qcode: str | None = None
    traffic: str | None = None
    purpose: str | None = None
    scope: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    valid_to_estimated: bool = False
    permanent: bool = False
    schedule: str | None = None
    text: str = ""
    lower: str | None = None
    upper: str | None = None
    band: AltitudeBand = field(default_factory=AltitudeBand)
    classification: NotamClass = NotamClass.OTHER
    classification_reason: str = ""
    geometry: dict[str, Any] | None = None
    source_classification: str | None = None  # FAA INTL/DOM/FDC/...
    issued_at: datetime | None = None
    problems: tuple[str, ...] = ()
    # each area item E describes: {"label", "kind", "geometry"}; not stored, shown by the parser
    areas: tuple[dict[str, Any], ...] = ()
    # when the source stopped publishing it without a cancellation (see notam.lifecycle)
    withdrawn_at: datetime | None = None

    def active_at(self, when: datetime) -> bool:
        """Whether the NOTAM is in force at ``when`` (schedule D not applied).

        >>> n = Notam(id="x", number="A1/25", raw_text="",
        ...           valid_from=datetime(2025, 11, 21, 17, 43, tzinfo=UTC),
        ...           valid_to=datetime(2026, 2, 19, 23, 59, tzinfo=UTC))
        >>> n.active_at(datetime(2025, 11, 22, tzinfo=UTC))
        True
        >>> n.active_at(datetime(2025, 11, 21, tzinfo=UTC))
        False
        """
        when = ensure_utc(when)
        if self.kind == "C":
            return False
        if self.valid_from is not None and when < self.valid_from:
            return False
        return self.permanent or self.valid_to is None or when <= self.valid_to


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """An alert as detection raises it, before storage gives it an id.

    ``dedup_key`` is stable for the same real-world event so that replaying the
    same data twice, or seeing the same flight in two feeds, updates one alert.
    """

    type: AlertType
    severity: Severity
    dedup_key: str
    observed_at: datetime
    title: str
    airspace: str | None = None
    icao24: str | None = None
    callsign: str | None = None
    origin: str | None = None
    destination: str | None = None
    actual_destination: str | None = None
    extra_distance_km: float | None = None
    flight_id: str | None = None
    resolved: bool = False
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "observed_at", ensure_utc(self.observed_at))
