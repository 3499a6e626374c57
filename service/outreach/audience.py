"""The audience from the helpdesk: users found by a search (a tag, an organisation, a user field),
and the customers who already have a ticket linked to the incident."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.base import HelpdeskPort, HelpdeskUser
from service.domain.errors import InvalidInput
from service.domain.outreach.audience import Customer, customer_key
from service.domain.outreach.purposes import NOTICE
from service.domain.phrases import sentence
from service.domain.states import LIVE_LINK_STATES
from service.models import TicketLink
from service.outreach.models import Recipient

TERM_VALUE = re.compile(r"^[\w.@\-]+$", re.UNICODE)
MAX_SEARCH_RESULTS = 50_000


class InvalidSearch(InvalidInput):
    pass


SEARCH_FIELD_UNNAMED = sentence(
    "audience.field_unnamed", "name the user field (its key, like product_bought)"
)
SEARCH_TAG_WORD = sentence(
    "audience.tag_word", "the tag must be one word without spaces or quotes: “{value}”"
)
SEARCH_ORGANIZATION_WORD = sentence(
    "audience.organization_word", "the organisation must be one word without spaces or quotes: “{value}”"
)
SEARCH_FIELD_WORD = sentence(
    "audience.field_word", "the user field value must be one word without spaces or quotes: “{value}”"
)


def search_query(*, tag: str = "", organization: str = "", field_key: str = "", field_value: str = "") -> str:
    """A helpdesk user search from the form's parts; each part must be one plain word."""
    terms = []
    for what, key, value in (
        (SEARCH_TAG_WORD, "tags", tag),
        (SEARCH_ORGANIZATION_WORD, "organization", organization),
        (SEARCH_FIELD_WORD, field_key.strip(), field_value),
    ):
        value = value.strip()
        if not value:
            continue
        if not key or not TERM_VALUE.match(key):
            raise InvalidSearch(SEARCH_FIELD_UNNAMED())
        if not TERM_VALUE.match(value):
            raise InvalidSearch(what(value=value))
        terms.append(f"{key}:{value}")
    return " ".join(terms)


def _customer(user: HelpdeskUser) -> Customer:
    return Customer(
        email=user.email or "",
        name=user.name,
        locale=user.locale,
        helpdesk_user_id=user.id,
        tags=user.tags,
        source="search",
    )


def search_customers(helpdesk: HelpdeskPort, query: str) -> tuple[list[Customer], int]:
    """Users the search finds, as customers; and how many were left out for having no email."""
    users = helpdesk.search_users(query, limit=MAX_SEARCH_RESULTS)
    with_email = [_customer(u) for u in users if u.email]
    return with_email, len(users) - len(with_email)


def opted_out_by_tag(helpdesk: HelpdeskPort, tag: str) -> set[str]:
    """Emails of the helpdesk users carrying the opt-out tag: one search, however large the CSV."""
    if not tag or not TERM_VALUE.match(tag):
        return set()
    return {u.email for u in helpdesk.search_users(f"tags:{tag}", limit=MAX_SEARCH_RESULTS) if u.email}


def linked_requesters(session: Session, helpdesk: HelpdeskPort, incident_id: int) -> dict[str, int]:
    """Customer key -> the newest ticket of theirs linked to the incident (they wrote in already)."""
    rows = session.execute(
        select(TicketLink.requester_id, TicketLink.ticket_id)
        .where(
            TicketLink.incident_id == incident_id,
            TicketLink.state.in_(LIVE_LINK_STATES),
            TicketLink.requester_id.is_not(None),
        )
        .order_by(TicketLink.ticket_id)
    ).all()
    newest = dict(rows)
    if not newest:
        return {}
    users = helpdesk.get_users(list(newest))
    return {customer_key(u.email): newest[u.id] for u in users if u.email}


def affected_customers(session: Session, helpdesk: HelpdeskPort, incident_id: int) -> list[Customer]:
    """Everyone the incident touched: the requesters of its linked tickets (as the helpdesk knows
    them) and the customers its notices reached, each once."""
    requester_ids = sorted(
        set(
            session.scalars(
                select(TicketLink.requester_id).where(
                    TicketLink.incident_id == incident_id,
                    TicketLink.requester_id.is_not(None),
                    TicketLink.state.in_(LIVE_LINK_STATES),
                )
            )
        )
    )
    wrote_in = [
        Customer(
            email=u.email, name=u.name, locale=u.locale, helpdesk_user_id=u.id, tags=u.tags, source="linked"
        )
        for u in (helpdesk.get_users(requester_ids) if requester_ids else [])
        if u.email
    ]
    reached = [
        Customer(
            email=r.email, name=r.name, locale=r.locale, helpdesk_user_id=r.helpdesk_user_id, source="notice"
        )
        for r in session.scalars(
            select(Recipient).where(
                Recipient.incident_id == incident_id, Recipient.purpose == NOTICE, Recipient.state == "sent"
            )
        )
    ]
    return [*wrote_in, *reached]
