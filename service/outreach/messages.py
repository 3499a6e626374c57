"""What one chunk of recipients is sent: new tickets for new customers, a public comment on
their own ticket for customers who already wrote in."""

from __future__ import annotations

from dataclasses import dataclass

from integrations.base import Comment, NewTicket, TicketChange
from service.domain.outreach.audience import Customer
from service.domain.outreach.messages import Message, render_for
from service.models import Incident
from service.outreach.models import Campaign, Recipient

OUTREACH_TAG = "incidentdesk_outreach"


def marker_tag(campaign_id: int) -> str:
    """Every ticket a campaign writes carries it: how an uncertain comment is checked."""
    return f"incidentdesk_outreach_{campaign_id}"


@dataclass(frozen=True)
class CampaignContext:
    campaign_id: int
    messages: dict[str, Message]
    default_locale: str
    incident_title: str
    incident_tag: str
    problem_id: int | None
    vip_priority: str | None
    status_texts: dict[str, str]
    status_page_url: str
    tags: tuple[str, ...]
    group_id: int | None = None
    sender_id: int | None = None

    @classmethod
    def load(cls, campaign: Campaign, incident: Incident) -> CampaignContext:
        status = incident.current_status
        return cls(
            campaign_id=campaign.id,
            messages={k: Message(v["subject"], v["body"]) for k, v in campaign.messages.items()},
            default_locale=campaign.default_locale,
            incident_title=incident.title,
            incident_tag=incident.tag,
            problem_id=incident.problem_ticket_id,
            vip_priority=campaign.vip_priority,
            status_texts=dict(status.texts) if status else {},
            status_page_url=incident.status_page_url,
            tags=(incident.tag, OUTREACH_TAG, marker_tag(campaign.id), *campaign.tags),
            group_id=campaign.group_id,
            sender_id=campaign.sender_id,
        )


def customer_of(recipient: Recipient) -> Customer:
    return Customer(
        email=recipient.email,
        name=recipient.name,
        locale=recipient.locale,
        external_ref=recipient.external_ref,
        fields=tuple((recipient.fields or {}).items()),
    )


def _rendered(context: CampaignContext, recipient: Recipient):
    return render_for(
        context.messages,
        customer_of(recipient),
        default_locale=context.default_locale,
        incident_title=context.incident_title,
        status_texts=context.status_texts,
        status_page_url=context.status_page_url,
        coupon=recipient.coupon_code,
    )


def new_ticket(context: CampaignContext, recipient: Recipient) -> NewTicket:
    """An incident ticket of the incident's problem, with its tag, so the customer's reply is linked;
    VIPs get the campaign's priority."""
    text = _rendered(context, recipient)
    return NewTicket(
        subject=text.subject,
        comment=Comment(text.body, public=True),
        requester_email=recipient.email,
        requester_name=recipient.name or recipient.email,
        requester_locale=recipient.locale or None,
        tags=context.tags,
        type="incident",
        problem_id=context.problem_id,
        priority=context.vip_priority if recipient.vip else None,
        external_id=recipient.external_id,
        group_id=context.group_id,
        submitter_id=context.sender_id,
    )


def comment_on_own_ticket(context: CampaignContext, recipient: Recipient) -> TicketChange:
    text = _rendered(context, recipient)
    return TicketChange(
        ticket_id=int(recipient.ticket_id), add_tags=context.tags, comment=Comment(text.body, public=True)
    )
