"""Two more triage signals: a valuable customer (a user or organisation field at or above a
number) and a long wait (hours from the ticket's creation to its link).

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("triage_settings") as batch:
        batch.add_column(sa.Column("value_field", sa.String(80), nullable=False, server_default=""))
        batch.add_column(sa.Column("value_at_least", sa.Float, nullable=False, server_default="0"))
        batch.add_column(sa.Column("value_priority", sa.String(10), nullable=True))
        batch.add_column(sa.Column("waiting_hours", sa.Float, nullable=False, server_default="0"))
        batch.add_column(sa.Column("waiting_priority", sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("triage_settings") as batch:
        for name in ("waiting_priority", "waiting_hours", "value_priority", "value_at_least", "value_field"):
            batch.drop_column(name)
