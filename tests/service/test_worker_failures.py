"""A batch whose processing raises is put back with backoff, and parked after too many attempts."""

import pytest
from sqlalchemy import select

from service import clock
from service.inbox import store as inbox
from service.inbox.pipeline import BatchUnderWay
from service.inbox.worker import Worker
from service.models import InboxDelivery
from service.wiring import build_services
from tests.conftest import make_settings


class BrokenPipeline:
    """Stands in for a pipeline bug (nothing real raises on demand); the worker's handling is real."""

    def begin(self, claimed, owner):
        raise KeyError("a field the code did not expect")


class FailsWhileFinishing:
    """A batch whose writes went out but whose recording raises, in the background thread."""

    def begin(self, claimed, owner):
        def finish():
            raise RuntimeError("the database went away")

        return BatchUnderWay(finish)


def test_a_failing_batch_is_retried_then_parked(database_url, helpdesk):
    services = build_services(
        make_settings(database_url, worker_max_attempts=2, worker_batch_window_seconds=0), helpdesk=helpdesk
    )
    with services.db.transaction() as session:
        inbox.store(session, delivery_key="k1", event_type="ticket.changed", ticket_id=1, payload="{}")
    worker = Worker(services)
    worker.pipeline = BrokenPipeline()
    with pytest.raises(KeyError):
        worker.run_once()
    with services.db.transaction() as session:
        row = session.scalars(select(InboxDelivery)).one()
        assert (row.state, row.attempts) == ("pending", 1) and "KeyError" in row.last_error
        row.available_at = clock.now()  # skip the backoff
    with pytest.raises(KeyError):
        worker.run_once()
    with services.db.transaction() as session:
        assert session.scalars(select(InboxDelivery.state)).one() == "failed"
    services.db.dispose()


def test_a_batch_failing_in_the_background_is_put_back(database_url, helpdesk):
    services = build_services(
        make_settings(database_url, worker_batch_window_seconds=0, worker_batches_in_flight=2),
        helpdesk=helpdesk,
    )
    with services.db.transaction() as session:
        inbox.store(session, delivery_key="k1", event_type="ticket.changed", ticket_id=1, payload="{}")
    worker = Worker(services)
    worker.pipeline = FailsWhileFinishing()
    assert worker.run_once(wait_for_writes=False) is not None  # begun; the failure comes later
    worker.finish_writes()
    with services.db.transaction() as session:
        row = session.scalars(select(InboxDelivery)).one()
        assert (row.state, row.attempts) == ("pending", 1) and "the database went away" in row.last_error
    services.db.dispose()
