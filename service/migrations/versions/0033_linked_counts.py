"""linked counts: each incident keeps the number of its linked tickets, kept by the database

The incident list and the API read one column instead of counting every incident's links (a
scan of the whole link table once history is long). Triggers on ticket_links keep it, so every
writer (the pipeline's reservations and confirmations, recorded links, manual links, unlinks,
releases, an incident's deletion) is counted and none can forget: on PostgreSQL one statement
trigger per kind of change, adding up its transition table by incident (one UPDATE per
incident per statement, however many rows: a batch's confirmation touches the incident once);
on SQLite, which has no statement triggers, row triggers.

Revision ID: 0033
Revises: 0029
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0029"
branch_labels = None
depends_on = None

LINKED = "state = 'linked'"
# (trigger, event, its transition tables, what each changed row adds to its incident's count)
POSTGRES = (
    ("ticket_links_count_added", "INSERT", "NEW TABLE AS added", f"SELECT incident_id, 1 FROM added WHERE {LINKED}"),
    (
        "ticket_links_count_removed",
        "DELETE",
        "OLD TABLE AS removed",
        f"SELECT incident_id, -1 FROM removed WHERE {LINKED}",
    ),
    (
        "ticket_links_count_changed",
        "UPDATE",
        "OLD TABLE AS before NEW TABLE AS after",
        f"SELECT incident_id, -1 FROM before WHERE {LINKED} UNION ALL SELECT incident_id, 1 FROM after WHERE {LINKED}",
    ),
)

SQLITE = (
    """CREATE TRIGGER ticket_links_count_added AFTER INSERT ON ticket_links WHEN NEW.state = 'linked'
    BEGIN UPDATE incidents SET linked_count = linked_count + 1 WHERE id = NEW.incident_id; END""",
    """CREATE TRIGGER ticket_links_count_removed AFTER DELETE ON ticket_links WHEN OLD.state = 'linked'
    BEGIN UPDATE incidents SET linked_count = linked_count - 1 WHERE id = OLD.incident_id; END""",
    """CREATE TRIGGER ticket_links_count_changed AFTER UPDATE OF state, incident_id ON ticket_links
    WHEN OLD.state = 'linked' OR NEW.state = 'linked'
    BEGIN
        UPDATE incidents SET linked_count = linked_count - 1 WHERE id = OLD.incident_id AND OLD.state = 'linked';
        UPDATE incidents SET linked_count = linked_count + 1 WHERE id = NEW.incident_id AND NEW.state = 'linked';
    END""",
)


def upgrade() -> None:
    op.add_column("incidents", sa.Column("linked_count", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        """UPDATE incidents SET linked_count = (SELECT count(*) FROM ticket_links
        WHERE ticket_links.incident_id = incidents.id AND ticket_links.state = 'linked')"""
    )
    if op.get_bind().dialect.name != "postgresql":
        for statement in SQLITE:
            op.execute(statement)
        return
    for trigger, event, tables, changes in POSTGRES:
        op.execute(
            f"""
            CREATE FUNCTION incidentdesk_{trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE incidents AS i SET linked_count = i.linked_count + d.n
                FROM (
                    SELECT incident_id, sum(n) AS n FROM ({changes}) AS c (incident_id, n)
                    GROUP BY incident_id HAVING sum(n) <> 0
                ) AS d
                WHERE i.id = d.incident_id;
                RETURN NULL;
            END
            $$
            """
        )
        op.execute(
            f"""CREATE TRIGGER {trigger} AFTER {event} ON ticket_links REFERENCING {tables}
            FOR EACH STATEMENT EXECUTE FUNCTION incidentdesk_{trigger}()"""
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for trigger, *_ in POSTGRES:
        op.execute(f"DROP TRIGGER {trigger} ON ticket_links" if postgres else f"DROP TRIGGER {trigger}")
        if postgres:
            op.execute(f"DROP FUNCTION incidentdesk_{trigger}()")
    # Not a batch (which copies the table, and dropping the copied incidents would delete their
    # links by cascade): SQLite has had ALTER TABLE DROP COLUMN since 3.35.
    op.drop_column("incidents", "linked_count")
