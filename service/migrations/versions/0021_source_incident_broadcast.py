"""Per incident a source declared: broadcast the vendor's updates at once, or wait for the
translations (null: the source's default).

Revision ID: 0021
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source_incidents") as batch:
        batch.add_column(sa.Column("broadcast_updates", sa.Boolean, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source_incidents") as batch:
        batch.drop_column("broadcast_updates")
