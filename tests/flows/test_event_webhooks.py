"""Both kinds of webhook, end to end through the sandbox, on SQLite and PostgreSQL: a customer's
ticket is linked, tagged and answered once; another integration's API update reaches the
service and is handled; IncidentDesk's own writes do not come back as work; and a change that
arrives by both kinds at once is still answered once."""

import pytest
import requests
from sqlalchemy import select

from integrations.zendesk.setup import install
from service.models import InboxDelivery
from tests.factories import declare_checkout_incident
from tests.helpers import start_service, wait_for
from zendesk_sandbox import DEMO_API_TOKEN

KINDS = ["trigger", "event"]


def _customer_writes_in(sandbox, body: str) -> int:
    answer = requests.post(
        f"{sandbox.url}/_sandbox/tickets",
        json={
            "ticket": {
                "subject": "Help",
                "comment": {"body": body},
                "requester": {"name": "Pat Customer", "email": "pat@example.com", "locale": "en"},
            }
        },
        timeout=5,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["ticket"]["id"]


def _invocations(sandbox, ticket_id: int) -> list[dict]:
    found = requests.get(f"{sandbox.url}/_sandbox/invocations", timeout=5).json()["invocations"]
    return [i for i in found if i["ticket_id"] == ticket_id]


def _rows(running, ticket_id: int) -> list[tuple[str, str, str]]:
    """The inbox's rows for the ticket: (key kind, event type, state)."""
    with running.services.db.transaction() as session:
        rows = session.execute(
            select(InboxDelivery.delivery_key, InboxDelivery.event_type, InboxDelivery.state).where(
                InboxDelivery.ticket_id == ticket_id
            )
        )
        return sorted((key.split(":")[0], event_type, state) for key, event_type, state in rows)


def _quiet(running, sandbox, ticket_id: int) -> list[tuple[str, str, str]]:
    """Wait until the sandbox has sent everything about the ticket and the inbox has done it all."""

    def settled():
        sent = all(i["status"] not in ("queued", "retrying") for i in _invocations(sandbox, ticket_id))
        rows = _rows(running, ticket_id)
        return sent and rows and all(state not in ("pending", "leased") for _, _, state in rows) and rows

    return wait_for(settled, timeout=60)


def _public_replies(running, ticket_id: int) -> list[str]:
    """What the customer sees from us: the public comments after their own."""
    return [c["body"] for c in running.comments(ticket_id)[1:] if c["public"]]


def _other_integration(sandbox) -> requests.Session:
    """Another integration's agent with its own API credentials (not IncidentDesk's user)."""
    with sandbox.state.lock:
        sandbox.state.add_user(name="Triage bot", email="bot@triage.example", role="agent")
    session = requests.Session()
    session.trust_env = False
    session.auth = ("bot@triage.example/token", DEMO_API_TOKEN)
    return session


@pytest.mark.parametrize("kind", KINDS)
def test_a_customers_ticket_is_linked_and_answered_once_and_our_writes_do_not_come_back(
    database_url, sandbox, helpdesk, kind
):
    running = start_service(database_url, sandbox, helpdesk, webhook_kind=kind)
    try:
        _, tag, problem_id = declare_checkout_incident(running.services)
        ticket_id = _customer_writes_in(sandbox, "The checkout fails when I pay")
        rows = _quiet(running, sandbox, ticket_id)

        ticket = running.ticket(ticket_id)
        assert tag in ticket["tags"]
        assert (ticket["type"], ticket["problem_id"]) == ("incident", problem_id)
        (reply,) = _public_replies(running, ticket_id)
        assert "checkout" in reply.lower()

        handled = [row for row in rows if row[2] != "ignored"]
        if kind == "trigger":
            # Our update (tag, link, reply) fires no trigger: only the customer's new ticket was sent.
            assert len(_invocations(sandbox, ticket_id)) == 1
            assert handled == [("trigger", "ticket.changed", "done")]
        else:
            # Zendesk sends the events of our own update too; they are set aside, not handled.
            assert handled == [("event", "ticket.created", "done")]
            echoes = [event_type for _, event_type, state in rows if state == "ignored"]
            assert {"ticket.tags_changed", "ticket.problem_link_changed", "ticket.comment_added"} <= set(
                echoes
            )
            assert len(_invocations(sandbox, ticket_id)) == len(rows)
        assert len(_public_replies(running, ticket_id)) == 1
    finally:
        running.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_an_update_through_the_api_by_another_integration_reaches_the_service(
    database_url, sandbox, helpdesk, kind
):
    running = start_service(database_url, sandbox, helpdesk, webhook_kind=kind)
    try:
        _, tag, problem_id = declare_checkout_incident(running.services)
        ticket_id = _customer_writes_in(sandbox, "Hello, a question about my order")
        _quiet(running, sandbox, ticket_id)
        assert tag not in running.ticket(ticket_id)["tags"]
        assert _public_replies(running, ticket_id) == []

        # A triage integration, through the API, gives the ticket a subject that says what it is.
        answer = _other_integration(sandbox).put(
            f"{sandbox.url}/api/v2/tickets/{ticket_id}.json",
            json={
                "ticket": {
                    "subject": "Checkout fails at payment",
                    "comment": {"body": "Triaged", "public": False},
                }
            },
            timeout=5,
        )
        assert answer.status_code == 200, answer.text
        wait_for(lambda: tag in running.ticket(ticket_id)["tags"], timeout=60)
        _quiet(running, sandbox, ticket_id)

        assert running.ticket(ticket_id)["problem_id"] == problem_id
        assert len(_public_replies(running, ticket_id)) == 1
    finally:
        running.stop()


def test_a_change_delivered_by_both_kinds_is_answered_once(database_url, sandbox, helpdesk):
    """Both kinds installed (as while an account moves from one to the other): each delivery is
    stored under its own key, and the pipeline, reading the ticket fresh, answers once."""
    running = start_service(database_url, sandbox, helpdesk, webhook_kind="trigger", worker_batch_size=1)
    try:
        endpoint = f"{running.url}/webhooks/zendesk"
        trigger_kind = install(helpdesk.client, endpoint, kind="trigger")
        event_kind = install(helpdesk.client, endpoint, kind="event")
        assert event_kind.webhook_id != trigger_kind.webhook_id and event_kind.trigger_ids == ()
        with sandbox.state.lock:  # one secret for both, so that the service verifies either
            sandbox.state.webhook_secrets[event_kind.webhook_id] = trigger_kind.signing_secret
        _, tag, _ = declare_checkout_incident(running.services)

        ticket_id = _customer_writes_in(sandbox, "The checkout fails when I pay")
        rows = _quiet(running, sandbox, ticket_id)

        handled = [row for row in rows if row[2] != "ignored"]
        assert handled == [("event", "ticket.created", "done"), ("trigger", "ticket.changed", "done")]
        assert tag in running.ticket(ticket_id)["tags"]
        assert len(_public_replies(running, ticket_id)) == 1
    finally:
        running.stop()
