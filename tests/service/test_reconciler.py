"""The reconciler against the sandbox over HTTP and a real database: it reads the change feed
from a look-back on its first run, then from the stored cursor, stores each change once under
its own key, runs only when due (and once after start-up), one worker at a time."""

import time
from datetime import timedelta

import requests
from sqlalchemy import select, update

from integrations.base import TicketChange
from service import clock
from service.domain.moments import utc
from service.inbox import store as inbox
from service.models import InboxDelivery
from service.reconcile import store
from service.reconcile.models import ReconcilerCursor
from service.reconcile.runner import Reconciler
from service.wiring import build_services
from tests.conftest import make_settings


def _services(database_url, helpdesk, **overrides):
    settings = make_settings(database_url, **{"reconcile_seconds": 60, **overrides})
    return build_services(settings, helpdesk=helpdesk)


def _customer_tickets(sandbox, count):
    made = []
    for n in range(count):
        answer = requests.post(
            f"{sandbox.url}/_sandbox/tickets",
            json={
                "ticket": {
                    "subject": f"s{n}",
                    "comment": {"body": "hello"},
                    "requester": {"email": f"c{n}@example.com"},
                }
            },
            timeout=5,
        )
        made.append(answer.json()["ticket"]["id"])
    return made


def _exported_now(sandbox):
    """The sandbox leaves out no minute here, but still only exports whole seconds passed."""
    requests.post(f"{sandbox.url}/_sandbox/limits", json={"incremental_exclusion_seconds": 0}, timeout=5)


def _deliveries(services):
    with services.db.transaction() as session:
        return sorted(
            (row.ticket_id, row.delivery_key, row.event_type, row.state)
            for row in session.scalars(select(InboxDelivery))
        )


def _make_due(services):
    with services.db.transaction() as session:
        session.execute(update(ReconcilerCursor).values(next_run_at=clock.now() - timedelta(seconds=1)))


def test_first_run_reads_the_look_back_then_the_cursor_stores_each_change_once(
    database_url, sandbox, helpdesk
):
    _exported_now(sandbox)
    services = _services(database_url, helpdesk)
    tickets = _customer_tickets(sandbox, 3)
    time.sleep(1.1)
    reconciler = Reconciler(services, "w1", inbox.store_changed_tickets)

    assert reconciler.run_once() == 3
    stored = _deliveries(services)
    assert [(t, e, s) for t, _, e, s in stored] == [(t, "ticket.changed", "pending") for t in tickets]
    assert all(key.startswith(f"export:{t}:") for t, key, _, _ in stored)
    with services.db.transaction() as session:
        row = session.get(ReconcilerCursor, store.FEED)
        assert row.cursor and row.lease_owner is None and row.synced_until is not None
        # The newest change read (here within Zendesk's excluded minute, which the test shortened).
        assert clock.now() - timedelta(seconds=5) < store.synced_until(session) <= clock.now()

    reconciler._next_check = 0.0
    assert reconciler.run_once() == 0, "not due again before the interval"

    helpdesk.update_ticket(TicketChange(ticket_id=tickets[1], status="open"))
    time.sleep(1.1)
    _make_due(services)
    reconciler._next_check = 0.0
    assert reconciler.run_once() == 1
    assert [t for t, *_ in _deliveries(services)].count(tickets[1]) == 2

    with services.db.transaction() as session:  # read the whole feed again, as after a lost cursor
        session.execute(update(ReconcilerCursor).values(cursor=""))
    _make_due(services)
    reconciler._next_check = 0.0
    assert reconciler.run_once() == 0, "the same changes are not stored twice"
    assert len(_deliveries(services)) == 4
    services.db.dispose()


def test_a_new_worker_runs_once_at_start_up_even_when_not_due(database_url, sandbox, helpdesk):
    _exported_now(sandbox)
    services = _services(database_url, helpdesk)
    Reconciler(services, "w1", inbox.store_changed_tickets).run_once()
    _customer_tickets(sandbox, 1)
    time.sleep(1.1)
    assert Reconciler(services, "w2", inbox.store_changed_tickets).run_once() == 1
    services.db.dispose()


def test_one_worker_at_a_time(database_url, sandbox, helpdesk):
    _exported_now(sandbox)
    services = _services(database_url, helpdesk)
    _customer_tickets(sandbox, 2)
    time.sleep(1.1)
    assert store.take_lease(services.db, "elsewhere", 60, due_only=False) is not None
    requests.post(f"{sandbox.url}/_sandbox/counters/reset", timeout=5)
    assert Reconciler(services, "w1", inbox.store_changed_tickets).run_once() == 0
    calls = requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).json()["calls"]
    assert not any("incremental" in endpoint for endpoint in calls)

    with services.db.transaction() as session:  # the other worker died: its lease runs out
        session.execute(update(ReconcilerCursor).values(lease_expires_at=clock.now() - timedelta(seconds=1)))
    assert Reconciler(services, "w1", inbox.store_changed_tickets).run_once() == 2
    services.db.dispose()


def test_zero_seconds_turns_it_off(database_url, sandbox, helpdesk):
    _exported_now(sandbox)
    services = _services(database_url, helpdesk, reconcile_seconds=0)
    _customer_tickets(sandbox, 1)
    time.sleep(1.1)
    assert Reconciler(services, "w1", inbox.store_changed_tickets).run_once() == 0
    assert _deliveries(services) == []
    services.db.dispose()


def test_a_refused_read_moves_nothing_and_waits_as_told(database_url, sandbox, helpdesk):
    services = _services(database_url, helpdesk)
    requests.post(f"{sandbox.url}/_sandbox/limits", json={"incremental_exports_per_minute": 1}, timeout=5)
    helpdesk.changed_tickets(cursor=None, since=clock.now() - timedelta(hours=1))  # someone else's read
    assert Reconciler(services, "w1", inbox.store_changed_tickets).run_once() == 0
    with services.db.transaction() as session:
        row = session.get(ReconcilerCursor, store.FEED)
        assert row.cursor == "" and row.lease_owner is None
        assert utc(row.next_run_at) > clock.now() + timedelta(seconds=30)  # the Retry-After
    services.db.dispose()
