"""covering indexes for region-scoped reports

Why: a county report walks institutions (by region_code range) → inspections (by institution_id) →
hazards (by inspection_id); with these INCLUDE columns every step is an index-only scan, so its cost
follows the county's rows, not the nation's (bench/README.md).

Revision ID: aa402a61f4b9
Revises: a4de96ad64b8
Create Date: 2026-11-29 22:02:37.078760+00:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = 'aa402a61f4b9'
down_revision: str | None = 'a4de96ad64b8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # PostgreSQL only adds the INCLUDE columns; SQLite rebuilds the same index without them.
    op.drop_index("ix_inspections_institution_on", table_name="inspections")
    op.create_index("ix_inspections_institution_on", "inspections", ["institution_id", "inspected_on"],
                    postgresql_include=["id"])
    op.drop_index("ix_hazards_inspection_position", table_name="hazards")
    op.create_index("ix_hazards_inspection_position", "hazards", ["inspection_id", "position"],
                    postgresql_include=["found_on", "status", "severity", "due_on", "rectified_on"])


def downgrade() -> None:
    op.drop_index("ix_hazards_inspection_position", table_name="hazards")
    op.create_index("ix_hazards_inspection_position", "hazards", ["inspection_id", "position"])
    op.drop_index("ix_inspections_institution_on", table_name="inspections")
    op.create_index("ix_inspections_institution_on", "inspections", ["institution_id", "inspected_on"])
