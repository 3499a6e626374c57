"""Merges an agent confirms: what the merge stage suggests instead of merging, why, and whether a
suggestion can still be merged when the agent clicks.

Pure, like ``policy``: the stage asks ``suggest`` after ``review`` with the same facts.

A pair is suggested (``SuggestionReason``) when

- ``similar_text``: one requester's two tickets are alike, at least ``suggestion_floor`` but
  below ``similarity_threshold`` (above it they are merged automatically);
- ``same_organization``: two requesters of one organisation wrote alike at or above the
  threshold, the organisation is not one whose requesters are merged automatically
  (``cross_requester_org_ids``), and ``suggest_same_organization`` is on. A merge can show one
  customer's words to another, so a person decides.

Suggestions keep the automatic merge's guards: neither ticket blocked (solved or closed, shared
channel, skip tag), no intermediary, a source no agent answered publicly (unless allowed), and a
target Zendesk accepts (new, open, pending), the older ticket first. When the agent clicks,
``refusal_now`` checks the tickets as Zendesk has them then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from service.domain.merging.policy import (
    SHARED_CHANNELS,
    TARGET_STATUSES,
    Candidate,
    MergeRules,
    blocker,
    intermediary,
    recent,
)
from service.domain.phrases import Phrase, sentence
from service.domain.tickets import OPEN_STATUSES


class SuggestionReason(StrEnum):
    SIMILAR_TEXT = "similar_text"
    SAME_ORGANIZATION = "same_organization"


class SuggestionState(StrEnum):
    PENDING = "pending"
    MERGED = "merged"
    DISMISSED = "dismissed"
    OUTDATED = "outdated"  # refused at a click: a ticket was solved, closed or merged meanwhile


EXPLANATIONS = {
    SuggestionReason.SIMILAR_TEXT: sentence(
        "merge_suggestion.similar_text",
        "The two requests are {score}% alike, below the {threshold}% at which they are merged automatically.",
    ),
    SuggestionReason.SAME_ORGANIZATION: sentence(
        "merge_suggestion.same_organization",
        "Two people of one organisation wrote {score}% alike; different requesters are never merged "
        "automatically.",
    ),
}
STATUS_NAMES = {
    status: sentence(f"merge_suggestion.status.{status}", status)
    for status in ("new", "open", "pending", "hold", "solved", "closed")
}
NO_SUCH_SUGGESTION = sentence(
    "merge_suggestion.no_such", "Ticket #{ticket_id} has no merge suggestion #{suggestion_id}."
)
SHOWN_DIFFERENTLY = sentence(
    "merge_suggestion.changed",
    "This suggestion is no longer the one shown (merge #{source_id} into #{target_id}). Reload the sidebar.",
)
ALREADY_DECIDED = {
    SuggestionState.MERGED: sentence(
        "merge_suggestion.already_merged", "This suggestion was already merged by {actor}."
    ),
    SuggestionState.DISMISSED: sentence(
        "merge_suggestion.already_dismissed", "This suggestion was already dismissed by {actor}."
    ),
    SuggestionState.OUTDATED: sentence(
        "merge_suggestion.already_outdated",
        "This suggestion no longer applies: one of its tickets changed in Zendesk since. Reload the sidebar.",
    ),
}
TICKET_GONE = sentence("merge_suggestion.ticket_gone", "Ticket #{ticket_id} no longer exists in Zendesk.")
SOURCE_NOT_OPEN = sentence(
    "merge_suggestion.source_not_open", "Ticket #{ticket_id} is {status} now, so it is not merged."
)
TARGET_NOT_OPEN = sentence(
    "merge_suggestion.target_not_open",
    "Ticket #{ticket_id} is {status} now: Zendesk merges only into a new, open or pending ticket.",
)
MERGED_ELSEWHERE = sentence(
    "merge_suggestion.merged_elsewhere", "Ticket #{ticket_id} was already merged into #{target_id}."
)
SKIP_TAG = sentence(
    "merge_suggestion.skip_tag", "Ticket #{ticket_id} now carries the tag {tag}, which keeps it from merges."
)
SHARED_CHANNEL = sentence(
    "merge_suggestion.shared_channel",
    "Ticket #{ticket_id} came through {channel}, whose conversations live in another system.",
)


@dataclass(frozen=True)
class Suggestion:
    source_id: int
    target_id: int
    score: float
    reason: SuggestionReason
    threshold: float


def percent(share: float) -> int:
    return round(share * 100)


def explanation(reason: str, score: float, threshold: float) -> Phrase:
    """Why the pair was suggested and not merged, to be said in the agent's language."""
    return EXPLANATIONS[SuggestionReason(reason)](score=percent(score), threshold=percent(threshold))


