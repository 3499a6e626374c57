"""The ``/_sandbox`` control API: reset, seed, counters, faults."""

import time

import requests
from zenpy.lib.api_objects import Ticket

from .conftest import wait_for


def test_counters_normalise_ids_and_reset(api, sandbox, zd):
    requests.post(f"{sandbox.url}/_sandbox/counters/reset")
    ticket = zd.tickets.create(Ticket(subject="s", description="d")).ticket
    zd.tickets(id=ticket.id)
    api.get(f"{sandbox.url}/api/v2/tickets/{ticket.id}")
    api.put(
        f"{sandbox.url}/api/v2/tickets/update_many.json?ids={ticket.id}", json={"ticket": {"priority": "low"}}
    )
    counters = requests.get(f"{sandbox.url}/_sandbox/counters").json()
    assert counters["calls"] == {
        "POST /api/v2/tickets": 1,
        "GET /api/v2/tickets/{id}": 2,
        "PUT /api/v2/tickets/update_many": 1,
    }
    assert counters["total"] == 4
    requests.post(f"{sandbox.url}/_sandbox/counters/reset")
    assert requests.get(f"{sandbox.url}/_sandbox/counters").json() == {"total": 0, "calls": {}}


def test_reset_empties_the_account_but_keeps_the_demo_agent(sandbox, zd):
    zd.tickets.create(Ticket(subject="s", description="d"))
    assert requests.post(f"{sandbox.url}/_sandbox/reset").status_code == 200
    assert sandbox.state.tickets == {}
    assert zd.users.me().email == "agent@sandbox.incidentdesk.test"


def test_seed_demo_has_locales_vips_orgs_and_channels(sandbox, zd):
    resp = requests.post(f"{sandbox.url}/_sandbox/seed", json={"scenario": "demo"})
    assert resp.status_code == 200
    summary = resp.json()
    customers = [zd.users(id=i) for i in summary["customers"]]
    assert {"en-US", "he", "bg"} <= {c.locale for c in customers}
    assert any("vip" in c.tags for c in customers)
    assert len(summary["organizations"]) >= 2
    channels = {sandbox.state.tickets[i]["via"]["channel"] for i in summary["tickets"]}
    assert {"email", "web", "chat"} <= channels
    again = requests.post(f"{sandbox.url}/_sandbox/seed", json={"scenario": "demo"}).json()
    assert again["customers"] == summary["customers"]
    assert requests.post(f"{sandbox.url}/_sandbox/seed", json={"scenario": "nope"}).status_code == 400


def test_error_burst_then_recovery(api, sandbox):
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"error_burst": {"count": 2, "status": 503}})
    codes = [api.get(f"{sandbox.url}/api/v2/users/me").status_code for _ in range(3)]
    assert codes == [503, 503, 200]


def test_rate_limit_storm_is_waited_out_by_zenpy(sandbox, zd):
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"rate_limit_storm": {"count": 1, "retry_after": 1}})
    started = time.monotonic()
    assert zd.users.me().email == "agent@sandbox.incidentdesk.test"
    assert time.monotonic() - started >= 1.0
    calls = requests.get(f"{sandbox.url}/_sandbox/counters").json()["calls"]
    assert calls["GET /api/v2/users/me"] == 2


def test_latency_and_timeout_faults(api, sandbox):
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"latency": {"distribution": "fixed", "ms": 150}})
    started = time.monotonic()
    api.get(f"{sandbox.url}/api/v2/users/me")
    assert time.monotonic() - started >= 0.15
    requests.delete(f"{sandbox.url}/_sandbox/faults")
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"timeout": {"count": 1, "seconds": 0.6}})
    try:
        api.get(f"{sandbox.url}/api/v2/users/me", timeout=0.2)
        raise AssertionError("expected a client timeout")
    except requests.Timeout:
        pass
    assert requests.post(f"{sandbox.url}/_sandbox/faults", json={"bogus": 1}).status_code == 400


def test_slow_job_queue(api, sandbox, zd):
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"job_delay_seconds": 5})
    job = zd.tickets.create([Ticket(subject="s", description="d")])
    time.sleep(0.1)
    assert zd.job_status(id=job.id).status == "queued"
    requests.delete(f"{sandbox.url}/_sandbox/faults")
    wait_for(lambda: zd.job_status(id=job.id).status == "completed")


def test_customer_and_agent_activity_fire_like_api_changes(sandbox):
    resp = requests.post(
        f"{sandbox.url}/_sandbox/tickets",
        json={
            "ticket": {
                "subject": "Плащането не работи",
                "comment": {"body": "плащането на сайта не работи"},
                "requester": {"name": "Ivan", "email": "ivan@example.bg", "locale": "bg"},
                "via": {"channel": "chat"},
            }
        },
    )
    assert resp.status_code == 201
    ticket = resp.json()["ticket"]
    assert ticket["via"]["channel"] == "chat" and ticket["submitter_id"] == ticket["requester_id"]
    update = requests.post(
        f"{sandbox.url}/_sandbox/tickets/{ticket['id']}/agent_update", json={"ticket": {"status": "pending"}}
    )
    assert update.json()["ticket"]["status"] == "pending"
