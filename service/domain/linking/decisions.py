"""What to do with one ticket, given the active incidents and what the matcher found.

Pure: plain data in, a decision out. The pipeline gathers the facts; the executor acts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.domain.digest import DIGEST_TAG
from service.domain.linking.evaluation import judge
from service.domain.linking.facts import IncidentFacts, TicketFacts
from service.domain.linking.glance import Reached, at_a_glance
from service.domain.linking.matching import PhraseHit
from service.domain.linking.triage import triage
from service.domain.linking.triage_rules import VIP_TAG
from service.domain.status_text import status_reply
from service.domain.text.locales import pick_text
from service.domain.text.normalise import normalize
from service.domain.text.reply_language import ReplyLanguage, explain_language, reply_language
from service.domain.text.templates import inert
from service.domain.tickets import SOLVED_STATUSES, version_in_tags


@dataclass(frozen=True)
class LinkTicket:
    """Tag the ticket, link it to the incident's problem, answer with the current status."""

    ticket_id: int
    incident_id: int
    tag: str
    problem_id: int | None
    macro_id: int | None
    status_version: int
    locale: str  # the reply's language (a fallback when the customer's has no text yet)
    public_comment: str
    internal_note: str
    evidence: dict[str, object]
    shadow: bool
    priority: str | None = None  # raised by the triage signals (VIP, a legal threat, a repeat contact)
    signal_tags: tuple[str, ...] = ()  # one tag per signal, for the account's views and triggers
    group_id: int | None = None  # where a ticket with a signal goes, when the account says
    # The customer's own language, kept on the link: later updates are written in it once the
    # incident has a text in it, even if this first reply had to fall back.
    customer_locale: str = ""


@dataclass(frozen=True)
class RecordExistingLink:
    """The ticket already carries the incident's tag (an outreach ticket, an agent's tag or
    macro, or our own earlier write whose bookkeeping was lost in a crash): record it, write
    nothing. The link knows its requester as any other does, so every later update reaches them
    by name and in their language; ``status_version`` is what the ticket's tags say it got."""

    ticket_id: int
    incident_id: int
    evidence: dict[str, object]
    locale: str
    requester_name: str
    status_version: int | None


@dataclass(frozen=True)
class LeaveAlone:
    ticket_id: int
    reason: str


Decision = LinkTicket | RecordExistingLink | LeaveAlone


@dataclass(frozen=True)
class Match:
    incident_id: int
    phrases: tuple[str, ...]
    excerpts: tuple[str, ...]
    other_reasons: str  # why the other rules (tags, fields, channel, ...) hold; "" if none
    problem_link: bool = False  # linked by the ticket's problem link, not by the rules


def matches(
    ticket: TicketFacts, incidents: Mapping[int, IncidentFacts], hits: Mapping[int, PhraseHit]
) -> list[Match]:
    """Incidents whose rules all hold: a phrase hit where the incident has phrases (exclusions
    already applied by the matcher), and every other kind of rule it has."""
    found: list[Match] = []
    for incident in incidents.values():
        hit = hits.get(incident.id)
        if incident.has_phrases and hit is None:
            continue
        if not incident.has_phrases and not incident.other_rules:
            continue
        reasons = ""
        if incident.other_rules:
            verdict = judge(incident.other_rules, ticket, requester_email=ticket.requester_email)
            if not verdict.matched:
                continue
            reasons = verdict.why
        found.append(Match(incident.id, hit.phrases if hit else (), hit.excerpts if hit else (), reasons))
    return found


PROBLEM_LINK = "problem link"


def problem_linked(ticket: TicketFacts, incidents: Mapping[int, IncidentFacts]) -> Match | None:
    """The incident whose problem ticket this ticket is an incident of, as a match of its own."""
    if ticket.problem_id is None:
        return None
    for incident in incidents.values():
        if incident.problem_ticket_id == ticket.problem_id:
            reason = f"the ticket is an incident of the problem ticket #{incident.problem_ticket_id}"
            return Match(incident.id, (), (), reason, problem_link=True)
    return None


def specificity(match: Match, incidents: Mapping[int, IncidentFacts]) -> tuple[float, int]:
    """How specific a phrase match is: each matched phrase counts its words, divided by how many
    active incidents share the phrase (a common word says little), then the phrases' length."""
    shared: dict[str, int] = {}
    for incident in incidents.values():
        for phrase in set(map(normalize, incident.phrases)):
            shared[phrase] = shared.get(phrase, 0) + 1
    weight = sum(len(normalize(p).split()) / max(shared.get(normalize(p), 1), 1) for p in match.phrases)
    return weight, sum(len(p) for p in match.phrases)


def _choose(found: list[Match], incidents: Mapping[int, IncidentFacts]) -> Match | None:
    """Best match: most distinct phrases matched, then more kinds of rule satisfied, then the more
    specific phrases (longer, and shared by fewer incidents); ties go to the longest-running
    incident, then the lower id, so the choice is predictable."""

    def rank(match: Match) -> tuple[Any, ...]:
        incident = incidents[match.incident_id]
        started = incident.created_at.timestamp() if incident.created_at else 0.0
        weight, length = specificity(match, incidents) if len(found) > 1 else (0.0, 0)
        return -len(match.phrases), -len(incident.other_rules), -weight, -length, started, match.incident_id

    return min(found, key=rank) if found else None


