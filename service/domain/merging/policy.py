"""Whether duplicate tickets may be merged, into which one, and what each side is told.

Pure: plain facts in, an outcome out. The merge stage finds the candidates and acts.

Who counts as the same requester: the same helpdesk user id. A helpdesk user holds all of a
person's identities (emails, phone, chat), so the same person writing by email and by chat is
one requester. Different users are never merged, unless an admin allows it for their common
organisation; such merges carry private comments only, since a public comment would show one
customer's words to another.

What is never merged (each is a refusal with its reason):
- a ticket that is solved or closed (Zendesk refuses closed sources; a solved target would
  reopen a finished conversation) — and targets must be new, open or pending (Zendesk's rule);
- shared or channel-integration tickets: those that came in through a social or channel
  framework integration (``SHARED_CHANNELS``: X/Twitter, Facebook, WhatsApp, Instagram, LINE,
  WeChat, any_channel, ...) or a sharing agreement (``ticket_sharing``): their conversation lives
  in another system and Zendesk forces merge comments private there;
- a ticket carrying the skip tag (default ``incidentdesk_no_merge``);
- a source an agent has already answered publicly, unless ``merge_after_agent_reply``.

Intermediaries (a reseller or account manager writing for several end customers) are grouped,
not merged: their requester or its organisation carries one of ``intermediary_tags``, or belongs to one of
``intermediary_org_ids``, or the two tickets name different values in ``order_field_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from service.domain.text.locales import pick_text
from service.domain.text.templates import first_name, render
from service.domain.tickets import OPEN_STATUSES

TARGET_STATUSES = frozenset({"new", "open", "pending"})
SHARED_CHANNELS = frozenset(
    {
        "twitter",
        "facebook",
        "any_channel",
        "whatsapp",
        "instagram_dm",
        "line",
        "wechat",
        "native_messaging",
        "chat_transcript",
        "ticket_sharing",
    }
)
DEFAULT_COMMENTS = {
    "source": {
        "en": "Hi {{first_name}}, we have combined this request with your earlier request #{{target_id}}, "
        "so one person follows your case. Please reply there.",
        "he": "שלום {{first_name}}, איחדנו את הפנייה הזו עם הפנייה הקודמת שלך #{{target_id}}, "
        "כך שנציג אחד מטפל בעניינך. אנא השב/י שם.",
        "bg": "Здравейте, {{first_name}}, обединихме това запитване с предишното ви запитване #{{target_id}}, "
        "за да следи случая ви един човек. Моля, отговорете там.",
    },
    "target": {
        "en": "Your request #{{source_id}} about the same matter was combined into this one.",
        "he": "הפנייה שלך #{{source_id}} באותו עניין אוחדה לתוך פנייה זו.",
        "bg": "Вашето запитване #{{source_id}} по същия въпрос беше обединено с това.",
    },
}


@dataclass(frozen=True)
class MergeRules:
    enabled: bool = True
    window: timedelta = timedelta(hours=24)
    similarity_threshold: float = 0.7
    suggestion_floor: float = 0.5  # from here up to the threshold, an agent is asked to confirm
    suggest_same_organization: bool = True  # colleagues writing alike: ask an agent, never merge
    public_comments: bool = True
    skip_tag: str = "incidentdesk_no_merge"
    merge_after_agent_reply: bool = False
    cross_requester_org_ids: frozenset[int] = frozenset()
    intermediary_tags: frozenset[str] = frozenset()
    intermediary_org_ids: frozenset[int] = frozenset()
    order_field_id: int | None = None
    comments: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: DEFAULT_COMMENTS)


@dataclass(frozen=True)
class Candidate:
    """One ticket as the policy sees it (the ticket under review, or a possible duplicate)."""

    id: int
    requester_id: int | None
    status: str
    created_at: datetime
    organization_id: int | None = None
    requester_tags: tuple[str, ...] = ()
    requester_name: str = ""
    requester_locale: str | None = None
    channel: str | None = None
    tags: tuple[str, ...] = ()
    incident_id: int | None = None
    custom_fields: Mapping[int, object] = field(default_factory=dict)
    agent_replied_publicly: bool = False
    is_public: bool = True  # a private ticket (no public comments) forces private merge comments
    organization_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class MergeInto:
    target_id: int
    source_id: int
    reason: str  # "same_incident" | "near_duplicate_text"
    evidence: dict[str, object]
    target_comment: str
    source_comment: str
    public: bool
    locale: str


@dataclass(frozen=True)
class Refusal:
    ticket_id: int
    other_id: int
    reason: str
    evidence: dict[str, object]


@dataclass(frozen=True)
class Grouping:
    ticket_id: int
    other_id: int
    reason: str
    evidence: dict[str, object]


Outcome = MergeInto | Refusal | Grouping


def blocker(ticket: Candidate, rules: MergeRules) -> str | None:
    if ticket.status not in OPEN_STATUSES:
        return f"ticket #{ticket.id} is {ticket.status}"
    if (ticket.channel or "") in SHARED_CHANNELS:
        return f"ticket #{ticket.id} came through {ticket.channel} (shared or channel integration)"
    if rules.skip_tag and rules.skip_tag in ticket.tags:
        return f"ticket #{ticket.id} carries the skip tag {rules.skip_tag}"
    return None


def intermediary(a: Candidate, b: Candidate, rules: MergeRules) -> str | None:
    for ticket in (a, b):
        tags = set(ticket.requester_tags) & rules.intermediary_tags
        if tags:
            return f"requester of #{ticket.id} is an intermediary (tag {sorted(tags)[0]})"
        org_tags = set(ticket.organization_tags) & rules.intermediary_tags
        if org_tags:
            return f"organisation of #{ticket.id} is an intermediary (tag {sorted(org_tags)[0]})"
        if ticket.organization_id is not None and ticket.organization_id in rules.intermediary_org_ids:
            return f"requester of #{ticket.id} is an intermediary (organisation {ticket.organization_id})"
    if rules.order_field_id is not None:
        first, second = (t.custom_fields.get(rules.order_field_id) for t in (a, b))
        if first and second and str(first).strip() != str(second).strip():
            return f"different orders ({first} and {second}): one requester writing for several customers"
    return None


def recent(ticket: Candidate, other: Candidate, rules: MergeRules, now: datetime) -> bool:
    """Written within the window of each other, and ``other`` within the window of now."""
    return (
        abs(ticket.created_at - other.created_at) <= rules.window and now - other.created_at <= rules.window
    )


def _why_duplicate(
    ticket: Candidate, other: Candidate, score: float, rules: MergeRules, now: datetime
) -> str | None:
    if ticket.incident_id is not None and ticket.incident_id == other.incident_id:
        return "same_incident"
    if score >= rules.similarity_threshold and recent(ticket, other, rules, now):
        return "near_duplicate_text"
    return None


def comment_texts(
    rules: MergeRules, requester: Candidate, target_id: int, source_id: int
) -> tuple[str, str, str]:
    """(locale, target comment, source comment) in the requester's language."""
    values = {
        "first_name": first_name(requester.requester_name),
        "target_id": target_id,
        "source_id": source_id,
    }
    locale, source_text = pick_text(rules.comments["source"], requester.requester_locale)
    _, target_text = pick_text(rules.comments["target"], locale)
    return locale, render(target_text, values), render(source_text, values)


