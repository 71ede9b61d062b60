"""the deadline tick's partial index: hazards open or rectifying with a due date (ix_hazards_open_due)

Revision ID: 7f3c1e9a5d20
Revises: a2b056886553
Create Date: 2026-12-03 18:00:00+00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '7f3c1e9a5d20'
down_revision: str | None = 'a2b056886553'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_DUE_WHERE = "status IN ('open', 'rectifying') AND due_on IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        'ix_hazards_open_due',
        'hazards',
        ['due_on'],
        postgresql_include=['severity', 'found_on', 'institution_id', 'id'],
        postgresql_where=sa.text(OPEN_DUE_WHERE),
        sqlite_where=sa.text(OPEN_DUE_WHERE),
    )


def downgrade() -> None:
    op.drop_index('ix_hazards_open_due', table_name='hazards')
