"""An adopted problem ticket's incidents into the inbox (``service.incidents.adopt`` is handed
this as its ``deliver``, so the incidents room does not import the inbox)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from service.domain import adoption
from service.inbox.store import store_incident_tickets


def store_adopted_tickets(session: Session, incident_id: int, ticket_ids: Sequence[int]) -> int:
    """Each ticket under its adoption key (incident and ticket); returns how many were new."""
    return store_incident_tickets(
        session,
        ticket_ids,
        delivery_key=lambda ticket_id: adoption.delivery_key(incident_id, ticket_id),
        payload={"adopted_by_incident_id": incident_id},
    )
