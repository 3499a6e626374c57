"""a link remembers when its ticket was created (the customer's first contact); an incident
remembers whether its resolution asks for a survey

Revision ID: 0005
Revises: 0003, 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = ("0003", "0004")
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ticket_links", sa.Column("ticket_created_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "incidents", sa.Column("resolution_survey", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column("incidents", "resolution_survey")
    op.drop_column("ticket_links", "ticket_created_at")
