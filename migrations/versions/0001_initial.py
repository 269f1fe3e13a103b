"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import service.store.models

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "airspace_status",
        sa.Column("airspace", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("since", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("foreign_count", sa.Integer(), nullable=True),
        sa.Column("domestic_count", sa.Integer(), nullable=True),
        sa.Column("baseline_foreign", sa.Float(), nullable=True),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("airspace", name=op.f("pk_airspace_status")),
    )
    op.create_table(
        "alerts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=48), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("airspace", sa.String(length=8), nullable=True),
        sa.Column("flight_id", sa.String(length=64), nullable=True),
        sa.Column("icao24", sa.String(length=6), nullable=True),
        sa.Column("callsign", sa.String(length=8), nullable=True),
        sa.Column("origin", sa.String(length=4), nullable=True),
        sa.Column("destination", sa.String(length=4), nullable=True),
        sa.Column("actual_destination", sa.String(length=4), nullable=True),
        sa.Column("extra_distance_km", sa.Float(), nullable=True),
        sa.Column("opened_at", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", service.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("observed_at", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_alerts_dedup_key")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_airspace_opened", ["airspace", "opened_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_flight_id"), ["flight_id"], unique=False)
        batch_op.create_index("ix_alerts_type_opened", ["type", "opened_at"], unique=False)

    op.create_table(
        "feed_health",
        sa.Column("feed", sa.String(length=16), nullable=False),
        sa.Column(
            "last_success_at", service.store.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_error_at", service.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("credits_remaining", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("feed", name=op.f("pk_feed_health")),
    )
    op.create_table(
        "flights",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("icao24", sa.String(length=6), nullable=False),
        sa.Column("callsign", sa.String(length=8), nullable=True),
        sa.Column("domestic", sa.Boolean(), nullable=False),
        sa.Column("first_seen", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("origin", sa.String(length=4), nullable=True),
        sa.Column("destination", sa.String(length=4), nullable=True),
        sa.Column("actual_destination", sa.String(length=4), nullable=True),
        sa.Column("route_source", sa.String(length=16), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("position_count", sa.Integer(), nullable=False),
        sa.Column("track_km", sa.Float(), nullable=True),
        sa.Column("great_circle_km", sa.Float(), nullable=True),
        sa.Column("extra_distance_km", sa.Float(), nullable=True),
        sa.Column(
            "airspaces",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "evaluation",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flights")),
    )
    with op.batch_alter_table("flights", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flights_callsign"), ["callsign"], unique=False)
        batch_op.create_index(batch_op.f("ix_flights_icao24"), ["icao24"], unique=False)
        batch_op.create_index("ix_flights_last_seen", ["last_seen"], unique=False)
        batch_op.create_index("ix_flights_route", ["origin", "destination"], unique=False)

    op.create_table(
        "notams",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("ref", sa.String(length=32), nullable=True),
        sa.Column("fir", sa.String(length=8), nullable=True),
        sa.Column(
            "locations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("qcode", sa.String(length=8), nullable=True),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column("classification_reason", sa.Text(), nullable=False),
        sa.Column("source_classification", sa.String(length=8), nullable=True),
        sa.Column("valid_from", service.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("valid_to", service.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("valid_to_estimated", sa.Boolean(), nullable=False),
        sa.Column("permanent", sa.Boolean(), nullable=False),
        sa.Column("schedule", sa.Text(), nullable=True),
        sa.Column("lower", sa.String(length=32), nullable=True),
        sa.Column("upper", sa.String(length=32), nullable=True),
        sa.Column("floor_ft", sa.Float(), nullable=True),
        sa.Column("ceiling_ft", sa.Float(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("raw_text", sa.Text(), nullable=False),
        sa.Column(
            "geometry",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "problems",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("issued_at", service.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("fetched_at", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_by", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notams")),
    )
    with op.batch_alter_table("notams", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notams_classification"), ["classification"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notams_fir"), ["fir"], unique=False)
        batch_op.create_index(batch_op.f("ix_notams_number"), ["number"], unique=False)

    op.create_table(
        "positions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("flight_id", sa.String(length=64), nullable=True),
        sa.Column("icao24", sa.String(length=6), nullable=False),
        sa.Column("callsign", sa.String(length=8), nullable=True),
        sa.Column("observed_at", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("altitude_ft", sa.Float(), nullable=True),
        sa.Column("on_ground", sa.Boolean(), nullable=False),
        sa.Column("ground_speed_kt", sa.Float(), nullable=True),
        sa.Column("track_deg", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("airspace", sa.String(length=8), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
        sa.UniqueConstraint("icao24", "observed_at", name="uq_positions_icao24_observed_at"),
    )
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_positions_airspace"), ["airspace"], unique=False)
        batch_op.create_index(
            "ix_positions_flight_time", ["flight_id", "observed_at"], unique=False
        )
        batch_op.create_index("ix_positions_observed_at", ["observed_at"], unique=False)

    op.create_table(
        "traffic_samples",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("airspace", sa.String(length=8), nullable=False),
        sa.Column("observed_at", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("foreign_count", sa.Integer(), nullable=False),
        sa.Column("domestic_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_traffic_samples")),
        sa.UniqueConstraint("airspace", "observed_at", "source", name="uq_traffic_samples_key"),
    )
    with op.batch_alter_table("traffic_samples", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_traffic_samples_observed_at"), ["observed_at"], unique=False
        )

    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column(
            "event_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "filters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        sa.Column(
            "previous_secret_until", service.store.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("created_at", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", service.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("webhook_id", sa.String(length=40), nullable=False),
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("event_type", sa.String(length=48), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", service.store.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("created_at", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", service.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_webhook_deliveries_alert_id_alerts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhooks.id"],
            name=op.f("fk_webhook_deliveries_webhook_id_webhooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_deliveries_due", ["status", "next_attempt_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_due")

    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
    with op.batch_alter_table("traffic_samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_traffic_samples_observed_at"))

    op.drop_table("traffic_samples")
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_index("ix_positions_observed_at")
        batch_op.drop_index("ix_positions_flight_time")
        batch_op.drop_index(batch_op.f("ix_positions_airspace"))

    op.drop_table("positions")
    with op.batch_alter_table("notams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notams_number"))
        batch_op.drop_index(batch_op.f("ix_notams_fir"))
        batch_op.drop_index(batch_op.f("ix_notams_classification"))

    op.drop_table("notams")
    with op.batch_alter_table("flights", schema=None) as batch_op:
        batch_op.drop_index("ix_flights_route")
        batch_op.drop_index("ix_flights_last_seen")
        batch_op.drop_index(batch_op.f("ix_flights_icao24"))
        batch_op.drop_index(batch_op.f("ix_flights_callsign"))

    op.drop_table("flights")
    op.drop_table("feed_health")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_type_opened")
        batch_op.drop_index(batch_op.f("ix_alerts_flight_id"))
        batch_op.drop_index("ix_alerts_airspace_opened")

    op.drop_table("alerts")
    op.drop_table("airspace_status")
