"""reconciler cursor: the reconciler's place in the helpdesk's change feed, how far it is
complete, its schedule and the lease that lets one worker at a time follow it

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconciler_cursors",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("synced_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(120), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("reconciler_cursors")
