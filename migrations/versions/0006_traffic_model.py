"""traffic_samples: arrivals, coverage and the collapse flag the traffic model needs

The baseline is rebuilt from traffic_samples after a restart or a leader failover, so each
sample keeps what the model learned from it: new foreign and domestic arrivals, the
airborne aircraft elsewhere in the poll (coverage), and whether the airspace was judged
collapsed then (a collapsed poll does not teach the baseline).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("traffic_samples") as batch:
        batch.add_column(sa.Column("foreign_arrivals", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("domestic_arrivals", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("outside_count", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("collapsed", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("traffic_samples") as batch:
        batch.drop_column("collapsed")
        batch.drop_column("outside_count")
        batch.drop_column("domestic_arrivals")
        batch.drop_column("foreign_arrivals")
