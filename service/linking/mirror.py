"""Keep linked tickets' status current, and notice when an agent undoes a link in the helpdesk."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.base import HelpdeskTicket
from service.domain.linking.facts import IncidentFacts
from service.domain.states import LinkState
from service.incidents.status import unlink_ticket
from service.models import TicketLink


def agent_unlink_reason(ticket: HelpdeskTicket, incident: IncidentFacts) -> str | None:
    if incident.tag not in ticket.tags:
        return f"the tag {incident.tag} was removed in the helpdesk"
    if incident.problem_ticket_id and ticket.problem_id != incident.problem_ticket_id:
        return "the link to the problem ticket was removed in the helpdesk"
    return None


def mirror_linked_tickets(
    session: Session, tickets: Mapping[int, HelpdeskTicket], incidents: Mapping[int, IncidentFacts]
) -> None:
    """For every confirmed link among these tickets: copy the ticket's status; for active
    incidents, record an agent's unlink (it sticks and counts as feedback on the rule)."""
    if not tickets:
        return
    links = session.scalars(
        select(TicketLink).where(
            TicketLink.ticket_id.in_(list(tickets)), TicketLink.state == LinkState.LINKED
        )
    )
    for link in links:
        ticket = tickets[link.ticket_id]
        link.ticket_status = ticket.status
        incident = incidents.get(link.incident_id)
        reason = agent_unlink_reason(ticket, incident) if incident else None
        if reason:
            unlink_ticket(session, link, reason=reason, actor="helpdesk agent")
