"""alert_changes.data: the alert as it stood right after each change, for the SSE stream

Before, the stream joined each change to the alert's current row, so a client reading an
``alert.opened`` or ``alert.updated`` event late saw the alert as it is now (resolved,
perhaps), not as that change left it.  Rows written before this revision have no copy and are
still served from the current row.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert_changes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_changes", schema=None) as batch_op:
        batch_op.drop_column("data")
