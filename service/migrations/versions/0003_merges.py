"""duplicate merging: merges (one per source ticket), refusals, candidate index with LSH bands,
per-requester review locks, merge settings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "merges",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("target_ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("requester_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(10), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("job_id", sa.String(120), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("owner", sa.String(120), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("merged_at", _TIME, nullable=True),
        sa.UniqueConstraint("source_ticket_id"),
    )
    op.create_index("ix_merges_target_ticket_id", "merges", ["target_ticket_id"])
    op.create_index("ix_merges_incident_id", "merges", ["incident_id"])
    op.create_table(
        "merge_refusals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("other_ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.UniqueConstraint("ticket_id", "other_ticket_id", "kind", name="uq_merge_refusal_pair"),
    )
    op.create_index("ix_merge_refusals_ticket_id", "merge_refusals", ["ticket_id"])
    op.create_index("ix_merge_refusals_incident_id", "merge_refusals", ["incident_id"])
    op.create_table(
        "merge_index",
        sa.Column("ticket_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("requester_id", sa.BigInteger(), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("ticket_created_at", _TIME, nullable=False),
        sa.Column("indexed_at", _TIME, nullable=False),
    )
    op.create_index("ix_merge_index_requester_id", "merge_index", ["requester_id"])
    op.create_index("ix_merge_index_incident_id", "merge_index", ["incident_id"])
    op.create_index("ix_merge_index_ticket_created_at", "merge_index", ["ticket_created_at"])
    op.create_table(
        "merge_bands",
        sa.Column("band_key", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("ticket_id", sa.BigInteger(), primary_key=True, autoincrement=False),
    )
    op.create_index("ix_merge_bands_ticket_id", "merge_bands", ["ticket_id"])
    op.create_table(
        "merge_locks",
        sa.Column("requester_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("touched_at", _TIME, nullable=False),
    )
    op.create_table(
        "merge_settings",
        sa.Column("scope", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("window_minutes", sa.Integer(), nullable=False),
        sa.Column("similarity_threshold", sa.Float(), nullable=False),
        sa.Column("public_comments", sa.Boolean(), nullable=False),
        sa.Column("skip_tag", sa.String(80), nullable=False),
        sa.Column("merge_after_agent_reply", sa.Boolean(), nullable=False),
        sa.Column("cross_requester_org_ids", sa.JSON(), nullable=False),
        sa.Column("intermediary_tags", sa.JSON(), nullable=False),
        sa.Column("intermediary_org_ids", sa.JSON(), nullable=False),
        sa.Column("order_field_id", sa.BigInteger(), nullable=True),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("merge_settings")
    op.drop_table("merge_locks")
    op.drop_index("ix_merge_bands_ticket_id", "merge_bands")
    op.drop_table("merge_bands")
    for name in ("ticket_created_at", "incident_id", "requester_id"):
        op.drop_index(f"ix_merge_index_{name}", "merge_index")
    op.drop_table("merge_index")
    op.drop_index("ix_merge_refusals_incident_id", "merge_refusals")
    op.drop_index("ix_merge_refusals_ticket_id", "merge_refusals")
    op.drop_table("merge_refusals")
    op.drop_index("ix_merges_incident_id", "merges")
    op.drop_index("ix_merges_target_ticket_id", "merges")
    op.drop_table("merges")
