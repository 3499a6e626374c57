"""Read-only queries for the incident lifecycle pages, the dashboard and the lifecycle API."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain.moments import utc
from service.domain.states import LinkState
from service.domain.tickets import SOLVED_STATUSES
from service.models import AuditEntry, Incident, StatusUpdate, TicketLink

ACTIVE_BROADCASTS = ("queued", "running")
# The audit action of a ticket that got a resolution's final message but was not solved.
UNSOLVED_ACTION = "ticket.solve_refused"


def shadow_decisions(session: Session, incident_id: int, limit: int = 50) -> list[AuditEntry]:
    """What shadow mode decided and would have written: the "ticket.would_link" entries."""
    stmt = (
        select(AuditEntry)
        .where(
            AuditEntry.incident_id == incident_id,
            AuditEntry.shadow.is_(True),
            AuditEntry.action == "ticket.would_link",
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def unlinks_per_phrase(session: Session, incident_id: int) -> list[tuple[str, int]]:
    """Feedback on the rules: how many tickets each phrase linked that were unlinked again."""
    counts: Counter[str] = Counter()
    for evidence in session.scalars(
        select(TicketLink.evidence).where(
            TicketLink.incident_id == incident_id, TicketLink.state == LinkState.UNLINKED
        )
    ):
        counts.update(set((evidence or {}).get("phrases", [])))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def find_link(session: Session, incident_id: int, ticket_id: int) -> TicketLink | None:
    return session.scalars(
        select(TicketLink).where(TicketLink.incident_id == incident_id, TicketLink.ticket_id == ticket_id)
    ).first()


def find_status(session: Session, incident_id: int, version: int) -> StatusUpdate | None:
    return session.scalars(
        select(StatusUpdate).where(StatusUpdate.incident_id == incident_id, StatusUpdate.version == version)
    ).first()


def broadcast_progress(status: StatusUpdate) -> dict:
    """One status version's broadcast, as the progress bar and the API show it."""
    total, done = status.broadcast_total or 0, status.broadcast_done or 0
    return {
        "version": status.version,
        "state": status.broadcast_state,
        "total": total,
        "done": done,
        "percent": 100 if status.broadcast_state == "done" else (round(100 * done / total) if total else 0),
    }


def unsolved_tickets(session: Session, incident_id: int, limit: int = 500) -> dict[int, list[dict]]:
    """Per status version: the tickets that got its final message but that the helpdesk refused
    to solve, with the helpdesk's reason (``broadcast.record_unsolved`` writes them)."""
    found: dict[int, list[dict]] = {}
    for entry in session.scalars(
        select(AuditEntry)
        .where(AuditEntry.incident_id == incident_id, AuditEntry.action == UNSOLVED_ACTION)
        .order_by(AuditEntry.id)
        .limit(limit)
    ):
        version = int((entry.detail or {}).get("version") or 0)
        found.setdefault(version, []).append(
            {"ticket_id": entry.ticket_id, "reason": str((entry.detail or {}).get("reason") or "")}
        )
    return found


def resolve_result(status: StatusUpdate, unsolved: dict[int, list[dict]]) -> dict:
    """A broadcast's progress with, for a resolution, the tickets left unsolved and why."""
    progress = broadcast_progress(status)
    if status.stage == "resolved":
        progress["unsolved"] = unsolved.get(status.version, [])
    return progress


@dataclass(frozen=True)
class IncidentHealth:
    incident: Incident
    linked: int
    unsolved: int
    oldest_unsolved_at: datetime | None
    unlinked: int
    broadcasts_running: int


def incident_health(session: Session, incidents: list[Incident]) -> list[IncidentHealth]:
    """Per incident: linked, unsolved and the oldest unsolved link, unlinked (feedback), broadcasts."""
    ids = [incident.id for incident in incidents]
    linked: Counter[int] = Counter()
    unlinked: Counter[int] = Counter()
    for incident_id, state, count in session.execute(
        select(TicketLink.incident_id, TicketLink.state, func.count(TicketLink.id))
        .where(TicketLink.incident_id.in_(ids))
        .group_by(TicketLink.incident_id, TicketLink.state)
    ):
        if state == LinkState.LINKED:
            linked[incident_id] = count
        elif state == LinkState.UNLINKED:
            unlinked[incident_id] = count
    unsolved = {
        incident_id: (count, oldest)
        for incident_id, count, oldest in session.execute(
            # The customer's first contact: when the ticket was created (links recorded before
            # that was kept fall back to when they were linked).
            select(
                TicketLink.incident_id,
                func.count(TicketLink.id),
                func.min(func.coalesce(TicketLink.ticket_created_at, TicketLink.linked_at)),
            )
            .where(
                TicketLink.incident_id.in_(ids),
                TicketLink.state == LinkState.LINKED,
                TicketLink.ticket_status.not_in(sorted(SOLVED_STATUSES)),
            )
            .group_by(TicketLink.incident_id)
        )
    }
    running = dict(
        session.execute(
            select(StatusUpdate.incident_id, func.count(StatusUpdate.id))
            .where(StatusUpdate.incident_id.in_(ids), StatusUpdate.broadcast_state.in_(ACTIVE_BROADCASTS))
            .group_by(StatusUpdate.incident_id)
        ).all()
    )
    return [
        IncidentHealth(
            incident=incident,
            linked=linked[incident.id],
            unsolved=unsolved.get(incident.id, (0, None))[0],
            oldest_unsolved_at=_utc_or_none(unsolved.get(incident.id, (0, None))[1]),
            unlinked=unlinked[incident.id],
            broadcasts_running=running.get(incident.id, 0),
        )
        for incident in incidents
    ]


def _utc_or_none(moment: datetime | None) -> datetime | None:
    return utc(moment) if moment else None
