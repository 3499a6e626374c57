"""Scaled out on PostgreSQL as docker-compose runs it: 2 `serve` (gunicorn) and 3 `worker`
processes. A surge of customers writes in; every ticket event reaches both `serve` processes,
and the sandbox sends some deliveries twice and out of order; one worker is SIGKILLed mid-surge.
Every customer is still answered exactly once: one public status reply, the incident's tag."""

from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from service.wiring import build_services
from tests.cluster import Cluster, inbox_states, linked_count, surge, wait_until_linked
from tests.conftest import make_settings
from tests.factories import declare_checkout_incident
from tests.helpers import wait_for

CUSTOMERS = 2000

pytestmark = pytest.mark.postgres


@pytest.mark.timeout(900)  # a surge of 2,000 through real processes: about 3.5 minutes here
def test_two_serves_and_three_workers_answer_every_customer_once_with_one_worker_killed(
    postgres_url, sandbox, helpdesk
):
    services = build_services(make_settings(postgres_url), helpdesk=helpdesk)
    _, tag, _ = declare_checkout_incident(services)
    engine = create_engine(postgres_url)
    sessions = sessionmaker(engine)
    requests.post(
        f"{sandbox.url}/_sandbox/webhook_options", json={"duplicate": 0.2, "shuffle": True}, timeout=5
    ).raise_for_status()
    # A killed worker's leases expire after 10 s, and the reservations it held are given up after
    # the lease plus the longest job wait: 30 s here instead of production's 3 minutes.
    with Cluster(
        postgres_url,
        sandbox.url,
        serves=2,
        workers=3,
        INCIDENTDESK_WORKER_LEASE_SECONDS="10",
        INCIDENTDESK_JOB_TIMEOUT_SECONDS="20",
    ) as cluster:
        started = time.monotonic()
        tickets = surge(sandbox.url, CUSTOMERS)
        wait_for(lambda: linked_count(sessions) >= CUSTOMERS // 4, timeout=240, interval=0.2)
        cluster.kill_worker(0)
        wait_until_linked(sessions, CUSTOMERS, timeout=600)
        wait_for(lambda: set(inbox_states(sessions)) <= {"done"}, timeout=180, interval=0.5)
        elapsed = time.monotonic() - started
    deliveries = sum(inbox_states(sessions).values())
    with sandbox.state.lock:
        replies = {t: sum(1 for c in sandbox.state.comments[t][1:] if c.get("public")) for t in tickets}
        tagged = {t for t in tickets if tag in sandbox.state.tickets[t]["tags"]}
    assert sorted(set(replies.values())) == [1], {t: n for t, n in replies.items() if n != 1}
    assert tagged == set(tickets)
    print(
        f"\n{CUSTOMERS} customers answered once each in {elapsed:.0f} s, one worker killed ({deliveries} deliveries)"
    )
    engine.dispose()
    services.db.dispose()
