"""The customer at a glance, for the agent reading a linked ticket's internal note. Pure.

Who they are to us (customer since, organisation, VIP), how often they have written about an
incident, and whether outreach already reached them and with what (a coupon code): the agent
answers knowing it, and never offers twice what a campaign already gave.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.domain.linking.facts import TicketFacts
from service.domain.linking.triage_rules import VIP_TAG
from service.domain.text.templates import inert


@dataclass(frozen=True)
class Reached:
    """An outreach campaign of the incident that reached the customer."""

    campaign: str
    coupon: str | None = None


def at_a_glance(
    ticket: TicketFacts, signal_tags: tuple[str, ...], earlier_contacts: int, reached: tuple[Reached, ...]
) -> str:
    """One line: 'The customer: since 2024-03-01 · organisation “Acme” · VIP · 2 earlier tickets
    about incidents · reached by outreach “Sorry” (coupon SORRY-AB12-CD34).'"""
    parts = []
    if ticket.customer_since is not None:
        parts.append(f"since {ticket.customer_since:%Y-%m-%d}")
    if ticket.organization_name:
        parts.append(f"organisation “{inert(ticket.organization_name)}”")
    if VIP_TAG in signal_tags:
        parts.append("VIP")
    parts.append(
        "first ticket about an incident"
        if not earlier_contacts
        else f"{earlier_contacts} earlier ticket{'s' if earlier_contacts != 1 else ''} about incidents"
    )
    for gift in reached:
        coupon = f" (coupon {inert(gift.coupon)})" if gift.coupon else ""
        parts.append(f"reached by outreach “{inert(gift.campaign)}”{coupon}")
    if not reached:
        parts.append("not reached by outreach")
    return "The customer: " + " · ".join(parts) + "."
