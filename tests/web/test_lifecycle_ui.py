"""The incident page's lifecycle forms: status updates, resolve, reopen, shadow mode, unlink, broadcasts."""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from service.audit import record
from service.models import AuditEntry, Incident, StatusUpdate, TicketLink
from tests.factories import add_links, declare
from tests.web.conftest import declare_form, post_form
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN

HE_UPDATE = "מצאנו את הגורם לתקלה בתשלום ואנחנו מתקנים אותו."
EN_UPDATE = "We found the cause of the checkout failure and are fixing it."
FINAL = {
    "final_en": "Checkout is back. A failed database switch caused it; we added an automatic check.",
    "final_he": "התשלום חזר לפעול. הוספנו בדיקה אוטומטית כדי שזה לא יקרה שוב.",
}


def incident_row(db, incident_id: int) -> Incident:
    with db.transaction() as session:
        incident = session.get(Incident, incident_id)
        session.expunge(incident)
        return incident


def versions(db, incident_id: int) -> list[StatusUpdate]:
    with db.transaction() as session:
        return list(
            session.scalars(
                select(StatusUpdate)
                .where(StatusUpdate.incident_id == incident_id)
                .order_by(StatusUpdate.version)
            )
        )


def dynamic_content_texts(sandbox, item_id: int) -> list[str]:
    response = requests.get(
        f"{sandbox.url}/api/v2/dynamic_content/items/{item_id}.json",
        timeout=5,
        auth=(f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN),
    )
    response.raise_for_status()
    return [variant["content"] for variant in response.json()["item"]["variants"]]


def test_declare_form_takes_products_regions_and_start_time(logged_in, db):
    incident_id = declare(
        logged_in,
        affected_products="Checkout, Mobile app",
        affected_regions="EU\nIsrael",
        started_at="2026-11-22T09:30",
    )
    incident = incident_row(db, incident_id)
    assert incident.affected_products == ["Checkout", "Mobile app"]
    assert incident.affected_regions == ["EU", "Israel"]
    assert incident.started_at.strftime("%Y-%m-%d %H:%M") == "2026-11-22 09:30"
    page = logged_in.get(f"/admin/incidents/{incident_id}").data.decode()
    assert "<bdi>Checkout, Mobile app</bdi>" in page and "<bdi>EU, Israel</bdi>" in page
    assert "2026-11-22 09:30 UTC" in page


@pytest.mark.parametrize(
    "started_at, message",
    [
        ("yesterday-ish", "Write the start time as date and time"),
        ("2999-01-01T00:00", "The start time is in the future"),
    ],
)
def test_declare_form_refuses_a_bad_start_time_and_keeps_input(logged_in, db, started_at, message):
    response = post_form(
        logged_in, "/admin/incidents/new", declare_form(started_at=started_at, affected_products="Checkout")
    )
    assert response.status_code == 422
    page = response.data.decode()
    assert '<ul class="field-errors" id="started_at-errors">' in page and message in page
    assert 'value="Checkout"' in page
    with db.transaction() as session:
        assert session.query(Incident).count() == 0


