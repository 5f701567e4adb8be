"""Report privacy and routing reasons: lookup counters, reasons kept as message ids.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Lookups by tracking code alone, counted per address and minute across app servers.
    op.create_table(
        "report_lookup_counters",
        sa.Column("submitter_key", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("submitter_key", name=op.f("pk_report_lookup_counters")),
    )
    # The routing reason becomes a message id (routing_reason) and its parameters, translated
    # when shown. Earlier rows keep their Vietnamese text with no parameters: shown as they are.
    op.add_column(
        "reports",
        sa.Column("routing_reason_params", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )


def downgrade() -> None:
    # Reasons stored as message ids stay English message ids: readable, if untranslated.
    op.drop_column("reports", "routing_reason_params")
    op.drop_table("report_lookup_counters")
