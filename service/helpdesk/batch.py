"""What the helpdesk told the pipeline about a batch of tickets once loaded; handed to every stage."""

from __future__ import annotations

from dataclasses import dataclass

from integrations.base import HelpdeskOrganization, HelpdeskTicket, HelpdeskUser
from service.domain.linking.facts import IncidentFacts, TicketFacts
from service.domain.text.reply_language import DetectedLanguage


@dataclass(frozen=True)
class BatchContext:
    tickets: dict[int, HelpdeskTicket]
    facts: dict[int, TicketFacts]
    users: dict[int, HelpdeskUser]
    organizations: dict[int, HelpdeskOrganization]
    incidents: dict[int, IncidentFacts]
    known_links: dict[int, frozenset[int]]  # ticket id -> incidents it is (or was) linked to
    delivery_ids: dict[int, list[int]]  # ticket id -> the inbox deliveries about it


def requester_locale(requester: HelpdeskUser | None) -> str | None:
    return requester.locale if requester else None


def ticket_facts(
    ticket: HelpdeskTicket,
    requester: HelpdeskUser | None,
    organization: HelpdeskOrganization | None,
    *,
    account_locale: str | None = None,
    detected_language: DetectedLanguage | None = None,
) -> TicketFacts:
    return TicketFacts(
        id=ticket.id,
        subject=ticket.subject,
        description=ticket.description,
        status=ticket.status,
        requester_id=ticket.requester_id,
        requester_locale=requester_locale(requester),
        requester_name=requester.name if requester else "",
        requester_email=requester.email if requester else None,
        requester_tags=requester.tags if requester else (),
        organization_tags=organization.tags if organization else (),
        tags=ticket.tags,
        type=ticket.type,
        problem_id=ticket.problem_id,
        priority=ticket.priority,
        channel=ticket.channel,
        organization_id=ticket.organization_id,
        brand_id=ticket.brand_id,
        form_id=ticket.form_id,
        created_at=ticket.created_at,
        custom_fields=ticket.custom_fields,
        account_locale=account_locale,
        detected_language=detected_language,
        customer_since=requester.created_at if requester else None,
        organization_name=organization.name if organization else "",
        requester_fields=dict(requester.fields) if requester else {},
        organization_fields=dict(organization.fields) if organization else {},
    )
