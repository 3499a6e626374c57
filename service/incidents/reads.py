"""Read-only queries the admin pages and the API need beyond service.incidents.store."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain.states import LinkState
from service.models import AuditEntry, TicketLink

# Integer primary keys are 32-bit in PostgreSQL; a larger id in a URL is simply not found.
MAX_ROW_ID = 2**31 - 1


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def linked_counts(session: Session) -> dict[int, int]:
    """Number of currently linked tickets per incident id."""
    stmt = (
        select(TicketLink.incident_id, func.count(TicketLink.id))
        .where(TicketLink.state == LinkState.LINKED)
        .group_by(TicketLink.incident_id)
    )
    return {incident_id: n for incident_id, n in session.execute(stmt)}  # noqa: C416 (as in inbox.store)


def link_times(session: Session, incident_id: int) -> list[datetime]:
    """When each of the incident's tickets was linked: all of them, for the hourly chart."""
    return list(session.scalars(select(TicketLink.linked_at).where(TicketLink.incident_id == incident_id)))


def audit_entries(session: Session, incident_id: int, limit: int = 50) -> list[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.incident_id == incident_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
