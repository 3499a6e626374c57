"""Zendesk refuses some solves (no assignee while the account does not assign on solve, a field
required to solve left empty): the customer still gets the final message, and the resolve result
says which tickets stayed unsolved and why. Through the sandbox over HTTP."""

import pytest
import requests
from sqlalchemy import select

from service.incidents.status import resolve_incident
from service.incidents.store import get_incident
from service.models import AuditEntry, TicketLink
from tests.factories import AUTH, declare_checkout_incident, link_state
from tests.helpers import start_service, wait_for

FINAL = {"en": "Checkout is back. A failed database switch caused it; we added an automatic check."}


@pytest.fixture
def running(database_url, sandbox, helpdesk):
    service = start_service(database_url, sandbox, helpdesk)
    yield service
    service.stop()


def _linked(running, *ticket_ids):
    for ticket_id in ticket_ids:
        wait_for(lambda ticket_id=ticket_id: (link_state(running, ticket_id) or ("",))[0] == "linked")


def _resolve(running, incident_id):
    with running.services.db.transaction() as session:
        resolve_incident(
            session, running.services.helpdesk, get_incident(session, incident_id), FINAL, actor="lead"
        )


def _broadcast_done(running, incident_id):
    answer = requests.get(f"{running.url}/api/v1/incidents/{incident_id}/status", headers=AUTH, timeout=10)
    assert answer.status_code == 200, answer.text
    final = answer.json()["timeline"][0]
    return final if final["stage"] == "resolved" and final["broadcast"]["state"] == "done" else None


def _public(running, ticket_id):
    return [c["body"] for c in running.comments(ticket_id) if c["public"]]


def test_without_assign_on_solve_the_unassigned_customer_still_gets_the_final_message(running, sandbox):
    answer = running.api.post(
        f"{sandbox.url}/_sandbox/account_settings", json={"tickets": {"assign_tickets_upon_solve": False}}
    )
    assert answer.ok
    incident_id, _, problem_id = declare_checkout_incident(running.services)
    assigned = running.create_ticket("checkout fails", email="assigned@example.com")
    unassigned = running.create_ticket("checkout fails again", email="alone@example.com")
    _linked(running, assigned, unassigned)
    agent = running.api.get(f"{sandbox.url}/api/v2/users/me.json").json()["user"]["id"]
    running.api.put(f"{sandbox.url}/api/v2/tickets/{assigned}.json", json={"ticket": {"assignee_id": agent}})

    _resolve(running, incident_id)
    final = wait_for(lambda: _broadcast_done(running, incident_id))

    # What each customer received: the final message, once.
    for ticket_id in (assigned, unassigned):
        bodies = _public(running, ticket_id)
        assert sum(body.startswith(FINAL["en"]) for body in bodies) == 1, bodies
    assert running.ticket(assigned)["status"] == "solved"
    assert running.ticket(unassigned)["status"] not in ("solved", "closed")
    # The resolve result lists what Zendesk would not solve, with Zendesk's reason.
    [refusal] = final["broadcast"]["unsolved"]
    assert refusal["ticket_id"] == unassigned
    assert "Assignee: is required when solving a ticket" in refusal["reason"]
    with running.services.db.transaction() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.solve_refused")).all()
        assert [(e.ticket_id, e.incident_id) for e in entries] == [(unassigned, incident_id)]
        link = session.scalars(select(TicketLink).where(TicketLink.ticket_id == unassigned)).one()
        assert link.ticket_status not in ("solved", "closed") and link.refused_version is None
        # The problem ticket has no assignee either: its refusal is on record too.
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "problem.solve_failed")).all()
    assert running.ticket(problem_id)["status"] != "solved"


def test_a_required_field_left_empty_keeps_the_ticket_open_but_the_message_goes_out(running, sandbox):
    incident_id, _, _ = declare_checkout_incident(running.services)
    ticket_id = running.create_ticket("checkout fails", email="order@example.com")
    _linked(running, ticket_id)
    field = running.api.post(
        f"{sandbox.url}/api/v2/ticket_fields.json",
        json={"ticket_field": {"type": "integer", "title": "Order number", "required": True}},
    ).json()["ticket_field"]

    _resolve(running, incident_id)
    final = wait_for(lambda: _broadcast_done(running, incident_id))

    assert sum(b.startswith(FINAL["en"]) for b in _public(running, ticket_id)) == 1
    assert running.ticket(ticket_id)["status"] != "solved"
    [refusal] = final["broadcast"]["unsolved"]
    assert refusal == {"ticket_id": ticket_id, "reason": refusal["reason"]}
    assert "Order number: is required when solving a ticket" in refusal["reason"]
    assert field["id"]
