"""Public site: the unaccent extension behind an IMMUTABLE wrapper, the public word search and
newest-first indexes; each report's "on time" flag of its published result and the time of its
latest action (both backfilled).

Revision ID: 0011_public
Revises: 0011_ratings
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_public"
down_revision: str | None = "0011_ratings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# reports.models.PUBLIC_STATES, frozen here as the migration saw them.
PUBLIC = "('assigned', 'returned', 'in_progress', 'resolved', 'published', 'reopened')"

# unaccent() is only STABLE (its dictionary could change), so it cannot be indexed; the wrapper
# names the dictionary and schema, which makes it safe to declare IMMUTABLE (the PostgreSQL docs'
# own advice). NFC first: a decomposed "ư" would otherwise keep its combining marks.
WRAPPER = """
CREATE OR REPLACE FUNCTION ioc_unaccent(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, normalize(value, NFC))) $$
"""

# The same test as dashboard/kpi/queries.py: no missed deadline of the agency (an overdue event of
# stage accept or resolve) since the forward that began the cycle, up to the publication.
BACKFILL = """
UPDATE reports r SET on_time = NOT EXISTS (
    SELECT 1 FROM report_events o
    WHERE o.report_id = r.id AND o.action = 'overdue'
      AND o.payload->>'stage' IN ('accept', 'resolve')
      AND o.at >= coalesce(r.forwarded_at, r.created_at) AND o.at <= r.published_at
)
WHERE r.published_at IS NOT NULL
"""


# The latest action's time (the sweep's "overdue" is not an action: it bumps no version).
UPDATED = """
UPDATE reports r SET updated_at = coalesce(
    (SELECT max(e.at) FROM report_events e WHERE e.report_id = r.id AND e.action <> 'overdue'),
    r.created_at
)
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public")
    op.execute(WRAPPER)
    op.add_column("reports", sa.Column("on_time", sa.Boolean(), nullable=True))
    op.execute(BACKFILL)
    op.add_column("reports", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(UPDATED)
    # now() by default: rows written by SQL alone (bulk loads, tests) need no value.
    op.alter_column("reports", "updated_at", nullable=False, server_default=sa.text("now()"))
    op.execute(
        "CREATE INDEX ix_reports_public_words ON reports USING gin "
        "(to_tsvector('simple'::regconfig, ioc_unaccent(description))) "
        f"WHERE state IN {PUBLIC}"
    )
    op.execute(
        "CREATE INDEX ix_reports_public_created ON reports (created_at DESC, id DESC) "
        f"WHERE state IN {PUBLIC}"
    )


def downgrade() -> None:
    op.drop_index("ix_reports_public_created", table_name="reports")
    op.drop_index("ix_reports_public_words", table_name="reports")
    op.drop_column("reports", "updated_at")
    op.drop_column("reports", "on_time")
    op.execute("DROP FUNCTION IF EXISTS ioc_unaccent(text)")
    op.execute("DROP EXTENSION IF EXISTS unaccent")
