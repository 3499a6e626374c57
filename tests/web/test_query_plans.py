"""No query on the hot path, the pages or the probes grows with history.

On PostgreSQL with a long history (100k links over fifty past incidents and 10k on the active one, 500k finished inbox
rows, 100k refused requests, 100k audit entries), every statement the service really issues while it links a new
ticket, claims a batch, answers /readyz and renders the dashboard, the incident list and the
incident page is captured with its parameters and explained; a sequential scan of a table that
grows with history fails the test, naming the statement.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, text

from service.inbox import store as inbox
from service.inbox.worker import Worker
from tests.factories import declare, sandbox_create
from tests.helpers import wait_for

GROWING = ("ticket_links", "inbox_deliveries", "rejected_deliveries", "audit_log")
PAST_INCIDENTS = 50
LINKS = 100_000
INBOX_ROWS = 500_000
AUDIT_ROWS = 100_000
REJECTED_ROWS = 100_000
ACTIVE_LINKS = 10_000

SEED = [
    f"""INSERT INTO incidents (title, tag, state, severity, default_locale, affected_products,
        affected_regions, shadow_mode, resolution_survey, created_at, updated_at, resolved_at)
      SELECT 'Past incident ' || n, 'past_incident_' || n, 'resolved', 'major', 'en', '[]', '[]',
        false, false, now() - n * interval '1 day', now() - n * interval '1 day', now()
      FROM generate_series(1, {PAST_INCIDENTS}) AS n""",
    f"""INSERT INTO ticket_links (incident_id, ticket_id, requester_id, requester_name, subject,
        locale, ticket_status, state, source, evidence, linked_at)
      SELECT i.id, 10000000 + n, 5000000 + n % 40000, 'Customer', 'Past subject', 'en', 'closed',
        'linked', 'auto', '{{}}', now() - (n % 5000) * interval '1 hour'
      FROM generate_series(1, {LINKS}) AS n
      JOIN incidents AS i ON i.tag = 'past_incident_' || (1 + n % {PAST_INCIDENTS})""",
    # The active incident has a big surge of its own behind it: a requester's links are found
    # by requester, not by walking the incident's.
    f"""INSERT INTO ticket_links (incident_id, ticket_id, requester_id, requester_name, subject,
        locale, ticket_status, state, source, evidence, linked_at)
      SELECT :active, 20000000 + n, 6000000 + n, 'Customer', 'Surge subject', 'en', 'open',
        'linked', 'auto', '{{}}', now() - (n % 5000) * interval '1 minute'
      FROM generate_series(1, {ACTIVE_LINKS}) AS n""",
    f"""INSERT INTO inbox_deliveries (delivery_key, source, event_type, ticket_id, payload, state,
        attempts, available_at, received_at, completed_at)
      SELECT 'past-' || n, 'zendesk', 'ticket.changed', 10000000 + n % {LINKS}, '{{}}', 'done', 1,
        now() - interval '2 days', now() - interval '2 days', now() - interval '2 days'
      FROM generate_series(1, {INBOX_ROWS}) AS n""",
    f"""INSERT INTO rejected_deliveries (received_at, status_code, reason, headers, body)
      SELECT now() - interval '2 days', 401, 'bad signature', '{{}}', ''
      FROM generate_series(1, {REJECTED_ROWS}) AS n""",
    f"""INSERT INTO audit_log (at, action, incident_id, ticket_id, actor, shadow, detail)
      SELECT now() - interval '2 days', 'linked', i.id, 10000000 + n, 'incidentdesk', false, '{{}}'
      FROM generate_series(1, {AUDIT_ROWS}) AS n
      JOIN incidents AS i ON i.tag = 'past_incident_' || (1 + n % {PAST_INCIDENTS})""",
]


def sequential_scans(plan: str) -> set[str]:
    return {table for table in re.findall(r"Seq Scan on (\w+)", plan) if table in GROWING}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_no_statement_scans_a_table_that_grows_with_history(database_url, app, db, logged_in, sandbox):
    incident_id = declare(logged_in)
    with db.engine.begin() as conn:
        for statement in SEED:
            conn.execute(text(statement), {"active": incident_id} if ":active" in statement else {})
        conn.execute(text("ANALYZE"))

    captured: list[tuple[str, object, str]] = []
    where = ["pipeline"]

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if any(table in statement for table in GROWING):
            captured.append((statement, parameters, where[0]))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        ticket_id = sandbox_create(sandbox, "Checkout fails", "My checkout fails at the last step.")
        with db.transaction() as session:
            inbox.store(
                session, delivery_key="new-1", event_type="ticket.changed", ticket_id=ticket_id, payload="{}"
            )
        worker = Worker(app.extensions["incidentdesk"])
        assert wait_for(lambda: worker.run_once() is None and _linked(db, ticket_id), timeout=30)
        for page in ("/readyz", "/admin/dashboard", "/admin/incidents", f"/admin/incidents/{incident_id}"):
            where[0] = page
            assert logged_in.get(page).status_code == 200, page
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)

    assert len(captured) > 10  # the flows above really ran their queries
    scanning = []
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters, page in captured:
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            if tables := sequential_scans(plan):
                scanning.append(f"{page} {sorted(tables)}: {' '.join(statement.split())[:300]}")
    finally:
        raw.rollback()
        raw.close()
    assert not scanning, "\n".join(scanning)


def _linked(db, ticket_id: int) -> bool:
    with db.transaction() as session:
        return bool(
            session.scalar(
                text("SELECT count(*) FROM ticket_links WHERE ticket_id = :t AND state = 'linked'"),
                {"t": ticket_id},
            )
        )
