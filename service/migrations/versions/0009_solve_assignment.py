"""where an incident assigns the tickets it solves: a Zendesk group and/or agent, so that a ticket
without an assignee can be solved on an account that does not assign on solve

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("solve_group_id", sa.BigInteger(), nullable=True))
    op.add_column("incidents", sa.Column("solve_assignee_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("incidents", "solve_assignee_id")
    op.drop_column("incidents", "solve_group_id")
