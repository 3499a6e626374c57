"""The post-incident report's texts, written at resolution per language: what happened, and
what is done so that it won't happen again.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("what_happened", sa.JSON, nullable=False, server_default="{}"))
        batch.add_column(sa.Column("prevention", sa.JSON, nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("prevention")
        batch.drop_column("what_happened")
