"""rectification plans (整改方案): hazards.rectification_plan, hazard_history.rectification_plan, history action `plan`

Revision ID: 5e7c2a9d41b3
Revises: 5b8e2d41c7a9
Create Date: 2026-12-03 12:15:00+00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '5e7c2a9d41b3'
down_revision: str | None = '5b8e2d41c7a9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ACTIONS = ('create', 'start', 'rectify', 'verify', 'reject', 'void')
NEW_ACTIONS = (*OLD_ACTIONS, 'plan')


def _allow(actions: tuple[str, ...]) -> None:
    """Replace the CHECK constraint of hazard_history.action (batch: SQLite recreates the table)."""
    values = ", ".join(f"'{a}'" for a in actions)
    with op.batch_alter_table('hazard_history', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_hazard_history_history_action'), type_='check')
        batch_op.create_check_constraint(op.f('ck_hazard_history_history_action'), sa.text(f"action IN ({values})"))


def upgrade() -> None:
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rectification_plan', sa.JSON(), nullable=True))
    with op.batch_alter_table('hazard_history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rectification_plan', sa.JSON(), nullable=True))
    _allow(NEW_ACTIONS)


def downgrade() -> None:
    op.execute("DELETE FROM hazard_history WHERE action = 'plan'")
    _allow(OLD_ACTIONS)
    with op.batch_alter_table('hazard_history', schema=None) as batch_op:
        batch_op.drop_column('rectification_plan')
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.drop_column('rectification_plan')
