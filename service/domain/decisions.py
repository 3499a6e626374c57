"""What to do with one ticket, given the active incidents and what the matcher found.

Pure: plain data in, a decision out. The pipeline gathers the facts; the executor acts.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from service.domain.facts import IncidentFacts, TicketFacts
from service.domain.locales import pick_text
from service.domain.matching import PhraseHit
from service.domain.templates import first_name, render

CLOSED_STATUSES = frozenset({"solved", "closed"})


@dataclass(frozen=True)
class LinkTicket:
    """Tag the ticket, link it to the incident's problem, answer with the current status."""

    ticket_id: int
    incident_id: int
    tag: str
    problem_id: int | None
    status_version: int
    locale: str
    public_comment: str
    internal_note: str
    evidence: dict
    shadow: bool


@dataclass(frozen=True)
class RecordExistingLink:
    """The ticket already carries the incident's tag and problem link (a manual link, or our
    own earlier write whose bookkeeping was lost in a crash): record it, write nothing."""

    ticket_id: int
    incident_id: int
    evidence: dict


@dataclass(frozen=True)
class LeaveAlone:
    ticket_id: int
    reason: str


Decision = LinkTicket | RecordExistingLink | LeaveAlone


def _choose(hits: Mapping[int, PhraseHit], incidents: Mapping[int, IncidentFacts]) -> PhraseHit | None:
    """Best match: most distinct phrases matched; ties go to the longest-running incident."""
    candidates = [hit for incident_id, hit in hits.items() if incident_id in incidents]
    if not candidates:
        return None
    def rank(hit: PhraseHit) -> tuple:
        started = incidents[hit.incident_id].created_at
        return -len(hit.phrases), started.timestamp() if started else 0.0, hit.incident_id

    return min(candidates, key=rank)


def explain(incident: IncidentFacts, hit: PhraseHit, locale: str, competing: int) -> str:
    quoted = ", ".join(f"“{p}”" for p in hit.phrases)
    words = ", ".join(f"“{e}”" for e in hit.excerpts)
    lines = [
        f"IncidentDesk linked this ticket to the incident “{incident.title}” (tag {incident.tag}).",
        f"Why: phrase rule {quoted} matched the customer's words {words}.",
        f"Answered with status update v{incident.status_version} in '{locale}'.",
    ]
    if competing > 1:
        lines.append(f"{competing} active incidents matched; this one matched the most phrases.")
    lines.append("Wrong match? Remove the tag or the problem link and IncidentDesk will leave it alone.")
    return "\n".join(lines)


def decide(ticket: TicketFacts, incidents: Mapping[int, IncidentFacts], hits: Mapping[int, PhraseHit],
           known_incident_ids: frozenset[int]) -> Decision:
    """``known_incident_ids``: incidents this ticket was ever linked to or unlinked from."""
    problem_ids = {i.problem_ticket_id for i in incidents.values() if i.problem_ticket_id}
    if ticket.id in problem_ids or ticket.type == "problem":
        return LeaveAlone(ticket.id, "it is a problem ticket")
    if known_incident_ids:
        return LeaveAlone(ticket.id, "already handled for incident(s) " +
                          ", ".join(str(i) for i in sorted(known_incident_ids)))
    for incident in incidents.values():
        if incident.tag in ticket.tags:
            return RecordExistingLink(ticket.id, incident.id, {"reason": "the ticket already carries the incident's tag"})
    if ticket.status in CLOSED_STATUSES:
        return LeaveAlone(ticket.id, f"ticket is {ticket.status}")
    hit = _choose(hits, incidents)
    if hit is None:
        return LeaveAlone(ticket.id, "no active incident's rules matched")

    incident = incidents[hit.incident_id]
    locale, status_text = pick_text(incident.status_texts, ticket.requester_locale, incident.default_locale)
    values = {
        "first_name": first_name(ticket.requester_name),
        "incident_title": incident.title,
        "status_time": incident.status_updated_at.strftime("%Y-%m-%d %H:%M UTC") if incident.status_updated_at else "",
    }
    evidence = {"rule": "phrase", "phrases": list(hit.phrases), "excerpts": list(hit.excerpts),
                "competing_incidents": sorted(hits)}
    return LinkTicket(
        ticket_id=ticket.id,
        incident_id=incident.id,
        tag=incident.tag,
        problem_id=incident.problem_ticket_id,
        status_version=incident.status_version,
        locale=locale,
        public_comment=render(status_text, values),
        internal_note=explain(incident, hit, locale, len(hits)),
        evidence=evidence,
        shadow=incident.shadow_mode,
    )
