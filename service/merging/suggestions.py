"""Merge suggestions: offered by the merge stage, shown in the sidebar of either ticket, merged or
dismissed there by an agent.

One row per pair of tickets, whatever its state, so a pair is offered once: a dismissed pair is
never suggested again, a merged one never twice. An agent's merge checks the tickets as Zendesk
has them at the click (``refusal_now``), reserves the merge in ``merges`` like the stage does (one
per source), and merges through the same port call, comments and audit entry (``jobs``); a
suggestion that can no longer be merged becomes 'outdated' with the reason.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from integrations.base import HelpdeskError, HelpdeskOrganization, HelpdeskUser, JobResult
from service import clock
from service.audit import record
from service.db import Database
from service.domain.errors import Conflict, NotFound
from service.domain.merging.policy import comment_texts, comments_are_public
from service.domain.merging.suggestions import (
    ALREADY_DECIDED,
    NO_SUCH_SUGGESTION,
    SHOWN_DIFFERENTLY,
    Suggestion,
    SuggestionState,
    refusal_now,
)
from service.domain.phrases import sentence
from service.domain.states import MergeState
from service.helpdesk.job_watch import wait_until_finished
from service.merging import store
from service.merging.candidates import as_candidate, load_live
from service.merging.jobs import job_failure, mark_merged
from service.merging.models import Merge, MergeSuggestion
from service.wiring import Services

CONFIRMED = "agent_confirmed"  # the merge's reason: an agent merged a suggestion
RETRY_AFTER_SECONDS = 2  # a running merge job: the sidebar asks again this much later
MERGE_FAILED = sentence("merge_suggestion.failed", "Zendesk did not merge the tickets: {error}")
STILL_MERGING = sentence(
    "merge_suggestion.still_merging",
    "Zendesk is still merging ticket #{source_id} into #{target_id}. Reload the sidebar in a minute.",
)
MERGE_RUNNING = sentence(
    "merge_suggestion.running",
    "Zendesk is still merging ticket #{source_id} into #{target_id}; this updates by itself when it is done.",
)


class StillMerging(Conflict):
    """The agent's merge is under way in Zendesk, its job not finished yet: asking again (the
    same click) settles it. ``retry_after``: seconds worth waiting first."""

    retry_after = RETRY_AFTER_SECONDS


def pair_key(a: int, b: int) -> str:
    return f"{min(a, b)}:{max(a, b)}"


def offer(session: Session, suggestion: Suggestion, incident_id: int | None) -> bool:
    """Keep a new suggestion (audited as ``merge.suggested``); False when the pair was suggested
    before, in any state."""
    key = pair_key(suggestion.source_id, suggestion.target_id)
    if session.scalar(select(MergeSuggestion.id).where(MergeSuggestion.pair == key)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                MergeSuggestion(
                    pair=key,
                    source_ticket_id=suggestion.source_id,
                    target_ticket_id=suggestion.target_id,
                    incident_id=incident_id,
                    score=suggestion.score,
                    threshold=suggestion.threshold,
                    reason=suggestion.reason,
                    state=SuggestionState.PENDING,
                )
            )
            session.flush()
    except IntegrityError:  # another worker offered it at the same moment
        return False
    record(
        session,
        "merge.suggested",
        incident_id=incident_id,
        ticket_id=suggestion.source_id,
        detail={
            "source_ticket_id": suggestion.source_id,
            "target_ticket_id": suggestion.target_id,
            "similarity": suggestion.score,
            "reason": suggestion.reason,
        },
    )
    return True


def pending_for(session: Session, ticket_id: int) -> list[MergeSuggestion]:
    """The pending suggestions about this ticket (as source or target) whose tickets are not
    merged away."""
    rows = session.scalars(
        select(MergeSuggestion)
        .where(
            or_(MergeSuggestion.source_ticket_id == ticket_id, MergeSuggestion.target_ticket_id == ticket_id),
            MergeSuggestion.state == SuggestionState.PENDING,
        )
        .order_by(MergeSuggestion.id)
    ).all()
    merged = store.merged_into(session, [t for r in rows for t in (r.source_ticket_id, r.target_ticket_id)])
    return [r for r in rows if r.source_ticket_id not in merged and r.target_ticket_id not in merged]


def _pending(
    session: Session, *, ticket_id: int, suggestion_id: int, source_id: int, target_id: int
) -> MergeSuggestion:
    """The suggestion the agent acts on, pending and still the one the sidebar showed them."""
    row = session.get(MergeSuggestion, suggestion_id)
    if row is None or ticket_id not in (row.source_ticket_id, row.target_ticket_id):
        raise NotFound(NO_SUCH_SUGGESTION(ticket_id=ticket_id, suggestion_id=suggestion_id))
    if row.state != SuggestionState.PENDING:
        decided = ALREADY_DECIDED[SuggestionState(row.state)]
        raise Conflict(decided(actor=row.decided_by or "IncidentDesk"))
    if (row.source_ticket_id, row.target_ticket_id) != (source_id, target_id):
        raise Conflict(SHOWN_DIFFERENTLY(source_id=row.source_ticket_id, target_id=row.target_ticket_id))
    return row


def _decide(session: Session, row: MergeSuggestion, state: SuggestionState, actor: str) -> None:
    row.state, row.decided_by, row.decided_at = state, actor, clock.now()
    record(
        session,
        f"merge.suggestion_{state}",
        actor=actor,
        incident_id=row.incident_id,
        ticket_id=row.source_ticket_id,
        detail={
            "suggestion_id": row.id,
            "source_ticket_id": row.source_ticket_id,
            "target_ticket_id": row.target_ticket_id,
            "similarity": row.score,
            **({"why": row.outcome} if row.outcome else {}),
        },
    )


def dismiss(
    db: Database, *, ticket_id: int, suggestion_id: int, source_id: int, target_id: int, actor: str
) -> None:
    """The agent says the pair is not a duplicate: it is never suggested again."""
    with db.transaction() as session:
        row = _pending(
            session,
            ticket_id=ticket_id,
            suggestion_id=suggestion_id,
            source_id=source_id,
            target_id=target_id,
        )
        _decide(session, row, SuggestionState.DISMISSED, actor)


def merge_suggested(
    services: Services, *, ticket_id: int, suggestion_id: int, source_id: int, target_id: int, actor: str
) -> None:
    """Merge the suggested pair now, if the tickets still allow it. Raises ``NotFound`` or
    ``Conflict`` (with the reason, to be said in the agent's language) and the port's
    ``HelpdeskError`` (nothing was merged)."""
    with services.db.transaction() as session:
        row = _pending(
            session,
            ticket_id=ticket_id,
            suggestion_id=suggestion_id,
            source_id=source_id,
            target_id=target_id,
        )
        rules = store.rules_for(session, row.incident_id)
        existing = store.merged_into(session, [source_id, target_id])
        incident_id, score, reason = row.incident_id, row.score, row.reason
    if source_id in existing and existing[source_id].target_ticket_id == target_id:
        _settle(services, existing[source_id], suggestion_id, actor)
        return
    users: dict[int, HelpdeskUser] = {}
    orgs: dict[int, HelpdeskOrganization] = {}
    tickets = load_live(services.helpdesk, {source_id, target_id}, users, orgs)
    live = {t.id: as_candidate(t, None, users, orgs, set()) for t in tickets.values()}
    refused = refusal_now(
        source_id=source_id,
        target_id=target_id,
        live=live,
        merged_into={s: m.target_ticket_id for s, m in existing.items()},
        rules=rules,
    )
    if refused is not None:
        with services.db.transaction() as session:
            outdated = session.get(MergeSuggestion, suggestion_id)
            if outdated is not None and outdated.state == SuggestionState.PENDING:
                outdated.outcome = str(refused)
                _decide(session, outdated, SuggestionState.OUTDATED, actor)
        raise Conflict(refused)
    source, target = live[source_id], live[target_id]
    locale, target_text, source_text = comment_texts(rules, source, target_id, source_id)
    public = comments_are_public(rules, source, target)
    evidence: dict[str, object] = {
        "match": reason,
        "similarity": score,
        "requester_id": source.requester_id,
        "requester_name": source.requester_name,
        "target_requester_id": target.requester_id,
        "suggestion_id": suggestion_id,
        "confirmed_by": actor,
    }
    if source.requester_id != target.requester_id:
        evidence["cross_requester_org_id"] = source.organization_id
    merge = Merge(
        source_ticket_id=source_id,
        target_ticket_id=target_id,
        incident_id=incident_id,
        requester_id=source.requester_id,
        reason=CONFIRMED,
        evidence=evidence,
        locale=locale,
        public=public,
        owner=actor,
        state=MergeState.APPLYING,
    )
    with services.db.transaction() as session:
        if not store.reserve(session, merge):
            raise Conflict(STILL_MERGING(source_id=source_id, target_id=target_id))
        merge_id = merge.id
    try:
        job = services.helpdesk.merge_tickets(
            target_id,
            [source_id],
            target_comment=target_text,
            source_comment=source_text,
            target_public=public,
            source_public=public,
        )
    except HelpdeskError:
        _forget(services.db, merge_id)
        raise
    _finish(services, merge_id, job, suggestion_id, actor)


def _settle(services: Services, merge: Merge, suggestion_id: int, actor: str) -> None:
    """A click on a pair already being merged (Zendesk was still at it): look at its job again."""
    if merge.state == MergeState.MERGED:
        with services.db.transaction() as session:
            row = session.get(MergeSuggestion, suggestion_id)
            if row is not None:
                _decide(session, row, SuggestionState.MERGED, actor)
        return
    if merge.job_id is None:
        raise Conflict(STILL_MERGING(source_id=merge.source_ticket_id, target_id=merge.target_ticket_id))
    _finish(services, merge.id, services.helpdesk.job_status(merge.job_id), suggestion_id, actor)


def _finish(services: Services, merge_id: int, job: JobResult, suggestion_id: int, actor: str) -> None:
    """Record what the merge job did; raises ``Conflict`` when it failed, ``StillMerging`` when
    Zendesk is still at it after the short wait a click allows (never a proxy's timeout)."""
    [job] = wait_until_finished(services.job_watch, [job], services.settings.sidebar_job_wait_seconds)
    refused: Conflict | None = None
    with services.db.transaction() as session:
        merge = session.get(Merge, merge_id)
        if merge is None:  # dropped as stale meanwhile: the next click checks the tickets again
            return
        source_id, target_id = merge.source_ticket_id, merge.target_ticket_id
        failure = job_failure(job) if job.finished else None
        if not job.finished:
            merge.job_id = job.id
            refused = StillMerging(MERGE_RUNNING(source_id=source_id, target_id=target_id))
        elif failure is not None:
            session.delete(merge)
            record(
                session,
                "merge.failed",
                actor=actor,
                incident_id=merge.incident_id,
                ticket_id=source_id,
                detail={"source_ticket_id": source_id, "target_ticket_id": target_id, "error": failure[:500]},
            )
            refused = Conflict(MERGE_FAILED(error=failure[:300]))
        else:
            mark_merged(session, merge, job.id, actor=actor)
            row = session.get(MergeSuggestion, suggestion_id)
            if row is not None:
                _decide(session, row, SuggestionState.MERGED, actor)
    if refused is not None:
        raise refused


def _forget(db: Database, merge_id: int) -> None:
    with db.transaction() as session:
        merge = session.get(Merge, merge_id)
        if merge is not None:
            session.delete(merge)
