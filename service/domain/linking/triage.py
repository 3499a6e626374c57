"""The serious cases first: which signals a linked ticket shows, and what they change. Pure.

Signals, each explained in the ticket's internal note:

- a VIP requester or organisation (by tag);
- a legal or safety threat: the customer's words name a lawyer, a court, an injury, ... in any
  language the incident speaks (phrases matched as the incident's own are: case, accents,
  Hebrew niqqud and inflected forms do not matter);
- a repeat contact: the customer had already written in this many times about an incident.

Each signal can raise the priority (never lower it) and add a tag an account's views and
triggers can use; any signal can send the ticket to a group, so the serious cases reach the head
of the queue.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime

from service.domain.linking.facts import TicketFacts
from service.domain.linking.matching import PhraseMatcher, PhraseRule
from service.domain.linking.triage_rules import (
    PRIORITIES,
    REPEAT_TAG,
    THREAT_TAG,
    VALUE_TAG,
    VIP_TAG,
    WAITING_TAG,
    TriageRules,
)
from service.domain.text.templates import inert


@dataclass(frozen=True)
class Triage:
    priority: str | None = None  # to set, when higher than the ticket's
    tags: tuple[str, ...] = ()
    group_id: int | None = None
    reasons: tuple[str, ...] = field(default_factory=tuple)  # one line each, for the internal note


@functools.lru_cache(maxsize=64)
def _threat_matcher(phrases: tuple[str, ...]) -> PhraseMatcher:
    return PhraseMatcher(PhraseRule(0, phrase) for phrase in phrases)


def _higher(current: str | None, wanted: str | None) -> str | None:
    if wanted is None:
        return current
    if current is None:
        return wanted
    return wanted if PRIORITIES.index(wanted) > PRIORITIES.index(current) else current


def _value(ticket: TicketFacts, key: str) -> float | None:
    """The customer's value in the field ``key``: the requester's own, else their organisation's."""
    for fields in (ticket.requester_fields, ticket.organization_fields):
        raw = fields.get(key) if key else None
        if isinstance(raw, bool) or raw is None:
            continue
        try:
            return float(str(raw).replace(",", "").strip())
        except ValueError:
            continue
    return None


def triage(
    ticket: TicketFacts, rules: TriageRules, earlier_contacts: int = 0, now: datetime | None = None
) -> Triage:
    """The signals ``ticket`` shows; ``earlier_contacts``: the customer's earlier tickets linked
    to an incident; ``now``: for the waiting time (none without it)."""
    priority: str | None = None
    tags: list[str] = []
    reasons: list[str] = []
    if rules.vip_tags & (set(ticket.requester_tags) | set(ticket.organization_tags)):
        priority = _higher(priority, rules.vip_priority)
        tags.append(VIP_TAG)
        reasons.append("VIP requester or organisation.")
    hit = _threat_matcher(rules.threat_phrases).match(ticket.text).get(0) if rules.threat_phrases else None
    if hit is not None:
        priority = _higher(priority, rules.threat_priority)
        tags.append(THREAT_TAG)
        words = ", ".join(f"“{inert(excerpt)}”" for excerpt in hit.excerpts)
        reasons.append(f"Legal or safety threat: the customer wrote {words}.")
    if rules.repeat_contacts and earlier_contacts >= rules.repeat_contacts:
        priority = _higher(priority, rules.repeat_priority)
        tags.append(REPEAT_TAG)
        reasons.append(f"Repeat contact: {earlier_contacts} earlier tickets about an incident.")
    worth = _value(ticket, rules.value_field)
    if rules.value_field and worth is not None and worth >= rules.value_at_least:
        priority = _higher(priority, rules.value_priority)
        tags.append(VALUE_TAG)
        reasons.append(
            f"Valuable customer: {rules.value_field} is {worth:g} (from {rules.value_at_least:g})."
        )
    if rules.waiting_hours and now is not None and ticket.created_at is not None:
        waited = (now - ticket.created_at).total_seconds() / 3600
        if waited >= rules.waiting_hours:
            priority = _higher(priority, rules.waiting_priority)
            tags.append(WAITING_TAG)
            reasons.append(f"Long wait: the ticket was opened {waited:.1f} hours ago.")
    if not tags:
        return Triage()
    raised = _higher(ticket.priority, priority)
    return Triage(
        priority=raised if raised != ticket.priority else None,
        tags=tuple(tags),
        group_id=rules.group_id,
        reasons=tuple(reasons) + ((f"Priority raised to {raised}.",) if raised != ticket.priority else ()),
    )