def language_of(ticket: TicketFacts) -> ReplyLanguage:
    return reply_language(
        profile_locale=ticket.requester_locale,
        account_locale=ticket.account_locale,
        detected=ticket.detected_language,
    )


def explain(
    incident: IncidentFacts,
    match: Match,
    locale: str,
    competing: int,
    signals: tuple[str, ...],
    language_line: str = "",
) -> str:
    lines = [f"IncidentDesk linked this ticket to the incident “{incident.title}” (tag {incident.tag})."]
    if match.phrases:
        quoted = ", ".join(f"“{p}”" for p in match.phrases)
        words = ", ".join(f"“{inert(e)}”" for e in match.excerpts)  # the customer's own text
        lines.append(f"Why: phrase rule {quoted} matched the customer's words {words}.")
    if match.problem_link:
        lines.append(f"Why: {match.other_reasons} (a problem link).")
    elif match.other_reasons:
        lines.append(f"Other rules: {match.other_reasons}.")
    lines.append(f"Answered with status update v{incident.status_version} in '{locale}'.")
    if language_line:
        lines.append(language_line)
    lines.extend(signals)
    if competing > 1 and not match.problem_link:  # a problem link is not ranked against rules
        lines.append(
            f"{competing} active incidents matched; this one matched best "
            "(most phrases, then most rules, then the most specific phrases, then the earliest declared)."
        )
    lines.append("Wrong match? Remove the tag or the problem link and IncidentDesk will leave it alone.")
    return "\n".join(lines)


def decide(
    ticket: TicketFacts,
    incidents: Mapping[int, IncidentFacts],
    hits: Mapping[int, PhraseHit],
    known_incident_ids: frozenset[int],
    earlier_contacts: int = 0,
    reached: Mapping[int, tuple[Reached, ...]] | None = None,
    now: datetime | None = None,
) -> Decision:
    """``known_incident_ids``: incidents this ticket was ever linked to or unlinked from;
    ``earlier_contacts``: the requester's earlier tickets linked to an incident; ``reached``:
    per incident, the outreach that reached the requester."""
    problem_ids = {i.problem_ticket_id for i in incidents.values() if i.problem_ticket_id}
    if ticket.id in problem_ids or ticket.type == "problem":
        return LeaveAlone(ticket.id, "it is a problem ticket")
    if DIGEST_TAG in ticket.tags:
        return LeaveAlone(ticket.id, "it is IncidentDesk's own backlog digest")
    if known_incident_ids:
        return LeaveAlone(
            ticket.id,
            "already handled for incident(s) " + ", ".join(str(i) for i in sorted(known_incident_ids)),
        )
    for incident in incidents.values():
        if incident.tag in ticket.tags:
            wanted = language_of(ticket).locale
            locale, _ = pick_text(incident.status_texts, wanted, incident.default_locale)
            return RecordExistingLink(
                ticket.id,
                incident.id,
                {"reason": "the ticket already carries the incident's tag"},
                locale=wanted or locale,
                requester_name=ticket.requester_name,
                status_version=version_in_tags(incident.tag, ticket.tags),
            )
    if ticket.status in SOLVED_STATUSES:
        return LeaveAlone(ticket.id, f"ticket is {ticket.status}")
    found = matches(ticket, incidents, hits)
    # An agent (or an adoption) put the ticket under the incident's problem ticket: that says
    # which incident it belongs to more surely than any rule, so it wins even when none matched.
    problem_link = problem_linked(ticket, incidents)
    if problem_link is not None:
        found = [m for m in found if m.incident_id != problem_link.incident_id] + [problem_link]
    match = problem_link or _choose(found, incidents)
    if match is None:
        return LeaveAlone(ticket.id, "no active incident's rules matched")

    incident = incidents[match.incident_id]
    signals = triage(ticket, incident.triage, earlier_contacts, now)
    language = language_of(ticket)
    locale, reply = status_reply(
        incident.status_texts,
        language.locale,
        incident.default_locale,
        requester_name=ticket.requester_name,
        incident_title=incident.title,
        status_time=incident.status_updated_at,
        status_page_url=incident.status_page_url,
    )
    evidence: dict[str, object] = {
        "rule": PROBLEM_LINK if match.problem_link else "phrase" if match.phrases else "rules",
        "phrases": list(match.phrases),
        "excerpts": list(match.excerpts),
        "other_rules": match.other_reasons,
        "competing_incidents": sorted(m.incident_id for m in found),
        "vip": VIP_TAG in signals.tags,
        "signals": list(signals.tags),
        "language": {"locale": locale, "source": str(language.source), "confidence": language.confidence},
    }
    language_line = explain_language(
        language, locale, account_locale=ticket.account_locale, detected=ticket.detected_language
    )
    return LinkTicket(
        ticket_id=ticket.id,
        incident_id=incident.id,
        tag=incident.tag,
        problem_id=incident.problem_ticket_id,
        macro_id=incident.macro_id,
        status_version=incident.status_version,
        locale=locale,
        public_comment=reply,
        internal_note=explain(
            incident,
            match,
            locale,
            len(found),
            (
                *signals.reasons,
                at_a_glance(ticket, signals.tags, earlier_contacts, (reached or {}).get(incident.id, ())),
            ),
            language_line,
        ),
        evidence=evidence,
        shadow=incident.shadow_mode,
        priority=signals.priority,
        signal_tags=signals.tags,
        group_id=signals.group_id,
        customer_locale=language.locale or locale,
    )
