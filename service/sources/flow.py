"""What an incident source's delivery does, and the admin's one click on a proposal.

A delivery is read (``domain.sources.events``), decided (``domain.sources.decisions``), then
carried out with the lifecycle functions the admin UI and the API use: ``declare_incident``,
``post_status_update``, ``resolve_incident``, ``reopen_incident``. The caller (the inbox worker) runs it in the
transaction that completes the delivery, so a crash leaves the delivery to be done again, and
the unique key on ``source_incidents`` keeps a vendor incident from declaring twice.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from integrations.base import HelpdeskPort
from service import clock
from service.audit import record
from service.domain.errors import Conflict, NotFound
from service.domain.incidents import IncidentDraft
from service.domain.moments import utc
from service.domain.sources.decisions import (
    RESOLVED_TEXTS,
    Known,
    Plan,
    ProposalState,
    SourceRules,
    Step,
    plan,
    status_texts,
)
from service.domain.sources.drafts import InvalidSource
from service.domain.sources.events import SourceEvent, read_event
from service.incidents.status import post_status_update, reopen_incident, resolve_incident
from service.incidents.store import declare_incident, get_incident
from service.models import Incident, IncidentRule
from service.sources.models import IncidentSource, SourceIncident
from service.sources.store import get_seen

log = logging.getLogger("incidentdesk.sources")


class SeenElsewhere(Exception):
    """Another worker recorded the same vendor incident at the same moment: try again later."""


def _actor(source: IncidentSource) -> str:
    return f"source:{source.name}"[:120]


def _known(session: Session, seen: SourceIncident | None) -> Known | None:
    if seen is None:
        return None
    incident = session.get(Incident, seen.incident_id) if seen.incident_id else None
    current = incident.current_status if incident else None
    return Known(
        state=ProposalState(seen.state),
        incident_active=incident is not None and incident.state == "active",
        current_stage=current.stage if current else None,
        last_happened_at=utc(seen.happened_at) if seen.happened_at else None,
    )


def handle_delivery(
    session: Session, helpdesk: HelpdeskPort | None, *, source_id: int, payload: str, delivery_id: int
) -> bool:
    """Carry out one stored delivery; False when it changed nothing (its row is then 'ignored')."""
    source = session.get(IncidentSource, source_id)
    if source is None:  # deleted since the delivery was stored
        return False
    event = read_event(source.kind, payload.encode("utf-8"), {})
    seen = (
        session.scalar(
            select(SourceIncident).where(
                SourceIncident.source_id == source.id, SourceIncident.external_id == event.external_id
            )
        )
        if event.external_id
        else None
    )
    rules = SourceRules(
        auto_declare=source.auto_declare, auto_resolve=source.auto_resolve, covers=source.covers
    )
    step = plan(event, rules, _known(session, seen))
    if seen is None and step.step in (Step.DECLARE, Step.PROPOSE):
        seen = _reserve(session, source, event, step)
    incident_id = _carry_out(session, helpdesk, source, seen, step, _locale(source, event))
    if seen is not None and step.step != Step.IGNORE and event.happened_at is not None:
        seen.happened_at = event.happened_at
    record(
        session,
        "source.event",
        actor=_actor(source),
        incident_id=incident_id,
        delivery_id=delivery_id,
        detail={
            "source_id": source.id,
            "event_type": event.event_type,
            "external_id": event.external_id,
            "step": step.step.value,
            "reason": step.reason,
        },
    )
    return step.step != Step.IGNORE


def _reserve(session: Session, source: IncidentSource, event: SourceEvent, step: Plan) -> SourceIncident:
    seen = SourceIncident(
        source_id=source.id,
        external_id=event.external_id,
        state=ProposalState.PENDING,
        title=event.title or event.external_id,
        stage=step.stage or "investigating",
        text=step.text,
        locale=_locale(source, event),
    )
    try:
        with session.begin_nested():
            session.add(seen)
            session.flush()
    except IntegrityError:
        raise SeenElsewhere(f"{source.kind} incident {event.external_id} is being recorded by another worker")
    return seen


def _carry_out(
    session: Session,
    helpdesk: HelpdeskPort | None,
    source: IncidentSource,
    seen: SourceIncident | None,
    step: Plan,
    locale: str,
) -> int | None:
    if seen is None or step.step == Step.IGNORE:
        return seen.incident_id if seen else None
    actor = _actor(source)
    if step.step == Step.DECLARE:
        return declare_seen(session, helpdesk, source, seen, actor=actor).id
    if step.step in (Step.PROPOSE, Step.UPDATE_PROPOSAL):
        seen.stage = step.stage or seen.stage
        if step.text:
            seen.text, seen.locale = step.text, locale
        return None
    if step.step == Step.DISMISS_PROPOSAL:
        seen.state = ProposalState.DISMISSED
        return None
    incident = get_incident(session, seen.incident_id) if seen.incident_id else None
    if incident is None:
        return None
    if step.step == Step.REOPEN:
        reopen_incident(session, incident, actor=actor, helpdesk=helpdesk)
        if step.text:
            post_status_update(
                session,
                helpdesk,
                incident,
                step.stage or "investigating",
                status_texts({}, step.text, locale),
                broadcast=False,
                actor=actor,
            )
    elif step.step == Step.PROPOSE_RESOLUTION:
        seen.resolution_pending, seen.resolution_text, seen.locale = True, step.text, locale
    elif step.step == Step.RESOLVE:
        resolve_incident(session, helpdesk, incident, _final_texts(step.text, locale), actor=actor)
    else:
        previous = dict(incident.current_status.texts) if incident.current_status else {}
        post_status_update(
            session,
            helpdesk,
            incident,
            step.stage or "investigating",
            status_texts(previous, step.text, locale),
            broadcast=broadcasts(source, seen) and step.text is not None,
            actor=actor,
        )
    seen.stage = step.stage or seen.stage
    return incident.id


def broadcasts(source: IncidentSource, seen: SourceIncident) -> bool:
    """Whether the vendor's updates are broadcast at once: the lead's choice for the incident,
    else the source's default."""
    return source.broadcast_updates if seen.broadcast_updates is None else seen.broadcast_updates


