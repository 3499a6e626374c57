"""the request budgets' sliding window: one row per request granted in the last minute

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_budget_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("budget", sa.String(length=60), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rate_budget_grants_budget_at", "rate_budget_grants", ["budget", "at"])


def downgrade() -> None:
    op.drop_index("ix_rate_budget_grants_budget_at", table_name="rate_budget_grants")
    op.drop_table("rate_budget_grants")
