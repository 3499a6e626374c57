"""Campaign purposes: notice (the default), follow_up, goodwill; once per customer per purpose.

Revision ID: 0013
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outreach_campaigns") as batch:
        batch.add_column(sa.Column("purpose", sa.String(20), nullable=False, server_default="notice"))
    with op.batch_alter_table("outreach_recipients") as batch:
        batch.add_column(sa.Column("purpose", sa.String(20), nullable=False, server_default="notice"))
        batch.drop_constraint("uq_outreach_incident_customer", type_="unique")
        batch.create_unique_constraint(
            "uq_outreach_incident_purpose_customer", ["incident_id", "purpose", "customer_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("outreach_recipients") as batch:
        batch.drop_constraint("uq_outreach_incident_purpose_customer", type_="unique")
        batch.create_unique_constraint("uq_outreach_incident_customer", ["incident_id", "customer_key"])
        batch.drop_column("purpose")
    with op.batch_alter_table("outreach_campaigns") as batch:
        batch.drop_column("purpose")