def set_broadcast(session: Session, seen_id: int, choice: bool | None, *, actor: str) -> SourceIncident:
    """The lead's choice for one declared incident (None: back to the source's default)."""
    seen = session.get(SourceIncident, seen_id)
    if seen is None or seen.state != ProposalState.DECLARED:
        raise NotFound(f"There is no incident declared by a source with id {seen_id}.")
    seen.broadcast_updates = choice
    record(
        session,
        "source.broadcast_choice",
        actor=actor,
        incident_id=seen.incident_id,
        detail={"broadcast_updates": choice},
    )
    return seen


def _locale(source: IncidentSource, event: SourceEvent) -> str:
    """The language of the vendor's words: the sender's own (generic), else the source's."""
    return event.locale or source.locale


def _final_texts(text: str | None, locale: str) -> dict[str, str]:
    return {locale: text} if text else dict(RESOLVED_TEXTS)


def declare_seen(
    session: Session,
    helpdesk: HelpdeskPort | None,
    source: IncidentSource,
    seen: SourceIncident,
    *,
    actor: str,
) -> Incident:
    """Declare the vendor incident from the source's template: its rules, severity, languages and
    texts (the vendor's words replace the text in the vendor's language), where it solves
    tickets. It gets its own tag, problem ticket and status macro, as every incident does."""
    template = get_incident(session, source.template_incident_id) if source.template_incident_id else None
    if template is None:
        raise InvalidSource(
            {"template_incident_id": ["The source's template incident is gone; choose another."]}
        )
    # The template's last open status: a resolved template's final message is no start.
    open_statuses = [status for status in template.status_updates if status.stage != "resolved"]
    texts = dict(open_statuses[-1].texts) if open_statuses else {}
    if seen.text:
        texts[seen.locale] = seen.text
    draft = IncidentDraft(
        title=seen.title,
        phrases=(),
        status_texts=texts,
        severity=template.severity,
        default_locale=template.default_locale,
        affected_products=tuple(template.affected_products),
        affected_regions=tuple(template.affected_regions),
        started_at=clock.now(),
        solve_group_id=template.solve_group_id,
        solve_assignee_id=template.solve_assignee_id,
    )
    incident = declare_incident(session, helpdesk, draft, actor)
    incident.rules = [IncidentRule(kind=rule.kind, value=rule.value) for rule in template.rules]
    session.flush()
    if seen.stage not in ("investigating", "resolved"):
        post_status_update(session, helpdesk, incident, seen.stage, texts, broadcast=False, actor=actor)
    seen.state, seen.incident_id = ProposalState.DECLARED, incident.id
    log.info("source %s declared incident %s from its incident %s", source.id, incident.id, seen.external_id)
    return incident


def confirm(session: Session, helpdesk: HelpdeskPort | None, seen_id: int, *, actor: str) -> SourceIncident:
    """The admin's one click: declare the proposed incident, or resolve the one the vendor resolved."""
    seen = get_seen(session, seen_id)
    source = session.get(IncidentSource, seen.source_id)
    if source is None:
        raise Conflict("The proposal's source is gone.")
    if seen.state == ProposalState.PENDING:
        declare_seen(session, helpdesk, source, seen, actor=actor)
    elif seen.resolution_pending:
        incident = get_incident(session, seen.incident_id) if seen.incident_id else None
        if incident is not None and incident.state == "active":
            resolve_incident(
                session, helpdesk, incident, _final_texts(seen.resolution_text, seen.locale), actor=actor
            )
        seen.resolution_pending = False
    else:
        raise Conflict("Nothing waits for a click here any more.")
    record(
        session,
        "source.confirmed",
        actor=actor,
        incident_id=seen.incident_id,
        detail={"proposal_id": seen.id},
    )
    return seen


def dismiss(session: Session, seen_id: int, *, actor: str) -> SourceIncident:
    seen = get_seen(session, seen_id)
    if seen.state == ProposalState.PENDING:
        seen.state = ProposalState.DISMISSED
    elif seen.resolution_pending:
        seen.resolution_pending = False
    else:
        raise Conflict("Nothing waits for a click here any more.")
    record(
        session,
        "source.dismissed",
        actor=actor,
        incident_id=seen.incident_id,
        detail={"proposal_id": seen.id},
    )
    return seen
