"""What a campaign is for. Pure.

- ``notice``: during the incident, telling affected customers before they write in. A customer
  who already wrote in gets it on their own ticket.
- ``follow_up`` and ``goodwill``: after the fact ("it works again", "a coupon for next time"),
  to people who may already have heard from us. Each is its own ticket, and their audience can
  be everyone affected: the customers who wrote in and those the notices reached.

The once-per-customer promise holds per purpose: a customer gets at most one notice, one
follow-up and one goodwill message about an incident.
"""

from __future__ import annotations

NOTICE, FOLLOW_UP, GOODWILL = "notice", "follow_up", "goodwill"
PURPOSES = (NOTICE, FOLLOW_UP, GOODWILL)


def answers_on_their_ticket(purpose: str) -> bool:
    """Whether a customer who wrote in gets the message on that ticket rather than a new one."""
    return purpose == NOTICE


def may_reach_everyone_affected(purpose: str) -> bool:
    return purpose != NOTICE


def external_id_suffix(purpose: str) -> str:
    """A notice keeps the external ids it always had; the others add their purpose."""
    return "" if purpose == NOTICE else f"-{purpose}"
