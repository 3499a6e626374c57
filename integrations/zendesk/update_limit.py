"""Zendesk's bulk size (100 tickets a call) and its Update Ticket limit, as the adapter keeps to
them."""

from __future__ import annotations

from dataclasses import dataclass

from integrations.base import RequestBudget

BULK_LIMIT = 100


@dataclass(frozen=True)
class TicketUpdates:
    """Zendesk's Update Ticket limit as the adapter keeps to it. ``budget`` is our share of it,
    ``per_minute`` a minute: a ``PUT tickets/{id}`` takes one. On an account that counts each
    ticket of an ``update_many`` against the limit too (``counts_bulk_items``, the strict reading
    of what Zendesk leaves undocumented), every such ticket takes one, and a bulk update carries
    no more tickets than the share, since Zendesk would refuse one that cannot fit whole."""

    budget: RequestBudget
    per_minute: int
    counts_bulk_items: bool = False

    @property
    def bulk_update_limit(self) -> int:
        return min(BULK_LIMIT, self.per_minute) if self.counts_bulk_items else BULK_LIMIT
