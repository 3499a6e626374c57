"""A 5,000-customer campaign survives three SIGKILLs of the worker and bursts of 429, 503 and 500:
exactly one ticket per customer, no code twice, and the result CSV matches the sandbox.

Runs on the sandbox's high-volume plan (2,500 requests a minute) so the rate limit does not
stretch the test past a couple of minutes; the campaign may use half of it.
"""

import os
import signal
import subprocess
import sys
from collections import Counter

import pytest
import requests
from sqlalchemy import select

from integrations.zendesk.adapter import ZendeskAdapter
from service.outreach import store
from service.outreach.models import Campaign, Coupon
from tests.factories import new_campaign, outreach_services, sandbox_outreach_tickets, set_faults
from tests.helpers import wait_for, wait_for_count
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN, SandboxServer

CUSTOMERS = 5000
LOCALES = ("en", "he", "bg")


def _csv() -> str:
    rows = [f"c{n}@example.com,Customer {n},{LOCALES[n % 3]}" for n in range(CUSTOMERS)]
    return "email,name,locale\n" + "\n".join(rows) + "\n"


def _worker(database_url: str, sandbox_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "INCIDENTDESK_SECRET_KEY": "test-secret-key-" + "x" * 32,
        "INCIDENTDESK_DATABASE_URL": database_url,
        "ZENDESK_BASE_URL": sandbox_url,
        "ZENDESK_EMAIL": DEMO_AGENT_EMAIL,
        "ZENDESK_API_TOKEN": DEMO_API_TOKEN,
        "ZENDESK_REQUESTS_PER_MINUTE": "2500",
        "INCIDENTDESK_WORKER_LEASE_SECONDS": "2",
        "INCIDENTDESK_WORKER_POLL_SECONDS": "0.05",
        "INCIDENTDESK_JOB_TIMEOUT_SECONDS": "2",
    }
    return subprocess.Popen([sys.executable, "-m", "service.cli", "--log-level", "ERROR", "worker"], env=env)


@pytest.fixture
def high_volume_sandbox():
    with SandboxServer(plan="high_volume", webhook_delivery=False) as server:
        yield server


def test_five_thousand_customers_through_kills_and_error_bursts(database_url, high_volume_sandbox):
    sandbox = high_volume_sandbox
    helpdesk = ZendeskAdapter.connect("sandbox", DEMO_AGENT_EMAIL, DEMO_API_TOKEN, sandbox.url)
    services = outreach_services(database_url, sandbox, helpdesk)
    incident_id, campaign_id = new_campaign(services, csv_text=_csv(), plan_requests_per_minute=2500)

    def created() -> int:
        return len(sandbox_outreach_tickets(sandbox, incident_id))

    worker = _worker(database_url, sandbox.url)
    try:
        for kill, fraction in enumerate((0.1, 0.35, 0.6)):
            wanted = CUSTOMERS * fraction
            wait_for_count(created, wanted, interval=0.02)
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            assert created() < CUSTOMERS, "each kill must land mid-campaign"
            if kill == 0:  # 429 and 503: certainly not done, sent again
                set_faults(
                    sandbox,
                    rate_limit_storm={"count": 6, "retry_after": 1},
                    error_burst={"count": 6, "status": 503},
                )
            if kill == 1:  # 500: maybe done, so those customers are looked up by external id first
                set_faults(sandbox, error_burst={"count": 4, "status": 500})
            worker = _worker(database_url, sandbox.url)

        def finished():
            with services.db.transaction() as session:
                return session.get(Campaign, campaign_id).state == "done"

        wait_for_count(created, CUSTOMERS, interval=0.2)  # every customer's ticket, then the campaign's end
        wait_for(finished, timeout=60, interval=0.2)
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=10)

    faults_left = requests.get(f"{sandbox.url}/_sandbox/faults", timeout=5).json()["faults"]
    assert faults_left == {}, "every injected 429 and 503 was answered to some call"
    tickets = sandbox_outreach_tickets(sandbox, incident_id)
    assert len(tickets) == CUSTOMERS
    assert len({t["external_id"] for t in tickets}) == CUSTOMERS
    with sandbox.state.lock:
        emails = Counter(sandbox.state.users[t["requester_id"]]["email"] for t in tickets)
        bodies = {t["id"]: sandbox.state.comments[t["id"]][0]["body"] for t in tickets}
    assert len(emails) == CUSTOMERS and max(emails.values()) == 1

    with services.db.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        rows = list(store.result_rows(session, campaign))
        codes = list(session.scalars(select(Coupon.code).where(Coupon.recipient_id.is_not(None))))
    assert len(codes) == len(set(codes)) == CUSTOMERS
    assert [r[4] for r in rows] == ["sent"] * CUSTOMERS
    by_ticket = {r[5]: r for r in rows}
    assert set(by_ticket) == {t["id"] for t in tickets}
    for ticket in tickets:
        row = by_ticket[ticket["id"]]
        assert row[10] == ticket["external_id"]
        assert emails[row[0]] == 1 and row[7] in bodies[ticket["id"]]
