"""Incident use cases shared by the admin UI, the REST API and the demo."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from integrations.base import HelpdeskError, HelpdeskPort
from service.audit import record
from service.domain.incidents import IncidentDraft, InvalidIncident, tag_for_title
from service.incidents.adopt import Deliver, adopt_problem_ticket, adoptable_problem
from service.incidents.status import publish_safely
from service.models import Incident, IncidentRule, StatusUpdate, TicketLink


def _unique_tag(session: Session, title: str) -> str:
    base = tag_for_title(title)
    taken = set(session.scalars(select(Incident.tag).where(Incident.tag.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


def declare_incident(
    session: Session,
    helpdesk: HelpdeskPort | None,
    draft: IncidentDraft,
    actor: str,
    *,
    deliver: Deliver | None = None,
) -> Incident:
    """Store the incident and open its problem ticket in the helpdesk, or adopt the draft's
    existing one (``deliver`` then hands its incident tickets to the inbox)."""
    adopted = None
    if draft.problem_ticket_id is not None:
        if deliver is None:
            raise ValueError("adopting a problem ticket needs the inbox to deliver its incidents to")
        adopted = adoptable_problem(session, helpdesk, draft.problem_ticket_id)
    tag = _unique_tag(session, draft.title)
    incident = Incident(
        title=draft.title,
        tag=tag,
        severity=draft.severity,
        default_locale=draft.default_locale,
        shadow_mode=draft.shadow_mode,
        affected_products=list(draft.affected_products),
        affected_regions=list(draft.affected_regions),
        started_at=draft.started_at,
        solve_group_id=draft.solve_group_id,
        solve_assignee_id=draft.solve_assignee_id,
    )
    incident.rules = [IncidentRule(kind="phrase", value=p) for p in draft.phrases]
    incident.status_updates = [
        StatusUpdate(version=1, stage="investigating", texts=dict(draft.status_texts), created_by=actor)
    ]
    session.add(incident)
    session.flush()
    if adopted is not None and helpdesk is not None and deliver is not None:
        adopt_problem_ticket(
            session=session,
            helpdesk=helpdesk,
            incident=incident,
            problem=adopted,
            deliver=deliver,
            actor=actor,
        )
    elif helpdesk is not None and not draft.shadow_mode:
        summary = draft.status_texts.get(draft.default_locale) or next(iter(draft.status_texts.values()))
        try:
            incident.problem_ticket_id = helpdesk.create_problem_ticket(
                subject=f"[Incident] {draft.title}",
                body=summary,
                tags=(tag, "incidentdesk_problem"),
                assignee_id=incident.solve_assignee_id,
                group_id=incident.solve_group_id,
            )
        except HelpdeskError as refused:
            assigned = draft.solve_assignee_id or draft.solve_group_id
            if refused.retryable or refused.status != 422 or not assigned:
                raise
            field = "solve_assignee_id" if draft.solve_assignee_id else "solve_group_id"
            raise InvalidIncident(
                {field: [f"Zendesk refused to assign the problem ticket there ({refused}). Check the ids."]}
            ) from refused
    publish_safely(session, helpdesk, incident, dict(draft.status_texts), actor=actor, version=1)
    record(
        session,
        "incident.declared",
        actor=actor,
        incident_id=incident.id,
        detail={
            "title": incident.title,
            "tag": tag,
            "phrases": list(draft.phrases),
            "problem_ticket_id": incident.problem_ticket_id,
            "adopted": adopted is not None,
        },
    )
    return incident


def list_incidents(session: Session) -> list[Incident]:
    stmt = select(Incident).options(selectinload(Incident.rules), selectinload(Incident.status_updates))
    return list(session.scalars(stmt.order_by(Incident.created_at.desc(), Incident.id.desc())))


def get_incident(session: Session, incident_id: int) -> Incident | None:
    stmt = (
        select(Incident)
        .where(Incident.id == incident_id)
        .options(selectinload(Incident.rules), selectinload(Incident.status_updates))
    )
    return session.scalars(stmt).first()


def linked_tickets(session: Session, incident_id: int, limit: int = 500) -> list[TicketLink]:
    stmt = (
        select(TicketLink)
        .where(TicketLink.incident_id == incident_id)
        .order_by(TicketLink.linked_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def active_incidents(session: Session) -> list[Incident]:
    stmt = (
        select(Incident)
        .where(Incident.state == "active")
        .options(selectinload(Incident.rules), selectinload(Incident.status_updates))
    )
    return list(session.scalars(stmt))


def set_solve_assignment(
    session: Session,
    helpdesk: HelpdeskPort | None,
    incident: Incident,
    group_id: int | None,
    assignee_id: int | None,
    *,
    actor: str,
) -> None:
    """Change where the incident assigns unassigned tickets to solve them. The agent must be one
    in the helpdesk (an end user cannot be assigned); HelpdeskError when that cannot be read."""
    if assignee_id is not None and helpdesk is not None:
        found = helpdesk.get_users([assignee_id])
        if not found or found[0].role not in ("agent", "admin"):
            raise InvalidIncident({"solve_assignee_id": [f"There is no agent {assignee_id} in Zendesk."]})
    incident.solve_group_id, incident.solve_assignee_id = group_id, assignee_id
    record(
        session,
        "incident.solve_assignment",
        actor=actor,
        incident_id=incident.id,
        detail={"group_id": group_id, "assignee_id": assignee_id},
    )
