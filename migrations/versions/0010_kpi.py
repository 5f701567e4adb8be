"""KPI rollups: per Vietnam day × agency × category, a durations histogram, the days done;
an index on the events' time.

Revision ID: 0010_kpi
Revises: 0010_tiles
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_kpi"
down_revision: str | None = "0010_tiles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ("intake", "forwarded", "resolved", "on_time", "overdue", "returned", "reopened")


def _keys() -> list[sa.Column[object]]:
    return [
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agency_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("category_id", sa.Integer(), autoincrement=False, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "kpi_daily",
        *_keys(),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.PrimaryKeyConstraint("day", "agency_id", "category_id", name=op.f("pk_kpi_daily")),
    )
    op.create_table(
        "kpi_daily_durations",
        *_keys(),
        sa.Column("bucket", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "agency_id", "category_id", "bucket", name=op.f("pk_kpi_daily_durations")
        ),
    )
    op.create_table(
        "kpi_rollup_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_kpi_rollup_days")),
    )
    op.create_index("ix_report_events_at", "report_events", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_report_events_at", table_name="report_events")
    op.drop_table("kpi_rollup_days")
    op.drop_table("kpi_daily_durations")
    op.drop_table("kpi_daily")
