"""A batch's writes, settled: every ticket's outcome recorded, its deliveries completed or put
back, in the one transaction that ends the batch."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from integrations.base import HelpdeskTicket
from service.audit import entry, record, record_all
from service.domain.linking.decisions import Decision, LeaveAlone, LinkTicket, RecordExistingLink
from service.helpdesk.executor import BulkOutcome, BulkWrite
from service.inbox import store as inbox
from service.linking import reservations
from service.linking.writer import LinkWriter
from service.models import TicketLink
from service.settings import Settings

log = logging.getLogger("incidentdesk.pipeline")


@dataclass
class BatchReport:
    linked: int = 0
    recorded: int = 0
    shadow: int = 0
    left_alone: int = 0
    retried: int = 0
    write_calls: int = 0


@dataclass
class Outcomes:
    """What a batch wrote, gathered to be stored in a few statements at its end."""

    linked: list[tuple[int, int]] = field(default_factory=list)  # (incident, ticket)
    audits: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class WrittenBatch:
    """What ``finish`` needs of a batch ``begin`` started."""

    owner: str
    by_ticket: dict[int, list[inbox.ClaimedDelivery]]
    decisions: dict[int, Decision]
    missing: list[int]
    tickets: dict[int, HelpdeskTicket]
    interrupted: dict[int, TicketLink]
    writer: LinkWriter
    notes: BulkWrite
    answers: BulkWrite


def record_batch(
    session: Session,
    settings: Settings,
    written: WrittenBatch,
    notes: BulkOutcome,
    answers: BulkOutcome,
    report: BatchReport,
) -> None:
    """Record every ticket's outcome and complete its deliveries; an answer that failed puts
    them back (an uncertain one keeps its reservation until the ticket shows what landed)."""
    owner, by_ticket, writer = written.owner, written.by_ticket, written.writer
    stale_after = settings.worker_lease_seconds + int(settings.job_timeout_seconds)
    done: list[int] = []
    outcomes = Outcomes()
    for ticket_id, decision in written.decisions.items():
        deliveries = by_ticket[ticket_id]
        error = answers.errors.get(ticket_id) if isinstance(decision, LinkTicket) else None
        if isinstance(decision, LinkTicket) and error and ticket_id in answers.uncertain:
            # It may have landed: keep the reservation and come back once it is stale,
            # when the ticket's tag tells whether the answer went out.
            for d in deliveries:
                inbox.retry_later(
                    session,
                    d.id,
                    owner,
                    f"outcome unknown: {error}",
                    attempts=d.attempts,
                    max_attempts=settings.worker_max_attempts + d.attempts,
                    retry_after=stale_after + 1,
                )
            report.retried += 1
            continue
        if isinstance(decision, LinkTicket) and error:
            reservations.release(session, writer.token, decision.incident_id, ticket_id)
            for d in deliveries:
                inbox.retry_later(
                    session,
                    d.id,
                    owner,
                    error,
                    attempts=d.attempts,
                    max_attempts=settings.worker_max_attempts,
                )
            report.retried += 1
            continue
        _record(
            session,
            decision,
            written.tickets[ticket_id],
            deliveries[0].id,
            notes.errors.get(ticket_id),
            report,
            outcomes,
            written.interrupted.get(ticket_id),
        )
        done.extend(d.id for d in deliveries)
    for ticket_id in written.missing:
        for d in by_ticket[ticket_id]:
            record(
                session,
                "ticket.not_found",
                ticket_id=ticket_id,
                delivery_id=d.id,
                detail={"reason": "the helpdesk has no such ticket (deleted, or not visible to us)"},
            )
            done.append(d.id)
    reservations.confirm(session, writer.token, outcomes.linked)
    record_all(session, outcomes.audits)
    inbox.complete(session, done, owner)


def _record(
    session: Session,
    decision: Decision,
    ticket: HelpdeskTicket,
    delivery_id: int,
    note_error: str | None,
    report: BatchReport,
    outcomes: Outcomes,
    interrupted: TicketLink | None = None,
) -> None:
    """Record a ticket's outcome; the links written and their audit rows are gathered in
    ``outcomes`` and stored for the whole batch at once."""
    if isinstance(decision, LeaveAlone):
        report.left_alone += 1
        return
    if isinstance(decision, RecordExistingLink):
        ours = (
            interrupted
            if interrupted is not None and interrupted.incident_id == decision.incident_id
            else None
        )
        link = TicketLink(
            incident_id=decision.incident_id,
            ticket_id=decision.ticket_id,
            requester_id=ticket.requester_id,
            subject=ticket.subject[:300],
            ticket_status=ticket.status,
            ticket_created_at=ticket.created_at,
            source="auto" if ours is not None else "helpdesk",
            evidence=ours.evidence if ours is not None else decision.evidence,
            requester_name=decision.requester_name[:200],
            locale=decision.locale,
            status_version=decision.status_version,
        )
        if ours is not None:  # our own answer landed before its bookkeeping: it is our link after all
            link.requester_name, link.locale = ours.requester_name, ours.locale
            link.status_version = ours.status_version
        try:
            with session.begin_nested():
                session.add(link)
        except IntegrityError:
            return  # recorded by a concurrent worker already
        except DataError as refused:  # the next delivery about the ticket records it
            log.error(
                "ticket %s: the database refused its link (%s)",
                decision.ticket_id,
                type(refused.orig).__name__,
            )
            return
        action = "ticket.linked" if ours is not None else "ticket.link_recorded"
        detail = (
            {**link.evidence, "confirmed_after_interruption": True} if ours is not None else decision.evidence
        )
        record(
            session,
            action,
            incident_id=decision.incident_id,
            ticket_id=decision.ticket_id,
            delivery_id=delivery_id,
            detail=detail,
        )
        report.recorded += 1
        return
    detail = {
        **decision.evidence,
        "locale": decision.locale,
        "status_version": decision.status_version,
        "public_comment": decision.public_comment,
        "internal_note": decision.internal_note,
    }
    if decision.shadow:
        outcomes.audits.append(
            entry(
                "ticket.would_link",
                incident_id=decision.incident_id,
                ticket_id=decision.ticket_id,
                delivery_id=delivery_id,
                shadow=True,
                detail=detail,
            )
        )
        report.shadow += 1
        return
    if note_error:
        detail["internal_note_error"] = note_error
    outcomes.linked.append((decision.incident_id, decision.ticket_id))
    outcomes.audits.append(
        entry(
            "ticket.linked",
            incident_id=decision.incident_id,
            ticket_id=decision.ticket_id,
            delivery_id=delivery_id,
            detail=detail,
        )
    )
    report.linked += 1
