"""Whether a ticket belongs to an incident by its rules, and why, in words agents and admins read.

- ``evaluate(spec, facts)``: one rule. ``matched`` means the rule lets the ticket through (for an
  exclusion: the ticket contains none of its phrases). ``near`` marks a phrase rule that did not
  match but whose words the ticket partly uses, which is what a preview shows as a near miss.
- ``judge(specs, facts)``: an incident's rules together. Rules of the same kind are alternatives
  (any one will do); different kinds must all hold; every exclusion must hold. An incident with no
  rule other than exclusions matches nothing.
- ``preview(specs, tickets)``: which of the recent tickets would match and why, and the near
  misses: tickets that fail only one kind of rule (a wrong brand, an exclusion, outside the
  window, or only part of a phrase), with the reason.

The requester's email is not among ``TicketFacts``; pass it as ``requester_email`` (or, for a
preview, ``requester_emails`` by requester id) for affected-customer lists that name emails.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from service.domain.linking.facts import TicketFacts
from service.domain.linking.matching import PhraseMatcher, PhraseRule
from service.domain.linking.rules import Audience, FieldCondition, RuleSpec, Window
from service.domain.moments import utc
from service.domain.phrases import Phrase, sentence
from service.domain.text.normalise import normalize

MIN_NEAR_WORD_LENGTH = 4  # shorter words ("not", "the") say nothing about closeness

# The reasons, in English (see service.domain.phrases for how they reach other languages).
PHRASE_FOUND = sentence("rule.phrase.found", "mentions {found}")
PHRASE_PARTIAL = sentence("rule.phrase.partial", "mentions none of {phrases}, only part of one: {parts}")
PHRASE_NONE = sentence("rule.phrase.none", "mentions none of {phrases}")
EXCLUSION_FOUND = sentence("rule.exclusion.found", "mentions the exclusion {found}")
EXCLUSION_NONE = sentence("rule.exclusion.none", "mentions none of the exclusions {phrases}")
REGEX_FOUND = sentence("rule.regex.found", "matches /{pattern}/ (“{text}”)")
REGEX_NONE = sentence("rule.regex.none", "does not match /{pattern}/")
TAGS_LACKING = sentence(
    "rule.tags.lacking", {"one": "lacks the tag {tags}", "other": "lacks the tags {tags}"}, count_of="count"
)
TAGS_ALL = sentence("rule.tags.all", "has all the tags {tags}")
TAGS_ANY = sentence("rule.tags.any", "is tagged {tags}")
TAGS_NONE = sentence("rule.tags.none", "has none of the tags {tags}")
FIELD_IS = sentence("rule.field.is", "field {field} is “{value}”")
FIELD_EMPTY = sentence("rule.field.empty", "field {field} is empty, not {allowed}")
FIELD_OTHER = sentence("rule.field.other", "field {field} is {actual}, not {allowed}")
# kind -> (no value, an allowed value, another value)
ATTRIBUTE_REASONS = {
    "form": (
        sentence("rule.form.missing", "has no form"),
        sentence("rule.form.is", "form is {actual}"),
        sentence("rule.form.other", "form is {actual}, not {allowed}"),
    ),
    "brand": (
        sentence("rule.brand.missing", "has no brand"),
        sentence("rule.brand.is", "brand is {actual}"),
        sentence("rule.brand.other", "brand is {actual}, not {allowed}"),
    ),
    "organization": (
        sentence("rule.organization.missing", "has no organisation"),
        sentence("rule.organization.is", "organisation is {actual}"),
        sentence("rule.organization.other", "organisation is {actual}, not {allowed}"),
    ),
    "channel": (
        sentence("rule.channel.missing", "has no channel"),
        sentence("rule.channel.is", "channel is {actual}"),
        sentence("rule.channel.other", "channel is {actual}, not {allowed}"),
    ),
}
REQUESTER_LISTED = sentence("rule.requester.listed", "requester {who} is on the affected-customers list")
REQUESTER_UNLISTED = sentence(
    "rule.requester.unlisted",
    {
        "one": "requester {who} is not on the affected-customers list ({count} customer)",
        "other": "requester {who} is not on the affected-customers list ({count} customers)",
    },
    count_of="count",
)
WINDOW_UNKNOWN = sentence("rule.window.unknown", "creation time is unknown")
WINDOW_BEFORE = sentence("rule.window.before", "created {created}, before the window {start} – {end}")
WINDOW_AFTER = sentence("rule.window.after", "created {created}, after the window {start} – {end}")
WINDOW_WITHIN = sentence("rule.window.within", "created {created}, within the window {start} – {end}")
NO_SELECTING_RULE = sentence("rule.none", "the incident has no rule that selects tickets")


@dataclass(frozen=True)
class RuleOutcome:
    matched: bool
    why: Phrase
    near: bool = False


@functools.lru_cache(maxsize=512)
def _phrase_matcher(phrases: tuple[str, ...]) -> PhraseMatcher:
    return PhraseMatcher(PhraseRule(index, phrase) for index, phrase in enumerate(phrases))


@functools.lru_cache(maxsize=512)
def _word_matcher(phrases: tuple[str, ...]) -> PhraseMatcher:
    words = {w for phrase in phrases for w in normalize(phrase).split(" ") if len(w) >= MIN_NEAR_WORD_LENGTH}
    return PhraseMatcher(PhraseRule(index, word) for index, word in enumerate(sorted(words)))


@functools.lru_cache(maxsize=128)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _quoted(items: Sequence[object], limit: int = 3) -> str:
    shown = ", ".join(f"“{item}”" for item in items[:limit])
    return shown + (f", … (+{len(items) - limit})" if len(items) > limit else "")


def _found(phrases: tuple[str, ...], text: str) -> str:
    """ "“phrase” (“customer's words”)" for the phrases found in ``text``, or ""."""
    hits = sorted(_phrase_matcher(phrases).match(text).values(), key=lambda hit: hit.incident_id)
    return "; ".join(f"“{hit.phrases[0]}” (“{hit.excerpts[0]}”)" for hit in hits)


def _phrases(spec: RuleSpec, facts: TicketFacts) -> RuleOutcome:
    found = _found(spec.value, facts.text)
    if found:
        return RuleOutcome(True, PHRASE_FOUND(found=found))
    partial = [hit.excerpts[0] for hit in _word_matcher(spec.value).match(facts.text).values()]
    if partial:
        return RuleOutcome(
            False,
            PHRASE_PARTIAL(phrases=_quoted(spec.value), parts=_quoted(sorted(set(partial)))),
            near=True,
        )
    return RuleOutcome(False, PHRASE_NONE(phrases=_quoted(spec.value)))


def _exclusions(spec: RuleSpec, facts: TicketFacts) -> RuleOutcome:
    found = _found(spec.value, facts.text)
    if found:
        return RuleOutcome(False, EXCLUSION_FOUND(found=found))
    return RuleOutcome(True, EXCLUSION_NONE(phrases=_quoted(spec.value)))


def _regex(spec: RuleSpec, facts: TicketFacts) -> RuleOutcome:
    match = _compiled(spec.value).search(facts.text)
    if match:
        return RuleOutcome(True, REGEX_FOUND(pattern=spec.value, text=match.group()[:80]))
    return RuleOutcome(False, REGEX_NONE(pattern=spec.value))


def _tags(spec: RuleSpec, facts: TicketFacts) -> RuleOutcome:
    ticket_tags = {tag.casefold() for tag in facts.tags}
    present = [tag for tag in spec.value if tag in ticket_tags]
    missing = [tag for tag in spec.value if tag not in ticket_tags]
    if spec.kind == "tags_all":
        if missing:
            return RuleOutcome(False, TAGS_LACKING(count=len(missing), tags=", ".join(missing)))
        return RuleOutcome(True, TAGS_ALL(tags=", ".join(present)))
    if present:
        return RuleOutcome(True, TAGS_ANY(tags=", ".join(present)))
    return RuleOutcome(False, TAGS_NONE(tags=", ".join(spec.value)))


def _field_values(value: object) -> list[str]:
    values = value if isinstance(value, (list, tuple, set)) else [value]
    return [
        str(v).lower() if isinstance(v, bool) else " ".join(str(v).split())
        for v in values
        if v is not None and str(v).strip()
    ]


def _custom_field(spec: RuleSpec, facts: TicketFacts) -> RuleOutcome:
    condition: FieldCondition = spec.value
    field = f"{condition.field_id}" + (f" ({condition.label})" if condition.label else "")
    actual = _field_values(facts.custom_fields.get(condition.field_id))
    wanted = {v.casefold(): v for v in condition.values}
    hits = [v for v in actual if v.casefold() in wanted]
    if hits:
        return RuleOutcome(True, FIELD_IS(field=field, value=hits[0]))
    allowed = _quoted(condition.values)
    if not actual:
        return RuleOutcome(False, FIELD_EMPTY(field=field, allowed=allowed))
    return RuleOutcome(False, FIELD_OTHER(field=field, actual=_quoted(actual), allowed=allowed))


def _one_of(what: str, actual: object, allowed: tuple[Any, ...]) -> RuleOutcome:
    """``what`` is the rule kind (form, brand, organization, channel)."""
    missing, allowed_value, other_value = ATTRIBUTE_REASONS[what]
    if actual is None or actual == "":
        return RuleOutcome(False, missing())
    if (actual.casefold() if isinstance(actual, str) else actual) in allowed:
        return RuleOutcome(True, allowed_value(actual=actual))
    return RuleOutcome(False, other_value(actual=actual, allowed=" / ".join(map(str, allowed))))


def _requester(spec: RuleSpec, facts: TicketFacts, email: str | None) -> RuleOutcome:
    audience: Audience = spec.value
    size = len(audience.user_ids) + len(audience.emails)
    if facts.requester_id is not None and facts.requester_id in audience.user_ids:
        return RuleOutcome(True, REQUESTER_LISTED(who=facts.requester_id))
    if email and email.casefold() in audience.emails:
        return RuleOutcome(True, REQUESTER_LISTED(who=email))
    who = " ".join(str(part) for part in (facts.requester_id, email) if part) or "?"
    return RuleOutcome(False, REQUESTER_UNLISTED(who=who, count=size))


def _created(spec: RuleSpec, facts: TicketFacts) -> RuleOutcome:
    window: Window = spec.value
    if facts.created_at is None:
        return RuleOutcome(False, WINDOW_UNKNOWN())
    created, start = utc(facts.created_at), utc(window.start)
    end = utc(window.end) if window.end else None
    stamps = {
        "created": f"{created:%Y-%m-%d %H:%M} UTC",
        "start": f"{start:%Y-%m-%d %H:%M} UTC",
        "end": f"{end:%Y-%m-%d %H:%M} UTC" if end else "…",
    }
    if created < start:
        return RuleOutcome(False, WINDOW_BEFORE(**stamps))
    if end and created >= end:
        return RuleOutcome(False, WINDOW_AFTER(**stamps))
    return RuleOutcome(True, WINDOW_WITHIN(**stamps))


def evaluate(spec: RuleSpec, facts: TicketFacts, *, requester_email: str | None = None) -> RuleOutcome:
    """Whether one rule lets the ticket through, and why."""
    kind = spec.kind
    if kind == "phrase":
        return _phrases(spec, facts)
    if kind == "exclude_phrase":
        return _exclusions(spec, facts)
    if kind == "regex":
        return _regex(spec, facts)
    if kind in ("tags_any", "tags_all"):
        return _tags(spec, facts)
    if kind == "custom_field":
        return _custom_field(spec, facts)
    if kind == "requester":
        return _requester(spec, facts, requester_email)
    if kind == "created_within":
        return _created(spec, facts)
    attributes = {
        "form": facts.form_id,
        "brand": facts.brand_id,
        "organization": facts.organization_id,
        "channel": facts.channel,
    }
    if kind in attributes:
        return _one_of(kind, attributes[kind], spec.value)
    raise ValueError(f"unknown rule kind {kind!r}")


@dataclass(frozen=True)
class Verdict:
    matched: bool
    reasons: tuple[Phrase, ...]  # each rule kind's reason (for a miss: each failing rule's)
    failing_kinds: tuple[str, ...]
    near_miss: bool

    @property
    def why(self) -> str:
        return "; ".join(self.reasons)


def judge(specs: Sequence[RuleSpec], facts: TicketFacts, *, requester_email: str | None = None) -> Verdict:
    """An incident's rules together: kinds AND, rules within a kind OR, every exclusion holds."""
    by_kind: dict[str, list[RuleOutcome]] = {}
    for spec in specs:
        by_kind.setdefault(spec.kind, []).append(evaluate(spec, facts, requester_email=requester_email))
    if not set(by_kind) - {"exclude_phrase"}:
        return Verdict(False, (NO_SELECTING_RULE(),), (), False)
    failing = tuple(
        kind
        for kind, outcomes in by_kind.items()
        if not (all if kind == "exclude_phrase" else any)(o.matched for o in outcomes)
    )
    if not failing:
        reasons = tuple(next(o.why for o in outcomes if o.matched) for outcomes in by_kind.values())
        return Verdict(True, reasons, (), False)
    missing = [o.why for kind in failing for o in by_kind[kind] if not o.matched]
    near = len(failing) == 1 and (failing[0] != "phrase" or any(o.near for o in by_kind["phrase"]))
    return Verdict(False, tuple(dict.fromkeys(missing)), failing, near)


