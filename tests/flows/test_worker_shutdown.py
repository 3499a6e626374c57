"""`incidentdesk worker` stopped with SIGTERM mid-batch (docker stop, a deploy): it finishes the
batch it holds and exits 0; nothing stays leased, and every ticket is answered exactly once."""

import os
import signal
import subprocess
import sys

import requests
from sqlalchemy import func, select

from service.inbox import store as inbox
from service.inbox.worker import Worker
from service.models import InboxDelivery
from service.wiring import build_services
from tests.conftest import make_settings
from tests.factories import (
    checkout_customers,
    declare_checkout_incident,
    sandbox_create,
    set_faults,
    store_deliveries,
)
from tests.helpers import free_port, wait_for
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN

TICKETS = 12


def _states(services) -> dict[str, int]:
    with services.db.transaction() as session:
        rows = session.execute(select(InboxDelivery.state, func.count()).group_by(InboxDelivery.state)).all()
    return dict(rows)


def _public_replies(sandbox, ticket_id: int) -> int:
    with sandbox.state.lock:
        return sum(1 for c in sandbox.state.comments[ticket_id][1:] if c.get("public"))


def test_sigterm_mid_batch_finishes_the_batch_and_loses_nothing(database_url, sandbox, helpdesk):
    services = build_services(make_settings(database_url), helpdesk=helpdesk)
    _, tag, _ = declare_checkout_incident(services)
    tickets = checkout_customers(sandbox, TICKETS)
    store_deliveries(services, tickets, "trigger:shutdown")
    set_faults(sandbox, job_delay_seconds=1.5)  # each bulk job takes a while: SIGTERM lands mid-batch
    env = {
        **os.environ,
        "INCIDENTDESK_SECRET_KEY": "s" * 40,
        "INCIDENTDESK_DATABASE_URL": database_url,
        "ZENDESK_BASE_URL": sandbox.url,
        "ZENDESK_EMAIL": DEMO_AGENT_EMAIL,
        "ZENDESK_API_TOKEN": DEMO_API_TOKEN,
        "INCIDENTDESK_WORKER_BATCH_SIZE": "4",
        "INCIDENTDESK_WORKER_BATCH_WINDOW_SECONDS": "0",
        "INCIDENTDESK_JOB_POLL_SECONDS": "0.1",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "--log-level", "WARNING", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: _states(services).get("leased", 0) > 0, timeout=30)
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=40)
        assert worker.returncode == 0, stderr
    finally:
        if worker.poll() is None:
            worker.kill()
    after_stop = _states(services)
    assert after_stop.get("leased", 0) == 0, after_stop  # the batch was finished, not abandoned
    assert after_stop.get("done", 0) >= 1 and after_stop.get("pending", 0) >= 1, after_stop

    set_faults(sandbox, job_delay_seconds=0)
    survivor = Worker(services)
    wait_for(lambda: survivor.run_once() is None and _states(services) == {"done": TICKETS}, timeout=60)
    for ticket_id in tickets:
        assert tag in helpdesk.get_tickets([ticket_id])[0].tags
        assert _public_replies(sandbox, ticket_id) == 1, ticket_id
    services.db.dispose()


def test_a_worker_process_serves_its_own_metrics_to_the_token(sqlite_url, sandbox, helpdesk):
    services = build_services(make_settings(sqlite_url), helpdesk=helpdesk)
    declare_checkout_incident(services)
    ticket_id = sandbox_create(sandbox, "Order", "checkout fails when I pay")
    with services.db.transaction() as session:
        inbox.store(
            session,
            delivery_key="trigger:m-1",
            event_type="ticket.created",
            ticket_id=ticket_id,
            payload="{}",
        )
    port, token = free_port(), "worker-metrics-" + "w" * 20
    env = {
        **os.environ,
        "INCIDENTDESK_SECRET_KEY": "s" * 40,
        "INCIDENTDESK_DATABASE_URL": sqlite_url,
        "ZENDESK_BASE_URL": sandbox.url,
        "ZENDESK_EMAIL": DEMO_AGENT_EMAIL,
        "ZENDESK_API_TOKEN": DEMO_API_TOKEN,
        "INCIDENTDESK_WORKER_METRICS_PORT": str(port),
        "INCIDENTDESK_METRICS_TOKEN": token,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "--log-level", "WARNING", "worker"], env=env
    )
    try:
        wait_for(lambda: _states(services) == {"done": 1}, timeout=30)
        url = f"http://127.0.0.1:{port}/metrics"
        assert requests.get(url, timeout=5).status_code == 401
        text = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5).text
        assert "incidentdesk_worker_batch_size_count 1.0" in text
        assert "incidentdesk_tickets_linked_total 1.0" in text
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
        services.db.dispose()
