"""The sidebar against a running service, its worker and the Zendesk sandbox, over HTTP:
what the pipeline linked and why, unlinking from the sidebar, linking by hand."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from service.models import AuditEntry, InboxDelivery, TicketLink
from service.web.i18n import translate
from tests.factories import CHECKOUT_STATUS, declare_checkout_incident, deliveries_done, link_state
from tests.helpers import AGENT_ID, AUDIENCE, key_pair, sidebar_token, start_service, wait_for, zendesk_token

ACTOR = f"zendesk agent {AGENT_ID}"


@pytest.fixture
def running(database_url, sandbox, helpdesk):
    service = start_service(
        database_url,
        sandbox,
        helpdesk,
        zendesk_app_public_key=key_pair("app").public_pem,
        zendesk_app_audience=AUDIENCE,
    )
    yield service
    service.stop()


class Sidebar:
    """What the sidebar's script does: open the signed page on a ticket once, then call the
    JSON routes for that ticket with the token the page carries."""

    def __init__(self, running):
        self.url = running.url
        self.base = f"{running.url}/app/sidebar/tickets"
        self.http = requests.Session()
        self.tokens: dict[int, str] = {}

    def token(self, ticket_id: int) -> str:
        if ticket_id not in self.tokens:
            page = requests.post(
                f"{self.url}/app/sidebar", data={"token": zendesk_token(ticket_id=ticket_id)}, timeout=10
            )
            assert page.status_code == 200, page.text
            self.tokens[ticket_id] = sidebar_token(page.text)
        return self.tokens[ticket_id]

    def _auth(self, ticket_id: int) -> dict:
        return {"Authorization": f"Bearer {self.token(ticket_id)}"}

    def view(self, ticket_id: int, locale: str = "en") -> dict:
        answer = self.http.get(
            f"{self.base}/{ticket_id}", params={"locale": locale}, headers=self._auth(ticket_id), timeout=10
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def post(self, ticket_id: int, action: str, body: dict, locale: str = "en") -> requests.Response:
        return self.http.post(
            f"{self.base}/{ticket_id}/{action}",
            params={"locale": locale},
            json=body,
            headers=self._auth(ticket_id),
            timeout=30,
        )


def linked_ticket(running, text: str = "Hello, checkout fails with error 500 when I pay", **who) -> int:
    ticket_id = running.create_ticket(text, **who)
    wait_for(lambda: (link_state(running, ticket_id) or ("",))[0] == "linked")
    wait_for(lambda: deliveries_done(running))
    return ticket_id


def delivery_count(running) -> int:
    with running.services.db.transaction() as session:
        return len(session.scalars(select(InboxDelivery.id)).all())


def agent_edit_processed(running, sandbox, ticket_id: int, comment: dict) -> None:
    """An agent's edit in Zendesk fires the trigger; wait until the worker has handled it."""
    before = delivery_count(running)
    answer = requests.post(
        f"{sandbox.url}/_sandbox/tickets/{ticket_id}/agent_update",
        timeout=5,
        json={"ticket": {"comment": comment}},
    )
    assert answer.status_code == 200, answer.text
    wait_for(lambda: delivery_count(running) > before and deliveries_done(running))


def public_replies(running, ticket_id: int) -> list[str]:
    return [c["body"] for c in running.comments(ticket_id)[1:] if c["public"]]