def test_status_update_is_posted_published_and_shown_in_the_timeline(logged_in, db, sandbox):
    incident_id = declare(logged_in)
    response = post_form(
        logged_in,
        f"/admin/incidents/{incident_id}/status",
        {
            "stage": "identified",
            "status_en": EN_UPDATE,
            "status_he": HE_UPDATE,
            "status_bg": "",
            "broadcast": "on",
        },
    )
    assert response.status_code == 302
    assert response.location == f"/admin/incidents/{incident_id}?done=status_posted"

    latest = versions(db, incident_id)[-1]
    assert (latest.version, latest.stage, latest.broadcast_state) == (2, "identified", "queued")
    assert latest.texts == {"en": EN_UPDATE, "he": HE_UPDATE}
    assert latest.created_by == "admin:ada"
    # The helpdesk's dynamic content (behind the macro) holds the new text at once.
    assert HE_UPDATE in dynamic_content_texts(sandbox, incident_row(db, incident_id).dynamic_content_id)

    page = logged_in.get(response.location).data.decode()
    assert "Status update posted." in page
    timeline = page[page.index('id="timeline"') : page.index('id="post-status"')]
    assert timeline.index('id="status-v2"') < timeline.index('id="status-v1"')  # newest first
    assert f'<blockquote lang="he" dir="rtl">{HE_UPDATE}</blockquote>' in timeline
    assert (
        "Identified" in timeline and "ada" in timeline and "admin:ada" not in timeline
    )  # the author is a person
    assert '<progress id="broadcast-v2" max="100" value="0">' in timeline
    assert "0 of 0 tickets" in timeline
    assert f'action="/admin/incidents/{incident_id}/status/2/cancel"' in timeline


def test_status_update_without_text_is_refused_next_to_the_field_and_input_kept(logged_in, db):
    incident_id = declare(logged_in)
    response = post_form(
        logged_in,
        f"/admin/incidents/{incident_id}/status",
        {"stage": "monitoring", "status_en": "  ", "broadcast": "on"},
    )
    assert response.status_code == 422
    page = response.data.decode()
    assert '<ul class="field-errors" id="status_texts-errors">' in page
    assert "Write the text for customers in at least one language." in page
    assert '<option value="monitoring" selected>' in page
    assert re.search(r'<input id="broadcast" name="broadcast" type="checkbox" checked', page)
    assert len(versions(db, incident_id)) == 1


def test_resolve_sends_the_final_message_with_a_survey_then_reopen(logged_in, db):
    incident_id = declare(logged_in)
    response = post_form(logged_in, f"/admin/incidents/{incident_id}/resolve", {**FINAL, "survey": "on"})
    assert response.location == f"/admin/incidents/{incident_id}?done=resolved"
    final = versions(db, incident_id)[-1]
    assert final.stage == "resolved" and final.broadcast_state == "queued"
    assert final.texts["he"].startswith(FINAL["final_he"])
    assert final.texts["en"].endswith("{{satisfaction.rating_section}}")
    assert incident_row(db, incident_id).state == "resolved"

    page = logged_in.get(f"/admin/incidents/{incident_id}").data.decode()
    assert 'id="post-status"' not in page and 'id="resolve"' not in page
    assert f'action="/admin/incidents/{incident_id}/reopen"' in page

    refused = post_form(
        logged_in, f"/admin/incidents/{incident_id}/status", {"stage": "monitoring", "status_en": EN_UPDATE}
    )
    assert refused.status_code == 409
    assert "reopen it before posting a status update" in refused.data.decode()

    assert post_form(logged_in, f"/admin/incidents/{incident_id}/reopen", {}).status_code == 302
    assert incident_row(db, incident_id).state == "active"
    again = post_form(logged_in, f"/admin/incidents/{incident_id}/reopen", {})
    assert again.status_code == 409 and "already active" in again.data.decode()


def test_resolve_without_a_final_message_is_refused_and_survey_can_be_left_out(logged_in, db):
    incident_id = declare(logged_in)
    page = logged_in.get(f"/admin/incidents/{incident_id}").data.decode()
    assert '<input id="survey" name="survey" type="checkbox"  aria-describedby="survey-hint">' in page  # off
    assert "incidentdesk_survey_skipped" in page  # the hint says how the account's automation can tell
    response = post_form(logged_in, f"/admin/incidents/{incident_id}/resolve", {"final_en": " "})
    assert response.status_code == 422
    assert '<ul class="field-errors" id="final_texts-errors">' in response.data.decode()
    assert incident_row(db, incident_id).state == "active"

    post_form(logged_in, f"/admin/incidents/{incident_id}/resolve", {"final_en": FINAL["final_en"]})
    assert versions(db, incident_id)[-1].texts == {"en": FINAL["final_en"]}  # no survey placeholder


