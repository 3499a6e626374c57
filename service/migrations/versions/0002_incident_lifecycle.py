"""incident lifecycle: macro and dynamic content ids, affected scope, status broadcasts, unlinks,
shared rate budget

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("macro_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("dynamic_content_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("affected_products", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("affected_regions", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("status_updates") as batch:
        batch.add_column(sa.Column("created_by", sa.String(120), nullable=False, server_default=""))
        batch.add_column(sa.Column("broadcast_state", sa.String(20), nullable=False, server_default="none"))
        batch.add_column(sa.Column("broadcast_total", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("broadcast_done", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("broadcast_owner", sa.String(120), nullable=True))
        batch.add_column(sa.Column("broadcast_lease_expires_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("ticket_links") as batch:
        batch.add_column(sa.Column("source", sa.String(20), nullable=False, server_default="auto"))
        batch.add_column(sa.Column("requester_name", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("ticket_status", sa.String(20), nullable=False, server_default="new"))
        batch.add_column(sa.Column("pending_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("refused_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("unlinked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("unlink_reason", sa.Text(), nullable=True))
    op.create_table(
        "rate_budgets",
        sa.Column("name", sa.String(60), primary_key=True),
        sa.Column("window_start", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("used", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("blocked_until", sa.Float(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("rate_budgets")
    with op.batch_alter_table("ticket_links") as batch:
        batch.drop_column("unlink_reason")
        batch.drop_column("unlinked_at")
        batch.drop_column("refused_version")
        batch.drop_column("pending_version")
        batch.drop_column("ticket_status")
        batch.drop_column("requester_name")
        batch.drop_column("source")
    with op.batch_alter_table("status_updates") as batch:
        for name in ("broadcast_lease_expires_at", "broadcast_owner", "broadcast_done", "broadcast_total",
                     "broadcast_state", "created_by"):
            batch.drop_column(name)
    with op.batch_alter_table("incidents") as batch:
        for name in ("resolved_at", "started_at", "affected_regions", "affected_products",
                     "dynamic_content_id", "macro_id"):
            batch.drop_column(name)
