"""The audit log: one row for every action IncidentDesk takes or, in shadow mode, would take."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from service.db import Database, delete_in_batches
from service.models import AuditEntry


def entry(
    action: str,
    *,
    actor: str = "incidentdesk",
    incident_id: int | None = None,
    ticket_id: int | None = None,
    delivery_id: int | None = None,
    shadow: bool = False,
    detail: dict | None = None,
) -> dict:
    """An audit row's values, for ``record_all``."""
    return {
        "action": action,
        "actor": actor,
        "incident_id": incident_id,
        "ticket_id": ticket_id,
        "delivery_id": delivery_id,
        "shadow": shadow,
        "detail": detail or {},
    }


def record(session: Session, action: str, **values) -> AuditEntry:
    """Add one row to the session (written with the session's next flush)."""
    row = AuditEntry(**entry(action, **values))
    session.add(row)
    return row


def record_all(session: Session, entries: list[dict]) -> None:
    """Write many rows at once: one statement, not one per row (the ORM writes rows with
    generated keys one by one on SQLite, to read each key back)."""
    if entries:
        session.execute(insert(AuditEntry), entries)


def purge(db: Database, *, older_than: datetime, batch_size: int = 500, max_batches: int = 20) -> int:
    """Delete audit entries from before ``older_than``, in short batches (see ``delete_in_batches``)."""
    return delete_in_batches(
        db,
        AuditEntry,
        AuditEntry.id,
        AuditEntry.at < older_than,
        batch_size=batch_size,
        max_batches=max_batches,
    )
