"""When a report's private link was last sent again at the resident's request (a rate limit).

Revision ID: 0013_send
Revises: 0012_basemap
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_send"
down_revision: str | None = "0012_basemap"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notify_link_resends",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_notify_link_resends_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_notify_link_resends")),
    )


def downgrade() -> None:
    op.drop_table("notify_link_resends")