def test_shadow_mode_toggle_shows_the_banner_and_the_decisions(logged_in, db):
    incident_id = declare(logged_in)
    assert 'id="shadow-banner"' not in logged_in.get(f"/admin/incidents/{incident_id}").data.decode()

    response = post_form(logged_in, f"/admin/incidents/{incident_id}/shadow", {"shadow_mode": "on"})
    assert response.location == f"/admin/incidents/{incident_id}?done=shadow_on"
    assert incident_row(db, incident_id).shadow_mode is True
    with db.transaction() as session:
        record(
            session,
            "ticket.would_link",
            incident_id=incident_id,
            ticket_id=777,
            shadow=True,
            detail={
                "phrases": ["checkout fails"],
                "excerpts": ["…my checkout fails…"],
                "locale": "he",
                "public_comment": HE_UPDATE,
            },
        )
    page = logged_in.get(f"/admin/incidents/{incident_id}").data.decode()
    assert 'id="shadow-banner"' in page and "Decided and shown, nothing written" in page
    decisions = page[page.index('id="shadow-decisions"') :]
    assert "#777" in decisions and '<bdi class="chip">checkout fails</bdi>' in decisions
    assert f'<bdi dir="rtl" class="would-write">{HE_UPDATE}</bdi>' in decisions

    post_form(logged_in, f"/admin/incidents/{incident_id}/shadow", {"shadow_mode": "off"})
    assert incident_row(db, incident_id).shadow_mode is False
    assert 'id="shadow-banner"' not in logged_in.get(f"/admin/incidents/{incident_id}").data.decode()
    with db.transaction() as session:
        toggles = session.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "incident.shadow_mode")
        )
        assert [d["on"] for d in toggles] == [True, False]


def test_unlink_sticks_and_counts_against_the_phrase(logged_in, db):
    incident_id = declare(logged_in)
    add_links(db, incident_id)
    response = post_form(
        logged_in,
        f"/admin/incidents/{incident_id}/tickets/1001/unlink",
        {"reason": "About the invoice, not checkout"},
    )
    assert response.location == f"/admin/incidents/{incident_id}?done=unlinked"
    with db.transaction() as session:
        link = session.scalars(select(TicketLink).where(TicketLink.ticket_id == 1001)).one()
        assert (link.state, link.unlink_reason) == ("unlinked", "About the invoice, not checkout")
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.unlinked")).one()
        assert entry.actor == "admin:ada" and entry.detail["phrases"] == ["checkout fails"]
    page = logged_in.get(f"/admin/incidents/{incident_id}").data.decode()
    feedback = page[page.index('class="table compact rule-feedback"') :]
    assert re.search(r"<bdi>checkout fails</bdi></td><td class=\"num\">1</td>", feedback)
    assert f"/admin/incidents/{incident_id}/tickets/1001/unlink" not in page  # no button on an unlinked row
    assert f"/admin/incidents/{incident_id}/tickets/1002/unlink" in page
    assert post_form(logged_in, f"/admin/incidents/{incident_id}/tickets/5555/unlink", {}).status_code == 404


