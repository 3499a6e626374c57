"""Management's digest by e-mail through the helpdesk: its own ``digest_state`` row (2), so it
is sent once a period and has its own trend, beside the chat's (1).

Revision ID: 0032
Revises: 0030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0030"
branch_labels = None
depends_on = None

DIGEST_STATE = sa.table(
    "digest_state",
    sa.column("id", sa.Integer),
    sa.column("sent_at", sa.DateTime(timezone=True)),
    sa.column("unsolved", sa.Integer),
)


def upgrade() -> None:
    op.bulk_insert(DIGEST_STATE, [{"id": 2, "sent_at": None, "unsolved": None}])


def downgrade() -> None:
    op.execute(DIGEST_STATE.delete().where(DIGEST_STATE.c.id == 2))
