"""The customer at a glance, for the agent reading a linked ticket's internal note. Pure.

Who they are to us (customer since, organisation, VIP), how often they wrote lately (the
helpdesk's count of their tickets of the last 90 days, and how many are open) and about an
incident, and whether outreach already reached them and with what (a coupon code): the agent
answers knowing it, and never offers twice what a campaign already gave.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from service.domain.linking.facts import EarlierTickets, TicketFacts
from service.domain.linking.triage_rules import VIP_TAG
from service.domain.text.templates import inert
from service.domain.tickets import SOLVED_STATUSES


@dataclass(frozen=True)
class Reached:
    """An outreach campaign of the incident that reached the customer."""

    campaign: str
    coupon: str | None = None


RECENT_DAYS = 90  # "earlier tickets" counts the requester's tickets of this many days


def earlier_tickets(ticket_id: int, statuses: Mapping[int, str], complete: bool = True) -> EarlierTickets:
    """From the requester's recent tickets (id -> status), those other than ``ticket_id``."""
    others = [status for other, status in statuses.items() if other != ticket_id]
    return EarlierTickets(
        total=len(others),
        open=sum(status not in SOLVED_STATUSES for status in others),
        at_least=not complete,
    )


def _recent(earlier: EarlierTickets) -> str:
    if not earlier.total:
        return f"no other tickets in the last {RECENT_DAYS} days"
    floor = "at least " if earlier.at_least else ""
    plural = "s" if earlier.total != 1 else ""
    return f"{floor}{earlier.total} ticket{plural} in the last {RECENT_DAYS} days, {earlier.open} open"


def at_a_glance(
    ticket: TicketFacts, signal_tags: tuple[str, ...], earlier_contacts: int, reached: tuple[Reached, ...]
) -> str:
    """One line: 'The customer: since 2024-03-01 · organisation “Acme” · VIP · 3 tickets in the
    last 90 days, 2 open · 2 earlier tickets about incidents · reached by outreach “Sorry”
    (coupon SORRY-AB12-CD34).'"""
    parts = []
    if ticket.customer_since is not None:
        parts.append(f"since {ticket.customer_since:%Y-%m-%d}")
    if ticket.organization_name:
        parts.append(f"organisation “{inert(ticket.organization_name)}”")
    if VIP_TAG in signal_tags:
        parts.append("VIP")
    if ticket.earlier_tickets is not None:
        parts.append(_recent(ticket.earlier_tickets))
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
