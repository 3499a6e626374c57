"""Replayed deliveries change a ticket once; a worker killed mid-batch loses nothing."""

import os
import signal
import subprocess
import sys

import requests
from sqlalchemy import func, select

from service.models import InboxDelivery, TicketLink
from tests.factories import declare_checkout_incident
from tests.helpers import start_service, wait_for
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN


def settled(services) -> int | None:
    """Number of deliveries once none is pending or leased, else None."""
    with services.db.transaction() as session:
        busy = session.scalar(
            select(func.count())
            .select_from(InboxDelivery)
            .where(InboxDelivery.state.in_(("pending", "leased")))
        )
        total = session.scalar(select(func.count()).select_from(InboxDelivery))
    return total if busy == 0 and total else None


def status_replies(running, ticket_id) -> list[str]:
    return [c["body"] for c in running.comments(ticket_id)[1:] if c["public"]]


def test_a_delivery_sent_three_times_changes_the_ticket_once(database_url, sandbox, helpdesk):
    running = start_service(database_url, sandbox, helpdesk)
    try:
        requests.post(f"{sandbox.url}/_sandbox/webhook_options", json={"duplicate": 1.0}, timeout=5)
        _, tag, _ = declare_checkout_incident(running.services)
        ticket_id = running.create_ticket("checkout fails again and again")
        wait_for(lambda: tag in running.ticket(ticket_id)["tags"])
        wait_for(lambda: settled(running.services))

        deliveries = requests.get(f"{sandbox.url}/_sandbox/webhook_deliveries", timeout=5).json()[
            "deliveries"
        ]
        first = deliveries[0]
        assert (
            sum(d["invocation_id"] == first["invocation_id"] for d in deliveries) >= 2
        )  # Zendesk-style repeat
        replay = requests.post(
            running.url + "/webhooks/zendesk",
            data=first["body"].encode(),
            headers=first["headers"],
            timeout=5,
        )
        assert replay.status_code == 200 and replay.json()["duplicate"] is True
        wait_for(lambda: settled(running.services))

        assert len(status_replies(running, ticket_id)) == 1
        notes = [c for c in running.comments(ticket_id)[1:] if not c["public"]]
        assert len(notes) == 1
        with running.services.db.transaction() as session:
            keys = session.scalars(select(InboxDelivery.delivery_key)).all()
            assert len(keys) == len(set(keys))
            assert session.scalar(select(func.count()).select_from(TicketLink)) == 1
    finally:
        running.stop()


def _worker(database_url: str, sandbox_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "INCIDENTDESK_SECRET_KEY": "test-secret-key-" + "x" * 32,
        "INCIDENTDESK_DATABASE_URL": database_url,
        "ZENDESK_BASE_URL": sandbox_url,
        "ZENDESK_EMAIL": DEMO_AGENT_EMAIL,
        "ZENDESK_API_TOKEN": DEMO_API_TOKEN,
        "INCIDENTDESK_WORKER_BATCH_SIZE": "4",
        "INCIDENTDESK_WORKER_BATCH_WINDOW_SECONDS": "0",
        "INCIDENTDESK_WORKER_LEASE_SECONDS": "2",
        "INCIDENTDESK_WORKER_POLL_SECONDS": "0.05",
        "INCIDENTDESK_JOB_POLL_SECONDS": "0.05",
        "INCIDENTDESK_JOB_TIMEOUT_SECONDS": "3",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", "--log-level", "WARNING", "worker"], env=env
    )


def test_killing_the_worker_mid_batch_loses_nothing(database_url, sandbox, helpdesk):
    running = start_service(database_url, sandbox, helpdesk, worker=False)
    worker = None
    try:
        _, tag, _ = declare_checkout_incident(running.services)
        requests.post(f"{sandbox.url}/_sandbox/faults", json={"job_delay_seconds": 0.4}, timeout=5)
        tickets = [
            running.create_ticket(f"checkout fails for order {n}", email=f"c{n}@example.com")
            for n in range(16)
        ]
        wait_for(
            lambda: (
                len(
                    requests.get(f"{sandbox.url}/_sandbox/webhook_deliveries", timeout=5).json()["deliveries"]
                )
                >= 16
            )
        )

        worker = _worker(database_url, sandbox.url)

        def some_but_not_all_linked():
            with running.services.db.transaction() as session:
                n = session.scalar(select(func.count()).select_from(TicketLink))
            return 0 < n < len(tickets)

        wait_for(some_but_not_all_linked, timeout=30, interval=0.02)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        assert settled(running.services) is None, "the kill must land mid-work"

        worker = _worker(database_url, sandbox.url)
        wait_for(lambda: settled(running.services), timeout=60)
        for ticket_id in tickets:
            ticket = running.ticket(ticket_id)
            assert tag in ticket["tags"], ticket_id
            assert len(status_replies(running, ticket_id)) == 1, ticket_id
        with running.services.db.transaction() as session:
            states = session.scalars(select(TicketLink.state)).all()
        assert sorted(states) == ["linked"] * len(tickets)
    finally:
        if worker and worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=10)
        running.stop()


def _answered_once_despite_a_slow_job(running, sandbox, job_delay_seconds: float) -> TicketLink:
    """A customer writes in while Zendesk's jobs start ``job_delay_seconds`` late: they get one
    status reply; returns the ticket's link."""
    _, tag, _ = declare_checkout_incident(running.services)
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"job_delay_seconds": job_delay_seconds}, timeout=5)
    ticket_id = running.create_ticket("checkout fails")
    wait_for(lambda: tag in running.ticket(ticket_id)["tags"], timeout=30)
    wait_for(lambda: settled(running.services), timeout=30)
    assert len(status_replies(running, ticket_id)) == 1
    with running.services.db.transaction() as session:
        [link] = session.scalars(select(TicketLink)).all()
        session.expunge(link)
    return link


def test_a_write_whose_outcome_is_unknown_is_not_repeated(database_url, sandbox, helpdesk):
    # The job outlives the executor's patience; the retry must read the ticket, not write again.
    running = start_service(database_url, sandbox, helpdesk, job_timeout_seconds=0.5, worker_lease_seconds=3)
    try:
        link = _answered_once_despite_a_slow_job(running, sandbox, job_delay_seconds=2)
        assert link.state == "linked" and link.source == "auto"
    finally:
        running.stop()


def test_an_answer_queued_longer_than_the_worker_waits_is_still_sent_once(database_url, sandbox, helpdesk):
    # Zendesk starts the answer's job after the worker stopped waiting and after its reservation
    # looks stale: the retry asks that job, and takes the ticket over only once it has run.
    running = start_service(database_url, sandbox, helpdesk, job_timeout_seconds=0.5, worker_lease_seconds=1)
    try:
        link = _answered_once_despite_a_slow_job(running, sandbox, job_delay_seconds=4)
        assert (link.state, link.source, link.writer) == ("linked", "auto", None)
    finally:
        running.stop()
