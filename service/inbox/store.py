"""The inbox is the queue: store a delivery once, claim rows with leases, complete or retry them.

Claiming is one statement whatever the batch size: an UPDATE of the due rows chosen by a
subquery, returning what it leased. SQLite runs a statement under its single writer lock, so two
workers can never lease the same row; on PostgreSQL the subquery locks its rows and skips those
another transaction holds. A crashed worker's lease expires and the row is claimed again.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from integrations.base import ChangedTicket
from service import clock
from service.db import Database, delete_in_batches, dialect_insert
from service.domain import backfill, reconcile
from service.logs import safe_id
from service.models import InboxDelivery, RateBudget, RejectedDelivery

MAX_REJECTED_BODY = 64 * 1024
FINISHED = ("done", "ignored", "failed")
WAITING = ("pending", "leased")
# Counter rows in ``rate_budgets``: "webhook_rejected:<status>:<hour's epoch second>".
REJECTION_COUNTER = "webhook_rejected:"
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
    source: str = "zendesk"  # "zendesk", or an incident source's "source:<id>"
    # For the worker's log lines: the same key and ids as the webhook's line that stored it.
    delivery_key: str = ""
    request_id: str | None = None
    invocation_id: str | None = None


def store(
    session: Session,
    *,
    delivery_key: str,
    event_type: str,
    ticket_id: int | None,
    payload: str,
    state: str = "pending",
    source: str = "zendesk",
    request_id: str | None = None,
    invocation_id: str | None = None,
) -> tuple[int, bool]:
    """Insert the delivery unless its key is known. Returns (id, newly stored). The request and
    invocation ids came in headers: only what ``safe_id`` keeps of them is stored.

    One statement when the key is new (an INSERT that does nothing on a known key, returning
    the new id), since the webhook's acknowledgement waits on it; a repeat costs one lookup more.
    The statement is built once per dialect (``_insert_if_new``)."""
    values = {
        "delivery_key": delivery_key,
        "source": source,
        "event_type": event_type,
        "ticket_id": ticket_id,
        "payload": payload,
        "state": state,
        "completed_at": clock.now() if state != "pending" else None,
        "request_id": safe_id(request_id),
        "invocation_id": safe_id(invocation_id),
    }
    inserted = session.scalar(_insert_if_new(session.get_bind().dialect.name), values)
    if inserted is not None:
        return inserted, True
    existing = session.scalar(select(InboxDelivery.id).where(InboxDelivery.delivery_key == delivery_key))
    return existing, False


@functools.cache
def _insert_if_new(dialect: str):
    """``store``'s INSERT (its columns are the parameters it is run with). Issue 15's ingest bench
    (``bench.ingest_bench``): a lookup, a savepoint and its release were four more round trips
    than this, and building an ORM insert per delivery cost twice the CPU of running this one
    (PostgreSQL 2.1 against 1.1 ms, SQLite 1.1 against 0.4 ms, a transaction each)."""
    table = InboxDelivery.__table__
    return (
        dialect_insert(dialect, table)
        .on_conflict_do_nothing(index_elements=[table.c.delivery_key])
        .returning(table.c.id)
    )


def store_changed_tickets(session: Session, changes: Sequence[ChangedTicket]) -> int:
    """The reconciler's page of changed tickets, each stored like a webhook's "ticket changed"
    under its own key (ticket and change time); returns how many were new."""
    new = 0
    for change in changes:
        _, stored = store(
            session,
            delivery_key=reconcile.delivery_key(change.id, change.updated_at),
            event_type=reconcile.EVENT_TYPE,
            ticket_id=change.id,
            payload=json.dumps(
                {"ticket_id": change.id, "updated_at": change.updated_at.isoformat(), "status": change.status}
            ),
            source="zendesk",
        )
        new += stored
    return new


def store_incident_tickets(
    session: Session, ticket_ids: Sequence[int], *, delivery_key: Callable[[int], str], payload: dict
) -> int:
    """Tickets an incident takes on (a backfill's, an adopted problem's), each stored like a
    "ticket changed" under its own key, so the pipeline links and answers it as any other;
    returns how many were new."""
    new = 0
    for ticket_id in ticket_ids:
        _, stored = store(
            session,
            delivery_key=delivery_key(ticket_id),
            event_type=reconcile.EVENT_TYPE,
            ticket_id=ticket_id,
            payload=json.dumps({"ticket_id": ticket_id, **payload}),
        )
        new += stored
    return new


def store_backfill_tickets(session: Session, incident_id: int, ticket_ids: Sequence[int]) -> int:
    """A confirmed backfill's tickets, under its backfill keys (incident and ticket)."""
    return store_incident_tickets(
        session,
        ticket_ids,
        delivery_key=lambda ticket_id: backfill.delivery_key(incident_id, ticket_id),
        payload={"backfill_incident_id": incident_id},
    )


def _count_rejection(session: Session, status_code: int) -> int:
    """Count one refused request in this hour's counter for its status code; returns the count.

    One row per hour and status in ``rate_budgets`` (a fixed-window counter, as the request
    budgets are), taken with a single conditional UPDATE, so concurrent requests on any number
    of web processes count exactly."""
    hour = int(clock.now().timestamp()) // 3600 * 3600
    name = f"{REJECTION_COUNTER}{status_code}:{hour}"
    bump = update(RateBudget).where(RateBudget.name == name).values(used=RateBudget.used + 1)
    for _ in range(2):
        if session.execute(bump).rowcount:
            return session.scalar(select(RateBudget.used).where(RateBudget.name == name)) or 0
        try:
            with session.begin_nested():
                session.add(RateBudget(name=name, window_start=hour, used=1, blocked_until=0.0))
                session.flush()
            return 1
        except IntegrityError:  # another request created this hour's row first: count on it
            continue
    raise RuntimeError(f"could not count a refused request in {name}")


