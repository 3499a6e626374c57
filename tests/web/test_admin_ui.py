"""Declaring and inspecting incidents through the admin pages."""

from __future__ import annotations

import re

import requests

from service.models import AuditEntry, Incident
from tests.factories import add_links, declared_incident_id
from tests.web.conftest import declare_form, post_form, sandbox_ticket


def test_declare_incident_and_see_it_everywhere(logged_in, db):
    incident_id = declared_incident_id(post_form(logged_in, "/admin/incidents/new", declare_form()))

    detail = logged_in.get(f"/admin/incidents/{incident_id}").data.decode()
    assert "Checkout is down" in detail
    assert "incident_checkout_is_down" in detail
    assert (
        '<blockquote lang="he" dir="rtl">אנחנו יודעים שהתשלום באתר לא עובד ומתקנים זאת.</blockquote>'
        in detail
    )
    assert (
        '<blockquote lang="bg" dir="ltr">Знаем, че плащането на сайта не работи, и го поправяме.</blockquote>'
        in detail
    )
    assert "плащането на сайта не работи" in detail  # a phrase rule
    # The audit log reads as a sentence naming the person, not a key and an account id.
    assert "ada declared the incident" in detail
    assert "incident.declared" not in detail and "admin:ada" not in detail
    # The incident page leads to its campaigns and merges.
    assert f'href="/admin/incidents/{incident_id}/campaigns"' in detail
    assert f'href="/admin/incidents/{incident_id}/merges"' in detail

    listing = logged_in.get("/admin/incidents").data.decode()
    assert f'href="/admin/incidents/{incident_id}"' in listing
    assert "Investigating" in listing and "Critical" in listing

    with db.transaction() as session:
        incident = session.get(Incident, incident_id)
        assert incident.severity == "critical"
        assert incident.phrases == ["checkout fails", "התשלום באתר לא עובד", "плащането на сайта не работи"]
        assert incident.status_updates[0].texts["he"] == "אנחנו יודעים שהתשלום באתר לא עובד ומתקנים זאת."
        assert (
            session.query(AuditEntry).filter_by(incident_id=incident_id, action="incident.declared").count()
            == 1
        )


def test_shadow_mode_checkbox_is_stored(logged_in, db):
    incident_id = declared_incident_id(
        post_form(logged_in, "/admin/incidents/new", declare_form(shadow_mode="on"))
    )
    with db.transaction() as session:
        incident = session.get(Incident, incident_id)
        assert incident.shadow_mode is True
        assert incident.problem_ticket_id is None  # shadow mode touches nothing in the helpdesk


def test_invalid_form_shows_messages_next_to_fields_and_keeps_input(logged_in, db):
    response = post_form(
        logged_in,
        "/admin/incidents/new",
        declare_form(title="  ", phrases="\n \n", status_en="", status_bg="", severity="critical"),
    )
    assert response.status_code == 422
    page = response.data.decode()
    assert '<ul class="field-errors" id="title-errors">' in page
    assert "Give the incident a title" in page
    assert '<ul class="field-errors" id="phrases-errors">' in page
    assert 'aria-invalid="true"' in page
    # What the admin typed is still there.
    assert "אנחנו יודעים שהתשלום באתר לא עובד ומתקנים זאת.</textarea>" in page
    assert '<option value="critical" selected>' in page
    with db.transaction() as session:
        assert session.query(Incident).count() == 0


def test_detail_lists_linked_tickets_with_reasons_and_a_chart(logged_in, db):
    incident_id = declared_incident_id(post_form(logged_in, "/admin/incidents/new", declare_form()))
    add_links(db, incident_id)
    page = logged_in.get(f"/admin/incidents/{incident_id}").data.decode()
    assert "#1000" in page and "#1004" in page
    assert "<td><bdi>התשלום באתר לא עובד</bdi></td>" in page
    assert '<bdi class="chip">checkout fails</bdi>' in page
    assert "…my checkout fails at the last step…" in page
    # Two hours of links: 2 at 09:00, 3 at 10:00.
    assert page.count('class="chart-bar"') == 2
    assert "09:00 UTC: 2" in page and "10:00 UTC: 3" in page
    listing = logged_in.get("/admin/incidents").data.decode()
    assert re.search(r'<td class="num">5</td>', listing)


