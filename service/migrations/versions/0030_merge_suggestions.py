"""Merge suggestions: pairs the merge stage asks an agent to confirm in the sidebar (one row per
pair, whatever its state, so a dismissed pair stays dismissed), and the merge settings' floor
for suggesting alike texts and whether colleagues writing alike are suggested.

Revision ID: 0030
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "merge_suggestions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pair", sa.String(48), nullable=False, unique=True),
        sa.Column("source_ticket_id", sa.BigInteger, nullable=False, index=True),
        sa.Column("target_ticket_id", sa.BigInteger, nullable=False, index=True),
        sa.Column("incident_id", sa.Integer, nullable=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(120), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text, nullable=True),
    )
    with op.batch_alter_table("merge_settings") as batch:
        batch.add_column(sa.Column("suggestion_floor", sa.Float, nullable=False, server_default="0.5"))
        batch.add_column(
            sa.Column("suggest_same_organization", sa.Boolean, nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("merge_settings") as batch:
        batch.drop_column("suggest_same_organization")
        batch.drop_column("suggestion_floor")
    op.drop_table("merge_suggestions")