def test_the_sidebar_shows_why_the_pipeline_linked_the_ticket_in_the_agents_language(running):
    incident_id, tag, problem_id = declare_checkout_incident(running.services)
    ticket_id = linked_ticket(running)

    view = Sidebar(running).view(ticket_id, locale="he")
    assert view["dir"] == "rtl" and view["can_unlink"] is True
    link = view["link"]
    assert (link["state"], link["source"]) == ("linked", "auto")
    assert link["evidence"]["phrases"] == ["checkout"] and link["evidence"]["vip"] is False
    assert any("checkout" in excerpt.lower() for excerpt in link["evidence"]["excerpts"])
    incident = view["incident"]
    assert (incident["id"], incident["tag"], incident["problem_ticket_id"]) == (incident_id, tag, problem_id)
    assert incident["stage"] == "investigating"
    assert (
        incident["stage_label"]
        == translate("stage.investigating", "he")
        != translate("stage.investigating", "en")
    )
    # The current text in the agent's language, filled in for this ticket's requester.
    assert incident["status_text"] == CHECKOUT_STATUS["he"].replace("{{first_name}}", "Dana")
    assert incident["status_dir"] == "rtl"
    # What the customer got: the English text (the requester writes English), as rendered for them.
    assert link["applied"]["locale"] == "en" and link["applied"]["text"].startswith(
        "Hi Dana, checkout is down"
    )
    assert link["applied"]["text"] in public_replies(running, ticket_id)
    assert incident["macro_title"] == "Incident: Checkout is down"  # the macro the reply is recorded as
    assert [e["action"] for e in view["audit"]] == ["ticket.linked"]
    assert view["audit"][0]["label"] == translate("sidebar.audit.ticket.linked", "he")
    assert view["active_incidents"] == []


def test_unlink_from_the_sidebar_removes_the_link_in_zendesk_and_sticks(running, sandbox):
    incident_id, tag, _ = declare_checkout_incident(running.services)
    ticket_id = linked_ticket(running)
    sidebar = Sidebar(running)

    answer = sidebar.post(ticket_id, "unlink", {"reason": "asks about an invoice, not checkout"})
    assert answer.status_code == 200, answer.text
    view = answer.json()
    assert view["link"]["state"] == "unlinked" and view["can_unlink"] is False
    assert view["link"]["unlink_reason"] == "asks about an invoice, not checkout"
    assert view["active_incidents"] == [{"id": incident_id, "title": "Checkout is down"}]
    ticket = running.ticket(ticket_id)
    assert not any(t.startswith(tag) for t in ticket["tags"])
    assert (ticket["type"], ticket["problem_id"]) == ("question", None)
    note = running.comments(ticket_id)[-1]
    assert not note["public"] and ACTOR in note["body"] and "asks about an invoice" in note["body"]
    assert sidebar.post(ticket_id, "unlink", {}).status_code == 404  # nothing left to unlink

    # The customer writes again about checkout: the ticket stays unlinked.
    agent_edit_processed(running, sandbox, ticket_id, {"body": "checkout still fails", "public": True})
    assert tag not in running.ticket(ticket_id)["tags"]
    assert link_state(running, ticket_id)[0] == "unlinked"
    with running.services.db.transaction() as session:
        unlinked = session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.unlinked")).one()
    assert unlinked.actor == ACTOR and unlinked.detail["phrases"] == ["checkout"]


def test_manual_link_tags_links_and_answers_the_ticket_once(running, sandbox):
    incident_id, tag, problem_id = declare_checkout_incident(running.services)
    ticket_id = running.create_ticket(
        "Поръчката ми още не е пристигнала", name="Иван Петров", email="ivan@example.com", locale="bg"
    )
    wait_for(lambda: deliveries_done(running))
    sidebar = Sidebar(running)
    before = sidebar.view(ticket_id, locale="bg")
    assert before["link"] is None and before["active_incidents"] == [
        {"id": incident_id, "title": "Checkout is down"}
    ]

    answer = sidebar.post(ticket_id, "link", {"incident_id": incident_id})
    assert answer.status_code == 200, answer.text
    link = answer.json()["link"]
    assert (link["state"], link["source"], link["evidence"]["rule"]) == ("linked", "manual", "manual")
    assert link["evidence"]["linked_by"] == ACTOR
    assert link["applied"]["locale"] == "bg" and link["applied"]["text"].startswith("Здравейте, Иван")
    ticket = running.ticket(ticket_id)
    assert {tag, f"{tag}_v1"} <= set(ticket["tags"])
    assert (ticket["type"], ticket["problem_id"]) == ("incident", problem_id)
    assert public_replies(running, ticket_id) == [link["applied"]["text"]]

    again = sidebar.post(ticket_id, "link", {"incident_id": incident_id})
    assert again.status_code == 409 and "already linked" in again.json()["error"]
    # An agent's later edit reaches the pipeline, which knows the ticket: no second answer.
    agent_edit_processed(running, sandbox, ticket_id, {"body": "Checking the order", "public": False})
    assert public_replies(running, ticket_id) == [link["applied"]["text"]]
    assert link_state(running, ticket_id)[0] == "linked"
    with running.services.db.transaction() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.ticket_id == ticket_id)).all()
    assert actions.count("ticket.linked_manually") == 1 and "ticket.linked" not in actions


