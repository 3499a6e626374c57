"""End to end on SQLite and PostgreSQL: a signed JSON sender (the generic source) writes in
Hebrew; a Hebrew-speaking customer is answered with its words, and its resolution resolves."""

import json
import time

import pytest
import requests

from service.domain.sources.signatures import sign_generic
from tests.factories import seen_incident, source_from_template
from tests.helpers import start_service, wait_for

HEBREW = "אנחנו בודקים תקלה בתשלומים באתר."
HEBREW_FINAL = "התקלה תוקנה, התשלומים עובדים שוב."


@pytest.fixture
def running(database_url, sandbox, helpdesk):
    service = start_service(database_url, sandbox, helpdesk)
    yield service
    service.stop()


def send(url: str, secret: str, **fields) -> requests.Response:
    body = json.dumps(
        {"id": "inhouse-42", "title": "Payments fail", "sent_at": int(time.time()), **fields}
    ).encode()
    headers = {"Content-Type": "application/json", "X-IncidentDesk-Signature": sign_generic(secret, body)}
    return requests.post(url, data=body, headers=headers, timeout=10)


def test_a_generic_sender_in_hebrew_declares_answers_and_resolves(running):
    path, secret = source_from_template(running.services, "generic", auto_declare=True)
    url = running.url + path
    assert send(url, secret, state="investigating", text=HEBREW, locale="he").status_code == 202
    incident = wait_for(lambda: seen_incident(running.services, "inhouse-42"))
    texts = incident.current_status.texts
    assert texts["he"] == HEBREW and texts["en"].startswith(
        "Hi {{first_name}}, checkout is down"
    )  # the template's

    ticket_id = running.create_ticket(
        "התשלום באתר לא עובד", name="נועה כהן", email="noa@example.com", locale="he"
    )
    public = wait_for(lambda: [c["body"] for c in running.comments(ticket_id)[1:] if c["public"]])
    assert HEBREW in public[0]

    assert send(url, secret, state="resolved", text=HEBREW_FINAL, locale="he").status_code == 202
    wait_for(lambda: running.ticket(ticket_id)["status"] == "solved")
    assert HEBREW_FINAL in [c["body"] for c in running.comments(ticket_id) if c["public"]][-1]
    assert seen_incident(running.services, "inhouse-42").state == "resolved"


def test_the_lead_chooses_per_incident_to_wait_for_translations_or_broadcast_at_once(running):
    """The source broadcasts updates by default; for this incident the lead first waits for the
    translations (the update changes the status, nobody is written to), then broadcasts."""
    from sqlalchemy import select

    from service.sources import flow
    from service.sources.models import SourceIncident

    path, secret = source_from_template(
        running.services, "generic", auto_declare=True, broadcast_updates=True
    )
    url = running.url + path
    assert send(url, secret, state="investigating", text=HEBREW, locale="he").status_code == 202
    incident = wait_for(lambda: seen_incident(running.services, "inhouse-42"))
    ticket_id = running.create_ticket(
        "התשלום באתר לא עובד", name="נועה כהן", email="noa@example.com", locale="he"
    )

    def public() -> list[str]:
        return [c["body"] for c in running.comments(ticket_id)[1:] if c["public"]]

    wait_for(lambda: len(public()) == 1)
    with running.services.db.transaction() as session:
        seen_id = session.scalars(select(SourceIncident.id)).one()
        flow.set_broadcast(session, seen_id, False, actor="test")
    assert send(url, secret, state="identified", text="מצאנו את הסיבה.", locale="he").status_code == 202
    wait_for(lambda: seen_incident(running.services, "inhouse-42").current_status.stage == "identified")
    time.sleep(1.5)  # a broadcast, were there one, would be queued and written by now
    assert len(public()) == 1
    with running.services.db.transaction() as session:
        flow.set_broadcast(session, seen_id, True, actor="test")
    assert send(url, secret, state="monitoring", text="התיקון בבדיקה.", locale="he").status_code == 202
    wait_for(lambda: len(public()) == 2)
    assert "התיקון בבדיקה." in public()[-1] and incident.id
