"""inbox request ids: each delivery keeps the id of the request that stored it and Zendesk's
invocation id, so the worker's log lines about it carry the same ids as the webhook's

Both nullable (the reconciler's rows and rows stored before have none), at most 192 characters
(service.logs.MAX_ID_CHARS, the value of this revision).

Revision ID: 0024
Revises: 0032
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_deliveries") as batch:
        batch.add_column(sa.Column("request_id", sa.String(192), nullable=True))
        batch.add_column(sa.Column("invocation_id", sa.String(192), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox_deliveries") as batch:
        batch.drop_column("invocation_id")
        batch.drop_column("request_id")
