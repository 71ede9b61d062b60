"""draw signing key id

Why: draws were signed with SECRET_KEY, so rotating it made every stored draw fail verification. Each draw now
names the key that signed it (DRAW_SIGNING_KEYS, README "Draw signing keys"); the draws stored before were
signed with SECRET_KEY and are marked 'legacy', the key id that stands for it, so they keep verifying.

Revision ID: 5e1f0c7d2b9a
Revises: 52eea4d2e85d
Create Date: 2026-12-02 14:30:00+00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '5e1f0c7d2b9a'
down_revision: str | None = '52eea4d2e85d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The server default fills 'legacy' into every existing row (and stays: a row without a key id is legacy).
    with op.batch_alter_table("draws") as batch_op:
        batch_op.add_column(sa.Column("signing_key_id", sa.String(length=40), server_default="legacy", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("draws") as batch_op:
        batch_op.drop_column("signing_key_id")
