"""hazards.region_code: the institution's region, stored on each hazard, indexed with (found_on, id)

Why: the region-scoped hazard list (issue 21) joined institutions to filter by region, so PostgreSQL walked the
national ix_hazards_found_on_id backwards from the cursor and dropped the other counties' rows: a deep page of a
county read thousands of index rows for 51 hazards. With the region on the hazard, the county's own rows of
ix_hazards_region_found_on are the candidates. ix_hazards_found_on_id stays: the list without a region filter
(national scope) walks it.

Backfilled from institutions in one UPDATE (PostgreSQL: UPDATE ... FROM; SQLite: a correlated subquery).
The column is kept equal to the institution's afterwards by app.hazards.models. On PostgreSQL the migration's
transaction lifts the requests' statement timeout (DB_STATEMENT_TIMEOUT_MS, 30 s): the UPDATE rewrites every
hazard row, which took longer than that at 1,000,000 hazards on a loaded 2-core machine. It ends with
`ANALYZE hazards` there: without statistics of the new column the planner takes the default selectivity for a
range of region codes and, for an empty range (the codes below a county whose hazards all carry its own code),
walked the whole national found_on index: 3.3 s a page at 1,000,000 hazards until autovacuum analyzed the table.

Revision ID: 28be456588b6
Revises: c4d9e2f1a7b3
Create Date: 2026-12-07 15:00:00+00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '28be456588b6'
down_revision: str | None = 'c4d9e2f1a7b3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = {
    "postgresql": (
        "UPDATE hazards SET region_code = institutions.region_code "
        "FROM institutions WHERE institutions.id = hazards.institution_id"
    ),
    "sqlite": (
        "UPDATE hazards SET region_code = "
        "(SELECT institutions.region_code FROM institutions WHERE institutions.id = hazards.institution_id)"
    ),
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("SET LOCAL statement_timeout = 0")  # for this transaction only
    op.add_column('hazards', sa.Column('region_code', sa.String(length=12), nullable=True))
    op.execute(BACKFILL[dialect])
    with op.batch_alter_table('hazards') as batch:
        batch.alter_column('region_code', existing_type=sa.String(length=12), nullable=False)
        batch.create_index('ix_hazards_region_found_on', ['region_code', 'found_on', 'id'], unique=False)
    if dialect == "postgresql":
        op.execute("ANALYZE hazards")


def downgrade() -> None:
    with op.batch_alter_table('hazards') as batch:
        batch.drop_index('ix_hazards_region_found_on')
        batch.drop_column('region_code')
