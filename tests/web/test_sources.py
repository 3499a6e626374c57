"""Incident sources over HTTP: the API and the admin page add, list and delete them; their
delivery URLs verify, store and refuse as the Zendesk webhook does."""

import base64
import hmac
import json
import re
import time
from pathlib import Path

from sqlalchemy import select

from service.app import create_app
from service.domain.sources.signatures import sign_generic
from service.inbox.worker import Worker
from service.models import InboxDelivery
from service.sources.models import IncidentSource
from service.wiring import build_services
from tests.conftest import make_settings
from tests.factories import declare_checkout_incident
from tests.web.conftest import API_TOKEN, csrf_token, post_form

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
IIO = json.loads((FIXTURES / "incident_io" / "signature-vectors.json").read_text("utf-8"))["vectors"]


def template_id(app) -> int:
    return declare_checkout_incident(app.extensions["incidentdesk"])[0]


def add(client, **fields):
    return client.post("/api/v1/sources", json=fields, headers=AUTH)


def path_of(url: str) -> str:
    return "/webhooks/sources/" + url.rsplit("/", 1)[1]


def test_the_api_adds_lists_and_deletes_sources_and_never_shows_a_secret(app, client):
    tid = template_id(app)
    created = add(client, kind="generic", name="In-house tool", template_incident_id=tid)
    assert created.status_code == 201, created.json
    body = created.json
    assert body["delivery_url"].startswith("http://localhost/webhooks/sources/") and body["signing_secret"]
    listed = client.get("/api/v1/sources", headers=AUTH).json
    assert listed["sources"][0]["has_secret"] is True and body["signing_secret"] not in json.dumps(listed)
    assert client.delete(f"/api/v1/sources/{body['source']['id']}", headers=AUTH).status_code == 204
    assert client.get("/api/v1/sources", headers=AUTH).json["sources"] == []
    assert client.delete(f"/api/v1/sources/{body['source']['id']}", headers=AUTH).status_code == 404


def test_the_api_says_what_to_fix(app, client):
    assert client.get("/api/v1/sources").status_code == 401
    refused = add(client, kind="pagerduty", name="", template_incident_id=999)
    assert refused.status_code == 422
    assert set(refused.json["fields"]) == {"name", "signing_secret"}
    missing = add(
        client, kind="incident_io", name="x", template_incident_id=template_id(app), signing_secret="abc"
    )
    assert "whsec_" in missing.json["fields"]["signing_secret"][0]
    gone = add(client, kind="statuspage", name="x", template_incident_id=999)
    assert gone.status_code == 422 and "no incident 999" in gone.json["fields"]["template_incident_id"][0]


def test_a_generic_delivery_is_stored_once_and_a_stale_or_forged_one_refused(app, client, db):
    created = add(client, kind="generic", name="curl", template_incident_id=template_id(app)).json
    path, secret = path_of(created["delivery_url"]), created["signing_secret"]
    payload = {
        "id": "x1",
        "title": "Checkout",
        "state": "investigating",
        "text": "Looking.",
        "sent_at": int(time.time()),
    }
    body = json.dumps(payload).encode()
    signed = {"X-IncidentDesk-Signature": sign_generic(secret, body), "Content-Type": "application/json"}
    assert client.post(path, data=body, headers=signed).status_code == 202
    assert client.post(path, data=body, headers=signed).json["duplicate"] is True
    assert client.post(path, data=body, headers={"X-IncidentDesk-Signature": "sha256=00"}).status_code == 401
    stale = json.dumps(payload | {"sent_at": int(time.time()) - 3600}).encode()
    answer = client.post(path, data=stale, headers={"X-IncidentDesk-Signature": sign_generic(secret, stale)})
    assert answer.status_code == 401 and "a replay?" in answer.json["error"]
    bad = json.dumps(payload | {"state": "sad"}).encode()
    answer = client.post(path, data=bad, headers={"X-IncidentDesk-Signature": sign_generic(secret, bad)})
    assert answer.status_code == 400 and "'state' must be one of" in answer.json["error"]
    with db.transaction() as session:
        rows = session.scalars(select(InboxDelivery)).all()
        assert [(r.source, r.state) for r in rows] == [(f"source:{created['source']['id']}", "pending")]


def test_incident_io_deliveries_are_verified_with_standard_webhooks(app, client):
    v = next(x for x in IIO if x["id"] == "computed-incidentio-status-updated")
    created = add(
        client,
        kind="incident_io",
        name="incident.io",
        template_incident_id=template_id(app),
        signing_secret=v["secret"],
    ).json
    now = str(int(time.time()))
    body = v["body"].encode()
    key = base64.b64decode(v["secret"].removeprefix("whsec_"))
    mac = hmac.new(key, f"{v['webhook-id']}.{now}.".encode() + body, "sha256").digest()
    headers = {
        "webhook-id": v["webhook-id"],
        "webhook-timestamp": now,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }
    assert client.post(path_of(created["delivery_url"]), data=body, headers=headers).status_code == 202
    replay = headers | {
        "webhook-timestamp": v["webhook-timestamp"],
        "webhook-signature": v["expected_webhook-signature"],
    }
    answer = client.post(path_of(created["delivery_url"]), data=body, headers=replay)
    assert answer.status_code == 401 and "window" in answer.json["error"]


