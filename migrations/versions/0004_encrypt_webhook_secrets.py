"""webhooks: signing secrets encrypted at rest (Fernet, key from FIRWATCH_SECRET_KEY)

The columns become TEXT (a token is about 2.5 times the secret's length) and every stored
secret is encrypted with the current key.  Downgrade decrypts them back.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("secret", "previous_secret")


def _rewrite(convert) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, secret, previous_secret FROM webhooks")).all()
    for row_id, secret, previous in rows:
        conn.execute(
            sa.text("UPDATE webhooks SET secret = :s, previous_secret = :p WHERE id = :id"),
            {"s": convert(secret), "p": convert(previous) if previous else previous, "id": row_id},
        )


def upgrade() -> None:
    from service.store.crypto import PREFIX, encrypt

    with op.batch_alter_table("webhooks") as batch:
        for name in COLUMNS:
            batch.alter_column(name, type_=sa.Text(), existing_type=sa.String(100))
    _rewrite(lambda v: v if v.startswith(PREFIX) else encrypt(v))


def downgrade() -> None:
    from service.store.crypto import decrypt

    _rewrite(decrypt)
    with op.batch_alter_table("webhooks") as batch:
        for name in COLUMNS:
            batch.alter_column(name, type_=sa.String(100), existing_type=sa.Text())
