"""Claiming, leases, retries: the inbox keeps every acknowledged delivery until it is done."""

import threading
import time

import pytest
from sqlalchemy import event, select

from service import clock
from service.db import Database
from service.inbox import store as inbox
from service.models import InboxDelivery


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    yield database
    database.dispose()


def put(db, n, start=1):
    with db.transaction() as session:
        for i in range(start, start + n):
            inbox.store(session, delivery_key=f"k{i}", event_type="ticket.changed", ticket_id=i, payload="{}")


def test_store_is_idempotent_per_key(db):
    with db.transaction() as session:
        first = inbox.store(session, delivery_key="same", event_type="x", ticket_id=1, payload="{}")
        again = inbox.store(session, delivery_key="same", event_type="x", ticket_id=1, payload="{}")
    assert first[1] is True and again == (first[0], False)


def test_a_claimed_row_is_not_claimed_again_until_its_lease_expires(db):
    put(db, 3)
    first = inbox.claim(db, "w1", 10, lease_seconds=1)
    assert [c.ticket_id for c in first] == [1, 2, 3]
    assert inbox.claim(db, "w2", 10, lease_seconds=1) == []
    time.sleep(1.1)
    again = inbox.claim(db, "w2", 10, lease_seconds=30)
    assert [c.ticket_id for c in again] == [1, 2, 3] and all(c.attempts == 2 for c in again)
    with db.transaction() as session:  # the first owner lost its lease: its completion is refused
        inbox.complete(session, [c.id for c in first], "w1")
        assert session.scalar(select(InboxDelivery.state).where(InboxDelivery.id == first[0].id)) == "leased"
        inbox.complete(session, [c.id for c in again], "w2")
        assert set(session.scalars(select(InboxDelivery.state))) == {"done"}


def test_concurrent_claimers_never_share_a_row(db):
    put(db, 200)
    got: dict[str, list[int]] = {}

    def grab(name):
        mine = []
        while batch := inbox.claim(db, name, 7, lease_seconds=60):
            mine += [c.id for c in batch]
        got[name] = mine

    threads = [threading.Thread(target=grab, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    all_ids = [i for ids in got.values() for i in ids]
    assert len(all_ids) == 200 and len(set(all_ids)) == 200


def test_claiming_a_hundred_rows_takes_as_many_statements_as_claiming_one(db):
    put(db, 101)
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    inbox.claim(db, "w", 1, lease_seconds=60)
    for_one = len(statements)
    statements.clear()
    claimed = inbox.claim(db, "w", 100, lease_seconds=60)
    assert len(claimed) == 100 and [c.ticket_id for c in claimed] == list(range(2, 102))
    assert len(statements) == for_one == 1, statements


def test_failures_back_off_and_park_after_the_last_attempt(db):
    put(db, 1)
    [claimed] = inbox.claim(db, "w", 1, lease_seconds=60)
    with db.transaction() as session:
        assert inbox.retry_later(session, claimed.id, "w", "boom", attempts=1, max_attempts=2) == "pending"
    assert inbox.claim(db, "w", 1, lease_seconds=60) == []  # not due yet: backoff
    with db.transaction() as session:
        session.get(InboxDelivery, claimed.id).available_at = clock.now()
    [again] = inbox.claim(db, "w", 1, lease_seconds=60)
    with db.transaction() as session:
        assert (
            inbox.retry_later(session, again.id, "w", "boom again", attempts=again.attempts, max_attempts=2)
            == "failed"
        )
        row = session.get(InboxDelivery, claimed.id)
        assert (row.state, row.last_error) == ("failed", "boom again")
