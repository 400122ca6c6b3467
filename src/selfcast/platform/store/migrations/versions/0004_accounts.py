"""accounts and keys: an account records when its email was verified (and by what), and a
developer key carries scopes; keys made before this revision keep working for sessions

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 16:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("email_verified_by", sa.String(length=40), nullable=False, server_default=""))
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scopes", sa.String(length=200), nullable=False, server_default="sessions"))
    # an account an identity provider signed in to had its email verified by that provider
    op.execute(
        "UPDATE accounts SET email_verified_at = created_at, email_verified_by = 'oidc' "
        "WHERE id IN (SELECT account_id FROM oidc_identities)"
    )


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("scopes")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("email_verified_by")
        batch_op.drop_column("email_verified_at")
