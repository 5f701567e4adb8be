"""Triage: the reject reason templates, seeded with defaults in Vietnamese and English.

Revision ID: 0010_triage
Revises: 0009_notify
Create Date: 2026-11-29
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0010_triage"
down_revision: str | None = "0010_live"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (title_vi, title_en, text_vi, text_en): administrators edit, reorder and disable them later.
DEFAULTS = [
    (
        "Thiếu thông tin",
        "Not enough information",
        "Phản ánh chưa đủ thông tin để xác minh và xử lý (vị trí, hình ảnh hoặc nội dung chưa "
        "rõ). Đề nghị anh/chị gửi lại phản ánh kèm hình ảnh và vị trí cụ thể.",
        "The report does not give enough information to verify and handle it (the place, the "
        "photos or the description are unclear). Please send it again with a photo and the "
        "exact place.",
    ),
    (
        "Khiếu nại, tố cáo",
        "Complaint or denunciation",
        "Nội dung này là khiếu nại hoặc tố cáo, không thuộc phạm vi tiếp nhận phản ánh hiện "
        "trường. Theo Luật Khiếu nại năm 2011 và Luật Tố cáo năm 2018, đề nghị anh/chị gửi đơn "
        "hoặc đến trực tiếp Ban Tiếp công dân của cơ quan có thẩm quyền giải quyết để được "
        "tiếp nhận và hướng dẫn.",
        "This is a complaint or a denunciation, which field reports do not handle. Under the "
        "Law on Complaints (2011) and the Law on Denunciations (2018), please file it, in "
        "writing or in person, with the citizen reception office (Ban Tiếp công dân) of the "
        "competent authority, which will receive it and guide you.",
    ),
    (
        "Tranh chấp dân sự, việc riêng",
        "Private or civil dispute",
        "Nội dung phản ánh là tranh chấp dân sự hoặc việc riêng, không thuộc phạm vi xử lý của "
        "hệ thống phản ánh hiện trường. Đề nghị anh/chị liên hệ UBND phường, xã nơi cư trú để "
        "được hướng dẫn.",
        "This is a private or civil dispute, which field reports do not handle. Please contact "
        "the People's Committee of your ward for guidance.",
    ),
    (
        "Ngoài địa bàn",
        "Outside the area served",
        "Vị trí phản ánh nằm ngoài địa bàn hệ thống tiếp nhận. Đề nghị anh/chị gửi phản ánh "
        "đến cơ quan chức năng của địa phương nơi xảy ra sự việc.",
        "The place is outside the area this system serves. Please send your report to the "
        "authorities of the place where it happened.",
    ),
    (
        "Sự việc không còn",
        "No longer there",
        "Qua kiểm tra, sự việc đã được khắc phục hoặc không còn tồn tại tại vị trí phản ánh.",
        "On checking, the problem has been fixed or is no longer at the place reported.",
    ),
    (
        "Nội dung không phù hợp",
        "Inappropriate content",
        "Phản ánh có nội dung không phù hợp (quảng cáo, xúc phạm hoặc không liên quan đến vấn "
        "đề đô thị) nên không được tiếp nhận.",
        "The report's content is not appropriate (advertising, insults, or nothing to do with "
        "the city's problems), so it cannot be accepted.",
    ),
]


def upgrade() -> None:
    table = op.create_table(
        "reject_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title_vi", sa.String(length=120), nullable=False),
        sa.Column("title_en", sa.String(length=120), nullable=False),
        sa.Column("text_vi", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reject_templates")),
    )
    op.create_index(
        op.f("ix_reject_templates_position"), "reject_templates", ["position"], unique=False
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        table,
        [
            {
                "position": position,
                "title_vi": title_vi,
                "title_en": title_en,
                "text_vi": text_vi,
                "text_en": text_en,
                "active": True,
                "created_at": now,
            }
            for position, (title_vi, title_en, text_vi, text_en) in enumerate(DEFAULTS, start=1)
        ],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reject_templates_position"), table_name="reject_templates")
    op.drop_table("reject_templates")
