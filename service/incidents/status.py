"""Status updates, resolution, reopening and shadow mode: what a support lead does during an incident.

Each status update is a new version. The helpdesk's dynamic content (and so the incident's
macro) is updated at once; newly linked tickets get the new text; a broadcast, when asked for,
is queued and carried out by the workers (``service.incidents.broadcast``) in bulk.
"""

from __future__ import annotations

import contextlib

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from integrations.base import Comment, HelpdeskError, HelpdeskNotFound, HelpdeskPort, TicketChange
from service import clock
from service.audit import record
from service.domain.errors import Conflict
from service.domain.incidents import InvalidIncident, clean_report_texts, clean_status
from service.domain.phrases import sentence
from service.domain.states import LinkState
from service.domain.status_text import helpdesk_status_text
from service.domain.text.locales import customer_locale, pick_text
from service.domain.tickets import SURVEY_PLACEHOLDER, version_tag
from service.models import Incident, StatusUpdate, TicketLink


class IncidentStateError(Conflict):
    """The incident is not in a state that allows this; the message says why."""


RESOLVED_NO_UPDATES = sentence(
    "incident.resolved_no_updates", "The incident is resolved; reopen it before posting a status update."
)
POSTED_MEANWHILE = sentence(
    "incident.posted_meanwhile",
    "Another status update was posted at the same moment; reload the page and post again if yours is still needed.",
)
ALREADY_RESOLVED = sentence("incident.already_resolved", "The incident is already resolved.")
ALREADY_ACTIVE = sentence("incident.already_active", "The incident is already active.")


def status_content_name(incident: Incident) -> str:
    return f"{incident.tag}_status"


def macro_title(incident: Incident) -> str:
    """The incident's status macro as agents find it in the helpdesk's macro list."""
    return f"Incident: {incident.title}"


def languages_used(incident: Incident, texts: dict[str, str]) -> list[str]:
    """The languages of this text, of every earlier status version and the incident's default."""
    written = [*texts, *(code for update in incident.status_updates for code in update.texts)]
    return sorted({customer_locale(code) or code for code in [*written, incident.default_locale]})


def publish_to_helpdesk(helpdesk: HelpdeskPort, incident: Incident, texts: dict[str, str]) -> None:
    """Keep the incident's dynamic content and macro in step with its current status. Every
    language the incident has used (any status version, its default) gets a variant, with the
    fallback text where this version has none, so agents applying the macro by hand always get
    the current text and no variant keeps an old one."""
    full = {
        locale: helpdesk_status_text(
            pick_text(texts, locale, incident.default_locale)[1],
            first_name_placeholder=helpdesk.requester_first_name_placeholder,
            incident_title=incident.title,
            status_time=clock.now(),
            status_page_url=incident.status_page_url,
        )
        for locale in languages_used(incident, texts)
    }
    item_id, placeholder = helpdesk.publish_status_content(
        status_content_name(incident), full, incident.default_locale, incident.dynamic_content_id
    )
    incident.dynamic_content_id = item_id
    incident.macro_id = helpdesk.ensure_status_macro(
        macro_title(incident), incident.tag, placeholder, incident.macro_id
    )


def publish_safely(
    session: Session,
    helpdesk: HelpdeskPort | None,
    incident: Incident,
    texts: dict[str, str],
    *,
    actor: str,
    version: int,
) -> None:
    """Publish unless in shadow mode; a helpdesk failure is recorded, not fatal: the status
    stands here, and the macro catches up with the next update."""
    if helpdesk is None or incident.shadow_mode:
        return
    try:
        publish_to_helpdesk(helpdesk, incident, texts)
    except HelpdeskError as exc:
        record(
            session,
            "macro.update_failed",
            actor=actor,
            incident_id=incident.id,
            detail={"version": version, "error": str(exc)},
        )


def post_status_update(
    session: Session,
    helpdesk: HelpdeskPort | None,
    incident: Incident,
    stage: str,
    texts: dict[str, str],
    *,
    broadcast: bool,
    actor: str,
) -> StatusUpdate:
    if incident.state != "active":
        raise IncidentStateError(RESOLVED_NO_UPDATES())
    stage, texts = clean_status(stage, texts)
    if stage == "resolved":
        raise InvalidIncident({"stage": ["Use “Resolve” to close the incident with a final message."]})
    return _new_version(session, helpdesk, incident, stage, texts, broadcast=broadcast, actor=actor)


def _new_version(
    session: Session,
    helpdesk: HelpdeskPort | None,
    incident: Incident,
    stage: str,
    texts: dict[str, str],
    *,
    broadcast: bool,
    actor: str,
    macro_texts: dict[str, str] | None = None,
) -> StatusUpdate:
    version = (
        session.scalar(select(func.max(StatusUpdate.version)).where(StatusUpdate.incident_id == incident.id))
        or 0
    ) + 1
    status = StatusUpdate(
        incident_id=incident.id,
        version=version,
        stage=stage,
        texts=texts,
        created_by=actor,
        broadcast_state="queued" if broadcast else "none",
    )
    try:
        with session.begin_nested():  # the version's unique key decides between simultaneous posts
            session.add(status)
            session.flush()
    except IntegrityError:
        raise IncidentStateError(POSTED_MEANWHILE()) from None
    publish_safely(session, helpdesk, incident, macro_texts or texts, actor=actor, version=version)
    record(
        session,
        "status.posted",
        actor=actor,
        incident_id=incident.id,
        detail={"version": version, "stage": stage, "languages": sorted(texts), "broadcast": broadcast},
    )
    return status


