"""The rules that say which tickets belong to an incident, as an admin writes and reads them.

``validate_rule(kind, raw_value)`` turns what an admin typed (form text, or JSON from the API)
into a ``RuleSpec``, or raises ``InvalidRule`` with a message that says what to fix.
``rule_evaluation.evaluate(spec, facts)`` says whether one rule lets a ticket through, and why;
``rule_evaluation.judge`` and ``preview`` combine an incident's rules.

Kinds (``KINDS``) and their values:
  phrase, exclude_phrase  phrases, one per line (matched as ``matching`` documents)
  regex                   a regular expression searched in subject and description, ignoring case
  tags_any, tags_all      ticket tags, separated by spaces or commas
  custom_field            ``FieldCondition``: "<field id> = value, value" or {"field_id", "values"}
  form, brand, organization  ids, separated by spaces or commas
  channel                 how the ticket came in (Zendesk's via channel: web, email, chat, api, ...)
  requester               ``Audience``: the affected customers, as user ids or email addresses
  created_within          ``Window``: "start / end" in ISO 8601 (end may be left open); times
                          without a zone are UTC
For an exclude_phrase rule, "matched" means the ticket contains none of its phrases.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from service.domain.errors import InvalidInput
from service.domain.text.normalise import normalize

KINDS = {
    "phrase": "Phrases customers write",
    "exclude_phrase": "Phrases that rule a ticket out",
    "regex": "Regular expression over subject and description",
    "tags_any": "Any of these tags",
    "tags_all": "All of these tags",
    "custom_field": "Custom field value",
    "form": "Ticket form",
    "brand": "Brand",
    "channel": "Channel",
    "organization": "Organisation",
    "requester": "Affected customers (user ids or emails)",
    "created_within": "Created within a time window",
}
MAX_PHRASES, MAX_PHRASE_LENGTH, MAX_REGEX_LENGTH = 200, 200, 300
_LIST_SEPARATORS = re.compile(r"[\s,;]+")
_CHANNEL = re.compile(r"^[a-z][a-z0-9_]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class InvalidRule(InvalidInput):
    """A rule an admin wrote that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class FieldCondition:
    field_id: int
    values: tuple[str, ...]
    label: str = ""


@dataclass(frozen=True)
class Audience:
    user_ids: tuple[int, ...]
    emails: tuple[str, ...]


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime | None  # None: open until the incident is resolved


@dataclass(frozen=True)
class RuleSpec:
    kind: str
    # By kind: tuple[str, ...] | tuple[int, ...] | FieldCondition | Audience | Window; the
    # evaluator reads it for the kind it knows, so the type is left open here.
    value: Any


def _items(raw: object, by_lines: bool = False) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        parts = raw.splitlines() if by_lines else _LIST_SEPARATORS.split(raw)
    elif isinstance(raw, (list, tuple, set, frozenset)):
        parts = [str(item) for item in raw]
    else:
        parts = [str(raw)]
    return [" ".join(part.split()) for part in parts if part is not None and str(part).strip()]


def _ids(raw: object, what: str) -> tuple[int, ...]:
    ids = []
    for item in _items(raw):
        if not item.isdigit() or int(item) == 0:
            raise InvalidRule(f"'{item}' is not a valid {what} id; give the numeric ids, e.g. 360001234567.")
        ids.append(int(item))
    if not ids:
        raise InvalidRule(f"Give at least one {what} id.")
    return tuple(dict.fromkeys(ids))


def _phrases(raw: object) -> tuple[str, ...]:
    phrases: dict[str, str] = {}
    for phrase in _items(raw, by_lines=True):
        if len(phrase) > MAX_PHRASE_LENGTH:
            raise InvalidRule(
                f"The phrase '{phrase[:30]}…' is longer than {MAX_PHRASE_LENGTH} characters; shorten it."
            )
        if not normalize(phrase):
            raise InvalidRule(f"The phrase '{phrase}' has no letters or digits; write words customers use.")
        phrases.setdefault(normalize(phrase), phrase)
    if not phrases:
        raise InvalidRule("Add at least one phrase, one per line, e.g. 'checkout fails'.")
    if len(phrases) > MAX_PHRASES:
        raise InvalidRule(f"Use at most {MAX_PHRASES} phrases in one rule.")
    return tuple(phrases.values())


def _regex(raw: object) -> str:
    pattern = str(raw or "").strip()
    if not pattern:
        raise InvalidRule("Write a regular expression, e.g. 'order #?\\d{6} (missing|lost)'.")
    if len(pattern) > MAX_REGEX_LENGTH:
        raise InvalidRule(f"Keep the regular expression under {MAX_REGEX_LENGTH} characters.")
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise InvalidRule(
            f"The regular expression is invalid: {error.msg} at position {error.pos}."
        ) from None
    if compiled.search(""):
        raise InvalidRule(
            "The regular expression also matches empty text, so it would match every ticket; "
            "make it require some words."
        )
    return pattern