def _reason(
    ticket: Candidate, other: Candidate, score: float, rules: MergeRules, now: datetime
) -> SuggestionReason | None:
    if not recent(ticket, other, rules, now):
        return None
    if other.requester_id == ticket.requester_id:
        below = rules.suggestion_floor <= score < rules.similarity_threshold
        return SuggestionReason.SIMILAR_TEXT if below else None
    organization = ticket.organization_id
    if (
        rules.suggest_same_organization
        and organization is not None
        and organization == other.organization_id
        and organization not in rules.cross_requester_org_ids
        and score >= rules.similarity_threshold
    ):
        return SuggestionReason.SAME_ORGANIZATION
    return None


def _target_first(a: Candidate, b: Candidate) -> tuple[Candidate, Candidate] | None:
    """(target, source): the older ticket unless Zendesk would refuse it as a target."""
    older, newer = sorted((a, b), key=lambda t: (t.created_at, t.id))
    for target, source in ((older, newer), (newer, older)):
        if target.status in TARGET_STATUSES:
            return target, source
    return None


def suggest(
    ticket: Candidate,
    others: list[Candidate],
    scores: Mapping[int, float],
    rules: MergeRules,
    now: datetime,
    settled: frozenset[int] = frozenset(),
) -> list[Suggestion]:
    """Pairs of ``ticket`` and one of ``others`` that an agent should confirm; ``settled`` are
    the ids ``review`` merges already (nothing about them is suggested)."""
    if not rules.enabled or ticket.requester_id is None or ticket.id in settled:
        return []
    found: list[Suggestion] = []
    for other in others:
        score = scores.get(other.id, 0.0)
        reason = _reason(ticket, other, score, rules, now)
        if other.id in settled or reason is None:
            continue
        if blocker(ticket, rules) or blocker(other, rules) or intermediary(ticket, other, rules):
            continue
        pair = _target_first(ticket, other)
        if pair is None:
            continue
        target, source = pair
        if source.agent_replied_publicly and not rules.merge_after_agent_reply:
            continue
        found.append(Suggestion(source.id, target.id, round(score, 3), reason, rules.similarity_threshold))
    return found


def status_name(status: str) -> str:
    """A ticket status, sayable in the agent's language."""
    named = STATUS_NAMES.get(status)
    return named() if named else status


def _blocked(ticket: Candidate, rules: MergeRules) -> Phrase | None:
    if (ticket.channel or "") in SHARED_CHANNELS:
        return SHARED_CHANNEL(ticket_id=ticket.id, channel=ticket.channel)
    if rules.skip_tag and rules.skip_tag in ticket.tags:
        return SKIP_TAG(ticket_id=ticket.id, tag=rules.skip_tag)
    return None


def refusal_now(
    *,
    source_id: int,
    target_id: int,
    live: Mapping[int, Candidate],
    merged_into: Mapping[int, int],
    rules: MergeRules,
) -> Phrase | None:
    """Why merging ``source_id`` into ``target_id`` is refused at the agent's click, or None:
    ``live`` has the tickets as Zendesk has them now, ``merged_into`` each ticket already merged
    away (source id -> its target)."""
    for ticket_id in (source_id, target_id):
        if ticket_id in merged_into:
            return MERGED_ELSEWHERE(ticket_id=ticket_id, target_id=merged_into[ticket_id])
        if ticket_id not in live:
            return TICKET_GONE(ticket_id=ticket_id)
    source, target = live[source_id], live[target_id]
    if target.status not in TARGET_STATUSES:
        return TARGET_NOT_OPEN(ticket_id=target_id, status=status_name(target.status))
    if source.status not in OPEN_STATUSES:
        return SOURCE_NOT_OPEN(ticket_id=source_id, status=status_name(source.status))
    return _blocked(source, rules) or _blocked(target, rules)
