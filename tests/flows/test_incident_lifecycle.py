"""Declare -> link -> status update -> broadcast -> resolve, through the sandbox over HTTP."""

import pytest
import requests
from sqlalchemy import select

from service.incidents.status import (
    post_status_update,
    reopen_incident,
    resolve_incident,
    set_shadow_mode,
    unlink_in_helpdesk,
)
from service.incidents.store import get_incident
from service.models import AuditEntry, StatusUpdate, TicketLink
from tests.factories import declare_checkout_incident, deliveries_done, link_state
from tests.helpers import start_service, wait_for

UPDATE = {
    "en": "Update for {{first_name}}: the fix is deployed, checkout is recovering.",
    "he": "עדכון ל{{first_name}}: התיקון הותקן, התשלום חוזר לפעול.",
    "bg": "Новина за {{first_name}}: поправката е внедрена, плащането се възстановява.",
}
FINAL = {
    "en": "Checkout is back. A failed database switch caused it; we added an automatic check.",
    "he": "התשלום חזר לפעול. מעבר כושל בין מסדי נתונים גרם לתקלה; הוספנו בדיקה אוטומטית.",
    "bg": "Плащането работи отново. Причината беше неуспешно превключване на базата данни.",
}


@pytest.fixture
def running(database_url, sandbox, helpdesk):
    service = start_service(database_url, sandbox, helpdesk)
    yield service
    service.stop()


def public_bodies(running, ticket_id):
    return [c["body"] for c in running.comments(ticket_id)[1:] if c["public"]]


def test_status_update_is_broadcast_once_and_resolution_solves_everything(running, sandbox):
    incident_id, tag, problem_id = declare_checkout_incident(running.services)
    customers = [
        ("en", "Dana Levi", "checkout fails"),
        ("he", "נועה כהן", "התשלום באתר לא עובד"),
        ("bg", "Иван Петров", "плащането на сайта не работи"),
    ]
    tickets = {
        locale: running.create_ticket(text, name=name, email=f"{locale}@example.com", locale=locale)
        for locale, name, text in customers
    }
    for ticket_id in tickets.values():
        wait_for(lambda ticket_id=ticket_id: (link_state(running, ticket_id) or ("",))[0] == "linked")
    assert all(f"{tag}_v1" in running.ticket(t)["tags"] for t in tickets.values())

    # The macro and its dynamic content exist in the helpdesk and hold the current text.
    with running.services.db.transaction() as session:
        incident = get_incident(session, incident_id)
        macro_id, content_id = incident.macro_id, incident.dynamic_content_id
    assert macro_id and content_id
    item = running.api.get(f"{sandbox.url}/api/v2/dynamic_content/items/{content_id}.json").json()["item"]
    assert any("3 hours" in v["content"] for v in item["variants"])

    with running.services.db.transaction() as session:
        post_status_update(
            session,
            running.services.helpdesk,
            get_incident(session, incident_id),
            "identified",
            UPDATE,
            broadcast=True,
            actor="lead",
        )
    for ticket_id in tickets.values():
        wait_for(lambda ticket_id=ticket_id: (link_state(running, ticket_id) or (0, 0))[1] == 2)
    assert public_bodies(running, tickets["he"])[-1].startswith("עדכון לנועה")
    assert public_bodies(running, tickets["bg"])[-1].startswith("Новина за Иван")
    he_ticket = running.ticket(tickets["he"])
    assert (
        f"{tag}_v2" in he_ticket["tags"] and f"{tag}_v1" not in he_ticket["tags"] and tag in he_ticket["tags"]
    )
    item = running.api.get(f"{sandbox.url}/api/v2/dynamic_content/items/{content_id}.json").json()["item"]
    assert any("recovering" in v["content"] for v in item["variants"])

    with running.services.db.transaction() as session:
        resolve_incident(
            session, running.services.helpdesk, get_incident(session, incident_id), FINAL, actor="lead"
        )
    for ticket_id in tickets.values():
        wait_for(lambda ticket_id=ticket_id: running.ticket(ticket_id)["status"] == "solved")
    for locale, ticket_id in tickets.items():
        bodies = public_bodies(running, ticket_id)
        assert len(bodies) == 3, bodies  # first answer, the update, the final message: once each
        assert bodies[-1].startswith(FINAL[locale])
    with running.services.db.transaction() as session:  # no survey unless the lead asked for one
        final = get_incident(session, incident_id).current_status
        assert final.stage == "resolved"
        assert not any("satisfaction" in text for text in final.texts.values())
    # Tagged so the account's own survey automation knows this ticket got no survey from us.
    assert all("incidentdesk_survey_skipped" in running.ticket(t)["tags"] for t in tickets.values())
    wait_for(lambda: running.ticket(problem_id)["status"] == "solved")


