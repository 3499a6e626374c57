"""incident sources: the connected incident tools, and each vendor incident seen (a pending
proposal or the incident it declared), unique per source and vendor incident id, with the last
customer-impact note sent back

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _time(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "incident_sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("covers", sa.String(200), nullable=False),
        sa.Column("locale", sa.String(10), nullable=False),
        sa.Column("auto_declare", sa.Boolean(), nullable=False),
        sa.Column("auto_resolve", sa.Boolean(), nullable=False),
        sa.Column("broadcast_updates", sa.Boolean(), nullable=False),
        sa.Column("template_incident_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("signing_secret", sa.String(200), nullable=False),
        sa.Column("notes_api_url", sa.String(200), nullable=False),
        sa.Column("notes_api_token", sa.String(200), nullable=False),
        sa.Column("notes_from", sa.String(254), nullable=False),
        sa.Column("path_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        _time("created_at"),
    )
    op.create_table(
        "source_incidents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.Integer(), sa.ForeignKey("incident_sources.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("locale", sa.String(10), nullable=False),
        sa.Column("resolution_pending", sa.Boolean(), nullable=False),
        sa.Column("resolution_text", sa.Text(), nullable=True),
        sa.Column("happened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("impact_note_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("impact_note_key", sa.String(60), nullable=False),
        _time("created_at"),
        _time("updated_at"),
        sa.UniqueConstraint("source_id", "external_id", name="uq_source_incident_external"),
    )
    op.create_index("ix_source_incidents_source_id", "source_incidents", ["source_id"])
    op.create_index("ix_source_incidents_incident_id", "source_incidents", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_source_incidents_incident_id", table_name="source_incidents")
    op.drop_index("ix_source_incidents_source_id", table_name="source_incidents")
    op.drop_table("source_incidents")
    op.drop_table("incident_sources")
