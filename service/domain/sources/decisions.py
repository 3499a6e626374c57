"""What a vendor's event does here: declare (or propose) an incident, post a status version,
resolve (or propose to), or nothing, with why. Pure: the caller loads what is known and acts.

Vendor stages map onto IncidentDesk's: triggered/triage/investigating -> investigating,
acknowledged/live/identified -> identified, monitoring -> monitoring, resolved/closed -> resolved
(the readers in ``events`` do the vendor half).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from service.domain.sources.events import SourceEvent

# The final message when the vendor resolves without public words (PagerDuty's incident.resolved).
RESOLVED_TEXTS = {
    "en": "The problem is fixed and everything works again. Thank you for your patience.",
    "he": "התקלה תוקנה והכול עובד שוב. תודה על הסבלנות.",
    "bg": "Проблемът е отстранен и всичко работи отново. Благодарим ви за търпението.",
}


class ProposalState(StrEnum):
    """A vendor incident seen here: waiting for an admin's click, declared, or let go."""

    PENDING = "pending"
    DECLARED = "declared"
    DISMISSED = "dismissed"


class Step(StrEnum):
    IGNORE = "ignore"
    DECLARE = "declare"
    PROPOSE = "propose"
    UPDATE_PROPOSAL = "update_proposal"
    DISMISS_PROPOSAL = "dismiss_proposal"
    POST_STATUS = "post_status"
    REOPEN = "reopen"
    RESOLVE = "resolve"
    PROPOSE_RESOLUTION = "propose_resolution"


@dataclass(frozen=True)
class SourceRules:
    auto_declare: bool
    auto_resolve: bool
    covers: str = ""  # empty: every service/component/severity of the source


@dataclass(frozen=True)
class Known:
    """What IncidentDesk already has for this vendor incident."""

    state: ProposalState
    incident_active: bool = False
    current_stage: str | None = None
    last_happened_at: datetime | None = None  # the vendor's time of the last update applied


@dataclass(frozen=True)
class Plan:
    step: Step
    stage: str | None = None
    text: str | None = None
    reason: str = ""


def covered(rules: SourceRules, event: SourceEvent) -> bool:
    wanted = rules.covers.strip().casefold()
    return not wanted or wanted in {scope.casefold() for scope in event.scopes}


def plan(event: SourceEvent, rules: SourceRules, known: Known | None) -> Plan:
    if not event.handled or not event.external_id:
        return Plan(Step.IGNORE, reason=f"{event.event_type} changes nothing for customers")
    resolved = event.stage == "resolved"
    if known is None:
        if not covered(rules, event):
            return Plan(Step.IGNORE, reason=f"not about {rules.covers}, which this source covers")
        if resolved:
            return Plan(Step.IGNORE, reason="resolved before anything was declared here")
        if event.stage is None:
            return Plan(Step.IGNORE, reason="an update to an incident not declared here")
        step = Step.DECLARE if rules.auto_declare else Step.PROPOSE
        return Plan(step, stage=event.stage, text=event.text)
    late = event.happened_at and known.last_happened_at and event.happened_at < known.last_happened_at
    if late:  # incident.io says its deliveries are unordered; an older state must not win
        return Plan(Step.IGNORE, reason="older than the last update applied (it arrived late)")
    if known.state == ProposalState.DISMISSED:
        return Plan(Step.IGNORE, reason="the proposal was dismissed")
    if known.state == ProposalState.PENDING:
        if resolved:
            return Plan(Step.DISMISS_PROPOSAL, reason="the vendor resolved it before it was confirmed")
        return Plan(Step.UPDATE_PROPOSAL, stage=event.stage, text=event.text)
    if not known.incident_active:
        if event.reopens:
            return Plan(Step.REOPEN, stage=event.stage, text=event.text)
        return Plan(Step.IGNORE, reason="the incident is already resolved here")
    if resolved:
        step = Step.RESOLVE if rules.auto_resolve else Step.PROPOSE_RESOLUTION
        return Plan(step, stage="resolved", text=event.text)
    stage = event.stage or known.current_stage or "investigating"
    if event.text is None and stage == known.current_stage:
        return Plan(Step.IGNORE, reason="no new text and the same stage")
    return Plan(Step.POST_STATUS, stage=stage, text=event.text)


def status_texts(previous: dict[str, str], text: str | None, locale: str) -> dict[str, str]:
    """A new version's texts: the vendor's words in the source's language replace every older
    text (a stale translation would contradict them); without new words the old texts stay."""
    if text:
        return {locale: text}
    return dict(previous)