def test_shadow_mode_decides_but_writes_nothing(running, sandbox):
    incident_id, tag, _ = declare_checkout_incident(running.services, shadow_mode=True)
    requests.post(f"{sandbox.url}/_sandbox/counters/reset", timeout=5)
    ticket_id = running.create_ticket("checkout fails at the last step")

    def shadow_decision():
        with running.services.db.transaction() as session:
            return session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.would_link")).first()

    entry = wait_for(shadow_decision)
    assert entry.shadow and entry.ticket_id == ticket_id and entry.detail["public_comment"]
    calls = requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).json()["calls"]
    writes = {
        k: v
        for k, v in calls.items()
        if not k.startswith("GET ") and "tickets.json" not in k and k != "POST /api/v2/tickets"
    }
    assert writes == {}, writes
    assert tag not in running.ticket(ticket_id)["tags"]


def test_an_agents_unlink_sticks(running, sandbox):
    incident_id, tag, _ = declare_checkout_incident(running.services)
    ticket_id = running.create_ticket("checkout fails")
    wait_for(lambda ticket_id=ticket_id: (link_state(running, ticket_id) or ("",))[0] == "linked")
    ticket = running.ticket(ticket_id)
    kept = [t for t in ticket["tags"] if not t.startswith(tag)]
    requests.post(
        f"{sandbox.url}/_sandbox/tickets/{ticket_id}/agent_update",
        timeout=5,
        json={"ticket": {"tags": kept, "type": "question", "problem_id": None}},
    )
    wait_for(lambda ticket_id=ticket_id: (link_state(running, ticket_id) or ("",))[0] == "unlinked")
    # The customer writes again; the ticket is not linked back.
    requests.post(
        f"{sandbox.url}/_sandbox/tickets/{ticket_id}/agent_update",
        timeout=5,
        json={"ticket": {"comment": {"body": "checkout still fails", "public": True}}},
    )
    wait_for(lambda: len(running.comments(ticket_id)) >= 4)
    wait_for(lambda: deliveries_done(running))
    assert tag not in running.ticket(ticket_id)["tags"]
    with running.services.db.transaction() as session:
        unlinked = session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.unlinked")).one()
    assert "removed" in unlinked.detail["reason"] and unlinked.detail["phrases"] == ["checkout"]
    assert link_state(running, ticket_id)[0] == "unlinked"


def test_vip_requesters_get_priority_raised(running, sandbox, zendesk_client):
    declare_checkout_incident(running.services)
    answer = running.api.post(
        f"{sandbox.url}/api/v2/users.json",
        timeout=5,
        json={
            "user": {"name": "Vera Important", "email": "vera@example.com", "tags": ["vip"], "locale": "en"}
        },
    )
    vip_id = answer.json()["user"]["id"]
    created = running.api.post(
        f"{sandbox.url}/api/v2/tickets.json",
        timeout=5,
        json={"ticket": {"subject": "Help", "comment": {"body": "checkout fails"}, "requester_id": vip_id}},
    )
    ticket_id = created.json()["ticket"]["id"]

    def raised():
        ticket = running.ticket(ticket_id)
        return ticket if ticket["priority"] == "urgent" else None

    ticket = wait_for(raised)
    assert ticket["type"] == "incident"
    # The internal note is the second write of the link, so it may land a moment later.
    wait_for(lambda: any("VIP" in c["body"] for c in running.comments(ticket_id) if not c["public"]))


