"""What a batch decides with, read from the database: the active incidents as facts (their
rules, status, triage), the phrase automaton (recompiled only when the rules change), and each
ticket's links so far; and from the helpdesk, in one bounded search for the whole batch, each
requester's recent tickets."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.base import HelpdeskError, HelpdeskPort
from service.domain.linking.facts import IncidentFacts, TicketFacts
from service.domain.linking.glance import RECENT_DAYS, earlier_tickets
from service.domain.linking.matching import PhraseMatcher, PhraseRule
from service.domain.states import LinkState
from service.incidents.rules import PHRASE_KINDS, stored_rule_specs
from service.incidents.store import active_incidents
from service.models import TicketLink
from service.triage.store import rules_for as triage_rules_for

log = logging.getLogger("incidentdesk.pipeline")


def with_earlier_tickets(
    helpdesk: HelpdeskPort, facts: dict[int, TicketFacts], now: datetime
) -> dict[int, TicketFacts]:
    """The batch's facts with each requester's other tickets of the last ``RECENT_DAYS`` days.
    Should the helpdesk's search fail, the facts stay without them (the note then leaves the
    count out) rather than holding up the customers' answers."""
    requesters = sorted({f.requester_id for f in facts.values() if f.requester_id})
    if not requesters:
        return facts
    try:
        recent = helpdesk.recent_tickets(requesters, now - timedelta(days=RECENT_DAYS))
    except HelpdeskError as exc:
        log.warning("recent tickets of %d requesters not read: %s", len(requesters), exc)
        return facts
    return {
        ticket_id: replace(
            f,
            earlier_tickets=earlier_tickets(
                ticket_id, recent[f.requester_id].statuses, recent[f.requester_id].complete
            ),
        )
        if f.requester_id in recent
        else f
        for ticket_id, f in facts.items()
    }


class MatcherCache:
    """Recompile the automaton only when the active rules change."""

    def __init__(self) -> None:
        self._key: tuple[PhraseRule, ...] = ()
        self._matcher = PhraseMatcher([])

    def get(self, rules: list[PhraseRule]) -> PhraseMatcher:
        key = tuple(rules)
        if key != self._key:
            self._matcher = PhraseMatcher(rules)
            self._key = key
        return self._matcher


def incident_facts(
    session: Session, vip_tags: tuple[str, ...]
) -> tuple[dict[int, IncidentFacts], list[PhraseRule]]:
    facts: dict[int, IncidentFacts] = {}
    rules: list[PhraseRule] = []
    incidents = active_incidents(session)
    triage = triage_rules_for(session, [i.id for i in incidents], vip_tags)
    for incident in incidents:
        status = incident.current_status
        if status is None:
            continue
        phrase_rules = [
            PhraseRule(
                incident_id=incident.id, phrase=r.value, rule_id=r.id, exclude=r.kind == "exclude_phrase"
            )
            for r in incident.rules
            if r.kind in PHRASE_KINDS
        ]
        facts[incident.id] = IncidentFacts(
            id=incident.id,
            title=incident.title,
            tag=incident.tag,
            problem_ticket_id=incident.problem_ticket_id,
            status_version=status.version,
            status_texts=dict(status.texts),
            status_updated_at=status.created_at,
            default_locale=incident.default_locale,
            shadow_mode=incident.shadow_mode,
            created_at=incident.created_at,
            has_phrases=any(not r.exclude for r in phrase_rules),
            phrases=tuple(r.phrase for r in phrase_rules if not r.exclude),
            macro_id=incident.macro_id,
            status_page_url=incident.status_page_url,
            other_rules=stored_rule_specs(incident),
            triage=triage[incident.id],
        )
        rules.extend(phrase_rules)
    return facts, rules


def known_links(session: Session, ticket_ids: list[int]) -> tuple[dict[int, frozenset[int]], set[int]]:
    """Incidents each ticket is linked to, and the tickets another worker is writing right now."""
    rows = session.execute(
        select(TicketLink.ticket_id, TicketLink.incident_id, TicketLink.state).where(
            TicketLink.ticket_id.in_(ticket_ids)
        )
    )
    known: dict[int, set[int]] = {}
    busy: set[int] = set()
    for ticket_id, incident_id, state in rows:
        known.setdefault(ticket_id, set()).add(incident_id)
        if state == LinkState.APPLYING:
            busy.add(ticket_id)
    return {t: frozenset(s) for t, s in known.items()}, busy
