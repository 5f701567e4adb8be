"""Job queue: procrastinate's schema (tables procrastinate_*, their types and functions).

The SQL is procrastinate 3.10.0's ``procrastinate/sql/schema.sql``, frozen beside this file so
that this revision always builds the same schema. A newer procrastinate brings its own migration
scripts (``procrastinate/sql/migrations/``): apply them in a later revision;
tests/ioc/test_jobs.py fails while the installed version's schema differs from the frozen one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA_SQL = Path(__file__).with_name("0004_procrastinate_3.10.0.sql")

# Tables, then types (CASCADE takes the functions that use them), then the other functions.
DROP = """
DROP TABLE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
DROP TYPE procrastinate_job_to_defer_v1, procrastinate_job_event_type,
    procrastinate_job_status CASCADE;
DO $$
DECLARE f record;
BEGIN
    FOR f IN SELECT oid::regprocedure AS sig FROM pg_proc
             WHERE proname LIKE 'procrastinate\\_%' LOOP
        EXECUTE 'DROP FUNCTION ' || f.sig;
    END LOOP;
END $$;
"""


def upgrade() -> None:
    op.execute(sa.text(SCHEMA_SQL.read_text(encoding="utf-8")))


def downgrade() -> None:
    op.execute(sa.text(DROP))
