"""The outreach REST API: token required, clear 4xx errors, a campaign's life and its results."""

import csv
import io
from datetime import datetime

from sqlalchemy import update

from service.outreach.models import Recipient
from tests.factories import declare_checkout_incident
from tests.web.conftest import API_TOKEN

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
CAMPAIGN = {
    "name": "Sorry",
    "coupon_mode": "generated",
    "messages": {
        "en": {"subject": "About {{incident_title}}", "body": "Hi {{first_name}}, {{coupon}}"},
        "he": {"subject": "בנוגע ל{{incident_title}}", "body": "שלום {{first_name}}, {{coupon}}"},
    },
    "csv": "email,name,locale\na@example.com,Ann Lee,en\nb@example.com,Dana Levi,he\nA@example.com,Dup,en\nbad,x,en\n",
}


def _incident(app) -> int:
    return declare_checkout_incident(app.extensions["incidentdesk"])[0]


def test_the_api_needs_the_token(app):
    client = app.test_client()
    assert client.get("/api/v1/incidents/1/campaigns").status_code == 401


def test_create_preview_launch_and_results(app):
    client = app.test_client()
    incident_id = _incident(app)
    created = client.post(f"/api/v1/incidents/{incident_id}/campaigns", json=CAMPAIGN, headers=AUTH)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (
        body["audience"]["count"],
        body["audience"]["duplicates_removed"],
        body["audience"]["invalid"],
    ) == (2, 1, 1)
    base = f"/api/v1/incidents/{incident_id}/campaigns/{body['id']}"

    samples = client.get(f"{base}/preview", headers=AUTH).get_json()["samples"]
    hebrew = next(s for s in samples if s["locale"] == "he")
    assert hebrew["direction"] == "rtl" and "\u2068Dana\u2069" in hebrew["body"]

    assert client.post(f"{base}/resume", headers=AUTH).status_code == 409
    launched = client.post(f"{base}/launch", headers=AUTH)
    assert launched.status_code == 200 and launched.get_json()["state"] == "running"
    assert client.post(f"{base}/launch", headers=AUTH).status_code == 409
    assert client.post(f"{base}/pause", headers=AUTH).get_json()["state"] == "paused"

    raw = client.get(f"{base}/results.csv", headers=AUTH).get_data()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:2] == ["email", "name"]
    customers = [r for r in rows[1:] if r[4] == "queued"]
    assert sorted(r[0] for r in customers) == ["a@example.com", "b@example.com"]
    assert all(r[7].startswith("SORRY-") for r in customers)
    assert sorted((r[4], r[0]) for r in rows[1:] if r[4] != "queued") == [
        ("duplicate", "A@example.com"),
        ("invalid", "bad"),
    ]


def test_bad_input_gets_422_with_fields(app):
    client = app.test_client()
    incident_id = _incident(app)
    bad = client.post(
        f"/api/v1/incidents/{incident_id}/campaigns",
        json={"name": "", "messages": {}, "coupon_format": "XX", "group_id": "ops", "sender_id": -4},
        headers=AUTH,
    )
    assert bad.status_code == 422
    assert {"name", "messages", "coupon_format", "group_id", "sender_id"} <= set(bad.get_json()["fields"])
    no_email = client.post(
        f"/api/v1/incidents/{incident_id}/campaigns", json={**CAMPAIGN, "csv": "name\nAnn\n"}, headers=AUTH
    )
    assert no_email.status_code == 422 and "email" in no_email.get_json()["error"]
    assert client.post("/api/v1/incidents/999/campaigns", json=CAMPAIGN, headers=AUTH).status_code == 404
    assert (
        client.post(f"/api/v1/incidents/{incident_id}/campaigns", data="x", headers=AUTH).status_code == 400
    )


def test_no_launch_while_the_incident_is_in_shadow_mode(app):
    from service.models import Incident

    client = app.test_client()
    incident_id = _incident(app)
    created = client.post(
        f"/api/v1/incidents/{incident_id}/campaigns", json=CAMPAIGN, headers=AUTH
    ).get_json()
    with app.extensions["incidentdesk"].db.transaction() as session:
        session.get(Incident, incident_id).shadow_mode = True
    refused = client.post(f"/api/v1/incidents/{incident_id}/campaigns/{created['id']}/launch", headers=AUTH)
    assert refused.status_code == 409 and "shadow mode" in refused.get_json()["error"]


def test_a_drafts_audience_can_be_replaced_until_launch(app):
    client = app.test_client()
    incident_id = _incident(app)
    created = client.post(
        f"/api/v1/incidents/{incident_id}/campaigns", json=CAMPAIGN, headers=AUTH
    ).get_json()
    base = f"/api/v1/incidents/{incident_id}/campaigns/{created['id']}"
    replaced = client.put(
        f"{base}/audience", json={"csv": "email\nx@example.com\ny@example.com\nz@example.com\n"}, headers=AUTH
    )
    assert replaced.status_code == 200 and replaced.get_json()["audience"]["count"] == 3
    assert client.put(f"{base}/audience", json={"csv": "name\nno email\n"}, headers=AUTH).status_code == 422
    client.post(f"{base}/launch", headers=AUTH)
    assert (
        client.put(f"{base}/audience", json={"csv": "email\nw@example.com\n"}, headers=AUTH).status_code
        == 409
    )