def test_broadcast_progress_is_polled_as_json_and_can_be_stopped(logged_in, db):
    incident_id = declare(logged_in)
    post_form(
        logged_in,
        f"/admin/incidents/{incident_id}/status",
        {"stage": "identified", "status_en": EN_UPDATE, "broadcast": "on"},
    )
    with db.transaction() as session:
        status = session.scalars(select(StatusUpdate).where(StatusUpdate.version == 2)).one()
        status.broadcast_state, status.broadcast_total, status.broadcast_done = "running", 250, 100
    progress = logged_in.get(f"/admin/incidents/{incident_id}/broadcasts").json
    assert progress["broadcasts"] == [
        {
            "version": 2,
            "state": "running",
            "total": 250,
            "done": 100,
            "percent": 40,
            "count_text": "100 of 250 tickets",
        }
    ]
    with db.transaction() as session:  # one ticket: the script gets the singular, in the admin's language
        status = session.scalars(select(StatusUpdate).where(StatusUpdate.version == 2)).one()
        status.broadcast_total, status.broadcast_done = 1, 0
    assert (
        logged_in.get(f"/admin/incidents/{incident_id}/broadcasts").json["broadcasts"][0]["count_text"]
        == "0 of 1 ticket"
    )
    post_form(logged_in, "/language", {"lang": "he"})
    hebrew = logged_in.get(f"/admin/incidents/{incident_id}/broadcasts").json["broadcasts"][0]["count_text"]
    assert hebrew == "0 מתוך פנייה אחת"
    post_form(logged_in, "/language", {"lang": "en"})
    with db.transaction() as session:
        status = session.scalars(select(StatusUpdate).where(StatusUpdate.version == 2)).one()
        status.broadcast_total, status.broadcast_done = 250, 100
    page = logged_in.get(f"/admin/incidents/{incident_id}").data.decode()
    assert '<progress id="broadcast-v2" max="100" value="40">' in page and "100 of 250 tickets" in page

    response = post_form(logged_in, f"/admin/incidents/{incident_id}/status/2/cancel", {})
    assert response.location == f"/admin/incidents/{incident_id}?done=broadcast_cancelled"
    assert (
        logged_in.get(f"/admin/incidents/{incident_id}/broadcasts").json["broadcasts"][0]["state"]
        == "cancelled"
    )
    assert post_form(logged_in, f"/admin/incidents/{incident_id}/status/9/cancel", {}).status_code == 404


LIFECYCLE_POSTS = ["status", "resolve", "reopen", "shadow", "tickets/1000/unlink", "status/1/cancel"]


@pytest.mark.parametrize("action", LIFECYCLE_POSTS)
def test_lifecycle_forms_without_a_csrf_token_are_refused(logged_in, db, action):
    incident_id = declare(logged_in)
    add_links(db, incident_id)
    response = logged_in.post(
        f"/admin/incidents/{incident_id}/{action}",
        data={"stage": "identified", "status_en": EN_UPDATE, "final_en": "Done.", "shadow_mode": "on"},
    )
    assert response.status_code == 400
    assert len(versions(db, incident_id)) == 1
    incident = incident_row(db, incident_id)
    assert (incident.state, incident.shadow_mode) == ("active", False)
    with db.transaction() as session:
        assert session.scalars(select(TicketLink.state).where(TicketLink.ticket_id == 1000)).one() == "linked"


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/admin/incidents/1/broadcasts"),
        ("get", "/admin/incidents/1/rules"),
        ("get", "/admin/dashboard"),
        *[("post", f"/admin/incidents/1/{a}") for a in LIFECYCLE_POSTS],
    ],
)
def test_lifecycle_pages_require_a_login(client, app, method, path):
    app.config["WTF_CSRF_ENABLED"] = False  # so the refusal seen is the login's, not the CSRF check's
    response = getattr(client, method)(path)
    assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_the_resolve_result_lists_what_zendesk_would_not_solve(logged_in, db):
    incident_id = declare(logged_in, solve_group_id="360000000001", solve_assignee_id="")
    assert incident_row(db, incident_id).solve_group_id == 360000000001
    post_form(logged_in, f"/admin/incidents/{incident_id}/resolve", FINAL)
    with db.transaction() as session:
        final = session.scalars(select(StatusUpdate).where(StatusUpdate.incident_id == incident_id)).all()[-1]
        final.broadcast_state, final.broadcast_total, final.broadcast_done = "done", 2, 2
        record(
            session,
            "ticket.solve_refused",
            incident_id=incident_id,
            ticket_id=4242,
            detail={
                "version": final.version,
                "reason": "TicketUpdateFailed: <b>Order</b>: is required when solving",
            },
        )
    progress = logged_in.get(f"/admin/incidents/{incident_id}/broadcasts").json["broadcasts"][-1]
    assert progress["unsolved"] == [
        {"ticket_id": 4242, "reason": "TicketUpdateFailed: <b>Order</b>: is required when solving"}
    ]
    page = logged_in.get(f"/admin/incidents/{incident_id}").data.decode()
    assert "Got the final message but not solved" in page and "Ticket #4242" in page
    assert "&lt;b&gt;Order&lt;/b&gt;" in page and "<b>Order</b>" not in page
    assert "Zendesk group id 360000000001" in page


