"""An agent links a ticket to an active incident by hand (from the Zendesk sidebar).

The same effect as an automatic link: the incident's tag and version tag, type ``incident``
with the problem ticket as ``problem_id``, the current status as a public reply in the
requester's language. The link row is written before the helpdesk is (unique per incident and
ticket), so a worker linking the same ticket at the same moment backs off; a helpdesk failure
rolls it back with the caller's transaction. A ticket that already got this status version is
not answered again.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from integrations.base import Comment, HelpdeskPort, TicketChange
from service import clock
from service.audit import record
from service.domain.errors import Conflict, InvalidInput, NotFound
from service.domain.phrases import sentence
from service.domain.states import LIVE_LINK_STATES, LinkState
from service.domain.text.locales import pick_text
from service.domain.text.reply_language import LanguageDetector, reply_language
from service.domain.tickets import version_tag
from service.incidents.broadcast import status_comment
from service.language_detection import written_language
from service.models import Incident, TicketLink

RESOLVED = sentence(
    "link.incident_resolved", "The incident “{title}” is resolved; only active incidents take links."
)
SHADOW = sentence("link.incident_shadow", "The incident “{title}” is in shadow mode: it changes no tickets.")
NO_STATUS = sentence("link.incident_without_status", "The incident “{title}” has no status text yet.")
LINKED_ELSEWHERE = sentence(
    "link.linked_elsewhere",
    "Ticket #{ticket_id} is already linked to the incident “{title}”. Unlink it first.",
)
NO_SUCH_TICKET = sentence(
    "link.no_such_ticket", "Zendesk has no ticket #{ticket_id} (deleted, or not visible to us)."
)
PROBLEM_TICKET = sentence("link.problem_ticket", "A problem ticket cannot be linked to an incident.")
CLOSED_TICKET = sentence(
    "link.closed_ticket", "Ticket #{ticket_id} is closed; Zendesk does not allow changing it."
)
BEING_LINKED = sentence(
    "link.being_linked", "Ticket #{ticket_id} is being linked right now; reload in a moment."
)


def _check_incident(incident: Incident) -> None:
    if incident.state != "active":
        raise Conflict(RESOLVED(title=incident.title))
    if incident.shadow_mode:
        raise Conflict(SHADOW(title=incident.title))
    if incident.current_status is None:
        raise Conflict(NO_STATUS(title=incident.title))


def _existing_link(session: Session, incident: Incident, ticket_id: int) -> TicketLink | None:
    """Respect a live link to any incident; return an earlier unlink from this one to reuse."""
    links = list(session.scalars(select(TicketLink).where(TicketLink.ticket_id == ticket_id)))
    for link in links:
        if link.state in LIVE_LINK_STATES:
            other = session.get(Incident, link.incident_id)
            title = other.title if other else f"#{link.incident_id}"
            raise Conflict(LINKED_ELSEWHERE(ticket_id=ticket_id, title=title))
    return next((link for link in links if link.incident_id == incident.id), None)


def link_manually(
    session: Session,
    helpdesk: HelpdeskPort,
    incident: Incident,
    ticket_id: int,
    actor: str,
    detector: LanguageDetector | None = None,
) -> TicketLink:
    """``detector`` reads the customer's language from the ticket when their profile has the
    account's default; without one, the profile's language is taken as it is."""
    _check_incident(incident)
    link = _existing_link(session, incident, ticket_id)
    found = helpdesk.get_tickets([ticket_id])
    if not found:
        raise NotFound(NO_SUCH_TICKET(ticket_id=ticket_id))
    ticket = found[0]
    if ticket.type == "problem" or ticket.id == incident.problem_ticket_id:
        raise InvalidInput(PROBLEM_TICKET())
    if ticket.status == "closed":
        raise Conflict(CLOSED_TICKET(ticket_id=ticket_id))
    users = helpdesk.get_users([ticket.requester_id]) if ticket.requester_id else []
    requester = users[0] if users else None
    status = incident.current_status
    account_locale = helpdesk.account_default_locale()
    profile_locale = requester.locale if requester else None
    detected = (
        written_language(
            detector,
            profile_locale=profile_locale,
            account_locale=account_locale,
            text=f"{ticket.subject}\n{ticket.description}",
        )
        if detector
        else None
    )
    wanted = reply_language(profile_locale=profile_locale, account_locale=account_locale, detected=detected)
    locale = wanted.locale or pick_text(status.texts, None, incident.default_locale)[0]

    try:
        with session.begin_nested():
            if link is None:
                link = TicketLink(incident_id=incident.id, ticket_id=ticket_id)
                session.add(link)
            answered = (
                link.status_version == status.version
                or version_tag(incident.tag, status.version) in ticket.tags
            )
            link.state, link.source = LinkState.APPLYING, "manual"
            link.requester_id = ticket.requester_id
            link.requester_name = (requester.name if requester else "")[:200]
            link.subject, link.ticket_status, link.locale = ticket.subject[:300], ticket.status, locale
            link.ticket_created_at = ticket.created_at
            link.evidence = {"rule": "manual", "linked_by": actor}
            link.linked_at, link.unlinked_at, link.unlink_reason = clock.now(), None, None
            session.flush()
    except IntegrityError:
        raise Conflict(BEING_LINKED(ticket_id=ticket_id)) from None

    comment = None if answered else Comment(status_comment(status, incident, link), public=True)
    # A HelpdeskError propagates: the caller's transaction rolls back and the reservation with it.
    helpdesk.update_ticket(
        TicketChange(
            ticket_id=ticket_id,
            add_tags=(incident.tag, version_tag(incident.tag, status.version)),
            type="incident" if incident.problem_ticket_id else None,
            problem_id=incident.problem_ticket_id,
            comment=comment,
            macro_ids=(incident.macro_id,) if comment is not None and incident.macro_id else (),
        )
    )
    link.state, link.status_version = LinkState.LINKED, status.version
    record(
        session,
        "ticket.linked_manually",
        actor=actor,
        incident_id=incident.id,
        ticket_id=ticket_id,
        detail={
            "locale": locale,
            "status_version": status.version,
            "answered": comment is not None,
            "public_comment": comment.body if comment else None,
        },
    )
    return link