def test_leaving_shadow_mode_opens_the_problem_ticket_and_macro(running):
    incident_id, tag, problem_id = declare_checkout_incident(running.services, shadow_mode=True)
    assert problem_id is None
    with running.services.db.transaction() as session:
        set_shadow_mode(
            session,
            get_incident(session, incident_id),
            False,
            actor="lead",
            helpdesk=running.services.helpdesk,
        )
    with running.services.db.transaction() as session:
        incident = get_incident(session, incident_id)
        problem_id, macro_id = incident.problem_ticket_id, incident.macro_id
    assert problem_id and macro_id
    assert running.ticket(problem_id)["type"] == "problem"
    ticket_id = running.create_ticket("checkout fails")
    linked = wait_for(lambda: (t := running.ticket(ticket_id)).get("problem_id") == problem_id and t)
    assert tag in linked["tags"]


def test_an_admins_unlink_undoes_the_link_in_the_helpdesk(running):
    incident_id, tag, _ = declare_checkout_incident(running.services)
    ticket_id = running.create_ticket("checkout fails")
    wait_for(lambda ticket_id=ticket_id: (link_state(running, ticket_id) or ("",))[0] == "linked")
    with running.services.db.transaction() as session:
        link = session.scalars(select(TicketLink).where(TicketLink.ticket_id == ticket_id)).one()
        unlink_in_helpdesk(
            session,
            running.services.helpdesk,
            link,
            get_incident(session, incident_id),
            reason="about an invoice",
            actor="admin:ada",
        )
    ticket = running.ticket(ticket_id)
    assert not any(t.startswith(tag) for t in ticket["tags"]) and ticket["problem_id"] is None
    assert "about an invoice" in running.comments(ticket_id)[-1]["body"]
    assert link_state(running, ticket_id)[0] == "unlinked"


def test_reopening_puts_the_last_status_back_into_the_macro(running, sandbox):
    incident_id, _, _ = declare_checkout_incident(running.services)
    with running.services.db.transaction() as session:
        incident = get_incident(session, incident_id)
        resolve_incident(session, running.services.helpdesk, incident, FINAL, actor="lead")
        content_id = incident.dynamic_content_id
    item = running.api.get(f"{sandbox.url}/api/v2/dynamic_content/items/{content_id}.json").json()["item"]
    assert any(v["content"].startswith("Checkout is back") for v in item["variants"])
    assert not any("satisfaction" in v["content"] for v in item["variants"])
    with running.services.db.transaction() as session:
        reopen_incident(
            session, get_incident(session, incident_id), actor="lead", helpdesk=running.services.helpdesk
        )
    item = running.api.get(f"{sandbox.url}/api/v2/dynamic_content/items/{content_id}.json").json()["item"]
    assert any("3 hours" in v["content"] for v in item["variants"])


def test_a_ticket_the_helpdesk_refuses_does_not_hold_up_the_resolution(running):
    incident_id, tag, problem_id = declare_checkout_incident(running.services)
    kept = running.create_ticket("checkout fails", email="kept@example.com")
    gone = running.create_ticket("checkout fails too", email="gone@example.com")
    for ticket_id in (kept, gone):
        wait_for(lambda ticket_id=ticket_id: (link_state(running, ticket_id) or ("",))[0] == "linked")
    running.api.delete(f"{running.sandbox_url}/api/v2/tickets/{gone}.json", timeout=5)
    with running.services.db.transaction() as session:
        resolve_incident(
            session, running.services.helpdesk, get_incident(session, incident_id), FINAL, actor="lead"
        )
    wait_for(lambda: running.ticket(problem_id)["status"] == "solved")

    def failures() -> list[AuditEntry]:  # written when the resolution's broadcast ends
        with running.services.db.transaction() as session:
            return session.scalars(
                select(AuditEntry).where(AuditEntry.action == "status.broadcast_failures")
            ).all()

    wait_for(failures)
    assert running.ticket(kept)["status"] == "solved"
    [failure] = failures()
    assert failure.detail["count"] == 1