@dataclass(frozen=True)
class TicketPreview:
    ticket_id: int
    subject: str
    verdict: Verdict


@dataclass(frozen=True)
class Preview:
    matches: tuple[TicketPreview, ...]  # at most ``limit``, in the order the tickets came
    near_misses: tuple[TicketPreview, ...]  # at most ``limit``
    match_count: int
    near_miss_count: int
    ticket_count: int


def preview(
    specs: Sequence[RuleSpec],
    tickets: Iterable[TicketFacts],
    *,
    requester_emails: Mapping[int, str] | None = None,
    limit: int = 20,
) -> Preview:
    """Which of ``tickets`` (the recent ones, newest first) the rules would match, and why; and the
    near misses that would not, with the one reason each."""
    matches: list[TicketPreview] = []
    near_misses: list[TicketPreview] = []
    match_count = near_miss_count = ticket_count = 0
    for ticket in tickets:
        ticket_count += 1
        email = (requester_emails or {}).get(ticket.requester_id) if ticket.requester_id is not None else None
        verdict = judge(specs, ticket, requester_email=email)
        if verdict.matched:
            match_count += 1
            if len(matches) < limit:
                matches.append(TicketPreview(ticket.id, ticket.subject, verdict))
        elif verdict.near_miss:
            near_miss_count += 1
            if len(near_misses) < limit:
                near_misses.append(TicketPreview(ticket.id, ticket.subject, verdict))
    return Preview(tuple(matches), tuple(near_misses), match_count, near_miss_count, ticket_count)
