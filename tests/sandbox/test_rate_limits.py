"""Zendesk's limits: requests/minute by plan, Update Ticket per minute, updates per ticket,
429 with integer Retry-After and rate-limit headers; zenpy waits and retries."""

import time

import requests
from zenpy.lib.api_objects import Ticket

from zendesk_sandbox import SandboxServer
from zendesk_sandbox.state import PLAN_LIMITS


def _limits(sandbox, **spec):
    resp = requests.post(f"{sandbox.url}/_sandbox/limits", json=spec)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_plan_limits_and_headers(api, sandbox):
    assert PLAN_LIMITS == {
        "trial": 200,  # assumed; its webhook limits are tested with the event webhooks
        "team": 200,
        "growth": 400,
        "professional": 400,
        "enterprise": 700,
        "high_volume": 2500,
        "enterprise_plus": 2500,
    }
    assert _limits(sandbox, plan="team")["requests_per_minute"] == 200
    first = api.get(f"{sandbox.url}/api/v2/users/me")
    second = api.get(f"{sandbox.url}/api/v2/users/me")
    assert first.headers["X-Rate-Limit"] == "200" and first.headers["ratelimit-limit"] == "200"
    assert int(first.headers["X-Rate-Limit-Remaining"]) - 1 == int(second.headers["X-Rate-Limit-Remaining"])
    assert int(second.headers["ratelimit-reset"]) >= 1


def test_account_limit_gives_429_with_integer_retry_after(api, sandbox):
    _limits(sandbox, requests_per_minute=3)
    codes = [api.get(f"{sandbox.url}/api/v2/users/me").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = api.get(f"{sandbox.url}/api/v2/users/me")
    assert refused.json()["error"] == "APIRateLimitExceeded"
    assert refused.headers["Retry-After"].isdigit() and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-Rate-Limit-Remaining"] == "0"


def test_zenpy_waits_out_retry_after(zd, sandbox):
    _limits(sandbox, requests_per_minute=2, window_seconds=1.0)
    started = time.monotonic()
    for _ in range(3):
        assert zd.users.me().email
    assert time.monotonic() - started >= 1.0
    calls = requests.get(f"{sandbox.url}/_sandbox/counters").json()["calls"]
    assert calls["GET /api/v2/users/me"] == 4  # the refused call, then zenpy's retry


def test_update_ticket_limit_counts_single_updates_only(api, sandbox, zd):
    ticket = zd.tickets.create(Ticket(subject="s", description="d")).ticket
    _limits(sandbox, update_ticket_per_minute=2)
    url = f"{sandbox.url}/api/v2/tickets/{ticket.id}.json"
    codes = [api.put(url, json={"ticket": {"priority": p}}).status_code for p in ("low", "high", "urgent")]
    assert codes == [200, 200, 429]
    bulk = api.put(
        f"{sandbox.url}/api/v2/tickets/update_many.json?ids={ticket.id}",
        json={"ticket": {"priority": "normal"}},
    )
    assert bulk.status_code == 200


def test_agent_edits_use_the_update_ticket_budget(api, sandbox, zd):
    ticket = zd.tickets.create(Ticket(subject="s", description="d")).ticket
    _limits(sandbox, update_ticket_per_minute=1)
    requests.post(
        f"{sandbox.url}/_sandbox/tickets/{ticket.id}/agent_update", json={"ticket": {"status": "open"}}
    )
    resp = api.put(f"{sandbox.url}/api/v2/tickets/{ticket.id}", json={"ticket": {"priority": "low"}})
    assert resp.status_code == 429


def test_thirty_updates_per_ticket(api, sandbox, zd):
    ticket = zd.tickets.create(Ticket(subject="s", description="d")).ticket
    _limits(sandbox, updates_per_ticket=30, update_ticket_per_minute=1000)
    url = f"{sandbox.url}/api/v2/tickets/{ticket.id}"
    codes = [api.put(url, json={"ticket": {"additional_tags": [f"t{i}"]}}).status_code for i in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429
    other = zd.tickets.create(Ticket(subject="o", description="d")).ticket
    assert (
        api.put(f"{sandbox.url}/api/v2/tickets/{other.id}", json={"ticket": {"priority": "low"}}).status_code
        == 200
    )


def test_bulk_calls_over_100_items_are_400(api, sandbox):
    ids = ",".join(str(i) for i in range(1, 102))
    resp = api.put(
        f"{sandbox.url}/api/v2/tickets/update_many.json?ids={ids}", json={"ticket": {"priority": "low"}}
    )
    assert resp.status_code == 400 and resp.json()["error"] == "TooManyValues"


def test_about_thirty_jobs_in_flight(api, sandbox):
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"job_delay_seconds": 5})
    statuses = [
        api.post(
            f"{sandbox.url}/api/v2/tickets/create_many",
            json={"tickets": [{"subject": "x", "description": "y"}]},
        ).status_code
        for _ in range(31)
    ]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    requests.delete(f"{sandbox.url}/_sandbox/faults")


def test_each_plan_sets_its_limit():
    for plan, limit in PLAN_LIMITS.items():
        with SandboxServer(plan=plan, webhook_delivery=False) as server:
            resp = requests.get(f"{server.url}/_sandbox/limits")
            assert resp.json()["requests_per_minute"] == limit


def test_strict_reading_counts_every_ticket_of_update_many(api, sandbox, zd):
    """The plan option ``update_many_counts_items``: each ticket of an update_many takes one
    from the Update Ticket window, and a request whose tickets do not all fit is refused whole."""
    tickets = [zd.tickets.create(Ticket(subject=f"s{i}", description="d")).ticket.id for i in range(4)]
    assert _limits(sandbox, update_ticket_per_minute=5, update_many_counts_items=True)[
        "update_many_counts_items"
    ]
    bulk = f"{sandbox.url}/api/v2/tickets/update_many.json"
    three = api.put(f"{bulk}?ids={','.join(map(str, tickets[:3]))}", json={"ticket": {"priority": "low"}})
    assert three.status_code == 200
    listed = api.put(bulk, json={"tickets": [{"id": t, "priority": "high"} for t in tickets[:3]]})
    assert listed.status_code == 429 and 1 <= int(listed.headers["Retry-After"]) <= 60
    assert listed.json()["error"] == "APIRateLimitExceeded"
    single = f"{sandbox.url}/api/v2/tickets/{tickets[3]}.json"
    assert [
        api.put(single, json={"ticket": {"priority": p}}).status_code for p in ("low", "high", "urgent")
    ] == [
        200,
        200,
        429,
    ]
    assert {zd.tickets(id=t).priority for t in tickets[:3]} == {"low"}  # the refused request changed nothing
    assert _limits(sandbox, update_many_counts_items=False)["update_many_counts_items"] is False
