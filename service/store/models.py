"""SQLAlchemy 2 table models.

Positions are written in bulk with ``insert()`` (never one ORM object per row);
the other tables are small and change at human pace.  JSON columns become JSONB
on PostgreSQL.  All datetimes are stored timezone-aware (see :class:`UTCDateTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always aware UTC in Python, whatever the backend.

    SQLite stores no zone; without this, values read back naive and comparisons
    with aware datetimes raise.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value} cannot be stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class PositionRow(Base):
    __tablename__ = "positions"
    __table_args__ = (
        # the track index is also the de-duplication key (flight ids derive from the aircraft)
        Index("uq_positions_flight_time", "flight_id", "observed_at", unique=True),
        Index("ix_positions_observed_at", "observed_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    flight_id: Mapped[str | None] = mapped_column(String(64))
    icao24: Mapped[str] = mapped_column(String(6))
    callsign: Mapped[str | None] = mapped_column(String(8))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    altitude_ft: Mapped[float | None] = mapped_column(Float)
    on_ground: Mapped[bool] = mapped_column(Boolean, default=False)
    ground_speed_kt: Mapped[float | None] = mapped_column(Float)
    track_deg: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16))
    airspace: Mapped[str | None] = mapped_column(String(8), index=True)


class FlightRow(Base):
    """One flight: an aircraft between take-off (or first sighting) and landing or a gap."""

    __tablename__ = "flights"
    __table_args__ = (
        Index("ix_flights_route", "origin", "destination"),
        Index("ix_flights_last_seen", "last_seen"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    icao24: Mapped[str] = mapped_column(String(6), index=True)
    callsign: Mapped[str | None] = mapped_column(String(8), index=True)
    domestic: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    origin: Mapped[str | None] = mapped_column(String(4))
    destination: Mapped[str | None] = mapped_column(String(4))
    actual_destination: Mapped[str | None] = mapped_column(String(4))
    route_source: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="airborne")  # airborne|landed|lost
    position_count: Mapped[int] = mapped_column(Integer, default=0)
    track_km: Mapped[float | None] = mapped_column(Float)
    great_circle_km: Mapped[float | None] = mapped_column(Float)
    extra_distance_km: Mapped[float | None] = mapped_column(Float)
    airspaces: Mapped[list[str]] = mapped_column(JSONType, default=list)
    evaluation: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class RouteFiguresRow(Base):
    """Detection's latest figures for one watched route (what route.disrupted's evidence says).

    Written by ingest every poll from :class:`service.detect.route_disruption.RouteDisruptionTracker`,
    so the API and the status page show detection's own numbers instead of recomputing them.
    """

    __tablename__ = "route_figures"

    origin: Mapped[str] = mapped_column(String(4), primary_key=True)
    destination: Mapped[str] = mapped_column(String(4), primary_key=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    figures: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class AirspaceStatusRow(Base):
    """The current status of each watched airspace, with the evidence behind it."""

    __tablename__ = "airspace_status"

    airspace: Mapped[str] = mapped_column(String(8), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    foreign_count: Mapped[int | None] = mapped_column(Integer)
    domestic_count: Mapped[int | None] = mapped_column(Integer)
    baseline_foreign: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class TrafficSampleRow(Base):
    """Aircraft counted inside an airspace at one poll: the baseline's history."""

    __tablename__ = "traffic_samples"
    __table_args__ = (
        UniqueConstraint("airspace", "observed_at", "source", name="uq_traffic_samples_key"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    airspace: Mapped[str] = mapped_column(String(8))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    source: Mapped[str] = mapped_column(String(16))
    foreign_count: Mapped[int] = mapped_column(Integer)
    domestic_count: Mapped[int] = mapped_column(Integer)
    # aircraft inside now that were not inside within detection.arrival_memory_minutes
    foreign_arrivals: Mapped[int | None] = mapped_column(Integer)
    domestic_arrivals: Mapped[int | None] = mapped_column(Integer)
    # airborne aircraft elsewhere in the poll (its coverage against the usual)
    outside_count: Mapped[int | None] = mapped_column(Integer)
    # the traffic model had the airspace collapsed at this poll (not learned as normal)
    collapsed: Mapped[bool | None] = mapped_column(Boolean)


class NotamRow(Base):
    __tablename__ = "notams"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(1), default="N")
    ref: Mapped[str | None] = mapped_column(String(32))
    fir: Mapped[str | None] = mapped_column(String(8), index=True)
    locations: Mapped[list[str]] = mapped_column(JSONType, default=list)
    qcode: Mapped[str | None] = mapped_column(String(8))
    classification: Mapped[str] = mapped_column(String(16), index=True)
    classification_reason: Mapped[str] = mapped_column(Text, default="")
    source_classification: Mapped[str | None] = mapped_column(String(8))
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_to_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)
    schedule: Mapped[str | None] = mapped_column(Text)
    lower: Mapped[str | None] = mapped_column(String(32))
    upper: Mapped[str | None] = mapped_column(String(32))
    floor_ft: Mapped[float | None] = mapped_column(Float)
    ceiling_ft: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text, default="")
    raw_text: Mapped[str] = mapped_column(Text, default="")
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    problems: Mapped[list[str]] = mapped_column(JSONType, default=list)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(32))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AlertRow(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_type_opened", "type", "opened_at"),
        Index("ix_alerts_airspace_opened", "airspace", "opened_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(48))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    title: Mapped[str] = mapped_column(Text)
    airspace: Mapped[str | None] = mapped_column(String(8))
    flight_id: Mapped[str | None] = mapped_column(String(64), index=True)
    icao24: Mapped[str | None] = mapped_column(String(6))
    callsign: Mapped[str | None] = mapped_column(String(8))
    origin: Mapped[str | None] = mapped_column(String(4))
    destination: Mapped[str | None] = mapped_column(String(4))
    actual_destination: Mapped[str | None] = mapped_column(String(4))
    extra_distance_km: Mapped[float | None] = mapped_column(Float)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class EncryptedText(TypeDecorator[str]):
    """A secret encrypted at rest (``store.crypto``): plaintext in Python, ciphertext stored."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        from service.store.crypto import PREFIX, encrypt

        return None if value is None or value.startswith(PREFIX) else encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        from service.store.crypto import decrypt

        return None if value is None else decrypt(value)


class WebhookRow(Base):
    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    secret: Mapped[str] = mapped_column(EncryptedText)
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # {"airspaces": [...], "routes": ["EHAM-TNCC"], "min_severity": "warning"}; empty = everything
    filters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # the secret before the last rotation, still used to sign until previous_secret_until
    previous_secret: Mapped[str | None] = mapped_column(EncryptedText)
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookDeliveryRow(Base):
    """Outbox: one row per (alert event, subscriber), written with the alert."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the stable webhook-id
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    event_type: Mapped[str] = mapped_column(String(48))
    payload: Mapped[str] = mapped_column(Text)  # the exact body that is signed and sent
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FeedHealthRow(Base):
    __tablename__ = "feed_health"

    feed: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    polls: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    credits_remaining: Mapped[int | None] = mapped_column(Integer)


class AlertChangeRow(Base):
    """Append-only log of alert changes: the SSE stream's resumable feed."""

    __tablename__ = "alert_changes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    change: Mapped[str] = mapped_column(String(16))  # opened | updated | resolved | reopened
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the alert as this change left it (alert_to_dict); None on rows from before 0008
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)


class ApiKeyRow(Base):
    """An API key, stored as a SHA-256 hash; the key itself is shown once at creation."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)  # also the key's visible prefix
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
