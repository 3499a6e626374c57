"""What the reconciler decides without the database: the inbox key a ticket's change is stored
under, how far the feed is complete after a page, and how far behind that is."""

from __future__ import annotations

from datetime import datetime

# A reconciled ticket is handled like a webhook's "a ticket changed": the pipeline reads it again.
EVENT_TYPE = "ticket.changed"


def delivery_key(ticket_id: int, updated_at: datetime) -> str:
    """One key per ticket and change: reading the same page again (a crash before the cursor was
    saved, two overlapping runs) stores nothing twice, while a later change is a new delivery."""
    return f"export:{ticket_id}:{int(updated_at.timestamp())}"


def synced_after_page(
    previous: datetime | None, newest_change: datetime | None, complete_until: datetime | None
) -> datetime | None:
    """Every change before the returned instant is in the inbox: the feed's own word at the end
    of the stream, else the newest change read so far (pages come oldest first)."""
    candidates = [t for t in (previous, newest_change, complete_until) if t is not None]
    return max(candidates) if candidates else None


def lag_seconds(now: datetime, synced_until: datetime | None) -> float | None:
    """How long ago the newest change the inbox surely has was made; None before the first run."""
    return None if synced_until is None else max(0.0, (now - synced_until).total_seconds())
