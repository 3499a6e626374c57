"""inbox notify: on PostgreSQL, storing a pending delivery notifies the channel the workers listen on

A statement-level trigger, so every writer (webhooks, incident sources, the reconciler) wakes the
workers, once per statement and only when it stored a pending row; PostgreSQL delivers the
notification when the transaction commits. The payload names the table's schema (the channel is
the database's, whatever the schema). Nothing on SQLite: its workers poll.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION incidentdesk_inbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM stored WHERE state = 'pending') THEN
                PERFORM pg_notify('incidentdesk_inbox', TG_TABLE_SCHEMA);
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER inbox_deliveries_notify AFTER INSERT ON inbox_deliveries
        REFERENCING NEW TABLE AS stored
        FOR EACH STATEMENT EXECUTE FUNCTION incidentdesk_inbox_notify()
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER inbox_deliveries_notify ON inbox_deliveries")
    op.execute("DROP FUNCTION incidentdesk_inbox_notify()")
