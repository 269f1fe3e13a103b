"""route_figures: detection's latest figures per watched route, read by the API

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from service.store.models import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "route_figures",
        sa.Column("origin", sa.String(4), nullable=False),
        sa.Column("destination", sa.String(4), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column(
            "figures", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("origin", "destination", name=op.f("pk_route_figures")),
    )


def downgrade() -> None:
    op.drop_table("route_figures")
