"""Claiming recipients and jobs with leases, like the inbox: a conditional UPDATE decides who
holds a row, so workers on several machines share the work and a dead worker's rows come back."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select, update

from service import clock
from service.db import Database
from service.outreach.models import Campaign, Recipient, SendJob

CHUNK = 100


def active_limits(db: Database) -> list[tuple[int, int]]:
    """(campaign id, calls per minute it may use) of every campaign with work: running ones, and
    paused or cancelled ones whose jobs or uncertain recipients still have to be settled."""
    unsettled = (
        select(Recipient.id)
        .where(Recipient.campaign_id == Campaign.id, Recipient.state.in_(("sending", "queued", "uncertain")))
        .exists()
    )
    with db.transaction() as session:
        rows = session.execute(
            select(Campaign.id, Campaign.plan_requests_per_minute, Campaign.api_share).where(
                (Campaign.state == "running") | unsettled
            )
        ).all()
    return [(cid, max(1, int(rpm * share))) for cid, rpm, share in rows]


def expire_sending(db: Database, grace_seconds: float) -> int:
    """A 'sending' row whose lease ran out: its worker died around the call. The ticket may exist,
    so it is reconciled (looked up) after a grace period instead of being sent again blindly."""
    with db.transaction() as session:
        return session.execute(
            update(Recipient)
            .where(Recipient.state == "sending", Recipient.lease_expires_at < clock.now())
            .values(
                state="uncertain",
                lease_owner=None,
                lease_expires_at=None,
                available_at=clock.now() + timedelta(seconds=grace_seconds),
            )
        ).rowcount


def claim_chunk(
    db: Database, owner: str, lease_seconds: int, state: str = "pending", limit: int = CHUNK
) -> list[Recipient]:
    """Lease up to ``limit`` due recipients of one running campaign and one route."""
    token = f"{owner}:{uuid.uuid4().hex[:8]}"
    stamp = clock.now()
    due = (Recipient.state == state) & (Recipient.available_at <= stamp)
    with db.transaction() as session:
        first_query = (
            select(Recipient.campaign_id, Recipient.route).where(due).order_by(Recipient.id).limit(1)
        )
        if state == "pending":  # new sends only for running campaigns; lookups settle any campaign
            first_query = first_query.join(Campaign, Campaign.id == Recipient.campaign_id).where(
                Campaign.state == "running"
            )
        first = session.execute(first_query).first()
        if first is None:
            return []
        query = (
            select(Recipient.id)
            .where(due, Recipient.campaign_id == first[0], Recipient.route == first[1])
            .order_by(Recipient.id)
            .limit(limit)
        )
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        ids = list(session.scalars(query))
        expires = stamp + timedelta(seconds=lease_seconds)
        sending = state == "pending"  # otherwise a reconcile claim: the row is held back until the lease ends
        session.execute(
            update(Recipient)
            .where(Recipient.id.in_(ids), due)
            .values(
                state="sending" if sending else state,
                lease_owner=token,
                lease_expires_at=expires,
                available_at=stamp if sending else expires,
                attempts=Recipient.attempts + (1 if sending else 0),
            )
        )
        return list(
            session.scalars(select(Recipient).where(Recipient.lease_owner == token).order_by(Recipient.id))
        )


def jobs_in_flight(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(SendJob).where(SendJob.state == "in_flight"))


def claim_jobs_to_poll(db: Database, interval: float, limit: int = 100) -> list[SendJob]:
    stamp = clock.now()
    claimed = []
    with db.transaction() as session:
        due = (SendJob.state == "in_flight") & (SendJob.next_poll_at <= stamp)
        for job_id in list(
            session.scalars(select(SendJob.job_id).where(due).order_by(SendJob.submitted_at).limit(limit))
        ):
            changed = session.execute(
                update(SendJob)
                .where(SendJob.job_id == job_id, due)
                .values(next_poll_at=stamp + timedelta(seconds=interval))
            ).rowcount
            if changed:
                claimed.append(session.get(SendJob, job_id))
    return claimed
