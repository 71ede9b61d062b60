"""users.sessions_valid_after: tokens issued before it are refused

Why: a password change, a disable and "sign out everywhere" must end every token issued before them
(issue 13, item 6). Null for existing users: their unexpired tokens stay good.

Revision ID: 54fd4398ad91
Revises: aa402a61f4b9
Create Date: 2026-12-02 14:10:00.000000+00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '54fd4398ad91'
down_revision: str | None = 'aa402a61f4b9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("sessions_valid_after", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("sessions_valid_after")
