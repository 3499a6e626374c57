"""End to end on SQLite and PostgreSQL, over HTTP: PagerDuty's signed webhooks -> the inbox ->
the worker -> an incident declared from its template -> a customer's ticket answered with
PagerDuty's words -> an update broadcast -> PagerDuty's resolution resolves here."""

import hmac
import json
import secrets
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from service.domain.sources.decisions import RESOLVED_TEXTS
from service.domain.sources.signatures import SignatureRefused, verify_pagerduty
from service.models import InboxDelivery
from service.sources.impact import ImpactNotes
from service.sources.models import SourceIncident
from tests.factories import CHECKOUT_STATUS, seen_incident, source_from_template
from tests.helpers import start_pagerduty_stand_in, start_service, wait_for

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sources" / "pagerduty"
SECRET = secrets.token_hex(16)  # made per run: a webhook signing secret, never a literal


@pytest.fixture
def running(database_url, sandbox, helpdesk):
    service = start_service(database_url, sandbox, helpdesk)
    yield service
    service.stop()


@pytest.fixture
def pagerduty_api():
    stand_in = start_pagerduty_stand_in()
    yield stand_in
    stand_in.stop()


def pagerduty_source(running, notes_api_url: str = "") -> str:
    notes = dict(notes_api_token="pd-api-key", notes_from="lead@example.com", notes_api_url=notes_api_url)
    path, _ = source_from_template(
        running.services,
        "pagerduty",
        covers="PF9KMXH",
        signing_secret=SECRET,
        auto_declare=True,
        **(notes if notes_api_url else {}),
    )
    return running.url + path


def send(
    url: str,
    name: str,
    *,
    event_id: str | None = None,
    message: str | None = None,
    event_type: str | None = None,
    secret: str = SECRET,
):
    payload = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    if event_id:
        payload["event"]["id"] = event_id
    if event_type:  # a reopen: the triggered incident's shape, later (PD-overview's event types)
        payload["event"].update(event_type=event_type, occurred_at="2020-10-02T19:10:00.000Z")
    if message:
        payload["event"]["data"]["message"] = message
    body = json.dumps(payload).encode()
    signature = "v1=" + hmac.new(secret.encode(), body, "sha256").hexdigest()
    verify_pagerduty(secret, signature, body)  # the test signs as PagerDuty documents
    return requests.post(
        url,
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-PagerDuty-Signature": signature,
            "X-Webhook-Id": payload["event"]["id"],
        },
        timeout=10,
    )


def current_text(running) -> tuple[str, str, dict] | None:
    incident = seen_incident(running.services, "PGR0VU2")
    return (
        (incident.state, incident.current_status.stage, incident.current_status.texts) if incident else None
    )


def public_bodies(running, ticket_id):
    return [c["body"] for c in running.comments(ticket_id)[1:] if c["public"]]


def test_pagerduty_incident_declares_answers_notes_updates_and_resolves(running, pagerduty_api):
    url = pagerduty_source(running, notes_api_url=pagerduty_api.url)

    answer = send(url, "incident.triggered")
    assert answer.status_code == 202, answer.text
    incident = wait_for(lambda: seen_incident(running.services, "PGR0VU2"))
    assert incident.title == "A little bump in the road" and incident.state == "active"
    assert {r.value for r in incident.rules} >= {"checkout", "תשלום"}  # the template's rules
    assert incident.problem_ticket_id
    assert incident.current_status.texts == CHECKOUT_STATUS  # no words from PagerDuty yet: the template's

    assert send(url, "incident.status_update_published").status_code == 202
    wait_for(lambda: current_text(running)[2] == {"en": "A fix for this incident is being developed"})

    ticket_id = running.create_ticket("Hello, checkout fails when I pay")
    first = wait_for(lambda: public_bodies(running, ticket_id))
    assert "A fix for this incident is being developed" in first[0]  # what the customer reads

    # The customer impact goes back to PagerDuty as a note, once per change of the counts.
    notes = ImpactNotes(running.services.db, interval_seconds=0, check_every_seconds=0)
    wait_for(lambda: notes.run_once() or pagerduty_api.notes)
    assert notes.run_once() == 0 and len(pagerduty_api.notes) == 1
    note = pagerduty_api.notes[0]
    assert note["incident_id"] == "PGR0VU2" and note["headers"]["Authorization"] == "Token token=pd-api-key"
    assert note["headers"]["From"] == "lead@example.com"
    assert note["headers"]["Accept"] == "application/vnd.pagerduty+json;version=2"
    assert note["body"]["note"]["content"].startswith(
        "Customer impact (IncidentDesk): 1 customer ticket linked; 1 unsolved"
    )

    later = "The fix is deployed; payments are going through again."
    assert send(
        url, "incident.status_update_published", event_id="01HZXAMPLESTATUSUPDATE0006", message=later
    ).ok
    wait_for(lambda: len(public_bodies(running, ticket_id)) == 2)
    assert later in public_bodies(running, ticket_id)[1]

    assert send(url, "incident.resolved").status_code == 202
    wait_for(lambda: current_text(running)[0] == "resolved")
    wait_for(lambda: running.ticket(ticket_id)["status"] == "solved")
    assert RESOLVED_TEXTS["en"] in public_bodies(running, ticket_id)[-1]

    # PagerDuty reopens it: active here again, with its last open status.
    assert send(
        url, "incident.triggered", event_id="01HZXAMPLEREOPENED0000007", event_type="incident.reopened"
    ).ok
    wait_for(lambda: current_text(running) == ("active", "investigating", {"en": later}))


def test_a_repeated_or_badly_signed_delivery_declares_nothing_twice(running):
    url = pagerduty_source(running)
    assert send(url, "incident.triggered").status_code == 202
    again = send(url, "incident.triggered")
    assert again.status_code == 202 and again.json()["duplicate"] is True
    refused = send(url, "incident.triggered", event_id="another-event", secret="not-the-secret")
    assert refused.status_code == 401 and "signature refused" in refused.json()["error"]
    with pytest.raises(SignatureRefused):
        verify_pagerduty(SECRET, "v1=00", b"{}")
    wait_for(lambda: seen_incident(running.services, "PGR0VU2"))
    # A second delivery about the same vendor incident (a new event id) still declares once.
    assert send(url, "incident.triggered", event_id="01HZXAMPLETRIGGERED0000002").status_code == 202

    def settled():
        with running.services.db.transaction() as session:
            return all(d.state in ("done", "ignored") for d in session.scalars(select(InboxDelivery)))

    wait_for(settled)
    with running.services.db.transaction() as session:
        assert len(session.scalars(select(SourceIncident)).all()) == 1
        assert len([d for d in session.scalars(select(InboxDelivery)) if d.source.startswith("source:")]) == 2


def test_an_unknown_delivery_url_is_a_404_and_a_bad_body_a_400(running):
    url = pagerduty_source(running)
    assert requests.post(url + "x", data=b"{}", timeout=10).status_code == 404
    body = b'{"event": []}'
    signature = "v1=" + hmac.new(SECRET.encode(), body, "sha256").hexdigest()
    answer = requests.post(url, data=body, headers={"X-PagerDuty-Signature": signature}, timeout=10)
    assert answer.status_code == 400 and "'event' must be an object" in answer.json()["error"]
