"""per-region data versions for conditional reads (data_versions; app.db.versions)

Revision ID: c4d9e2f1a7b3
Revises: 7f3c1e9a5d20
Create Date: 2026-12-04 21:30:00+00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'c4d9e2f1a7b3'
down_revision: str | None = '7f3c1e9a5d20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # No backfill: an absent row is version 0, the first change after the upgrade makes it 1.
    op.create_table(
        'data_versions',
        sa.Column('region_code', sa.String(length=12), nullable=False),
        sa.Column('shard', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('region_code', 'shard', name=op.f('pk_data_versions')),
    )


def downgrade() -> None:
    op.drop_table('data_versions')
