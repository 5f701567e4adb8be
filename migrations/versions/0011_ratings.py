"""Ratings of published results; each follower's own private status link.

Revision ID: 0011_ratings
Revises: 0011_video
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_ratings"
down_revision: str | None = "0011_video"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "report_followers", sa.Column("status_token_hash", sa.String(length=64), nullable=True)
    )
    op.create_table(
        "report_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("follower_id", sa.Integer(), nullable=True),
        sa.Column("published_at", _TZ, nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column(
            "value",
            sa.Enum(
                "satisfied",
                "accepted",
                "dissatisfied",
                name="ratingvalue",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_report_ratings_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["follower_id"],
            ["report_followers.id"],
            name=op.f("fk_report_ratings_follower_id_report_followers"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_ratings_report_id_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_ratings")),
    )
    op.create_index(
        "ix_report_ratings_follower_id", "report_ratings", ["follower_id"], unique=False
    )
    op.create_index(
        "ix_report_ratings_published",
        "report_ratings",
        ["published_at"],
        unique=False,
        postgresql_include=["agency_id", "value"],
    )
    op.create_index(
        "uq_report_ratings_reporter",
        "report_ratings",
        ["report_id", "published_at"],
        unique=True,
        postgresql_where=sa.text("follower_id IS NULL"),
    )
    op.create_index(
        "uq_report_ratings_follower",
        "report_ratings",
        ["report_id", "follower_id", "published_at"],
        unique=True,
        postgresql_where=sa.text("follower_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("report_ratings")
    op.drop_column("report_followers", "status_token_hash")
