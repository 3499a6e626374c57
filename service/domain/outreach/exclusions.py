"""Who in the audience must not get a new outreach ticket, and why.

Pure. A customer who already wrote in about the incident gets the message on their own
ticket instead; an opted-out customer gets nothing; a customer already contacted about this
incident (by any campaign) is never contacted again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from service.domain.outreach.audience import Customer, customer_key

NEW_TICKET = "new_ticket"
EXISTING_TICKET = "existing_ticket"
OPTED_OUT = "opted_out"
ALREADY_CONTACTED = "already_contacted"


@dataclass(frozen=True)
class Routing:
    customer: Customer
    route: str  # new_ticket | existing_ticket | opted_out | already_contacted
    reason: str = ""
    ticket_id: int | None = None

    @property
    def sends(self) -> bool:
        return self.route in (NEW_TICKET, EXISTING_TICKET)


def route(
    customers: Iterable[Customer],
    *,
    linked_tickets: Mapping[str, int],
    opted_out_emails: Iterable[str],
    opt_out_tag: str,
    contacted: Mapping[str, str],
    tagged_emails: Iterable[str] = (),
) -> list[Routing]:
    """``linked_tickets``: customer key -> their ticket linked to the incident;
    ``contacted``: customer key -> where they were contacted before (a campaign's name);
    ``tagged_emails``: helpdesk users carrying the opt-out tag (CSV rows do not carry tags)."""
    opted_out = {customer_key(e) for e in opted_out_emails if e.strip()}
    tagged = {customer_key(e) for e in tagged_emails}
    routed = []
    for customer in customers:
        key = customer.key
        if key in contacted:
            routed.append(
                Routing(
                    customer, ALREADY_CONTACTED, f"already contacted about this incident ({contacted[key]})"
                )
            )
        elif key in opted_out:
            routed.append(Routing(customer, OPTED_OUT, "on the opt-out list"))
        elif opt_out_tag and (opt_out_tag in customer.tags or key in tagged):
            routed.append(Routing(customer, OPTED_OUT, f"tagged {opt_out_tag} in the helpdesk"))
        elif key in linked_tickets:
            ticket_id = linked_tickets[key]
            routed.append(
                Routing(
                    customer,
                    EXISTING_TICKET,
                    f"already wrote in about this incident: message goes on ticket #{ticket_id}",
                    ticket_id,
                )
            )
        else:
            routed.append(Routing(customer, NEW_TICKET))
    return routed
