"""usage events: one row per attempt at avatar generation, an upload or a voice clone, so the
per-account quotas (``settings.quotas``) can count them in a rolling hour and day

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_usage_events_account_action_at", "usage_events", ["account_id", "action", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_usage_events_account_action_at", table_name="usage_events")
    op.drop_table("usage_events")
