"""usernames unique regardless of case: a unique index on lower(username)

Why: `Admin` beside `admin` looks like the same actor in every list and history (issue 13, item 7).
An existing database that already holds two such names cannot take the index: the upgrade stops and
names them (rename or remove one, then upgrade again).

Revision ID: 52eea4d2e85d
Revises: 54fd4398ad91
Create Date: 2026-12-02 14:30:00.000000+00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '52eea4d2e85d'
down_revision: str | None = '54fd4398ad91'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    clashes = op.get_bind().execute(sa.text(
        "SELECT lower(username) AS name, count(*) AS n FROM users GROUP BY lower(username) HAVING count(*) > 1"
    )).all()
    if clashes:
        names = ", ".join(f"{row.name} ({row.n}×)" for row in clashes)
        raise RuntimeError(f"usernames that differ only in case must be renamed first: {names}")
    op.create_index("uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True)


def downgrade() -> None:
    op.drop_index("uq_users_username_lower", table_name="users")
