"""Every call the adapter makes to the helpdesk is counted by method, endpoint (ids replaced, so
the label set stays small) and status, and every 429's pause is counted: through the real
transport against the sandbox, and into the Prometheus metrics an operator scrapes."""

from __future__ import annotations

import requests
from prometheus_client import REGISTRY

from integrations.zendesk.adapter import ZendeskAdapter
from integrations.zendesk.transport import endpoint_of
from service.metrics import HelpdeskCalls
from tests.factories import sandbox_create
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN


class Recorder:
    def __init__(self):
        self.calls: list[tuple[str, str, int]] = []
        self.pauses: list[float] = []

    def called(self, method: str, endpoint: str, status: int, seconds: float) -> None:
        assert seconds >= 0
        self.calls.append((method, endpoint, status))

    def paused(self, seconds: float) -> None:
        self.pauses.append(seconds)


def test_endpoints_replace_ids_and_drop_the_query():
    assert (
        endpoint_of("https://x.zendesk.com/api/v2/tickets/17/merge.json?a=1")
        == "/api/v2/tickets/{id}/merge.json"
    )
    assert endpoint_of("https://x.zendesk.com/api/v2/tickets/17.json") == "/api/v2/tickets/{id}.json"
    assert (
        endpoint_of("http://127.0.0.1:9/api/v2/users/show_many.json?ids=1,2")
        == "/api/v2/users/show_many.json"
    )
    assert (
        endpoint_of("https://x.zendesk.com/api/v2/job_statuses/8b7a.json") == "/api/v2/job_statuses/8b7a.json"
    )


def test_calls_and_pauses_are_observed_through_the_real_transport(sandbox):
    recorder = Recorder()
    adapter = ZendeskAdapter.connect(
        "sandbox", DEMO_AGENT_EMAIL, DEMO_API_TOKEN, sandbox.url, observer=recorder
    )
    ticket_id = sandbox_create(sandbox, "Checkout", "checkout fails")
    assert adapter.get_tickets([ticket_id])[0].id == ticket_id
    assert ("GET", "/api/v2/tickets/show_many.json", 200) in recorder.calls
    requests.post(
        f"{sandbox.url}/_sandbox/limits", json={"requests_per_minute": 2, "window_seconds": 1.0}, timeout=5
    )
    for _ in range(3):
        adapter.get_tickets([ticket_id])
    assert (
        any(status == 429 for _, _, status in recorder.calls) and recorder.pauses and recorder.pauses[0] >= 1
    )


def test_the_metrics_count_them():
    def sample(name: str, **labels) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = sample(
        "incidentdesk_helpdesk_calls_total",
        method="PUT",
        endpoint="/api/v2/tickets/update_many.json",
        status="200",
    )
    paused = sample("incidentdesk_helpdesk_paused_seconds_total")
    observer = HelpdeskCalls()
    observer.called("PUT", "/api/v2/tickets/update_many.json", 200, 0.05)
    observer.paused(7.0)
    after = sample(
        "incidentdesk_helpdesk_calls_total",
        method="PUT",
        endpoint="/api/v2/tickets/update_many.json",
        status="200",
    )
    assert after == before + 1
    assert sample("incidentdesk_helpdesk_paused_seconds_total") == paused + 7.0
