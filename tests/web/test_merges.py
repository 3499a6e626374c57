"""Merges on the web: the admin page lists merges and refusals and edits the rules; the API too."""

from __future__ import annotations

from sqlalchemy import select

from service.merging import store
from service.merging.models import Merge, MergeRefusal
from service.models import AuditEntry, Incident
from tests.web.conftest import API_TOKEN, csrf_token

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def add_incident_with_merges(db) -> int:
    with db.transaction() as session:
        incident = Incident(title="Checkout is down", tag="incident_checkout_is_down")
        session.add(incident)
        session.flush()
        session.add(
            Merge(
                source_ticket_id=12,
                target_ticket_id=11,
                incident_id=incident.id,
                requester_id=7,
                reason="same_incident",
                evidence={"requester_id": 7, "requester_name": "Dana Levi", "similarity": 0.91},
                locale="he",
                public=True,
                job_id="j1",
                state="merged",
                owner="w",
            )
        )
        session.add(
            MergeRefusal(
                ticket_id=14,
                other_ticket_id=11,
                incident_id=incident.id,
                kind="refused",
                reason="different requesters",
                evidence={"similarity": 0.97},
            )
        )
        session.add(
            MergeRefusal(
                ticket_id=15,
                other_ticket_id=16,
                incident_id=incident.id,
                kind="grouped",
                reason="requester of #15 is an intermediary (tag reseller)",
                evidence={},
            )
        )
        return incident.id


def test_pages_need_a_login(client):
    for path in ("/admin/merges", "/admin/incidents/1/merges"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_incident_page_lists_merges_refusals_and_groups(logged_in, db):
    incident_id = add_incident_with_merges(db)
    page = logged_in.get(f"/admin/incidents/{incident_id}/merges").get_data(as_text=True)
    assert "#12" in page and "#11" in page and "same requester, same incident" in page and "0.91" in page
    # The merge names the person and links both tickets to the helpdesk.
    assert "<bdi>Dana Levi</bdi>" in page and 'href="https://sandbox.zendesk.com/agent/tickets/12"' in page
    assert "different requesters" in page and "grouped (intermediary)" in page
    assert logged_in.get("/admin/incidents/999/merges").status_code == 404
    overview = logged_in.get("/admin/merges").get_data(as_text=True)
    assert f'href="/admin/incidents/{incident_id}/merges"' in overview and "#12" in overview


def test_page_speaks_hebrew_right_to_left(logged_in, db):
    add_incident_with_merges(db)
    page = logged_in.get("/admin/merges", headers={"Accept-Language": "he"}).get_data(as_text=True)
    assert 'dir="rtl"' in page and "מיזוג פניות כפולות" in page and "אותו פונה, אותה תקלה" in page


def test_admin_changes_the_rules_with_a_csrf_token_only(logged_in, db):
    page = logged_in.get("/admin/merges")
    form = {
        "enabled": "0",
        "public_comments": "0",
        "window_minutes": "90",
        "similarity_threshold": "0.8",
        "skip_tag": "No_Merge",
        "cross_requester_org_ids": "40, 41",
        "intermediary_tags": "reseller partner",
        "comment_source_he": "מוזג ל-#{{target_id}}",
    }
    assert logged_in.post("/admin/merges", data=form).status_code == 400  # no CSRF token
    response = logged_in.post("/admin/merges", data={**form, "csrf_token": csrf_token(page.data)})
    assert response.status_code == 302
    with db.transaction() as session:
        rules = store.rules_for(session, None)
        assert (rules.enabled, rules.public_comments, rules.similarity_threshold) == (False, False, 0.8)
        assert rules.window.total_seconds() == 90 * 60 and rules.skip_tag == "no_merge"
        assert rules.cross_requester_org_ids == {40, 41} and rules.intermediary_tags == {
            "partner",
            "reseller",
        }
        assert rules.comments["source"]["he"] == "מוזג ל-#{{target_id}}"
        assert rules.comments["source"]["en"].startswith("Hi {{first_name}}")  # empty keeps the built-in text
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "merge.settings_changed")).one()


def test_invalid_rules_are_refused_with_field_messages(logged_in, db):
    page = logged_in.get("/admin/merges")
    response = logged_in.post(
        "/admin/merges",
        data={"csrf_token": csrf_token(page.data), "similarity_threshold": "2", "window_minutes": "soon"},
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in body and "from 0.3 to 1.0" in body
    with db.transaction() as session:
        assert store.settings_row(session, None) is None


def test_api_needs_the_token(client):
    assert client.get("/api/v1/merge-settings").status_code == 401
    assert client.put("/api/v1/merge-settings", json={"enabled": False}).status_code == 401
    assert client.get("/api/v1/incidents/1/merges").status_code == 401


def test_api_reads_and_changes_account_and_incident_settings(client, db):
    incident_id = add_incident_with_merges(db)
    defaults = client.get("/api/v1/merge-settings", headers=AUTH).json
    assert defaults["saved"] is False and defaults["similarity_threshold"] == 0.7
    changed = client.put(
        "/api/v1/merge-settings",
        headers=AUTH,
        json={"window_minutes": 30, "comments": {"target": {"bg": "Обединено #{{source_id}}"}}},
    )
    assert changed.status_code == 200 and changed.json["window_minutes"] == 30 and changed.json["saved"]
    assert changed.json["comments"]["target"]["bg"] == "Обединено #{{source_id}}"
    inherited = client.get(f"/api/v1/incidents/{incident_id}/merge-settings", headers=AUTH).json
    assert inherited["window_minutes"] == 30 and inherited["saved"] is False
    own = client.put(f"/api/v1/incidents/{incident_id}/merge-settings", headers=AUTH, json={"enabled": False})
    assert own.json["enabled"] is False and own.json["saved"] is True
    assert client.get("/api/v1/merge-settings", headers=AUTH).json["enabled"] is True


def test_api_refuses_bad_settings_clearly(client):
    bad = client.put(
        "/api/v1/merge-settings", headers=AUTH, json={"similarity_threshold": "high", "colour": 1}
    )
    assert bad.status_code == 422 and "colour" in bad.json["error"]
    bad = client.put("/api/v1/merge-settings", headers=AUTH, json={"similarity_threshold": 0.1})
    assert bad.status_code == 422 and "similarity_threshold" in bad.json["fields"]
    assert client.put("/api/v1/merge-settings", headers=AUTH, data="nope").status_code == 400
    assert client.get("/api/v1/incidents/999/merge-settings", headers=AUTH).status_code == 404


def test_api_lists_an_incidents_merges_refusals_and_groups(client, db):
    incident_id = add_incident_with_merges(db)
    body = client.get(f"/api/v1/incidents/{incident_id}/merges", headers=AUTH).json
    [merge] = body["merges"]
    assert (merge["source_ticket_id"], merge["target_ticket_id"], merge["state"]) == (12, 11, "merged")
    assert merge["evidence"]["similarity"] == 0.91
    assert [r["reason"] for r in body["refusals"]] == ["different requesters"]
    assert [g["ticket_id"] for g in body["groups"]] == [15]
    assert client.get("/api/v1/incidents/999/merges", headers=AUTH).status_code == 404
