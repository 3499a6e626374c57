"""Read-only queries the admin pages and the API need beyond service.incidents.store."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from service.domain.moments import utc
from service.domain.states import LinkState
from service.models import AuditEntry, TicketLink

# Integer primary keys are 32-bit in PostgreSQL; a larger id in a URL is simply not found.
MAX_ROW_ID = 2**31 - 1


def links_per_hour(session: Session, incident_ids: list[int], hours: int) -> dict[datetime, int]:
    """Tickets of these incidents linked in each UTC hour, over the ``hours`` up to the latest
    link: counted by the database along the (incident, linked_at) index, so the chart costs the
    same after a hundred thousand links as after ten."""
    recorded = (TicketLink.incident_id.in_(incident_ids), TicketLink.state != LinkState.APPLYING)
    latest = session.scalar(select(func.max(TicketLink.linked_at)).where(*recorded))
    if latest is None:
        return {}
    since = utc(latest).replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    if session.get_bind().dialect.name == "sqlite":  # stored as ISO text, in UTC
        hour = func.strftime("%Y-%m-%d %H:00:00", TicketLink.linked_at)
    else:
        hour = func.date_trunc("hour", func.timezone("UTC", TicketLink.linked_at))
    rows = session.execute(
        select(hour, func.count()).where(*recorded, TicketLink.linked_at >= since).group_by(hour)
    )
    return {_hour(start): count for start, count in rows}


def _hour(start: datetime | str) -> datetime:
    return utc(datetime.fromisoformat(start) if isinstance(start, str) else start)


AUDIT_PAGE = 50


def audit_page(
    session: Session, incident_id: int, before_id: int | None = None, limit: int = AUDIT_PAGE
) -> tuple[list[AuditEntry], bool]:
    """The incident's audit entries, newest first: ``limit`` of them from just before the entry
    ``before_id`` (from the newest without it), and whether older ones remain."""
    stmt = select(AuditEntry).where(AuditEntry.incident_id == incident_id)
    cursor = session.get(AuditEntry, before_id) if before_id else None
    if cursor is not None:
        stmt = stmt.where(
            or_(AuditEntry.at < cursor.at, and_(AuditEntry.at == cursor.at, AuditEntry.id < cursor.id))
        )
    stmt = stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit + 1)
    entries = list(session.scalars(stmt))
    return entries[:limit], len(entries) > limit
