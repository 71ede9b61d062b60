"""regions register (行政区划): code, name, parent_code

Revision ID: 3c9e1f7a2b60
Revises: 5e1f0c7d2b9a
Create Date: 2026-12-02 14:15:00.000000+00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '3c9e1f7a2b60'
down_revision: str | None = '5e1f0c7d2b9a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('regions',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('parent_code', sa.String(length=12), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_regions')),
    sa.UniqueConstraint('parent_code', 'name', name='uq_regions_parent_code_name')
    )
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.create_index('ix_regions_parent_code_code', ['parent_code', 'code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_index('ix_regions_parent_code_code')
    op.drop_table('regions')