def test_an_older_broadcast_is_superseded_by_a_newer_status(database_url, sandbox, helpdesk):
    service = start_service(database_url, sandbox, helpdesk)
    try:
        incident_id, _, _ = declare_checkout_incident(service.services)
        ticket_id = service.create_ticket("checkout fails")
        wait_for(lambda: (link_state(service, ticket_id) or ("",))[0] == "linked")
        service.stop_worker()
        for stage, word in (("identified", "first"), ("monitoring", "second")):
            with service.services.db.transaction() as session:
                post_status_update(
                    session,
                    service.services.helpdesk,
                    get_incident(session, incident_id),
                    stage,
                    {"en": f"{word} update"},
                    broadcast=True,
                    actor="lead",
                )
        service.start_worker()
        wait_for(lambda: (link_state(service, ticket_id) or (0, 0))[1] == 3)
        bodies = public_bodies(service, ticket_id)
        assert bodies[-1] == "second update" and "first update" not in bodies

        def broadcast_states() -> dict[int, str]:
            with service.services.db.transaction() as session:
                return dict(
                    session.execute(
                        select(StatusUpdate.version, StatusUpdate.broadcast_state).where(
                            StatusUpdate.incident_id == incident_id
                        )
                    ).all()
                )

        # The ticket has version 3 before the runner marks its broadcast done: wait for that.
        wait_for(lambda: broadcast_states()[3] == "done")
        assert broadcast_states()[2] == "superseded"
    finally:
        service.stop()


def test_reopening_makes_the_last_open_status_current_for_new_customers_and_the_macro(running, sandbox):
    incident_id, tag, _ = declare_checkout_incident(running.services)
    with running.services.db.transaction() as session:
        resolve_incident(
            session, running.services.helpdesk, get_incident(session, incident_id), FINAL, actor="lead"
        )
    with running.services.db.transaction() as session:
        reopen_incident(
            session, get_incident(session, incident_id), actor="lead", helpdesk=running.services.helpdesk
        )
    with running.services.db.transaction() as session:
        incident = get_incident(session, incident_id)
        current = incident.current_status
        assert (incident.state, current.stage, current.version) == ("active", "investigating", 3)
    # A customer who writes in now is told the problem is being worked on, not that it is fixed.
    ticket_id = running.create_ticket("checkout fails", email="after@example.com", name="Maya Reopen")
    wait_for(lambda: (link_state(running, ticket_id) or ("",))[0] == "linked")
    [reply] = public_bodies(running, ticket_id)
    assert reply.startswith("Hi Maya, checkout is down") and "Checkout is back" not in reply
    assert f"{tag}_v3" in running.ticket(ticket_id)["tags"]


def test_a_resolution_with_a_survey_asks_once_and_says_so_in_the_tags(running):
    incident_id, _, _ = declare_checkout_incident(running.services)
    ticket_id = running.create_ticket("checkout fails", name="Dana Levi")
    wait_for(lambda: (link_state(running, ticket_id) or ("",))[0] == "linked")
    with running.services.db.transaction() as session:
        resolve_incident(
            session,
            running.services.helpdesk,
            get_incident(session, incident_id),
            FINAL,
            actor="lead",
            survey=True,
        )
    wait_for(lambda: running.ticket(ticket_id)["status"] == "solved")
    ticket = running.ticket(ticket_id)
    assert (
        "incidentdesk_survey_sent" in ticket["tags"] and "incidentdesk_survey_skipped" not in ticket["tags"]
    )
    final = public_bodies(running, ticket_id)[-1]
    assert final.startswith(FINAL["en"])
