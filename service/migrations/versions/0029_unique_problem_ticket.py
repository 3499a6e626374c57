"""unique problem ticket: one incident per helpdesk problem ticket, now that an incident can
adopt an existing one (incidents without a problem ticket, in shadow mode, stay NULL, which a
unique index allows many times on SQLite and PostgreSQL alike)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03
"""

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("uq_incidents_problem_ticket_id", "incidents", ["problem_ticket_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_incidents_problem_ticket_id", table_name="incidents")