def test_declare_form_refuses_a_solve_assignment_that_is_not_an_id(logged_in, db):
    response = post_form(
        logged_in, "/admin/incidents/new", declare_form(solve_group_id="support team", solve_assignee_id="-3")
    )
    assert response.status_code == 422
    page = response.data.decode()
    assert page.count("as a whole number") == 2 and 'value="support team"' in page


def test_the_audit_log_is_paged_newest_first_without_losing_an_entry(logged_in, db):
    """A busy incident's page stays short: 50 entries at a time, older ones a link away, and
    paging through meets every entry exactly once (entries of the same second included)."""
    from service.audit import entry, record_all

    incident_id = declare(logged_in)
    with db.transaction() as session:
        record_all(
            session, [entry("ticket.linked", incident_id=incident_id, ticket_id=5000 + n) for n in range(120)]
        )
    seen: list[int] = []
    url = f"/admin/incidents/{incident_id}"
    pages = 0
    while url:
        page = logged_in.get(url).data.decode()
        pages += 1
        audit = page[page.index('id="audit-heading"') :]
        seen += [int(n) for n in re.findall(r">#(5\d{3})</a>", audit)]
        older = re.search(r'<a rel="next" href="([^"]+)#audit-heading"', audit)
        url = older.group(1).replace("&amp;", "&") if older else None
        assert len(re.findall(r"<li>", audit[: audit.index("</ol>")])) <= 50
    assert pages == 3 and sorted(seen) == list(range(5000, 5120)) and len(seen) == 120
    assert seen[0] == 5119  # newest first
    for cursor in ("999999999", "-3", "x", "99999999999999999999999"):  # unknown or unusable: the newest page
        answer = logged_in.get(f"/admin/incidents/{incident_id}?audit_before={cursor}")
        assert answer.status_code == 200 and ">#5119</a>" in answer.data.decode()


def test_audit_details_are_labelled_in_the_admins_language(logged_in, db):
    from service.audit import entry, record_all

    incident_id = declare(logged_in)
    detail = {"phrases": ["checkout fails"], "status_version": 2, "vip": False, "internal_note": "why"}
    with db.transaction() as session:
        record_all(session, [entry("ticket.linked", incident_id=incident_id, ticket_id=4242, detail=detail)])
    post_form(logged_in, "/language", {"lang": "he"})
    page = logged_in.get(f"/admin/incidents/{incident_id}").data.decode()
    audit = page[page.index('id="audit-heading"') :]
    assert "<dt>ביטויים</dt>" in audit and "<dt>גרסת סטטוס</dt>" in audit and "<dt>הערה פנימית</dt>" in audit
    assert "<code>phrases</code>" not in audit and "False" not in audit


