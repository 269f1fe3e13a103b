"""alert changes and api keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import service.store.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "scopes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", service.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", service.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "alert_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("at", service.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_changes_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_changes")),
    )
    with op.batch_alter_table("alert_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_changes_alert_id"), ["alert_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("alert_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_changes_alert_id"))

    op.drop_table("alert_changes")
    op.drop_table("api_keys")