def resolve_incident(
    session: Session,
    helpdesk: HelpdeskPort | None,
    incident: Incident,
    texts: dict[str, str],
    *,
    actor: str,
    survey: bool = False,
    what_happened: dict[str, str] | None = None,
    prevention: dict[str, str] | None = None,
) -> StatusUpdate:
    """The final message goes to every linked unsolved ticket, which is then solved. The
    report's texts (what happened, what is done so it won't again) are kept for its page."""
    if incident.state != "active":
        raise IncidentStateError(ALREADY_RESOLVED())
    _, texts = clean_status("resolved", texts)
    report_texts = clean_report_texts(what_happened=what_happened, prevention=prevention)
    sent = {locale: f"{text}\n\n{SURVEY_PLACEHOLDER}" for locale, text in texts.items()} if survey else texts
    # The macro gets the final text without the survey: agents applying it by hand later should
    # not send a survey out of turn.
    status = _new_version(
        session, helpdesk, incident, "resolved", sent, broadcast=True, actor=actor, macro_texts=texts
    )
    incident.state = "resolved"
    incident.resolved_at = clock.now()
    incident.what_happened, incident.prevention = report_texts["what_happened"], report_texts["prevention"]
    incident.resolution_survey = survey
    record(
        session,
        "incident.resolved",
        actor=actor,
        incident_id=incident.id,
        detail={"version": status.version, "survey": survey},
    )
    return status


def reopen_incident(
    session: Session, incident: Incident, *, actor: str, helpdesk: HelpdeskPort | None = None
) -> None:
    """Active again. The last status before the resolution comes back as a new version, so it is
    current everywhere: the pipeline's answer to new tickets, the macro and its dynamic content,
    the list and the sidebar. Nobody is sent it again: the linked customers got the final
    message, and their tickets stay solved."""
    if incident.state == "active":
        raise IncidentStateError(ALREADY_ACTIVE())
    incident.state = "active"
    incident.resolved_at = None
    before = [s for s in incident.status_updates if s.stage != "resolved"]
    version = None
    if before:
        last_open = before[-1]
        version = _new_version(
            session, helpdesk, incident, last_open.stage, dict(last_open.texts), broadcast=False, actor=actor
        ).version
        session.expire(incident, ["status_updates"])
    record(session, "incident.reopened", actor=actor, incident_id=incident.id, detail={"version": version})


def set_shadow_mode(
    session: Session, incident: Incident, on: bool, *, actor: str, helpdesk: HelpdeskPort | None = None
) -> None:
    """Leaving shadow mode does what declaring skipped: the problem ticket, the status macro."""
    incident.shadow_mode = bool(on)
    if not on and helpdesk is not None:
        status = incident.current_status
        if incident.problem_ticket_id is None and status is not None:
            try:
                incident.problem_ticket_id = helpdesk.create_problem_ticket(
                    subject=f"[Incident] {incident.title}",
                    body=pick_text(status.texts, incident.default_locale)[1],
                    tags=(incident.tag, "incidentdesk_problem"),
                    assignee_id=incident.solve_assignee_id,
                    group_id=incident.solve_group_id,
                )
            except HelpdeskError as exc:
                record(
                    session,
                    "problem.create_failed",
                    actor=actor,
                    incident_id=incident.id,
                    detail={"error": str(exc)},
                )
        if status is not None and status.stage != "resolved":
            publish_safely(
                session, helpdesk, incident, dict(status.texts), actor=actor, version=status.version
            )
    record(session, "incident.shadow_mode", actor=actor, incident_id=incident.id, detail={"on": bool(on)})


def cancel_broadcast(session: Session, status: StatusUpdate, *, actor: str) -> None:
    if status.broadcast_state in ("queued", "running"):
        status.broadcast_state = "cancelled"
        record(
            session,
            "status.broadcast_cancelled",
            actor=actor,
            incident_id=status.incident_id,
            detail={"version": status.version, "done": status.broadcast_done},
        )


def unlink_in_helpdesk(
    session: Session, helpdesk: HelpdeskPort, link: TicketLink, incident: Incident, *, reason: str, actor: str
) -> None:
    """An unlink decided here (admin, agent's sidebar): undo the link in the helpdesk too, then
    record it. The tag, its version tag and the problem link go; an internal note says why."""
    versions = sorted({v for v in (link.status_version, link.pending_version) if v})
    tags = (incident.tag, *(version_tag(incident.tag, v) for v in versions))
    linked_to_problem = bool(incident.problem_ticket_id)
    with contextlib.suppress(HelpdeskNotFound):  # the ticket is gone from the helpdesk: nothing to undo there
        helpdesk.update_ticket(
            TicketChange(
                ticket_id=link.ticket_id,
                remove_tags=tags,
                clear_problem=linked_to_problem,
                type="question" if linked_to_problem else None,  # no longer an incident of the problem
                comment=Comment(
                    f"IncidentDesk: unlinked from the incident “{incident.title}” by {actor}. "
                    f"Reason: {reason}",
                    public=False,
                ),
            )
        )
    unlink_ticket(session, link, reason=reason, actor=actor)


def unlink_ticket(session: Session, link: TicketLink, *, reason: str, actor: str) -> None:
    """Record an unlink (by an agent in the helpdesk, or an admin here): it sticks."""
    session.execute(
        update(TicketLink)
        .where(TicketLink.id == link.id)
        .values(state=LinkState.UNLINKED, unlinked_at=clock.now(), unlink_reason=reason)
    )
    record(
        session,
        "ticket.unlinked",
        actor=actor,
        incident_id=link.incident_id,
        ticket_id=link.ticket_id,
        detail={"reason": reason, "phrases": (link.evidence or {}).get("phrases", [])},
    )
