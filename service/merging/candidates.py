"""Tickets as the merge policy sees them, read through the helpdesk port: the merge stage's
candidates and the two tickets of a suggestion an agent confirms."""

from __future__ import annotations

from integrations.base import HelpdeskOrganization, HelpdeskPort, HelpdeskTicket, HelpdeskUser
from service import clock
from service.domain.merging.policy import Candidate


def ticket_text(ticket: HelpdeskTicket) -> str:
    """What duplicates are compared on."""
    return f"{ticket.subject}\n{ticket.description}"


def load_live(
    helpdesk: HelpdeskPort,
    ticket_ids: set[int],
    users: dict[int, HelpdeskUser],
    orgs: dict[int, HelpdeskOrganization],
) -> dict[int, HelpdeskTicket]:
    """The tickets as the helpdesk has them now; their requesters and organisations are added to
    ``users`` and ``orgs`` (those already there are not read again)."""
    live = {t.id: t for t in helpdesk.get_tickets(sorted(ticket_ids))}
    missing = {t.requester_id for t in live.values() if t.requester_id and t.requester_id not in users}
    if missing:
        users.update({u.id: u for u in helpdesk.get_users(sorted(missing))})
    missing_orgs = {
        t.organization_id for t in live.values() if t.organization_id and t.organization_id not in orgs
    }
    if missing_orgs:
        orgs.update({o.id: o for o in helpdesk.get_organizations(sorted(missing_orgs))})
    return live


def as_candidate(
    ticket: HelpdeskTicket,
    incident_id: int | None,
    users: dict[int, HelpdeskUser],
    orgs: dict[int, HelpdeskOrganization],
    answered: set[int],
) -> Candidate:
    """``answered``: the ids of tickets an agent has replied to publicly."""
    user = users.get(ticket.requester_id) if ticket.requester_id else None
    org = orgs.get(ticket.organization_id) if ticket.organization_id else None
    return Candidate(
        id=ticket.id,
        requester_id=ticket.requester_id,
        status=ticket.status,
        created_at=ticket.created_at or clock.now(),
        organization_id=ticket.organization_id,
        requester_tags=user.tags if user else (),
        requester_name=user.name if user else "",
        requester_locale=user.locale if user else None,
        channel=ticket.channel,
        tags=ticket.tags,
        incident_id=incident_id,
        custom_fields=ticket.custom_fields,
        agent_replied_publicly=ticket.id in answered,
        is_public=ticket.is_public,
        organization_tags=org.tags if org else (),
    )
