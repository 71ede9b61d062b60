"""hazards.institution_id: the inspection's institution, stored on each hazard

Why: hazard reads (visibility, the list and its filters) joined inspections to reach the institution and its
region, so the hazards package imported the inspections package while inspections imports hazards (issue 12,
item 2). An inspection's institution is fixed once recorded, so the copy never goes stale. Backfilled from
inspections; indexed with (found_on, id) for the list of one institution's hazards.

Revision ID: 5b8e2d41c7a9
Revises: cd3fe93d5a4b
Create Date: 2026-12-03 12:00:00.000000+00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '5b8e2d41c7a9'
down_revision: str | None = 'cd3fe93d5a4b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("hazards", sa.Column("institution_id", sa.Uuid(), nullable=True))
    op.execute(
        "UPDATE hazards SET institution_id = "
        "(SELECT inspections.institution_id FROM inspections WHERE inspections.id = hazards.inspection_id)"
    )
    with op.batch_alter_table("hazards") as batch:
        batch.alter_column("institution_id", existing_type=sa.Uuid(), nullable=False)
        batch.create_foreign_key(
            batch.f("fk_hazards_institution_id_institutions"), "institutions", ["institution_id"], ["id"]
        )
        batch.create_index("ix_hazards_institution_found_on", ["institution_id", "found_on", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("hazards") as batch:
        batch.drop_index("ix_hazards_institution_found_on")
        batch.drop_constraint(batch.f("fk_hazards_institution_id_institutions"), type_="foreignkey")
        batch.drop_column("institution_id")
