"""Triage settings: what counts as serious (VIP tags, legal or safety threat phrases, repeat
contacts), the priority each raises to and the group serious tickets go to; per account
(scope 0) or per incident.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "triage_settings",
        sa.Column("scope", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("vip_tags", sa.JSON, nullable=False),
        sa.Column("vip_priority", sa.String(10), nullable=True),
        sa.Column("threat_phrases", sa.JSON, nullable=False),
        sa.Column("threat_priority", sa.String(10), nullable=True),
        sa.Column("repeat_contacts", sa.Integer, nullable=False),
        sa.Column("repeat_priority", sa.String(10), nullable=True),
        sa.Column("group_id", sa.BigInteger, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("triage_settings")
