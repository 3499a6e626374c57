"""With ``worker_batches_in_flight`` above 1 (not the default) the worker begins the next batch
while the last one's answer jobs run: with slow jobs, two batches under way at once, and every
customer still gets one answer, under its note."""

import requests
from sqlalchemy import func, select

from service.inbox.worker import Worker
from service.models import InboxDelivery
from service.wiring import build_services
from tests.conftest import make_settings
from tests.factories import checkout_customers, declare_checkout_incident, set_faults, store_deliveries

CUSTOMERS = 8


def _states(services) -> dict[str, int]:
    with services.db.transaction() as session:
        return dict(
            session.execute(select(InboxDelivery.state, func.count()).group_by(InboxDelivery.state)).all()
        )


def _comments(sandbox, ticket_id: int) -> list[dict]:
    """What the ticket shows after the customer's own first comment."""
    with sandbox.state.lock:
        return [dict(c) for c in sandbox.state.comments[ticket_id][1:]]


def test_the_next_batch_goes_out_while_the_last_ones_jobs_run(database_url, sandbox, helpdesk):
    settings = make_settings(
        database_url,
        worker_batch_size=4,
        worker_batch_window_seconds=0,
        worker_batches_in_flight=3,
        job_poll_seconds=0.2,
    )
    services = build_services(settings, helpdesk=helpdesk)
    _, tag, _ = declare_checkout_incident(services)
    tickets = checkout_customers(sandbox, CUSTOMERS)
    store_deliveries(services, tickets, "trigger:in-flight")
    set_faults(sandbox, job_delay_seconds=3.0)
    requests.post(f"{sandbox.url}/_sandbox/counters/reset", timeout=5)
    worker = Worker(services)
    try:
        assert worker.run_once(wait_for_writes=False) is not None
        assert services.job_watch.running() == 1  # the first batch's answer job, its note done
        assert _states(services) == {"leased": 4, "pending": 4}
        worker.run_once(wait_for_writes=False)  # the second batch does not wait for the first
        worker.finish_writes()
    finally:
        set_faults(sandbox, job_delay_seconds=0)
    assert _states(services) == {"done": CUSTOMERS}
    calls = requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).json()["calls"]
    assert calls["PUT /api/v2/tickets/update_many"] == 4
    for ticket_id in tickets:
        comments = _comments(sandbox, ticket_id)
        assert [c["public"] for c in comments] == [False, True], ticket_id  # the note, then the answer
        assert "checkout" in comments[1]["body"].lower()
        assert tag in helpdesk.get_tickets([ticket_id])[0].tags
    services.db.dispose()
