"""link writers: a reservation ('applying') names the batch writing it, when that batch last
showed it is alive, and the helpdesk job carrying its answer once submitted; a takeover asks
that job before writing the answer again

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_links") as batch:
        batch.add_column(sa.Column("writer", sa.String(32), nullable=True))
        batch.add_column(sa.Column("writer_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("answer_job_id", sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket_links") as batch:
        batch.drop_column("answer_job_id")
        batch.drop_column("writer_seen_at")
        batch.drop_column("writer")
