"""The audit log: one row for every action IncidentDesk takes or, in shadow mode, would take."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.models import AuditEntry


def record(
    session: Session,
    action: str,
    *,
    actor: str = "incidentdesk",
    incident_id: int | None = None,
    ticket_id: int | None = None,
    delivery_id: int | None = None,
    shadow: bool = False,
    detail: dict | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        action=action,
        actor=actor,
        incident_id=incident_id,
        ticket_id=ticket_id,
        delivery_id=delivery_id,
        shadow=shadow,
        detail=detail or {},
    )
    session.add(entry)
    return entry