def test_statuspage_is_proved_by_its_url_alone(app, client):
    created = add(client, kind="statuspage", name="Status", template_incident_id=template_id(app)).json
    body = (FIXTURES / "statuspage" / "incident.monitoring.json").read_bytes()
    assert client.post(path_of(created["delivery_url"]), data=body).status_code == 202
    assert client.post("/webhooks/sources/guessed", data=body).status_code == 404


def test_a_database_outage_is_a_503_with_retry_after():
    down = build_services(make_settings("postgresql+psycopg://postgres@127.0.0.1:1/test"))
    answer = create_app(services=down).test_client().post("/webhooks/sources/anything", data=b"{}")
    assert answer.status_code == 503 and 0 < int(answer.headers["Retry-After"]) < 60
    down.db.dispose()


def test_the_admin_page_adds_shows_the_url_once_and_deletes(app, logged_in, db):
    tid = template_id(app)
    page = logged_in.get("/admin/sources")
    assert page.status_code == 200 and b"Incident sources" in page.data
    added = post_form(
        logged_in,
        "/admin/sources",
        {
            "kind": "pagerduty",
            "name": "PD",
            "template_incident_id": str(tid),
            "signing_secret": "s3cret",
            "auto_declare": "1",
        },
    )
    assert added.status_code == 200 and b"/webhooks/sources/" in added.data and b"s3cret" not in added.data
    assert b"/webhooks/sources/" not in logged_in.get("/admin/sources").data  # shown once
    with db.transaction() as session:
        source = session.scalars(select(IncidentSource)).one()
        assert (source.auto_declare, source.auto_resolve, source.signing_secret) == (True, False, "s3cret")
        source_id = source.id
    refused = post_form(
        logged_in, "/admin/sources", {"kind": "pagerduty", "name": "", "signing_secret": "kept?"}
    )
    assert refused.status_code == 422 and b"kept?" not in refused.data
    page = logged_in.get("/admin/sources").data
    assert b"data-confirm" in page and csrf_token(page)
    assert post_form(logged_in, f"/admin/sources/{source_id}/delete", {}).status_code == 302
    with db.transaction() as session:
        assert session.scalars(select(IncidentSource)).all() == []


def test_the_admin_forms_need_their_csrf_token(logged_in):
    assert logged_in.post("/admin/sources", data={"kind": "generic"}).status_code == 400


def test_the_admin_page_speaks_hebrew_right_to_left_and_bulgarian(logged_in):
    for lang, title in (("he", "מקורות תקריות"), ("bg", "Източници на инциденти")):
        token = csrf_token(logged_in.get("/admin/sources").data)
        logged_in.post("/language", data={"csrf_token": token, "lang": lang, "next": "/admin/sources"})
        page = logged_in.get("/admin/sources").data.decode()
        assert title in page and f'lang="{lang}"' in page
    assert 'dir="rtl"' not in page  # Bulgarian is left to right
    logged_in.post("/language", data={"csrf_token": csrf_token(page), "lang": "he"})
    assert 'dir="rtl"' in logged_in.get("/admin/sources").data.decode()


def test_the_page_says_which_languages_wait_for_a_translation(app, logged_in):
    services = app.extensions["incidentdesk"]
    created = add(
        logged_in, kind="generic", name="curl", template_incident_id=template_id(app), auto_declare=True
    ).json
    path, secret = path_of(created["delivery_url"]), created["signing_secret"]
    worker = Worker(services)
    for state, text in (("investigating", "Looking."), ("identified", "Found it: a bad deploy.")):
        body = json.dumps(
            {"id": "x1", "title": "Payments", "state": state, "text": text, "sent_at": int(time.time())}
        )
        signed = {"X-IncidentDesk-Signature": sign_generic(secret, body.encode())}
        assert logged_in.post(path, data=body, headers=signed).status_code == 202
        worker.run_once()
    page = logged_in.get("/admin/sources").data.decode()
    assert "Active incidents from sources" in page and "Payments" in page
    assert "waiting for a translation:" in page and "עברית" in page and "Български" in page
    declared = re.search(r'href="(/admin/incidents/\d+)"><bdi>Payments', page).group(1)
    incident_page = logged_in.get(declared).data.decode()
    timeline = incident_page[incident_page.index('id="timeline-heading"') :]
    assert "waiting for a translation:" in timeline and "Български" in timeline
    choice = re.search(r'action="(/admin/sources/declared/\d+/broadcast)"', page).group(1)
    assert post_form(logged_in, choice, {"broadcast": "wait"}).status_code == 302
    assert 'value="wait" selected' in logged_in.get("/admin/sources").data.decode()
    assert (
        "done=gone"
        in post_form(logged_in, "/admin/sources/declared/99999/broadcast", {"broadcast": "now"}).location
    )


def test_what_to_fix_is_said_in_the_admins_language(logged_in):
    """A Bulgarian admin adding a PagerDuty source without its secret is told so in Bulgarian."""
    post_form(logged_in, "/language", {"lang": "bg"})
    page = post_form(
        logged_in,
        "/admin/sources",
        {"kind": "pagerduty", "name": "PD", "template_incident_id": "1", "locale": "en"},
    ).get_data(as_text=True)
    assert "Поставете тайната за подписване, която PagerDuty показа" in page
    assert "Paste the signing secret" not in page
