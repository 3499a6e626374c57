"""Recording what the helpdesk did with each recipient: sent, retried later, failed, or uncertain."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from integrations.base import JobResult
from service import clock, metrics
from service.audit import record
from service.outreach.models import Recipient, SendJob

MAX_ATTEMPTS = 5


def backoff(attempts: int, at_least: float = 0.0) -> timedelta:
    return timedelta(seconds=max(at_least, min(300.0, 2.0**attempts) * random.uniform(0.8, 1.2)))


def mark_sent(session: Session, recipient: Recipient, ticket_id: int) -> None:
    if recipient.state != "sent":
        metrics.OUTREACH_SENT.inc()
    recipient.state, recipient.ticket_id, recipient.sent_at = "sent", ticket_id, clock.now()
    recipient.last_error = None
    recipient.lease_owner = recipient.lease_expires_at = None


def retry_or_fail(recipient: Recipient, error: str, at_least: float = 0.0) -> None:
    """Nothing was created: send again later, or give up after MAX_ATTEMPTS and say why."""
    recipient.last_error = error[:2000]
    recipient.lease_owner = recipient.lease_expires_at = None
    if recipient.attempts >= MAX_ATTEMPTS:
        recipient.state = "failed"
    else:
        recipient.state = "pending"
        recipient.available_at = clock.now() + backoff(recipient.attempts, at_least)


def mark_uncertain(recipient: Recipient, error: str, grace_seconds: float) -> None:
    """The ticket may or may not exist: look it up after a grace period before sending again."""
    recipient.state, recipient.last_error = "uncertain", error[:2000]
    recipient.lease_owner = recipient.lease_expires_at = None
    recipient.available_at = clock.now() + timedelta(seconds=grace_seconds)


def record_job(session: Session, job: SendJob, result: JobResult, grace_seconds: float) -> tuple[int, int]:
    """Apply a finished job's per-item results to its recipients. Returns (sent, not sent)."""
    recipients = {
        r.id: r for r in session.scalars(select(Recipient).where(Recipient.id.in_(job.recipient_ids)))
    }
    by_index = {item.index if item.index is not None else i: item for i, item in enumerate(result.results)}
    by_ticket = {item.ticket_id: item for item in result.results if item.ticket_id is not None}
    sent = missed = 0
    for position, recipient_id in enumerate(job.recipient_ids):
        recipient = recipients.get(recipient_id)
        if recipient is None or recipient.job_id != job.job_id or recipient.state != "queued":
            continue  # settled already (another poller) or reassigned
        item = by_ticket.get(recipient.ticket_id) if job.kind == "update" else by_index.get(position)
        if item is not None and item.success and (item.ticket_id or job.kind == "update"):
            mark_sent(session, recipient, item.ticket_id or recipient.ticket_id)
            sent += 1
        elif item is not None:
            retry_or_fail(recipient, f"the helpdesk refused this customer: {item.error or 'no detail'}")
            missed += 1
        else:
            mark_uncertain(
                recipient,
                f"job {job.job_id} {result.status} without a result for this customer",
                grace_seconds,
            )
            missed += 1
    job.state = "settled"
    record(
        session,
        "outreach.job_settled",
        detail={
            "campaign_id": job.campaign_id,
            "job_id": job.job_id,
            "kind": job.kind,
            "sent": sent,
            "not_sent": missed,
            "status": result.status,
        },
    )
    return sent, missed


def lose_job(session: Session, job: SendJob, grace_seconds: float) -> int:
    """The helpdesk no longer knows the job (expired): every unsettled recipient is looked up."""
    job.state = "settled"
    return session.execute(
        update(Recipient)
        .where(Recipient.job_id == job.job_id, Recipient.state == "queued")
        .values(
            state="uncertain",
            last_error=f"job {job.job_id} is unknown to the helpdesk",
            available_at=clock.now() + timedelta(seconds=grace_seconds),
        )
    ).rowcount