def _tags(raw: object) -> tuple[str, ...]:
    tags = tuple(dict.fromkeys(tag.casefold() for tag in _items(raw)))
    if not tags:
        raise InvalidRule("Give at least one tag, e.g. 'checkout vip'.")
    return tags


def _field(raw: object, known_fields: Mapping[int, str] | None) -> FieldCondition:
    if isinstance(raw, Mapping):
        field_text = str(raw.get("field_id", "")).strip()
        values = raw.get("values", raw.get("value"))
        values = [values] if isinstance(values, (str, int, float, bool)) else values
        values = [" ".join(str(v).split()) for v in values or () if str(v).strip()]
    else:
        field_text, _, values_text = str(raw or "").partition("=")
        values = [" ".join(v.split()) for v in values_text.split(",") if v.strip()]
        field_text = field_text.strip()
    if not field_text.isdigit():
        raise InvalidRule("Write the field's numeric id and the values, e.g. '360012345 = size 42, size 43'.")
    field_id = int(field_text)
    if known_fields is not None and field_id not in known_fields:
        known = ", ".join(f"{fid} ({name})" for fid, name in sorted(known_fields.items())) or "none"
        raise InvalidRule(f"Unknown custom field {field_id}; the helpdesk has these fields: {known}.")
    if not values:
        raise InvalidRule(f"Give at least one value for field {field_id}, after '='.")
    label = known_fields[field_id] if known_fields else ""
    return FieldCondition(field_id, tuple(dict.fromkeys(values)), label)


def _channels(raw: object) -> tuple[str, ...]:
    channels = tuple(dict.fromkeys(item.casefold() for item in _items(raw)))
    for channel in channels:
        if not _CHANNEL.match(channel):
            raise InvalidRule(
                f"'{channel}' is not a channel name; use names such as web, email, chat, api, voice."
            )
    if not channels:
        raise InvalidRule("Give at least one channel, e.g. 'email chat'.")
    return channels


def _audience(raw: object) -> Audience:
    user_ids, emails = [], []
    for item in _items(raw):
        if item.isdigit():
            user_ids.append(int(item))
        elif _EMAIL.match(item):
            emails.append(item.casefold())
        else:
            raise InvalidRule(f"'{item}' is neither a user id nor an email address.")
    if not user_ids and not emails:
        raise InvalidRule("List the affected customers: user ids or email addresses, one per line.")
    return Audience(tuple(dict.fromkeys(user_ids)), tuple(dict.fromkeys(emails)))


def _moment(raw: object, which: str) -> datetime:
    try:
        moment = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw).strip())
    except ValueError:
        raise InvalidRule(
            f"The {which} '{raw}' is not a date and time; write e.g. 2026-11-22T14:00Z."
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _window(raw: object, now: datetime) -> Window:
    if isinstance(raw, Mapping):
        start_raw, end_raw = raw.get("start"), raw.get("end")
    else:
        start_raw, _, end_raw = str(raw or "").partition("/")
    if start_raw is None or not str(start_raw).strip():
        raise InvalidRule("Give the window's start, e.g. '2026-11-22T14:00Z / 2026-11-22T20:00Z'.")
    start = _moment(start_raw, "start")
    end = _moment(end_raw, "end") if end_raw is not None and str(end_raw).strip() else None
    if end is not None and end <= start:
        raise InvalidRule(
            f"The window is empty: it ends ({end:%Y-%m-%d %H:%M %Z}) before it starts "
            f"({start:%Y-%m-%d %H:%M %Z})."
        )
    if end is not None and end < now:
        raise InvalidRule(
            f"The window ended at {end:%Y-%m-%d %H:%M %Z}, in the past, so no new ticket would "
            "match; move the end later or leave it open."
        )
    return Window(start, end)


def validate_rule(
    kind: str,
    raw_value: object,
    *,
    known_fields: Mapping[int, str] | None = None,
    now: datetime | None = None,
) -> RuleSpec:
    """Check and clean what an admin wrote. ``known_fields`` (id -> title) lets custom field
    rules name only fields that exist; ``now`` is the moment windows must not end before."""
    parsers: dict[str, Callable[[Any], Any]] = {
        "phrase": _phrases,
        "exclude_phrase": _phrases,
        "regex": _regex,
        "tags_any": _tags,
        "tags_all": _tags,
        "channel": _channels,
        "requester": _audience,
        "form": lambda raw: _ids(raw, "form"),
        "brand": lambda raw: _ids(raw, "brand"),
        "organization": lambda raw: _ids(raw, "organisation"),
        "custom_field": lambda raw: _field(raw, known_fields),
        "created_within": lambda raw: _window(raw, now or datetime.now(UTC)),
    }
    if kind not in parsers:
        raise InvalidRule(f"Unknown rule kind '{kind}'; use one of: {', '.join(KINDS)}.")
    return RuleSpec(kind, parsers[kind](raw_value))
