"""The inbox is the queue: store a delivery once, claim rows with leases, complete or retry them.

Claiming is a conditional UPDATE per row (``... WHERE state allows it``), so two workers, on
SQLite or on PostgreSQL, can never hold the same row; on PostgreSQL the candidate query also
skips rows another transaction has locked. A crashed worker's lease expires and the row is
claimed again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import clock
from service.db import Database
from service.models import InboxDelivery, RejectedDelivery

MAX_REJECTED_BODY = 64 * 1024
KEPT_HEADERS = (
    "Content-Type",
    "User-Agent",
    "X-Zendesk-Webhook-Id",
    "X-Zendesk-Webhook-Invocation-Id",
    "X-Zendesk-Account-Id",
    "X-Zendesk-Webhook-Signature-Timestamp",
)


@dataclass(frozen=True)
class ClaimedDelivery:
    id: int
    event_type: str
    ticket_id: int | None
    attempts: int


def store(
    session: Session,
    *,
    delivery_key: str,
    event_type: str,
    ticket_id: int | None,
    payload: str,
    state: str = "pending",
) -> tuple[int, bool]:
    """Insert the delivery unless its key is known. Returns (id, newly stored)."""
    existing = session.scalar(select(InboxDelivery.id).where(InboxDelivery.delivery_key == delivery_key))
    if existing is not None:
        return existing, False
    row = InboxDelivery(
        delivery_key=delivery_key,
        event_type=event_type,
        ticket_id=ticket_id,
        payload=payload,
        state=state,
        completed_at=clock.now() if state != "pending" else None,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # the same key committed by a concurrent request
        existing = session.scalar(select(InboxDelivery.id).where(InboxDelivery.delivery_key == delivery_key))
        return existing, False
    return row.id, True


def record_rejection(session: Session, *, status_code: int, reason: str, headers: dict, body: bytes) -> None:
    kept = {k: v for k, v in headers.items() if k in KEPT_HEADERS}
    session.add(
        RejectedDelivery(
            status_code=status_code,
            reason=reason,
            headers=kept,
            body=body[:MAX_REJECTED_BODY].decode("utf-8", "replace"),
        )
    )


def claim(db: Database, owner: str, limit: int, lease_seconds: int) -> list[ClaimedDelivery]:
    """Lease up to ``limit`` deliveries that are due (or whose lease has expired) to ``owner``."""
    now = clock.now()
    due = or_(
        and_(InboxDelivery.state == "pending", InboxDelivery.available_at <= now),
        and_(InboxDelivery.state == "leased", InboxDelivery.lease_expires_at < now),
    )
    claimed: list[ClaimedDelivery] = []
    with db.transaction() as session:
        query = select(InboxDelivery.id).where(due).order_by(InboxDelivery.id).limit(limit)
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        candidates = list(session.scalars(query))
        expires = now + timedelta(seconds=lease_seconds)
        for delivery_id in candidates:
            result = session.execute(
                update(InboxDelivery)
                .where(InboxDelivery.id == delivery_id, due)
                .values(
                    state="leased",
                    lease_owner=owner,
                    lease_expires_at=expires,
                    attempts=InboxDelivery.attempts + 1,
                )
            )
            if result.rowcount == 1:
                row = session.get(InboxDelivery, delivery_id)
                claimed.append(ClaimedDelivery(row.id, row.event_type, row.ticket_id, row.attempts))
    return claimed


def complete(session: Session, delivery_ids: list[int], owner: str, state: str = "done") -> None:
    if not delivery_ids:
        return
    session.execute(
        update(InboxDelivery)
        .where(
            InboxDelivery.id.in_(delivery_ids),
            InboxDelivery.lease_owner == owner,
            InboxDelivery.state == "leased",
        )
        .values(state=state, completed_at=clock.now(), lease_expires_at=None)
    )


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: about 2, 4, 8 ... seconds, at most five minutes."""
    base = min(300.0, 2.0 ** max(attempts, 1))
    return base * random.uniform(0.8, 1.2)


def retry_later(
    session: Session,
    delivery_id: int,
    owner: str,
    error: str,
    *,
    attempts: int,
    max_attempts: int,
    retry_after: float | None = None,
) -> str:
    """Put a failed delivery back with backoff, or park it as failed after too many attempts."""
    if attempts >= max_attempts:
        state, available = "failed", clock.now()
    else:
        state = "pending"
        delay = max(backoff_seconds(attempts), retry_after or 0.0)
        available = clock.now() + timedelta(seconds=delay)
    session.execute(
        update(InboxDelivery)
        .where(InboxDelivery.id == delivery_id, InboxDelivery.lease_owner == owner)
        .values(
            state=state,
            available_at=available,
            lease_expires_at=None,
            last_error=error[:2000],
            completed_at=clock.now() if state == "failed" else None,
        )
    )
    return state


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(InboxDelivery.state, func.count()).group_by(InboxDelivery.state))
    return {state: n for state, n in rows}  # noqa: C416 (a Result has keys(): dict() would misread it)


def oldest_pending_age(session: Session) -> float | None:
    oldest = session.scalar(
        select(func.min(InboxDelivery.received_at)).where(InboxDelivery.state.in_(("pending", "leased")))
    )
    if oldest is None:
        return None
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return (clock.now() - oldest).total_seconds()
