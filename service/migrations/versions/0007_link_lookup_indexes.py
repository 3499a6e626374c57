"""indexes for the lookups that otherwise grow with history: a requester's links (the
duplicate lookup), an incident's links by time (the dashboard and incident page), and finished
deliveries and refused requests by age (the retention purge)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ticket_links_requester_id", "ticket_links", ["requester_id"])
    op.create_index("ix_ticket_links_incident_linked_at", "ticket_links", ["incident_id", "linked_at"])
    op.create_index("ix_inbox_completed_at", "inbox_deliveries", ["completed_at"])
    op.create_index("ix_rejected_received_at", "rejected_deliveries", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_rejected_received_at", table_name="rejected_deliveries")
    op.drop_index("ix_inbox_completed_at", table_name="inbox_deliveries")
    op.drop_index("ix_ticket_links_incident_linked_at", table_name="ticket_links")
    op.drop_index("ix_ticket_links_requester_id", table_name="ticket_links")