def record_rejection(
    session: Session,
    *,
    status_code: int,
    reason: str,
    headers: dict,
    body: bytes,
    samples_per_hour: int = 100,
) -> bool:
    """Count a refused request, and keep it for inspection while this hour has fewer than
    ``samples_per_hour`` of its status; returns whether it was kept. A flood of unsigned
    requests costs one counter update each, and at most that many rows an hour."""
    if _count_rejection(session, status_code) > samples_per_hour:
        return False
    kept = {k: v for k, v in headers.items() if k in KEPT_HEADERS}
    session.add(
        RejectedDelivery(
            received_at=clock.now(),
            status_code=status_code,
            reason=reason,
            headers=kept,
            body=body[:MAX_REJECTED_BODY].decode("utf-8", "replace"),
        )
    )
    return True


def rejection_counts(session: Session, since: datetime) -> dict[int, int]:
    """Refused requests counted since ``since`` (to the hour), stored or not, by status code."""
    start = int(since.timestamp()) // 3600 * 3600
    totals: dict[int, int] = {}
    rows = session.execute(
        select(RateBudget.name, RateBudget.used).where(
            RateBudget.name.startswith(REJECTION_COUNTER), RateBudget.window_start >= start
        )
    )
    for name, used in rows:
        status = int(name.removeprefix(REJECTION_COUNTER).split(":")[0])
        totals[status] = totals.get(status, 0) + used
    return totals


@dataclass(frozen=True)
class Purged:
    deliveries: int = 0
    rejected: int = 0
    counters: int = 0
    audit: int = 0  # audit log entries, when the audit retention setting asks (``service.audit``)


def purge(db: Database, *, older_than: datetime, batch_size: int = 500, max_batches: int = 20) -> Purged:
    """Delete finished deliveries (done, ignored, failed) and refused requests from before
    ``older_than``, and the rejection counters of those hours; pending and leased deliveries
    are kept whatever their age. Each batch of at most ``batch_size`` rows is its own short
    transaction, and at most ``max_batches`` run per table per call, so the worker (and the
    tables' other users) never wait long; what is left goes on the next call."""
    finished = and_(
        InboxDelivery.state.in_(FINISHED),
        or_(
            InboxDelivery.completed_at < older_than,
            and_(InboxDelivery.completed_at.is_(None), InboxDelivery.received_at < older_than),
        ),
    )
    batches = {"batch_size": batch_size, "max_batches": max_batches}
    deliveries = delete_in_batches(db, InboxDelivery, InboxDelivery.id, finished, **batches)
    rejected = delete_in_batches(
        db, RejectedDelivery, RejectedDelivery.id, RejectedDelivery.received_at < older_than, **batches
    )
    counters = delete_in_batches(
        db,
        RateBudget,
        RateBudget.name,
        and_(
            RateBudget.name.startswith(REJECTION_COUNTER),
            RateBudget.window_start < int(older_than.timestamp()) // 3600 * 3600,
        ),
        **batches,
    )
    return Purged(deliveries=deliveries, rejected=rejected, counters=counters)


def claim(db: Database, owner: str, limit: int, lease_seconds: int) -> list[ClaimedDelivery]:
    """Lease up to ``limit`` deliveries that are due (or whose lease has expired) to ``owner``,
    oldest first."""
    now = clock.now()
    due = or_(
        and_(InboxDelivery.state == "pending", InboxDelivery.available_at <= now),
        and_(InboxDelivery.state == "leased", InboxDelivery.lease_expires_at < now),
    )
    candidates = select(InboxDelivery.id).where(due).order_by(InboxDelivery.id).limit(limit)
    if not db.is_sqlite:
        candidates = candidates.with_for_update(skip_locked=True)
    # Materialised, so the rows are chosen once: PostgreSQL may otherwise run a plain subquery
    # again for each row it updates, and with SKIP LOCKED every run finds other rows (a
    # claim of one leased them all).
    chosen = candidates.cte("chosen").prefix_with("MATERIALIZED")
    lease = (
        update(InboxDelivery)
        .where(InboxDelivery.id.in_(select(chosen.c.id)), due)
        .values(
            state="leased",
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=InboxDelivery.attempts + 1,
        )
        .returning(
            InboxDelivery.id,
            InboxDelivery.event_type,
            InboxDelivery.ticket_id,
            InboxDelivery.attempts,
            InboxDelivery.source,
            InboxDelivery.delivery_key,
            InboxDelivery.request_id,
            InboxDelivery.invocation_id,
        )
        .execution_options(synchronize_session=False)
    )
    with db.transaction() as session:
        rows = session.execute(lease).all()
    return sorted((ClaimedDelivery(*row) for row in rows), key=lambda claimed: claimed.id)


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


def queue_depth(session: Session) -> dict[str, int]:
    """Deliveries waiting and in hand: counted through the claim index, so the probe's cost
    follows the queue, not the history of finished rows."""
    rows = session.execute(
        select(InboxDelivery.state, func.count())
        .where(InboxDelivery.state.in_(WAITING))
        .group_by(InboxDelivery.state)
    )
    found = {state: n for state, n in rows}  # noqa: C416 (a Result has keys(): dict() would misread it)
    return {state: found.get(state, 0) for state in WAITING}


def oldest_pending_age(session: Session) -> float | None:
    oldest = session.scalar(
        select(func.min(InboxDelivery.received_at)).where(InboxDelivery.state.in_(WAITING))
    )
    if oldest is None:
        return None
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return (clock.now() - oldest).total_seconds()
