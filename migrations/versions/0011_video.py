"""Videos published too: the path of each video's metadata-free public copy.

Revision ID: 0011_video
Revises: 0010_kpi
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_video"
down_revision: str | None = "0010_kpi"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Null until the remux job has made the copy (existing videos: `ioc media remux-videos`).
    op.add_column("report_media", sa.Column("video_path", sa.String(length=200), nullable=True))
    op.create_index(
        op.f("ix_report_media_video_path"), "report_media", ["video_path"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_report_media_video_path"), table_name="report_media")
    op.drop_column("report_media", "video_path")