def test_unknown_incident_is_a_friendly_404(logged_in):
    response = logged_in.get("/admin/incidents/999999")
    assert response.status_code == 404
    assert b"Page not found" in response.data


def test_language_switch_to_hebrew_is_right_to_left(logged_in):
    page = logged_in.get("/admin/incidents").data.decode()
    assert '<html lang="en" dir="ltr">' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = logged_in.post(
        "/language", data={"csrf_token": token, "lang": "he", "next": "/admin/incidents/new"}
    )
    assert response.location == "/admin/incidents/new"
    hebrew = logged_in.get("/admin/incidents/new").data.decode()
    assert '<html lang="he" dir="rtl">' in hebrew
    assert "הכרזה על תקלה" in hebrew
    logged_in.post("/language", data={"csrf_token": token, "lang": "bg"})
    assert '<html lang="bg" dir="ltr">' in logged_in.get("/admin/incidents").data.decode()


def test_login_page_follows_the_browser_language(client):
    page = client.get("/login", headers={"Accept-Language": "he-IL,he;q=0.9,en;q=0.5"}).data.decode()
    assert '<html lang="he" dir="rtl">' in page


def test_declared_incident_opens_a_problem_ticket_in_the_helpdesk(logged_in, db, sandbox):
    incident_id = declared_incident_id(post_form(logged_in, "/admin/incidents/new", declare_form()))
    with db.transaction() as session:
        problem_id = session.get(Incident, incident_id).problem_ticket_id
    assert problem_id
    problem = sandbox_ticket(sandbox, problem_id)
    assert problem["subject"] == "[Incident] Checkout is down"
    assert "incident_checkout_is_down" in problem["tags"]
    assert f"#{problem_id}" in logged_in.get(f"/admin/incidents/{incident_id}").data.decode()


def test_helpdesk_failure_saves_nothing_and_keeps_input(logged_in, db, sandbox):
    requests.post(
        f"{sandbox.url}/_sandbox/faults", json={"error_burst": {"status": 500, "count": 5}}, timeout=5
    )
    response = post_form(logged_in, "/admin/incidents/new", declare_form())
    assert response.status_code == 503
    page = response.data.decode()
    assert "could not open the problem ticket" in page
    assert 'value="Checkout is down"' in page
    with db.transaction() as session:
        assert session.query(Incident).count() == 0


def test_nul_characters_in_a_crafted_form_are_dropped(logged_in, db):
    incident_id = declared_incident_id(
        post_form(logged_in, "/admin/incidents/new", declare_form(title="Check\x00out is down"))
    )
    with db.transaction() as session:
        assert session.get(Incident, incident_id).title == "Checkout is down"


def test_the_audit_log_speaks_hebrew_links_tickets_to_zendesk_and_folds_its_details(logged_in, db):
    from service.audit import record

    incident_id = declared_incident_id(post_form(logged_in, "/admin/incidents/new", declare_form()))
    with db.transaction() as session:
        record(
            session,
            "ticket.unlinked",
            actor="admin:ada",
            incident_id=incident_id,
            ticket_id=4242,
            detail={"reason": "about an invoice", "answered": False},
        )
    post_form(logged_in, "/language", {"lang": "he", "next": f"/admin/incidents/{incident_id}"})
    page = logged_in.get(f"/admin/incidents/{incident_id}").data.decode()
    assert "ada ניתק/ה פנייה" in page and "ada הכריז/ה על התקרית" in page
    assert "ticket.unlinked" not in page and ">False<" not in page and "לא</bdi>" in page
    assert 'href="https://sandbox.zendesk.com/agent/tickets/4242"' in page
    assert '<details class="audit-detail">' in page  # details are folded until asked for
