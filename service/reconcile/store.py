"""Reads and writes of the reconciler's row. The lease is taken with a conditional UPDATE (free,
expired, or already ours, and due), so of several workers one follows the feed at a time; the
cursor only moves while the lease is held, in the transaction that stores the page's deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import clock
from service.db import Database
from service.domain.moments import utc_or_none
from service.reconcile.models import ReconcilerCursor

FEED = "zendesk:tickets"


class LeaseLost(Exception):
    """Another worker holds the feed now (ours expired): this page is stored by it instead."""


@dataclass(frozen=True)
class FeedPosition:
    cursor: str
    synced_until: datetime | None


def _ensure_row(db: Database) -> None:
    try:
        with db.transaction() as session:
            if session.get(ReconcilerCursor, FEED) is None:
                session.add(ReconcilerCursor(name=FEED, cursor=""))
    except IntegrityError:
        pass  # another worker created it first


def take_lease(db: Database, owner: str, lease_seconds: int, *, due_only: bool) -> FeedPosition | None:
    """Hold the feed for ``lease_seconds`` and return where it stands, or None when another
    worker holds it (or, with ``due_only``, the next run is not due yet)."""
    _ensure_row(db)
    now = clock.now()
    free = or_(
        ReconcilerCursor.lease_owner.is_(None),
        ReconcilerCursor.lease_owner == owner,
        ReconcilerCursor.lease_expires_at < now,
    )
    conditions = [ReconcilerCursor.name == FEED, free]
    if due_only:
        conditions.append(or_(ReconcilerCursor.next_run_at.is_(None), ReconcilerCursor.next_run_at <= now))
    with db.transaction() as session:
        held = session.execute(
            update(ReconcilerCursor)
            .where(*conditions)
            .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds))
            .returning(ReconcilerCursor.cursor, ReconcilerCursor.synced_until)
        ).first()
    return None if held is None else FeedPosition(cursor=held[0], synced_until=utc_or_none(held[1]))


def advance(session: Session, owner: str, position: FeedPosition, lease_seconds: int) -> None:
    """Move the cursor and renew the lease, in the caller's transaction; raises LeaseLost
    (rolling the page back) when the lease is no longer ours."""
    moved = session.execute(
        update(ReconcilerCursor)
        .where(ReconcilerCursor.name == FEED, ReconcilerCursor.lease_owner == owner)
        .values(
            cursor=position.cursor,
            synced_until=position.synced_until,
            lease_expires_at=clock.now() + timedelta(seconds=lease_seconds),
        )
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost(owner)


def release(db: Database, owner: str, next_run_at: datetime) -> None:
    with db.transaction() as session:
        session.execute(
            update(ReconcilerCursor)
            .where(ReconcilerCursor.name == FEED, ReconcilerCursor.lease_owner == owner)
            .values(lease_owner=None, lease_expires_at=None, next_run_at=next_run_at)
        )


def synced_until(session: Session) -> datetime | None:
    """Before when every change of the feed is in the inbox; None before the first full read."""
    return utc_or_none(
        session.scalar(select(ReconcilerCursor.synced_until).where(ReconcilerCursor.name == FEED))
    )