HOSTILE_CSV = (
    "email,name,locale\n"
    "calc@example.com,=cmd|' /C calc'!A0,en\n"
    "plus@example.com,+1+1,en\n"
    "at@example.com,@SUM(1+1),en\n"
    "minus@example.com,-2+3,en\n"
    "dana@example.com,דנה לוי,he\n"
    "ivan@example.com,Иван Петров,bg\n"
    "PLUS@example.com,Again,en\n"
    "=1+1,Not an address,en\n"
    ",No address,en\n"
    "optout@example.com,Opted Out,en\n"
)


def test_results_csv_is_safe_in_a_spreadsheet_and_accounts_for_every_row(app):
    client = app.test_client()
    incident_id = _incident(app)
    created = client.post(
        f"/api/v1/incidents/{incident_id}/campaigns",
        json={**CAMPAIGN, "csv": HOSTILE_CSV, "opt_out_emails": ["optout@example.com"]},
        headers=AUTH,
    )
    assert created.status_code == 201, created.get_json()
    base = f"/api/v1/incidents/{incident_id}/campaigns/{created.get_json()['id']}"
    answer = client.get(f"{base}/results.csv", headers=AUTH)
    assert answer.mimetype == "text/csv" and answer.mimetype_params["charset"] == "utf-8"
    raw = answer.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel then reads Hebrew and Cyrillic right
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    by_email = {r["email"]: r for r in rows}
    assert {by_email[e]["name"] for e in ("calc@example.com", "plus@example.com", "at@example.com")} == {
        "'=cmd|' /C calc'!A0",
        "'+1+1",
        "'@SUM(1+1)",
    }
    assert by_email["minus@example.com"]["name"] == "'-2+3"
    assert by_email["dana@example.com"]["name"] == "דנה לוי"
    assert by_email["ivan@example.com"]["name"] == "Иван Петров"
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())

    assert len(rows) == 10  # every input row: 6 customers, 1 duplicate, 2 invalid, 1 excluded
    duplicate = by_email["PLUS@example.com"]
    assert (duplicate["result"], duplicate["reason"], duplicate["line"]) == (
        "duplicate",
        "same customer as line 3",
        "8",
    )
    invalid = {r["line"]: r for r in rows if r["result"] == "invalid"}
    assert (invalid["9"]["email"], invalid["9"]["reason"]) == ("'=1+1", "not an email address")
    assert (invalid["10"]["email"], invalid["10"]["reason"]) == ("", "no email address")
    excluded = by_email["optout@example.com"]
    assert (excluded["result"], excluded["route"], excluded["reason"]) == (
        "excluded",
        "opted_out",
        "on the opt-out list",
    )


def test_results_csv_timestamps_carry_their_zone(app, db):
    client = app.test_client()
    incident_id = _incident(app)
    created = client.post(f"/api/v1/incidents/{incident_id}/campaigns", json=CAMPAIGN, headers=AUTH)
    with db.transaction() as session:
        session.execute(update(Recipient).values(state="sent", sent_at=datetime(2024, 5, 1, 8, 12)))
    base = f"/api/v1/incidents/{incident_id}/campaigns/{created.get_json()['id']}"
    raw = client.get(f"{base}/results.csv", headers=AUTH).get_data()
    sent = [r for r in csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))) if r["result"] == "sent"]
    assert len(sent) == 2 and {r["sent_at"] for r in sent} == {"2024-05-01T08:12:00+00:00"}


def test_a_campaigns_purpose_is_checked_and_everyone_affected_is_for_afterwards(app):
    client = app.test_client()
    url = f"/api/v1/incidents/{_incident(app)}/campaigns"
    bogus = client.post(url, json={**CAMPAIGN, "purpose": "spam"}, headers=AUTH)
    assert bogus.status_code == 422 and "goodwill" in bogus.get_json()["fields"]["purpose"]
    wrong_type = client.post(url, json={**CAMPAIGN, "everyone_affected": "yes"}, headers=AUTH)
    assert wrong_type.status_code == 422 and "everyone_affected" in wrong_type.get_json()["fields"]
    notice = client.post(url, json={**CAMPAIGN, "csv": "", "everyone_affected": True}, headers=AUTH)
    assert notice.status_code == 409 and "follow-up or goodwill" in notice.get_json()["error"]
    goodwill = client.post(
        url, json={**CAMPAIGN, "purpose": "goodwill", "everyone_affected": True}, headers=AUTH
    )
    assert goodwill.status_code == 201 and goodwill.get_json()["purpose"] == "goodwill"
    listed = client.get(url, headers=AUTH).get_json()["campaigns"]
    assert [c["purpose"] for c in listed if c["id"] == goodwill.get_json()["id"]] == ["goodwill"]
