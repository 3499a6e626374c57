"""An adopted problem ticket's incidents into the inbox (``service.incidents.adopt`` is handed
this as its ``deliver``, so the incidents room does not import the inbox)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy.orm import Session

from service.domain import adoption, reconcile
from service.inbox.store import store


def store_adopted_tickets(session: Session, incident_id: int, ticket_ids: Sequence[int]) -> int:
    """Each ticket stored like a "ticket changed" under its adoption key (incident and ticket),
    so the pipeline links and answers it as any other; returns how many were new."""
    new = 0
    for ticket_id in ticket_ids:
        _, stored = store(
            session,
            delivery_key=adoption.delivery_key(incident_id, ticket_id),
            event_type=reconcile.EVENT_TYPE,
            ticket_id=ticket_id,
            payload=json.dumps({"ticket_id": ticket_id, "adopted_by_incident_id": incident_id}),
        )
        new += stored
    return new
