"""Backfill, the admin's side: ask for a dry run, confirm it, and read where a backfill stands.

Nothing here talks to the helpdesk: the worker's ``backfill_runner`` reads the window's tickets
and later hands the matching ones to the inbox. A person asks for the count, sees it with a
sample and the reasons, and confirms; only then is anything written to a ticket, by the
pipeline, exactly once per ticket."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service import clock
from service.audit import record
from service.domain.backfill import (
    MAX_CANDIDATES,
    UNFINISHED,
    BackfillState,
    delivery_key,
    percent,
    window_start,
)
from service.domain.errors import Conflict, NotFound
from service.domain.phrases import sentence
from service.domain.states import DeliveryState
from service.incidents.backfill_models import Backfill
from service.models import InboxDelivery, Incident, TicketLink

KEY_CHUNK = 500

RESOLVED = sentence(
    "backfill.resolved", "The incident is resolved: reopen it before backfilling its tickets."
)
IN_PROGRESS = sentence(
    "backfill.in_progress", "This incident has a backfill in progress: wait until it is finished."
)
ONLY_COUNTED = sentence(
    "backfill.only_counted", "Only a counted dry run can be applied: count the tickets again, then apply."
)
TOO_MANY = sentence(
    "backfill.too_many",
    "More than {limit} tickets were created in the window: set the incident's start time later, "
    "then count again.",
)
FINISHED = (DeliveryState.DONE, DeliveryState.IGNORED, DeliveryState.FAILED)


def start_dry_run(session: Session, incident: Incident, *, actor: str) -> Backfill:
    """A new backfill that only counts (replacing a count nobody applied); refused while another
    is in progress, or when the incident is no longer active (the pipeline would link nothing)."""
    if incident.state != "active":
        raise Conflict(RESOLVED())
    unfinished = latest(session, incident.id, unfinished_only=True)
    if unfinished is not None and unfinished.state != BackfillState.COUNTED:
        raise Conflict(IN_PROGRESS())
    if unfinished is not None:  # a count nobody applied: the new one replaces it
        unfinished.state, unfinished.finished_at = BackfillState.DISCARDED, clock.now()
    now = clock.now()
    backfill = Backfill(
        incident_id=incident.id,
        state=BackfillState.COUNTING,
        requested_by=actor,
        window_start=window_start(incident.started_at, incident.created_at),
        window_end=now,
        cursor="",
        feed_calls=0,
        seen_ids=[],
        candidates=0,
        matched=0,
        skipped={},
        to_answer=[],
        sample=[],
        stored=0,
        processed=0,
        answered=0,
        created_at=now,
    )
    session.add(backfill)
    session.flush()
    record(
        session,
        "backfill.dry_run_requested",
        incident_id=incident.id,
        actor=actor,
        detail={"backfill_id": backfill.id, "window_start": backfill.window_start.isoformat()},
    )
    return backfill


def confirm(session: Session, backfill: Backfill, *, actor: str) -> Backfill:
    """The admin has seen the count: the worker stores the tickets in the inbox."""
    if backfill.state != BackfillState.COUNTED:
        raise Conflict(ONLY_COUNTED())
    incident = session.get(Incident, backfill.incident_id)
    if incident is None or incident.state != "active":
        raise Conflict(RESOLVED())
    backfill.state = BackfillState.QUEUED
    backfill.confirmed_by = actor
    backfill.confirmed_at = clock.now()
    record(
        session,
        "backfill.confirmed",
        incident_id=backfill.incident_id,
        actor=actor,
        detail={"backfill_id": backfill.id, "tickets": len(backfill.to_answer)},
    )
    return backfill


def get_backfill(session: Session, incident_id: int, backfill_id: int) -> Backfill:
    backfill = session.get(Backfill, backfill_id)
    if backfill is None or backfill.incident_id != incident_id:
        raise NotFound(f"Incident {incident_id} has no backfill {backfill_id}.")
    return backfill


def latest(session: Session, incident_id: int, *, unfinished_only: bool = False) -> Backfill | None:
    query = select(Backfill).where(Backfill.incident_id == incident_id)
    if unfinished_only:
        query = query.where(Backfill.state.in_(UNFINISHED))
    return session.scalars(query.order_by(Backfill.id.desc()).limit(1)).first()


def processed_count(session: Session, backfill: Backfill) -> int:
    """How many of the tickets handed to the inbox the pipeline has finished with."""
    keys = [delivery_key(backfill.incident_id, t) for t in backfill.to_answer]
    done = 0
    for start in range(0, len(keys), KEY_CHUNK):
        done += (
            session.scalar(
                select(func.count())
                .select_from(InboxDelivery)
                .where(
                    InboxDelivery.delivery_key.in_(keys[start : start + KEY_CHUNK]),
                    InboxDelivery.state.in_(FINISHED),
                )
            )
            or 0
        )
    return done


def answered_count(session: Session, backfill: Backfill) -> int:
    """How many of them are linked to the incident now (by this backfill or a webhook)."""
    ids = list(backfill.to_answer)
    linked = 0
    for start in range(0, len(ids), KEY_CHUNK):
        linked += (
            session.scalar(
                select(func.count())
                .select_from(TicketLink)
                .where(
                    TicketLink.incident_id == backfill.incident_id,
                    TicketLink.ticket_id.in_(ids[start : start + KEY_CHUNK]),
                )
            )
            or 0
        )
    return linked


def as_json(session: Session, backfill: Backfill) -> dict[str, object]:
    """What the page, its progress bar and the API show."""
    running = backfill.state == BackfillState.RUNNING
    processed = processed_count(session, backfill) if running else backfill.processed
    total = len(backfill.to_answer)
    return {
        "id": backfill.id,
        "incident_id": backfill.incident_id,
        "state": str(backfill.state),
        "window_start": backfill.window_start.isoformat(),
        "window_end": backfill.window_end.isoformat(),
        "requested_by": backfill.requested_by,
        "confirmed_by": backfill.confirmed_by,
        "candidates": backfill.candidates,
        "matched": backfill.matched,
        "skipped": dict(backfill.skipped),
        "to_answer": total,
        "sample": list(backfill.sample),
        "stored": backfill.stored,
        "processed": processed,
        "answered": backfill.answered,
        "percent": percent(processed, total),
        "error": stored_error(backfill.error),
    }


def stored_error(error: str | None) -> str | None:
    """A failed backfill's reason: the sentence of too many tickets is said as a phrase again (so
    the page says it in the admin's language); any other reason is the helpdesk's, as stored."""
    if error is not None and error == TOO_MANY(limit=MAX_CANDIDATES):
        return TOO_MANY(limit=MAX_CANDIDATES)
    return error
