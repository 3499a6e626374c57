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


def test_the_incident_assigns_unassigned_tickets_so_they_can_be_solved(running, sandbox):
    running.api.post(
        f"{sandbox.url}/_sandbox/account_settings", json={"tickets": {"assign_tickets_upon_solve": False}}
    ).raise_for_status()
    with sandbox.state.lock:
        lead = sandbox.state.add_user(name="Incident Lead", email="lead@shop.test", role="agent")
        other = sandbox.state.add_user(name="Other Agent", email="other@shop.test", role="agent")
        group = sandbox.state.default_group_id
    incident_id, _, problem_id = declare_checkout_incident(
        running.services, solve_group_id=str(group), solve_assignee_id=lead
    )
    assert running.ticket(problem_id)["assignee_id"] == lead  # the problem ticket can be solved too
    unassigned = running.create_ticket("checkout fails", email="alone@example.com")
    taken = running.create_ticket("checkout fails for me too", email="taken@example.com")
    _linked(running, unassigned, taken)
    running.api.put(f"{sandbox.url}/api/v2/tickets/{taken}.json", json={"ticket": {"assignee_id": other}})

    _resolve(running, incident_id)
    final = wait_for(lambda: _broadcast_done(running, incident_id))

    assert final["broadcast"]["unsolved"] == []
    first, second = running.ticket(unassigned), running.ticket(taken)
    assert (first["status"], first["assignee_id"], first["group_id"]) == ("solved", lead, group)
    assert (second["status"], second["assignee_id"]) == ("solved", other)  # the agent's choice stands
    assert all(sum(b.startswith(FINAL["en"]) for b in _public(running, t)) == 1 for t in (unassigned, taken))
    wait_for(lambda: running.ticket(problem_id)["status"] == "solved")


def test_a_wrong_solve_assignment_is_refused_at_declaration_and_survived_at_resolution(running, sandbox):
    body = {
        "title": "Checkout is down",
        "phrases": ["checkout fails"],
        "status_texts": {"en": "We are looking into it."},
        "solve_assignee_id": 424242424242,
    }
    refused = requests.post(f"{running.url}/api/v1/incidents", json=body, headers=AUTH, timeout=10)
    assert refused.status_code == 422, refused.text
    assert "Assignee: is invalid" in str(refused.json())
    hostile = requests.post(
        f"{running.url}/api/v1/incidents", json={**body, "solve_group_id": "1e9"}, headers=AUTH, timeout=10
    )
    assert hostile.status_code == 422 and "whole number" in str(hostile.json())

    incident_id, _, _ = declare_checkout_incident(running.services)
    ticket_id = running.create_ticket("checkout fails", email="someone@example.com")
    _linked(running, ticket_id)
    with running.services.db.transaction() as session:  # an agent deleted since the declaration
        get_incident(session, incident_id).solve_assignee_id = 424242424242
    _resolve(running, incident_id)
    final = wait_for(lambda: _broadcast_done(running, incident_id))
    assert sum(b.startswith(FINAL["en"]) for b in _public(running, ticket_id)) == 1
    [refusal] = final["broadcast"]["unsolved"]
    assert "Assignee: is invalid" in refusal["reason"]
