"""A transaction is one unit on both databases, savepoints included: what a savepoint wrote
stays invisible to every other connection until the whole transaction commits, and is gone
if it rolls back. (On SQLite, Python's driver used to let a savepoint opened before any write
start the transaction, and its release commit it: a status page read the resolution's new
status version beside an incident still active.)"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from service.db import Database
from service.models import Incident


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    yield database
    database.dispose()


def _titles(db: Database) -> list[str]:
    with db.transaction() as session:
        return list(session.scalars(select(Incident.title).order_by(Incident.id)))


def test_a_released_savepoint_is_committed_only_with_its_transaction(db):
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 0  # a read first
        with session.begin_nested():
            session.add(Incident(title="Payments fail", tag="payments_fail"))
            session.flush()
        assert _titles(db) == []  # another connection: nothing yet
        session.add(Incident(title="Second", tag="second"))
    assert _titles(db) == ["Payments fail", "Second"]


def test_a_rolled_back_transaction_takes_its_released_savepoint_with_it(db):
    with pytest.raises(RuntimeError):
        with db.transaction() as session:
            with session.begin_nested():
                session.add(Incident(title="Payments fail", tag="payments_fail"))
                session.flush()
            raise RuntimeError("the rest of the work failed")
    assert _titles(db) == []
