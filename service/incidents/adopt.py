"""Declaring an incident from an existing problem ticket: agents often open the problem ticket
before anyone tells the support lead (issue 11).

Instead of opening a problem ticket, the incident takes over the one named: refused when it
does not exist, is no problem, is closed, or belongs to another incident. Its incident tickets
are read through the port and handed to the inbox under ``domain.adoption.delivery_key``, so the
pipeline links and answers each once, as it does a backfill's; the pipeline's problem-link rule
(``domain.linking.decisions``) links them, and any ticket an agent puts under the problem later.
The problem ticket is written last (the incident's tag and an internal note), after every read
and store that could still fail and roll the declaration back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from integrations.base import Comment, HelpdeskPort, HelpdeskTicket, TicketChange
from service.audit import record
from service.domain.adoption import (
    ADOPTED_TAG,
    NO_HELPDESK,
    adoption_note,
    owner_refusal,
    ticket_refusal,
)
from service.domain.incidents import InvalidIncident
from service.models import Incident

FIELD = "problem_ticket_id"
PROBLEM_TAG = "incidentdesk_problem"  # as on the problem tickets IncidentDesk opens itself

# Stores (incident id, ticket ids) in the inbox in the given transaction; returns how many were
# new. The web layer passes the inbox's own, as the worker does for a backfill, so this room
# does not import the inbox.
Deliver = Callable[[Session, int, Sequence[int]], int]


def adoptable_problem(session: Session, helpdesk: HelpdeskPort | None, ticket_id: int) -> HelpdeskTicket:
    """The problem ticket, read from the helpdesk, if a new incident may adopt it; otherwise
    ``InvalidIncident`` (no such ticket, not a problem, closed) or ``ProblemTicketTaken``."""
    owner = session.execute(
        select(Incident.id, Incident.state).where(Incident.problem_ticket_id == ticket_id)
    ).first()
    if owner is not None:
        raise owner_refusal(ticket_id, owner.id, owner.state)
    if helpdesk is None:
        raise InvalidIncident({FIELD: [NO_HELPDESK()]})
    found = helpdesk.get_tickets([ticket_id])
    ticket = found[0] if found else None
    refusal = ticket_refusal(
        ticket_id,
        found=ticket is not None,
        ticket_type=ticket.type if ticket else None,
        status=ticket.status if ticket else None,
    )
    if refusal is not None:
        raise InvalidIncident({FIELD: [refusal]})
    assert ticket is not None  # ticket_refusal refuses a missing ticket
    return ticket


def adopt_problem_ticket(
    *,
    session: Session,
    helpdesk: HelpdeskPort,
    incident: Incident,
    problem: HelpdeskTicket,
    deliver: Deliver,
    actor: str,
) -> int:
    """Make ``problem`` the incident's problem ticket and queue its incidents; returns how many."""
    try:
        with session.begin_nested():
            incident.problem_ticket_id = problem.id
            session.flush()
    except IntegrityError:  # another declaration adopted it at the same moment
        incident.problem_ticket_id = None
        owner = session.execute(
            select(Incident.id, Incident.state).where(Incident.problem_ticket_id == problem.id)
        ).first()
        raise owner_refusal(
            problem.id, owner.id if owner else 0, owner.state if owner else "active"
        ) from None
    ticket_ids = [t.id for t in helpdesk.problem_incidents(problem.id)]
    stored = deliver(session, incident.id, ticket_ids)
    helpdesk.update_ticket(
        TicketChange(
            ticket_id=problem.id,
            add_tags=(incident.tag, PROBLEM_TAG, ADOPTED_TAG),
            comment=Comment(
                adoption_note(title=incident.title, tag=incident.tag, actor=actor, incidents=len(ticket_ids)),
                public=False,
            ),
        )
    )
    record(
        session,
        "incident.adopted",
        actor=actor,
        incident_id=incident.id,
        detail={"problem_ticket_id": problem.id, "incident_tickets": len(ticket_ids), "newly_stored": stored},
    )
    return len(ticket_ids)
