"""User management: an email and a token revocation time on accounts, and the account audit.

Revision ID: 0009_users
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_users"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.String(length=254), nullable=True))
    op.add_column(
        "users", sa.Column("tokens_revoked_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "account_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "create",
                "edit",
                "disable",
                "enable",
                "reset_password",
                "unlock",
                name="accountaction",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_account_audit_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_account_audit_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_audit")),
    )
    op.create_index("ix_account_audit_user_id_id", "account_audit", ["user_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_account_audit_user_id_id", table_name="account_audit")
    op.drop_table("account_audit")
    op.drop_column("users", "tokens_revoked_at")
    op.drop_column("users", "email")
