"""An incident's rules as stored (one row per phrase; other kinds as the admin's JSON value)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from integrations.base import HelpdeskPort
from service.audit import record
from service.domain.incidents import InvalidIncident
from service.domain.linking.rules import InvalidRule, RuleSpec, validate_rule
from service.models import Incident, IncidentRule

log = logging.getLogger("incidentdesk.rules")
PHRASE_KINDS = ("phrase", "exclude_phrase")
_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)  # stored windows are read, not re-judged


def stored_rule_specs(incident: Incident) -> tuple[RuleSpec, ...]:
    """The incident's rules other than phrases, ready for ``rule_evaluation.judge``."""
    specs = []
    for rule in incident.rules:
        if rule.kind in PHRASE_KINDS:
            continue
        try:
            specs.append(validate_rule(rule.kind, json.loads(rule.value), now=_LONG_AGO))
        except (InvalidRule, ValueError) as exc:
            log.error(
                "incident %s: stored rule %s (%s) is unusable and ignored: %s",
                incident.id,
                rule.id,
                rule.kind,
                exc,
            )
    return tuple(specs)


def known_fields_for(raw_rules: list[dict], helpdesk: HelpdeskPort | None) -> Mapping[int, str] | None:
    """The helpdesk's ticket fields, fetched only when a custom field rule needs checking
    (a HelpdeskError means the check cannot be made now: the caller says so)."""
    wants = any(isinstance(r, dict) and r.get("kind") == "custom_field" for r in raw_rules or [])
    return helpdesk.ticket_fields() if wants and helpdesk is not None else None


def clean_rules(
    raw_rules: list[dict], *, now: datetime | None = None, known_fields: Mapping[int, str] | None = None
) -> list[tuple[str, object]]:
    """Validate what an admin submitted: ``[{"kind": ..., "value": ...}, ...]``. Returns
    (kind, value) pairs to store; raises InvalidIncident listing every problem by position.
    ``known_fields`` (id -> title) refuses custom field rules naming a field that does not exist."""
    messages: list[str] = []
    cleaned: list[tuple[str, object]] = []
    for position, raw in enumerate(raw_rules or [], start=1):
        if not isinstance(raw, dict) or "kind" not in raw:
            messages.append(f"Rule {position}: give each rule a kind and a value.")
            continue
        try:
            spec = validate_rule(str(raw["kind"]), raw.get("value"), now=now, known_fields=known_fields)
        except InvalidRule as exc:
            messages.append(f"Rule {position} ({raw['kind']}): {exc}")
            continue
        if spec.kind in PHRASE_KINDS:
            cleaned.extend((spec.kind, phrase) for phrase in spec.value)
        else:
            cleaned.append((spec.kind, raw.get("value")))
    if messages:
        raise InvalidIncident({"rules": messages})
    if not any(kind != "exclude_phrase" for kind, _ in cleaned):
        raise InvalidIncident(
            {
                "rules": [
                    "Add at least one rule that selects tickets (phrases, tags, ...); "
                    "exclusions alone match nothing."
                ]
            }
        )
    return cleaned


def replace_rules(
    session: Session,
    incident: Incident,
    raw_rules: list[dict],
    *,
    actor: str,
    known_fields: Mapping[int, str] | None = None,
) -> None:
    cleaned = clean_rules(raw_rules, known_fields=known_fields)
    incident.rules = [
        IncidentRule(kind=kind, value=value if kind in PHRASE_KINDS else json.dumps(value))
        for kind, value in cleaned
    ]
    record(
        session,
        "incident.rules_changed",
        actor=actor,
        incident_id=incident.id,
        detail={"rules": [{"kind": k, "value": v} for k, v in cleaned]},
    )


def rules_as_input(incident: Incident) -> list[dict]:
    """The stored rules in the shape ``replace_rules`` takes (phrases of a kind grouped)."""
    grouped: dict[str, list[str]] = {}
    others: list[dict] = []
    for rule in incident.rules:
        if rule.kind in PHRASE_KINDS:
            grouped.setdefault(rule.kind, []).append(rule.value)
        else:
            others.append({"kind": rule.kind, "value": json.loads(rule.value)})
    return [{"kind": k, "value": v} for k, v in grouped.items()] + others