def test_linking_back_after_an_unlink_does_not_answer_the_customer_twice(running):
    incident_id, tag, _ = declare_checkout_incident(running.services)
    ticket_id = linked_ticket(running)
    sidebar = Sidebar(running)
    assert sidebar.post(ticket_id, "unlink", {}).status_code == 200
    replies = public_replies(running, ticket_id)

    answer = sidebar.post(ticket_id, "link", {"incident_id": incident_id})
    assert answer.status_code == 200, answer.text
    assert answer.json()["link"]["state"] == "linked"
    assert tag in running.ticket(ticket_id)["tags"]
    assert public_replies(running, ticket_id) == replies
    with running.services.db.transaction() as session:
        assert len(session.scalars(select(TicketLink).where(TicketLink.ticket_id == ticket_id)).all()) == 1


def test_manual_link_refusals_say_what_is_wrong(running):
    incident_id, _, problem_id = declare_checkout_incident(running.services)
    ticket_id = linked_ticket(running)
    sidebar = Sidebar(running)
    cases = [
        (
            ticket_id,
            {"incident_id": incident_id},
            409,
            "is already linked to the incident “Checkout is down”",
        ),
        (ticket_id, {}, 422, "incident_id"),
        (ticket_id, {"incident_id": "1"}, 422, "incident_id"),
        (ticket_id, {"incident_id": incident_id + 1000}, 404, f"There is no incident #{incident_id + 1000}."),
        (987654, {"incident_id": incident_id}, 404, "Zendesk has no ticket #987654"),
        (problem_id, {"incident_id": incident_id}, 422, "A problem ticket cannot be linked"),
    ]
    for target, body, status, message in cases:
        answer = sidebar.post(target, "link", body)
        assert (answer.status_code, message in answer.json()["error"]) == (status, True), answer.text
    # An agent whose Zendesk speaks Hebrew is told in Hebrew.
    answer = sidebar.post(ticket_id, "link", {"incident_id": incident_id}, locale="he")
    assert answer.status_code == 409 and "כבר מקושרת לתקרית “Checkout is down”" in answer.json()["error"]


def test_a_sidebar_token_reads_and_changes_only_the_ticket_it_was_opened_on(running):
    incident_id, tag, _ = declare_checkout_incident(running.services)
    mine = linked_ticket(running)
    theirs = linked_ticket(running, "Checkout fails for me too", name="Other Customer", email="o@example.com")
    sidebar = Sidebar(running)
    auth = sidebar._auth(mine)
    base = sidebar.base
    expected = f"This sidebar was opened on ticket #{mine}; it cannot read or change ticket #{theirs}."

    read = requests.get(f"{base}/{theirs}", headers=auth, timeout=10)
    assert read.status_code == 403 and read.json()["error"].startswith(expected)
    assert "excerpts" not in read.text and "checkout" not in read.text.lower()
    unlink = requests.post(f"{base}/{theirs}/unlink", json={}, headers=auth, timeout=10)
    assert unlink.status_code == 403 and unlink.json()["error"].startswith(expected)
    link = requests.post(f"{base}/{theirs}/link", json={"incident_id": incident_id}, headers=auth, timeout=10)
    assert link.status_code == 403 and link.json()["error"].startswith(expected)
    assert link_state(running, theirs)[0] == "linked" and tag in running.ticket(theirs)["tags"]

    # The same token still works for its own ticket.
    assert sidebar.view(mine)["link"]["state"] == "linked"
    assert sidebar.post(mine, "unlink", {}).status_code == 200
    assert sidebar.post(mine, "link", {"incident_id": incident_id}).status_code == 200
