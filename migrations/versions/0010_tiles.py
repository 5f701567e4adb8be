"""The operators' queue order, the text search of descriptions, the ward filter, and the
overdue reports on the map: a partial index of their cells at zoom 16 with the columns that the
grid's filters read, so that a cluster's overdue count is an index-only scan at any zoom.

Revision ID: 0010_tiles
Revises: 0010_data
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_tiles"
down_revision: str | None = "0010_data"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_reports_queue",
        "reports",
        [
            sa.text("overdue DESC"),
            sa.text("due_at ASC NULLS LAST"),
            sa.text("created_at DESC"),
            sa.text("id DESC"),
        ],
    )
    op.create_index(
        "ix_reports_description_words",
        "reports",
        [sa.text("to_tsvector('simple'::regconfig, description)")],
        postgresql_using="gin",
    )
    op.create_index("ix_reports_ward_state", "reports", ["ward_id", "state"])
    op.create_index(
        "ix_reports_overdue_cells",
        "reports",
        [
            sa.text("report_tile_x(web_point, 16)"),
            sa.text("report_tile_y(web_point, 16)"),
            "state",
            "category_id",
            "created_at",
        ],
        # PostgreSQL scans an expression index without the table only if it has the columns
        # the expressions read.
        postgresql_include=["web_point"],
        postgresql_where=sa.text("overdue"),
    )


def downgrade() -> None:
    op.drop_index("ix_reports_overdue_cells", table_name="reports")
    op.drop_index("ix_reports_ward_state", table_name="reports")
    op.drop_index("ix_reports_description_words", table_name="reports")
    op.drop_index("ix_reports_queue", table_name="reports")
