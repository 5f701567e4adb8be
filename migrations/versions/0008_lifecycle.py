"""Room for the lifecycle: suggested and assigned agency, deadlines, events with payloads.

Also moves agency membership out of ``users`` (the plumbing layer) into routing's
``agency_members``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def _reports_up() -> None:
    # The routing engine's suggestion keeps its values under its own name.
    op.drop_index(op.f("ix_reports_agency_id"), table_name="reports")
    op.drop_constraint(op.f("fk_reports_agency_id_agencies"), "reports", type_="foreignkey")
    op.alter_column("reports", "agency_id", new_column_name="suggested_agency_id")
    op.create_foreign_key(
        op.f("fk_reports_suggested_agency_id_agencies"),
        "reports",
        "agencies",
        ["suggested_agency_id"],
        ["id"],
    )
    op.create_index(
        op.f("ix_reports_suggested_agency_id"), "reports", ["suggested_agency_id"], unique=False
    )
    columns: list[sa.Column[Any]] = [
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("due_at", _TZ, nullable=True),
        sa.Column("overdue", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("overdue_since", _TZ, nullable=True),
        sa.Column("forwarded_at", _TZ, nullable=True),
        sa.Column("accepted_at", _TZ, nullable=True),
        sa.Column("resolved_at", _TZ, nullable=True),
        sa.Column("published_at", _TZ, nullable=True),
        sa.Column("closed_at", _TZ, nullable=True),
        sa.Column(
            "extension_state",
            sa.Enum(
                "requested",
                "approved",
                "denied",
                name="extensionstate",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("extension_until", _TZ, nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("result_text", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("locale", sa.String(length=5), server_default="vi", nullable=False),
    ]
    for column in columns:
        op.add_column("reports", column)
    op.create_foreign_key(
        op.f("fk_reports_agency_id_agencies"), "reports", "agencies", ["agency_id"], ["id"]
    )
    op.create_foreign_key(
        op.f("fk_reports_duplicate_of_id_reports"),
        "reports",
        "reports",
        ["duplicate_of_id"],
        ["id"],
    )
    # Existing reports are all submitted: their deadline is verification.
    op.execute("UPDATE reports SET due_at = verify_by WHERE state = 'submitted'")
    op.create_index("ix_reports_state_due", "reports", ["state", "due_at"], unique=False)
    op.create_index(
        "ix_reports_agency_state_due", "reports", ["agency_id", "state", "due_at"], unique=False
    )


def _events_and_media_up() -> None:
    op.add_column(
        "report_events",
        sa.Column("action", sa.String(length=32), server_default="submit", nullable=False),
    )
    op.add_column(
        "report_events",
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column(
        "report_media",
        sa.Column("stage", sa.String(length=8), server_default="report", nullable=False),
    )
    op.add_column("report_media", sa.Column("event_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_report_media_event_id_report_events"),
        "report_media",
        "report_events",
        ["event_id"],
        ["id"],
    )


def _members_up() -> None:
    op.create_table(
        "agency_members",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_agency_members_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_agency_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_agency_members")),
    )
    op.create_index(
        op.f("ix_agency_members_agency_id"), "agency_members", ["agency_id"], unique=False
    )
    op.execute(
        "INSERT INTO agency_members (user_id, agency_id) "
        "SELECT id, agency_id FROM users WHERE agency_id IS NOT NULL"
    )
    op.drop_constraint("agency_staff_has_agency", "users", type_="check")
    op.drop_constraint(op.f("fk_users_agency_id_agencies"), "users", type_="foreignkey")
    op.drop_column("users", "agency_id")


def upgrade() -> None:
    _reports_up()
    _events_and_media_up()
    _members_up()


def downgrade() -> None:
    op.add_column("users", sa.Column("agency_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE users SET agency_id = m.agency_id FROM agency_members m WHERE m.user_id = users.id"
    )
    op.create_foreign_key(
        op.f("fk_users_agency_id_agencies"), "users", "agencies", ["agency_id"], ["id"]
    )
    op.create_check_constraint(
        "agency_staff_has_agency",
        "users",
        "(role = 'agency_staff') = (agency_id IS NOT NULL)",
    )
    op.drop_index(op.f("ix_agency_members_agency_id"), table_name="agency_members")
    op.drop_table("agency_members")
    op.drop_constraint(
        op.f("fk_report_media_event_id_report_events"), "report_media", type_="foreignkey"
    )
    op.drop_column("report_media", "event_id")
    op.drop_column("report_media", "stage")
    op.drop_column("report_events", "payload")
    op.drop_column("report_events", "action")
    op.drop_index("ix_reports_agency_state_due", table_name="reports")
    op.drop_index("ix_reports_state_due", table_name="reports")
    op.drop_constraint(op.f("fk_reports_duplicate_of_id_reports"), "reports", type_="foreignkey")
    op.drop_constraint(op.f("fk_reports_agency_id_agencies"), "reports", type_="foreignkey")
    for name in (
        "locale",
        "version",
        "result_text",
        "duplicate_of_id",
        "extension_reason",
        "extension_until",
        "extension_state",
        "closed_at",
        "published_at",
        "resolved_at",
        "accepted_at",
        "forwarded_at",
        "overdue_since",
        "overdue",
        "due_at",
        "agency_id",
    ):
        op.drop_column("reports", name)
    op.drop_index(op.f("ix_reports_suggested_agency_id"), table_name="reports")
    op.drop_constraint(
        op.f("fk_reports_suggested_agency_id_agencies"), "reports", type_="foreignkey"
    )
    op.alter_column("reports", "suggested_agency_id", new_column_name="agency_id")
    op.create_foreign_key(
        op.f("fk_reports_agency_id_agencies"), "reports", "agencies", ["agency_id"], ["id"]
    )
    op.create_index(op.f("ix_reports_agency_id"), "reports", ["agency_id"], unique=False)