def comments_are_public(rules: MergeRules, source: Candidate, target: Candidate) -> bool:
    """Public merge comments only within one requester's public tickets: across requesters one
    customer would read about another."""
    same_requester = source.requester_id == target.requester_id
    return rules.public_comments and same_requester and source.is_public and target.is_public


def _order(ticket: Candidate) -> tuple[Any, ...]:
    return ticket.created_at, ticket.id


def review(
    ticket: Candidate, others: list[Candidate], scores: Mapping[int, float], rules: MergeRules, now: datetime
) -> list[Outcome]:
    """Outcomes for ``ticket`` against its possible duplicates ``others`` (``scores``: text
    similarity per other id). Every accepted duplicate is merged into the oldest mergeable
    ticket of the group, so two workers looking at the same group choose the same target."""
    if not rules.enabled or ticket.requester_id is None:
        return []
    outcomes: list[Outcome] = []
    group = [ticket]
    for other in sorted(others, key=_order):
        score = scores.get(other.id, 0.0)
        why = _why_duplicate(ticket, other, score, rules, now)
        if why is None:
            continue
        evidence = {
            "match": why,
            "similarity": round(score, 3),
            "requester_id": ticket.requester_id,
            "requester_name": ticket.requester_name,
            "other_requester_id": other.requester_id,
        }
        if other.requester_id != ticket.requester_id:
            same_org = ticket.organization_id is not None and ticket.organization_id == other.organization_id
            if not (same_org and ticket.organization_id in rules.cross_requester_org_ids):
                outcomes.append(Refusal(ticket.id, other.id, "different requesters", evidence))
                continue
            evidence["cross_requester_org_id"] = ticket.organization_id
        blocked = blocker(ticket, rules) or blocker(other, rules)
        if blocked:
            outcomes.append(Refusal(ticket.id, other.id, blocked, evidence))
            continue
        grouped = intermediary(ticket, other, rules)
        if grouped:
            outcomes.append(Grouping(ticket.id, other.id, grouped, evidence))
            continue
        group.append(other)
    if len(group) < 2:
        return outcomes
    targets = [t for t in sorted(group, key=_order) if t.status in TARGET_STATUSES]
    if not targets:
        return outcomes + [
            Refusal(ticket.id, t.id, "no ticket of the group can be a merge target (on hold)", {})
            for t in group
            if t is not ticket
        ]
    target = targets[0]
    for source in sorted(group, key=_order):
        if source is target:
            continue
        other = source if source is not ticket else target
        evidence = {
            "match": _why_duplicate(ticket, other, scores.get(other.id, 0.0), rules, now),
            "similarity": round(scores.get(other.id, 0.0), 3),
            "requester_id": source.requester_id,
            "requester_name": source.requester_name,
            "target_requester_id": target.requester_id,
        }
        if source.agent_replied_publicly and not rules.merge_after_agent_reply:
            outcomes.append(
                Refusal(source.id, target.id, f"an agent already replied publicly on #{source.id}", evidence)
            )
            continue
        same_requester = source.requester_id == target.requester_id
        if not same_requester:
            evidence["cross_requester_org_id"] = source.organization_id
        locale, target_text, source_text = comment_texts(rules, source, target.id, source.id)
        public = comments_are_public(rules, source, target)
        outcomes.append(
            MergeInto(
                target.id,
                source.id,
                str(evidence["match"] or "same_group"),
                evidence,
                target_text,
                source_text,
                public,
                locale,
            )
        )
    return outcomes
