"""Management's backlog digest: the one row saying when it was last posted and what it counted.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "digest_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsolved", sa.Integer, nullable=True),
    )
    op.bulk_insert(table, [{"id": 1, "sent_at": None, "unsolved": None}])


def downgrade() -> None:
    op.drop_table("digest_state")