def test_every_irreversible_form_asks_first_saying_what_will_happen(logged_in, db):
    """Resolve, unlink and stopping a broadcast each carry the question app.js asks before
    submitting (the browser test answers one); each question names what it will do."""
    incident_id = declare(logged_in)
    add_links(db, incident_id)
    post_form(
        logged_in,
        f"/admin/incidents/{incident_id}/status",
        {"stage": "identified", "status_en": EN_UPDATE, "broadcast": "on"},
    )
    with db.transaction() as session:
        status = session.scalars(select(StatusUpdate).where(StatusUpdate.version == 2)).one()
        status.broadcast_state, status.broadcast_total, status.broadcast_done = "running", 250, 100
    page = logged_in.get(f"/admin/incidents/{incident_id}").data.decode()
    questions = dict.fromkeys(re.findall(r'data-confirm="([^"]+)"', page))
    assert any("150" in q for q in questions), questions  # the broadcast's remaining tickets
    assert any("#1000" in q for q in questions), questions  # the ticket an unlink leaves
    assert any("5 " in q or "5\u00a0" in q for q in questions), questions  # customers a resolution answers
    assert len(re.findall(r"<form[^>]*data-confirm=", page)) >= 3


def test_the_triage_page_saves_the_accounts_rules_and_says_what_to_fix_in_hebrew(logged_in):
    page = logged_in.get("/admin/triage").data.decode()
    assert "lawyer" in page and "עורך דין" in page  # the default phrases, shown to edit
    saved = post_form(
        logged_in,
        "/admin/triage",
        {
            "threat_phrases": "ombudsman\nעורך דין",
            "threat_priority": "high",
            "repeat_contacts": "2",
            "repeat_priority": "",
            "vip_tags": "vip\ngold",
            "vip_priority": "urgent",
            "group_id": "",
        },
    )
    assert saved.status_code == 302
    page = logged_in.get("/admin/triage?saved=1").data.decode()
    assert "ombudsman\nעורך דין</textarea>" in page and 'value="2"' in page and "lawyer" not in page
    post_form(logged_in, "/language", {"lang": "he"})
    refused = post_form(logged_in, "/admin/triage", {"repeat_contacts": "many", "group_id": "-4"})
    text = refused.data.decode()
    assert refused.status_code == 422
    assert "מספר שלם מ־0 (כבוי) עד 1000" in text and "המזהה המספרי של הקבוצה" in text
    assert 'value="many"' in text  # what was typed is kept


def test_the_post_incident_report_keeps_what_happened_and_prints_the_figures(logged_in, client, db):
    from tests.factories import AUTH

    incident_id = declare(logged_in)
    add_links(db, incident_id)
    answer = post_form(
        logged_in,
        f"/admin/incidents/{incident_id}/resolve",
        {
            **FINAL,
            "happened_en": "A payment provider's certificate expired at 08:02.",
            "happened_he": "תוקף התעודה של ספק התשלומים פג ב־08:02.",
            "prevention_en": "Certificates are now renewed automatically, with an alert 30 days before.",
        },
    )
    assert answer.status_code == 302
    page = logged_in.get(f"/admin/incidents/{incident_id}/report").data.decode()
    assert "A payment provider&#39;s certificate expired at 08:02." in page
    assert 'lang="he" dir="rtl"' in page and "תוקף התעודה" in page
    assert "Certificates are now renewed automatically" in page
    assert "Tickets linked" in page and "Median time to the first answer" in page
    sheet = logged_in.get(f"/admin/incidents/{incident_id}/report.csv").get_data(as_text=True)
    assert sheet.startswith("\ufefffigure,value") and "tickets_linked,5" in sheet
    assert "what_happened:he,תוקף התעודה" in sheet
    body = client.get(f"/api/v1/incidents/{incident_id}/report", headers=AUTH).get_json()
    assert body["figures"]["tickets_linked"] == 5 and body["what_happened"]["en"].startswith("A payment")
    assert body["timeline"][-1]["stage"] == "resolved" and sum(body["tickets_per_hour"].values()) == 5
    other = declare(logged_in, title="Login fails", phrases="cannot log in")
    refused = client.post(
        f"/api/v1/incidents/{other}/resolve",
        json={"texts": {"en": "Fixed."}, "what_happened": {"xx": "a language nobody has"}},
        headers=AUTH,
    )
    assert refused.status_code == 422 and "what_happened" in refused.get_json()["fields"]
