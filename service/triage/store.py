"""Triage settings read for the pipeline (every active incident's rules in one query), shown and
changed through the API, and the earlier contacts of a batch's requesters."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from integrations.base import HelpdeskError, HelpdeskPort
from service.audit import record
from service.domain.errors import InvalidInput
from service.domain.linking.triage_rules import DEFAULT_TRIAGE, PRIORITIES, TriageRules
from service.domain.phrases import Phrase, sentence
from service.models import TicketLink
from service.triage.models import TriageSettings

ACCOUNT = 0
MAX_PHRASES = 200
MAX_PHRASE = 100


class InvalidTriage(InvalidInput):
    def __init__(self, errors: dict[str, str]):
        super().__init__("invalid triage settings")
        self.errors = errors


def _rules(row: TriageSettings) -> TriageRules:
    return TriageRules(
        vip_tags=frozenset(row.vip_tags),
        vip_priority=row.vip_priority,
        threat_phrases=tuple(row.threat_phrases),
        threat_priority=row.threat_priority,
        repeat_contacts=row.repeat_contacts,
        repeat_priority=row.repeat_priority,
        group_id=row.group_id,
        value_field=row.value_field,
        value_at_least=row.value_at_least,
        value_priority=row.value_priority,
        waiting_hours=row.waiting_hours,
        waiting_priority=row.waiting_priority,
    )


def rules_for(
    session: Session, incident_ids: Iterable[int], default_vip_tags: Iterable[str] = ("vip",)
) -> dict[int, TriageRules]:
    """Each incident's rules: its own when saved, else the account's, else the defaults."""
    ids = list(incident_ids)
    rows = {
        r.scope: r
        for r in session.scalars(select(TriageSettings).where(TriageSettings.scope.in_([ACCOUNT, *ids])))
    }
    account = _rules(rows[ACCOUNT]) if ACCOUNT in rows else _defaults(default_vip_tags)
    return {i: _rules(rows[i]) if i in rows else account for i in ids}


def _defaults(vip_tags: Iterable[str]) -> TriageRules:
    return replace(DEFAULT_TRIAGE, vip_tags=frozenset(vip_tags))


def earlier_contacts(session: Session, requester_ids: Iterable[int]) -> dict[int, int]:
    """Per requester: their tickets already linked to an incident (any incident, ever)."""
    ids = sorted({i for i in requester_ids if i})
    if not ids:
        return {}
    rows = session.execute(
        select(TicketLink.requester_id, func.count())
        .where(TicketLink.requester_id.in_(ids))
        .group_by(TicketLink.requester_id)
    )
    return {int(requester or 0): int(count) for requester, count in rows.all()}


def as_json(rules: TriageRules, saved: bool) -> dict[str, object]:
    return {
        "saved": saved,
        "vip_tags": sorted(rules.vip_tags),
        "vip_priority": rules.vip_priority,
        "threat_phrases": list(rules.threat_phrases),
        "threat_priority": rules.threat_priority,
        "repeat_contacts": rules.repeat_contacts,
        "repeat_priority": rules.repeat_priority,
        "group_id": rules.group_id,
        "value_field": rules.value_field,
        "value_at_least": rules.value_at_least,
        "value_priority": rules.value_priority,
        "waiting_hours": rules.waiting_hours,
        "waiting_priority": rules.waiting_priority,
    }


def current(session: Session, incident_id: int | None, default_vip_tags: Iterable[str]) -> dict[str, object]:
    scope = incident_id or ACCOUNT
    row = session.get(TriageSettings, scope)
    if row is not None:
        return as_json(_rules(row), True)
    if scope != ACCOUNT:
        return {**current(session, None, default_vip_tags), "saved": False}
    return as_json(_defaults(default_vip_tags), False)


def _priority(value: object) -> str | None:
    if value in (None, ""):
        return None
    if value not in PRIORITIES:
        raise ValueError
    return str(value)


def _words(value: object, limit: int, length: int) -> list[str]:
    items = value.replace("\r", "").split("\n") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(w, str) for w in items):
        raise ValueError
    cleaned = list(dict.fromkeys(" ".join(w.split()) for w in items if w.strip()))
    if len(cleaned) > limit or any(len(w) > length or "\x00" in w for w in cleaned):
        raise ValueError
    return cleaned


def _count(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError
    number = int(str(value).strip())
    if not 0 <= number <= 1000:
        raise ValueError
    return number


def _field_key(value: object) -> str:
    key = str(value or "").strip()
    if len(key) > 80 or not all(c.isalnum() or c in "_-" for c in key):
        raise ValueError
    return key


def _number(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError
    number = float(str(value).strip() or 0)
    if number != number or abs(number) > 1e15:  # NaN or absurd
        raise ValueError
    return number


def _hours(value: object) -> float:
    hours = _number(value)
    if not 0 <= hours <= 720:
        raise ValueError
    return hours


def _group(value: object) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError
    number = int(str(value).strip())
    if not 0 < number < 2**63:
        raise ValueError
    return number


PRIORITY_EXPECTED = sentence("triage.priority_expected", "low, normal, high, urgent, or empty to leave it")
CHECKS: dict[str, tuple[Callable[[object], object], Phrase]] = {
    "vip_tags": (
        lambda v: [t.lower() for t in _words(v, 50, 80)],
        sentence("triage.tags_expected", "tags, one a line")(),
    ),
    "vip_priority": (_priority, PRIORITY_EXPECTED()),
    "threat_phrases": (
        lambda v: _words(v, MAX_PHRASES, MAX_PHRASE),
        sentence("triage.phrases_expected", "up to {count} phrases of up to {length} characters, one a line")(
            count=MAX_PHRASES, length=MAX_PHRASE
        ),
    ),
    "threat_priority": (_priority, PRIORITY_EXPECTED()),
    "repeat_contacts": (_count, sentence("triage.count_expected", "a whole number from 0 (off) to 1000")()),
    "repeat_priority": (_priority, PRIORITY_EXPECTED()),
    "group_id": (_group, sentence("triage.group_expected", "the helpdesk group's numeric id, or empty")()),
}
CHECKS.update(
    {
        "value_field": (
            _field_key,
            sentence("triage.field_key_expected", "a user or organisation field's key, or empty")(),
        ),
        "value_at_least": (_number, sentence("triage.number_expected", "a number")()),
        "value_priority": (_priority, PRIORITY_EXPECTED()),
        "waiting_hours": (_hours, sentence("triage.hours_expected", "hours from 0 (off) to 720")()),
        "waiting_priority": (_priority, PRIORITY_EXPECTED()),
    }
)
UNKNOWN = sentence("triage.unknown_setting", "unknown setting")
NO_SUCH_GROUP = sentence(
    "triage.no_such_group", "the helpdesk has no group {group_id}: give an existing group's id, or empty"
)
GROUP_NOT_CHECKED = sentence(
    "triage.group_not_checked", "the helpdesk could not say whether group {group_id} exists: try again"
)


def _group_error(helpdesk: HelpdeskPort, group_id: object) -> Phrase | None:
    """Why tickets cannot be routed to ``group_id`` (None when they can, or there is none)."""
    if not isinstance(group_id, int):
        return None
    try:
        exists = helpdesk.group_exists(group_id)
    except HelpdeskError:
        return GROUP_NOT_CHECKED(group_id=group_id)
    return None if exists else NO_SUCH_GROUP(group_id=group_id)


def change(
    session: Session,
    incident_id: int | None,
    data: Mapping[str, object],
    *,
    actor: str,
    default_vip_tags: Iterable[str],
    helpdesk: HelpdeskPort,
) -> dict[str, object]:
    """Save the keys sent over the current settings; raises ``InvalidTriage`` naming each field.
    A group to route to must exist in ``helpdesk``."""
    unknown = sorted(set(data) - set(CHECKS) - {"saved"})
    errors: dict[str, str] = dict.fromkeys(unknown, UNKNOWN())
    values: dict[str, object] = {}
    for key, (check, expected) in CHECKS.items():
        if key in data:
            try:
                values[key] = check(data[key])
            except (TypeError, ValueError):
                errors[key] = expected
    if "group_id" not in errors and (group_error := _group_error(helpdesk, values.get("group_id"))):
        errors["group_id"] = group_error
    if errors:
        raise InvalidTriage(errors)
    scope = incident_id or ACCOUNT
    row = session.get(TriageSettings, scope)
    if row is None:
        base = current(session, incident_id, default_vip_tags)
        row = TriageSettings(scope=scope, **{k: base[k] for k in CHECKS})
        session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    session.flush()
    record(session, "triage.settings_changed", actor=actor, incident_id=incident_id, detail=values)
    return as_json(_rules(row), True)
