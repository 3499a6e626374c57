"""Declaring an incident from a problem ticket agents already opened (issue 11), end to end over
real HTTP: sandbox -> IncidentDesk's API and form -> inbox -> worker -> zenpy -> sandbox.

The customers' tickets an agent put under the problem are answered once each, in their
language, though no rule of the incident matches their words; the problem ticket gets the
incident's tag and an internal note; a ticket put under it later is answered too; declaring
again, or replaying every delivery, answers no one twice. Refusals are 4xx with a message in
the admin's language. On SQLite and PostgreSQL."""

import requests
from sqlalchemy import select

from service.inbox import store as inbox
from service.inbox.adopted import store_adopted_tickets
from service.models import AuditEntry, Incident, TicketLink
from service.users import create_admin
from tests.factories import AUTH, deliveries_done
from tests.helpers import start_service, wait_for
from tests.web.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, build_app, csrf_token, log_in

STATUS = {
    "en": "We know about the delivery delays and are on it.",
    "he": "אנחנו יודעים על העיכובים במשלוחים ומטפלים בכך.",
}
# Phrases none of the customers wrote: only the problem link can link their tickets.
DECLARATION = {"title": "Deliveries are late", "phrases": ["courier strike"], "status_texts": STATUS}


def _agent_update(running, ticket_id: int, change: dict) -> None:
    """An agent's edit in Zendesk's UI (it fires the account's triggers, as a person's does)."""
    answer = running.api.post(
        f"{running.sandbox_url}/_sandbox/tickets/{ticket_id}/agent_update",
        json={"ticket": change},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def _problem_ticket(running, subject: str = "Parcels stuck at the hub", **extra) -> int:
    ticket = {
        "subject": subject,
        "type": "problem",
        "comment": {"body": "Several customers report parcels stuck.", "public": False},
        **extra,
    }
    answer = running.api.post(
        f"{running.sandbox_url}/api/v2/tickets.json", json={"ticket": ticket}, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["ticket"]["id"]


def _under_problem(running, ticket_id: int, problem: int) -> None:
    _agent_update(running, ticket_id, {"type": "incident", "problem_id": problem})


def _declare(running, **fields) -> requests.Response:
    return requests.post(
        f"{running.url}/api/v1/incidents", json={**DECLARATION, **fields}, headers=AUTH, timeout=30
    )


def _answered_once(running, ticket_id: int, expected: str) -> bool:
    replies = running.public_replies(ticket_id)
    return len(replies) == 1 and expected in replies[0]


def test_an_incident_declared_from_a_problem_ticket_answers_its_incidents_once(
    database_url, sandbox, helpdesk
):
    running = start_service(database_url, sandbox, helpdesk)
    try:
        problem = _problem_ticket(running)
        customers = {
            running.create_ticket("My parcel has not arrived", name="Ann Lee", email="ann@example.com"): "en",
            running.create_ticket(
                "החבילה שלי לא הגיעה", name="נועה כהן", email="noa@example.com", locale="he"
            ): "he",
            running.create_ticket("Where is my order?", name="Ben Ray", email="ben@example.com"): "en",
        }
        for ticket_id in customers:
            _under_problem(running, ticket_id, problem)
        wait_for(lambda: deliveries_done(running), timeout=30)  # no incident yet: left alone
        assert all(running.public_replies(t) == [] for t in customers)

        declared = _declare(running, problem_ticket_id=problem)
        assert declared.status_code == 201, declared.text
        incident = declared.json()
        assert incident["problem_ticket_id"] == problem

        for ticket_id, lang in customers.items():
            wait_for(lambda t=ticket_id, lang=lang: _answered_once(running, t, STATUS[lang]), timeout=60)
            seen = running.ticket(ticket_id)
            assert incident["tag"] in seen["tags"] and seen["problem_id"] == problem
        assert (
            STATUS["he"]
            in running.public_replies(next(t for t, lang in customers.items() if lang == "he"))[0]
        )

        problem_seen = running.ticket(problem)
        assert incident["tag"] in problem_seen["tags"] and problem_seen["type"] == "problem"
        problem_comments = running.comments(problem)
        assert not any(c["public"] for c in problem_comments)  # customers never see the problem's notes
        notes = [c["body"] for c in problem_comments[1:]]
        assert (
            len(notes) == 1 and "adopted this problem ticket" in notes[0] and "3 incident ticket" in notes[0]
        )

        # An agent puts another customer's ticket under the problem after the declaration.
        later = running.create_ticket("Courier never came", name="Cy Moss", email="cy@example.com")
        wait_for(lambda: deliveries_done(running), timeout=30)
        assert running.public_replies(later) == []  # no rule matches its words
        _under_problem(running, later, problem)
        wait_for(lambda: _answered_once(running, later, STATUS["en"]), timeout=60)

        # Declaring again from the same problem is refused, and nothing is written.
        again = _declare(running, problem_ticket_id=problem)
        assert again.status_code == 409, again.text
        assert f"active incident {incident['id']}" in again.json()["error"]
        assert len(running.comments(problem)) == len(problem_comments)  # no second note

        # Every delivery replayed (the adoption's keys, and fresh ones as a webhook's retry).
        everyone = [*customers, later]
        with running.services.db.transaction() as session:
            assert store_adopted_tickets(session, incident["id"], list(customers)) == 0
            for ticket_id in everyone:
                inbox.store(
                    session,
                    delivery_key=f"replay:{ticket_id}",
                    event_type="ticket.changed",
                    ticket_id=ticket_id,
                    payload="{}",
                )
        wait_for(lambda: deliveries_done(running), timeout=60)
        assert all(len(running.public_replies(t)) == 1 for t in everyone)

        with running.services.db.transaction() as session:
            links = session.scalars(select(TicketLink).where(TicketLink.incident_id == incident["id"])).all()
            assert sorted(link.ticket_id for link in links) == sorted(everyone)
            assert {link.evidence["rule"] for link in links} == {"problem link"}
            assert (
                session.scalar(select(Incident.problem_ticket_id).where(Incident.id == incident["id"]))
                == problem
            )
            adopted = session.scalars(select(AuditEntry).where(AuditEntry.action == "incident.adopted")).one()
            assert adopted.detail == {"problem_ticket_id": problem, "incident_tickets": 3, "newly_stored": 3}
    finally:
        running.stop()


def test_refusals_say_what_to_fix_through_the_api_and_the_form(database_url, sandbox, helpdesk):
    running = start_service(database_url, sandbox, helpdesk, worker=False)
    try:
        problem = _problem_ticket(running)
        closed = _problem_ticket(running, "An old problem")
        _agent_update(running, closed, {"status": "closed"})
        question = running.create_ticket("Just a question")

        refusals = {
            987654: (422, "There is no ticket #987654 in Zendesk"),
            question: (422, f"Ticket #{question} is not a problem ticket"),
            closed: (422, f"Ticket #{closed} is closed"),
            "12x": (422, "as a whole number"),
        }
        for given, (status, says) in refusals.items():
            answer = _declare(running, problem_ticket_id=given)
            assert answer.status_code == status, answer.text
            assert says in answer.json()["fields"]["problem_ticket_id"][0], answer.text
        shadow = _declare(running, problem_ticket_id=problem, shadow_mode=True)
        assert shadow.status_code == 422 and "shadow mode" in shadow.json()["fields"]["problem_ticket_id"][0]
        hebrew = requests.post(
            f"{running.url}/api/v1/incidents",
            json={**DECLARATION, "problem_ticket_id": question},
            headers={**AUTH, "Accept-Language": "he"},
            timeout=30,
        )
        assert hebrew.status_code == 422
        assert "אינו כרטיס בעיה" in hebrew.json()["fields"]["problem_ticket_id"][0]

        with running.services.db.transaction() as session:
            assert session.scalars(select(Incident)).all() == []  # nothing refused was saved

        assert _declare(running, problem_ticket_id=problem).status_code == 201
        taken = _declare(running, problem_ticket_id=problem)
        assert (
            taken.status_code == 409
            and f"Ticket #{problem} is already the problem ticket" in taken.json()["error"]
        )

        with running.services.db.transaction() as session:
            create_admin(session, ADMIN_USERNAME, ADMIN_PASSWORD)
        app = build_app(database_url, helpdesk)
        client = app.test_client()
        assert log_in(client).status_code == 302
        form = {
            "title": "Deliveries are late",
            "phrases": "courier strike",
            "status_en": STATUS["en"],
            "default_locale": "en",
        }
        bulgarian = {"Accept-Language": "bg"}
        for given, status, says in (
            (problem, 409, f"Тикет #{problem} вече е тикетът-проблем на активния инцидент"),
            (closed, 422, f"Тикет #{closed} е затворен"),
            (987654, 422, "В Zendesk няма тикет #987654"),
        ):
            token = csrf_token(client.get("/admin/incidents/new", headers=bulgarian).data)
            page = client.post(
                "/admin/incidents/new",
                data={"csrf_token": token, **form, "problem_ticket_id": str(given)},
                headers=bulgarian,
            )
            assert page.status_code == status
            html = page.get_data(as_text=True)
            assert says in html and 'id="problem_ticket_id-errors"' in html
        app.extensions["incidentdesk"].db.dispose()
    finally:
        running.stop()


def test_a_helpdesk_failure_while_adopting_saves_nothing_and_a_retry_adopts(database_url, sandbox, helpdesk):
    running = start_service(database_url, sandbox, helpdesk, worker=False)
    try:
        problem = _problem_ticket(running)
        faults = f"{running.sandbox_url}/_sandbox/faults"
        requests.post(
            faults, json={"error_burst": {"status": 500, "count": 50}}, timeout=5
        ).raise_for_status()
        failed = _declare(running, problem_ticket_id=problem)
        requests.delete(faults, timeout=5).raise_for_status()
        assert failed.status_code in (502, 503), failed.text
        assert "did not adopt the problem ticket" in failed.json()["error"]
        with running.services.db.transaction() as session:
            assert session.scalars(select(Incident)).all() == []
        assert running.ticket(problem)["tags"] == []

        retried = _declare(running, problem_ticket_id=problem)
        assert retried.status_code == 201, retried.text
        assert retried.json()["tag"] in running.ticket(problem)["tags"]
    finally:
        running.stop()
