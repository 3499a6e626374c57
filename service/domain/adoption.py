"""Adopting an existing problem ticket as a new incident's: whether it may be, and what the
problem ticket is told. Pure: the use case (``service.incidents.adopt``) reads the facts."""

from __future__ import annotations

from service.domain.errors import Conflict
from service.domain.phrases import Phrase, sentence

ADOPTED_TAG = "incidentdesk_adopted"

NO_SUCH_TICKET = sentence(
    "adopt.no_such_ticket", "There is no ticket #{ticket_id} in Zendesk; check the problem ticket's number."
)
NOT_A_PROBLEM = sentence(
    "adopt.not_a_problem",
    "Ticket #{ticket_id} is not a problem ticket; make it one in Zendesk (type: problem) or give another ticket.",
)
CLOSED = sentence(
    "adopt.closed",
    "Ticket #{ticket_id} is closed, and Zendesk no longer changes closed tickets; give an open problem ticket.",
)
TAKEN_BY_ACTIVE = sentence(
    "adopt.taken_by_active",
    "Ticket #{ticket_id} is already the problem ticket of the active incident {incident_id}; "
    "update that incident instead.",
)
TAKEN_BY_RESOLVED = sentence(
    "adopt.taken_by_resolved",
    "Ticket #{ticket_id} was the problem ticket of the resolved incident {incident_id}; reopen that incident instead.",
)
SHADOW = sentence(
    "adopt.shadow",
    "An incident in shadow mode writes nothing to Zendesk, so it cannot adopt a problem ticket; "
    "turn shadow mode off or leave the problem ticket empty.",
)
NO_HELPDESK = sentence(
    "adopt.no_helpdesk", "No helpdesk is connected, so there is no problem ticket to adopt."
)


def delivery_key(incident_id: int, ticket_id: int) -> str:
    """An adopted incident ticket's inbox key, one per incident and ticket: storing it again
    (a retried declaration, a crash while storing) is a no-op."""
    return f"adopted:{incident_id}:{ticket_id}"


class ProblemTicketTaken(Conflict):
    """Another incident has this problem ticket (answered with 409)."""


def ticket_refusal(
    ticket_id: int, *, found: bool, ticket_type: str | None, status: str | None
) -> Phrase | None:
    """Why this helpdesk ticket cannot be adopted as a problem ticket, or None when it can."""
    if not found:
        return NO_SUCH_TICKET(ticket_id=ticket_id)
    if ticket_type != "problem":
        return NOT_A_PROBLEM(ticket_id=ticket_id)
    if status == "closed":
        return CLOSED(ticket_id=ticket_id)
    return None


def owner_refusal(ticket_id: int, owner_id: int, owner_state: str) -> ProblemTicketTaken:
    """The refusal when incident ``owner_id`` already has the ticket as its problem ticket."""
    made = TAKEN_BY_ACTIVE if owner_state == "active" else TAKEN_BY_RESOLVED
    return ProblemTicketTaken(made(ticket_id=ticket_id, incident_id=owner_id))


def adoption_note(*, title: str, tag: str, actor: str, incidents: int) -> str:
    """The internal note on the adopted problem ticket: what IncidentDesk took over and what follows."""
    return "\n".join(
        (
            f"IncidentDesk adopted this problem ticket for the incident “{title}” (tag {tag}), declared by {actor}.",
            f"Its {incidents} incident ticket(s) are linked and answered with the incident's status, once each;"
            " tickets linked to this problem later are too.",
            "The incident's status macro replaces any earlier macro for these customers.",
        )
    )
