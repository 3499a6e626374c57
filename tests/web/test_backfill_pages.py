"""The backfill's page and API without a worker: a count in progress refuses another, a count
nobody applied is replaced by a new one and cannot be applied any more, applying from the page
needs the box ticked, the page needs a login and a CSRF token, and says its refusals in the
admin's language."""

from sqlalchemy import update

from service.domain.backfill import MAX_CANDIDATES
from service.incidents.backfill import TOO_MANY
from service.incidents.backfill_models import Backfill
from tests.factories import AUTH, declare
from tests.web.conftest import log_in, post_form


def _count(client, incident_id: int):
    return client.post(f"/api/v1/incidents/{incident_id}/backfills", headers=AUTH)


def test_counts_replace_unapplied_ones_and_refuse_while_one_runs(client, db, logged_in):
    incident_id = declare(client)
    first = _count(client, incident_id)
    assert first.status_code == 202 and first.get_json()["state"] == "counting"
    refused = _count(client, incident_id)
    assert refused.status_code == 409 and "in progress" in refused.get_json()["error"]

    with db.transaction() as session:  # the worker's count is in
        session.execute(update(Backfill).where(Backfill.id == first.get_json()["id"]).values(state="counted"))
    second = _count(client, incident_id)
    assert second.status_code == 202
    stale = client.get(f"/api/v1/incidents/{incident_id}/backfills/{first.get_json()['id']}", headers=AUTH)
    assert stale.get_json()["state"] == "discarded"
    applied = client.post(
        f"/api/v1/incidents/{incident_id}/backfills/{first.get_json()['id']}/apply", headers=AUTH
    )
    assert applied.status_code == 409 and "counted dry run" in applied.get_json()["error"]
    assert client.get(f"/api/v1/incidents/{incident_id}/backfills/99999", headers=AUTH).status_code == 404
    assert _count(client, 99999).status_code == 404


def test_the_page_applies_only_with_the_box_ticked(client, db, logged_in):
    incident_id = declare(client)
    assert post_form(client, f"/admin/incidents/{incident_id}/backfill", {}).status_code == 302
    with db.transaction() as session:
        backfill_id = session.scalar(update(Backfill).values(state="counted").returning(Backfill.id))
    page = client.get(f"/admin/incidents/{incident_id}/backfill")
    assert b"Replies cannot be taken back" in page.data and b'name="understood"' in page.data
    assert page.data.count(b" UTC</time>") == 2  # the window, in UTC
    unticked = post_form(client, f"/admin/incidents/{incident_id}/backfill/{backfill_id}/apply", {})
    assert unticked.status_code == 422 and b"Tick the box" in unticked.data
    ticked = post_form(
        client, f"/admin/incidents/{incident_id}/backfill/{backfill_id}/apply", {"understood": "yes"}
    )
    assert ticked.status_code == 302
    again = post_form(
        client, f"/admin/incidents/{incident_id}/backfill/{backfill_id}/apply", {"understood": "yes"}
    )
    assert again.status_code == 409 and b"Only a counted dry run can be applied" in again.data
    progress = client.get(f"/admin/incidents/{incident_id}/backfill/{backfill_id}/progress").get_json()
    assert (progress["state"], progress["state_text"]) == ("queued", "confirmed, starting")


def test_the_page_needs_a_login_and_a_csrf_token(client, admin):
    assert "/login" in client.get("/admin/incidents/1/backfill").location
    log_in(client)
    incident_id = declare(client)
    assert client.post(f"/admin/incidents/{incident_id}/backfill").status_code == 400  # no CSRF token


def test_refusals_and_a_failed_count_are_said_in_the_admins_language(client, db, logged_in):
    incident_id = declare(client)
    assert post_form(client, f"/admin/incidents/{incident_id}/backfill", {}).status_code == 302
    post_form(client, "/language", {"lang": "bg", "next": "/admin/incidents"})
    again = post_form(client, f"/admin/incidents/{incident_id}/backfill", {})
    assert again.status_code == 409
    assert "За този инцидент вече тече наваксване" in again.get_data(as_text=True)

    with db.transaction() as session:  # the worker found too many tickets in the window
        backfill_id = session.scalar(
            update(Backfill)
            .values(state="failed", error=TOO_MANY(limit=MAX_CANDIDATES), finished_at=Backfill.created_at)
            .returning(Backfill.id)
        )
    post_form(client, "/language", {"lang": "he", "next": "/admin/incidents"})
    page = client.get(f"/admin/incidents/{incident_id}/backfill").get_data(as_text=True)
    assert f"בחלון הזמן נפתחו יותר מ־{MAX_CANDIDATES} פניות" in page
    assert "More than" not in page
    api = client.get(f"/api/v1/incidents/{incident_id}/backfills/{backfill_id}", headers=AUTH)
    assert api.get_json()["error"].startswith(f"More than {MAX_CANDIDATES} tickets")  # the API's English
