"""Several workers share one campaign and one call budget without sending anyone twice."""

import threading
import time

from integrations.zendesk.adapter import ZendeskAdapter
from service.helpdesk.budget import OUTREACH_SHARE, SharedRateBudget
from service.outreach.runner import OutreachRunner
from service.wiring import build_services
from tests.conftest import make_settings
from tests.factories import new_campaign, outreach_services, sandbox_outreach_tickets
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN


def test_budget_is_exact_across_processes_sharing_the_database(database_url):
    clock = [1020.0]  # the start of a minute: windows are whole minutes
    budgets = [
        SharedRateBudget(
            build_services(make_settings(database_url), helpdesk=object()).db,
            per_minute=1,
            name=OUTREACH_SHARE,
            clock=lambda: clock[0],
        )
        for _ in range(2)
    ]
    granted = sum(b.take(limit=5) == 0.0 for _ in range(6) for b in budgets)
    assert granted == 5
    assert 59 <= budgets[0].take(limit=5) <= 60  # the rest of the minute
    clock[0] += 60
    assert budgets[1].take(limit=5) == 0.0
    budgets[0].block_for(3)
    assert budgets[1].take(limit=5) == 3.0


def test_two_workers_share_a_campaign(database_url, sandbox, helpdesk):
    services = outreach_services(database_url, sandbox, helpdesk)
    customers = 600
    csv_text = "email,name\n" + "".join(f"w{n}@example.com,Worker Test {n}\n" for n in range(customers))
    incident_id, _ = new_campaign(services, csv_text=csv_text, plan_requests_per_minute=400, api_share=1.0)
    handled = {"a": 0, "b": 0}
    stop = time.monotonic() + 60

    def work(name: str) -> None:
        # its own zenpy client, as each worker process has (zenpy objects are not thread-safe)
        own = ZendeskAdapter.connect("sandbox", DEMO_AGENT_EMAIL, DEMO_API_TOKEN, sandbox.url)
        runner = OutreachRunner(outreach_services(database_url, sandbox, own), name, poll_interval=0.2)
        while time.monotonic() < stop and len(sandbox_outreach_tickets(sandbox, incident_id)) < customers:
            handled[name] += runner.run_once()
            time.sleep(0.01)

    threads = [threading.Thread(target=work, args=(n,)) for n in handled]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(1)  # let the last jobs finish in the sandbox
    tickets = sandbox_outreach_tickets(sandbox, incident_id)
    assert len(tickets) == customers and len({t["external_id"] for t in tickets}) == customers
    assert handled["a"] > 0 and handled["b"] > 0
