"""positions: one unique (flight_id, observed_at) index instead of two aircraft-keyed ones

Each poll inserts about a thousand positions scattered over every index keyed by aircraft;
the unique (icao24, observed_at) constraint and the (flight_id, observed_at) track index were
two such B-trees.  Flight ids are derived from the aircraft and its first sighting, so the
track index can carry the de-duplication too (ingest benchmark, one hour of a 12,000-aircraft
feed on SQLite: p50 164 -> 143 ms).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_positions_flight_time", table_name="positions")
    with op.batch_alter_table("positions") as batch:  # SQLite rebuilds the table for this
        batch.drop_constraint("uq_positions_icao24_observed_at", type_="unique")
    op.create_index(
        "uq_positions_flight_time", "positions", ["flight_id", "observed_at"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_positions_flight_time", table_name="positions")
    # rows that only the per-flight key told apart would break the old constraint
    op.execute(
        sa.text(
            "DELETE FROM positions WHERE id NOT IN "
            "(SELECT min(id) FROM positions GROUP BY icao24, observed_at)"
        )
    )
    with op.batch_alter_table("positions") as batch:
        batch.create_unique_constraint("uq_positions_icao24_observed_at", ["icao24", "observed_at"])
    op.create_index("ix_positions_flight_time", "positions", ["flight_id", "observed_at"])
