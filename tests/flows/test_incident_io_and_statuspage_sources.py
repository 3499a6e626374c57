"""End to end on SQLite and PostgreSQL: incident.io's signed webhooks declare, update and
resolve on their own; Statuspage's proposals wait for the admin's one click (through the API)."""

import base64
import hmac
import json
import time
from pathlib import Path

import pytest
import requests

from tests.factories import seen_incident, source_from_template
from tests.helpers import start_service, wait_for
from tests.web.conftest import API_TOKEN

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"
IIO_SECRET = "whsec_" + base64.b64encode(b"incidentdesk-flow-test-key-0123456789").decode()
IIO_INCIDENT = "01FDAG4SAP5TYPT98WGR2N7W91"
STATUSPAGE_INCIDENT = "lbkhbwn21v5q"


@pytest.fixture
def running(database_url, sandbox, helpdesk):
    service = start_service(database_url, sandbox, helpdesk)
    yield service
    service.stop()


def public_bodies(running, ticket_id):
    return [c["body"] for c in running.comments(ticket_id)[1:] if c["public"]]


def send_incident_io(url: str, name: str, message_id: str, **changes) -> requests.Response:
    payload = json.loads((FIXTURES / "incident_io" / f"{name}.json").read_text("utf-8"))
    payload[name].update(changes)
    body = json.dumps(payload).encode()
    timestamp = str(int(time.time()))
    key = base64.b64decode(IIO_SECRET.removeprefix("whsec_"))
    mac = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, "sha256").digest()
    headers = {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }
    return requests.post(url, data=body, headers=headers, timeout=10)


def state_of(running, external_id):
    incident = seen_incident(running.services, external_id)
    return (
        (incident.state, incident.current_status.stage, incident.current_status.texts) if incident else None
    )


def test_incident_io_declares_updates_and_resolves(running):
    path, _ = source_from_template(
        running.services, "incident_io", signing_secret=IIO_SECRET, auto_declare=True
    )
    url = running.url + path
    assert send_incident_io(url, "public_incident.incident_created_v2", "msg_1").status_code == 202
    summary = "Our database is really really sad, and we don't know why yet."
    wait_for(lambda: state_of(running, IIO_INCIDENT))
    assert state_of(running, IIO_INCIDENT)[2]["en"] == summary

    ticket_id = running.create_ticket("checkout fails again")
    assert summary in wait_for(lambda: public_bodies(running, ticket_id))[0]

    live = {"category": "live", "name": "Fixing"}
    fixing = "We found the cause and are rolling out a fix."
    sent = send_incident_io(
        url, "public_incident.incident_status_updated_v2", "msg_2", new_status=live, message=fixing
    )
    assert sent.status_code == 202
    wait_for(lambda: state_of(running, IIO_INCIDENT)[1:] == ("identified", {"en": fixing}))
    wait_for(lambda: len(public_bodies(running, ticket_id)) == 2)
    assert fixing in public_bodies(running, ticket_id)[1]

    closed = {"category": "closed", "name": "Closed"}
    done = "All fixed; thank you for bearing with us."
    assert send_incident_io(
        url, "public_incident.incident_status_updated_v2", "msg_3", new_status=closed, message=done
    ).ok
    wait_for(lambda: state_of(running, IIO_INCIDENT)[0] == "resolved")
    wait_for(lambda: running.ticket(ticket_id)["status"] == "solved")
    assert done in public_bodies(running, ticket_id)[-1]


def click(running, proposal_state: str) -> None:
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    proposals = wait_for(
        lambda: [
            p
            for p in requests.get(f"{running.url}/api/v1/sources", headers=auth, timeout=10).json()[
                "proposals"
            ]
            if p["external_id"] == STATUSPAGE_INCIDENT
            and (p["resolution_pending"] or p["state"] == proposal_state)
        ]
    )
    answer = requests.post(
        f"{running.url}/api/v1/sources/proposals/{proposals[0]['id']}/confirm", headers=auth, timeout=10
    )
    assert answer.status_code == 200, answer.text


def test_statuspage_proposes_and_the_admin_confirms_with_one_click(running):
    path, _ = source_from_template(running.services, "statuspage", auto_declare=False, auto_resolve=False)
    url = running.url + path
    body = (FIXTURES / "statuspage" / "incident.monitoring.json").read_bytes()
    assert requests.post(url, data=body, timeout=10).status_code == 202
    click(running, "pending")
    monitoring = "A fix has been implemented and we are monitoring the results."
    _, stage, texts = state_of(running, STATUSPAGE_INCIDENT)
    assert (
        stage == "monitoring" and texts["en"] == monitoring and set(texts) == {"en", "he", "bg"}
    )  # + the template's

    ticket_id = running.create_ticket("I can't pay, checkout is broken")
    assert monitoring in wait_for(lambda: public_bodies(running, ticket_id))[0]

    resolved = (FIXTURES / "statuspage" / "incident.resolved.json").read_bytes()
    assert requests.post(url, data=resolved, timeout=10).status_code == 202
    click(running, "declared")
    assert state_of(running, STATUSPAGE_INCIDENT)[0] == "resolved"
    wait_for(lambda: running.ticket(ticket_id)["status"] == "solved")
    assert "This incident has been resolved." in public_bodies(running, ticket_id)[-1]
