"""notams.withdrawn_at: when the FAA API stopped returning a NOTAM it used to return

A NOTAM that disappears from the source without a NOTAMC (withdrawn, or expired upstream
early) must stop counting as in force; the time is stored so that a restart does not bring
it back until the next full poll round.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.store.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notams") as batch:
        batch.add_column(
            sa.Column(
                "withdrawn_at", service.store.models.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("notams") as batch:
        batch.drop_column("withdrawn_at")
