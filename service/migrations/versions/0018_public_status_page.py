"""public status page: an incident may be shown publicly at /status/<slug>

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("public_slug", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("public_page_url", sa.String(length=300), nullable=True))
        batch.create_unique_constraint("uq_incidents_public_slug", ["public_slug"])


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_constraint("uq_incidents_public_slug", type_="unique")
        batch.drop_column("public_page_url")
        batch.drop_column("public_slug")
        batch.drop_column("public")
