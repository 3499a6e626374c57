"""Outreach in the admin UI: login and CSRF required, a draft from an uploaded CSV, its report and
RTL preview, launch/pause with CSRF, progress JSON and the results CSV."""

import io
import re

import pytest

from tests.factories import declare_checkout_incident
from tests.web.conftest import csrf_token, post_form

CSV = (
    b"email,name,locale,order\nann@example.com,Ann Lee,en,#7\ndana@example.com,Dana Levi,he,#8\n"
    b"ANN@example.com,Dup,en,#9\nbroken,Broken,en,#10\n"
)
FORM = {
    "name": "Sorry",
    "subject_en": "About {{incident_title}}",
    "body_en": "Hi {{first_name}}, order {{order}}",
    "subject_he": "בנוגע ל{{incident_title}}",
    "body_he": "שלום {{first_name}}, הזמנה {{order}}",
    "coupon_mode": "none",
    "coupon_format": "SORRY-XXXX-XXXX",
}


def _incident(app) -> int:
    return declare_checkout_incident(app.extensions["incidentdesk"])[0]


def test_pages_need_a_login(client, app):
    incident_id = _incident(app)
    answer = client.get(f"/admin/incidents/{incident_id}/campaigns")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert client.get("/admin/outreach").status_code == 302


def test_a_form_without_csrf_is_refused(logged_in, app):
    incident_id = _incident(app)
    assert logged_in.post(f"/admin/incidents/{incident_id}/campaigns", data=FORM).status_code == 400


def test_draft_from_csv_report_preview_launch_and_results(logged_in, app):
    incident_id = _incident(app)
    answer = post_form(
        logged_in,
        f"/admin/incidents/{incident_id}/campaigns",
        {**FORM, "csv_file": (io.BytesIO(CSV), "customers.csv")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    page_url = answer.headers["Location"]
    page = logged_in.get(page_url).get_data(as_text=True)
    assert "2 customers will be contacted" in page and "1 duplicates removed, 1 invalid rows" in page
    assert 'dir="rtl"' in page and "הזמנה \u2068#8\u2069" in page and "order #7" in page
    assert "data-progress-url=" in page and "outreach.js" in page

    token = csrf_token(page)
    assert logged_in.post(f"{page_url}/launch", data={"csrf_token": token}).status_code == 302
    assert logged_in.get(f"{page_url}/progress.json").get_json()["state"] == "running"
    refused = logged_in.post(f"{page_url}/resume", data={"csrf_token": token}, follow_redirects=True)
    assert "cannot resume" in refused.get_data(as_text=True)
    assert logged_in.post(f"{page_url}/pause", data={"csrf_token": token}).status_code == 302
    progress = logged_in.get(f"{page_url}/progress.json").get_json()
    assert (progress["state"], progress["queued"], progress["sent"]) == ("paused", 2, 0)
    rows = logged_in.get(f"{page_url}/results.csv").get_data().decode("utf-8-sig").splitlines()
    assert rows[0].startswith("email,name") and len(rows) == 5  # 2 customers, 1 duplicate, 1 invalid
    assert "Sorry" in logged_in.get("/admin/outreach").get_data(as_text=True)


def test_invalid_form_keeps_input_and_says_what_to_fix(logged_in, app):
    incident_id = _incident(app)
    answer = post_form(
        logged_in,
        f"/admin/incidents/{incident_id}/campaigns",
        {**FORM, "name": "", "coupon_format": "XX", "csv_text": "email\na@example.com\n"},
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "name the campaign" in page and "at least 8" in page
    assert 'value="About {{incident_title}}"' in page


@pytest.mark.parametrize("field", ["name", "subject_en", "body_en", "tags", "opt_out_emails"])
def test_a_nul_character_in_the_form_is_refused_on_the_page_not_a_500(logged_in, app, field):
    incident_id = _incident(app)
    form = {**FORM, "csv_text": "email\na@example.com\n", field: FORM.get(field, "x") + "\x00y"}
    answer = post_form(logged_in, f"/admin/incidents/{incident_id}/campaigns", form)
    assert answer.status_code == 422  # the form again, never a 500
    if field in ("name", "subject_en", "body_en"):  # fields the page has an error line for
        assert "NUL character" in answer.get_data(as_text=True)


def test_overview_offers_active_incidents_in_hebrew(logged_in, app):
    incident_id = _incident(app)
    logged_in.post(
        "/language", data={"lang": "he", "csrf_token": csrf_token(logged_in.get("/admin/outreach").data)}
    )
    page = logged_in.get("/admin/outreach").get_data(as_text=True)
    assert f"/admin/incidents/{incident_id}/campaigns" in page
    assert 'dir="rtl"' in page and "פנייה יזומה" in page and "outreach.start" not in page


def test_a_drafts_audience_is_replaced_from_the_page(logged_in, app):
    incident_id = _incident(app)
    answer = post_form(
        logged_in, f"/admin/incidents/{incident_id}/campaigns", {**FORM, "csv_text": "email\na@x.com\n"}
    )
    page_url = answer.headers["Location"]
    page = logged_in.get(page_url).get_data(as_text=True)
    assert "1 customers will be contacted" in page
    replaced = logged_in.post(
        f"{page_url}/audience",
        data={"csrf_token": csrf_token(page), "csv_file": (io.BytesIO(CSV), "new.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "2 customers will be contacted" in replaced.get_data(as_text=True)


def test_the_form_labels_every_field_and_takes_the_plan_budget_from_settings(logged_in, app):
    incident_id = _incident(app)
    page = logged_in.get(f"/admin/incidents/{incident_id}/campaigns").get_data(as_text=True)
    # Every visible input, select and textarea has a <label for=...> of its own.
    ids = set(
        re.findall(r'<(?:input|textarea|select)(?![^>]*type="(?:hidden|checkbox)")[^>]*\bid="([^"]+)"', page)
    )
    labelled = set(re.findall(r'<label for="([^"]+)"', page))
    assert ids and ids <= labelled, ids - labelled
    assert 'name="plan_requests_per_minute"' not in page
    rpm = app.extensions["incidentdesk"].settings.zendesk_requests_per_minute
    assert f"allows {rpm} API requests a minute" in page


def test_each_preview_sample_shows_its_own_coupon_and_a_finished_campaign_says_so(logged_in, app):
    incident_id = _incident(app)
    form = {
        **FORM,
        "coupon_mode": "generated",
        "body_en": "Hi {{first_name}}, code {{coupon}}",
        "body_he": "שלום {{first_name}}, קוד {{coupon}}",
    }
    answer = post_form(
        logged_in,
        f"/admin/incidents/{incident_id}/campaigns",
        {**form, "csv_file": (io.BytesIO(CSV), "customers.csv")},
        content_type="multipart/form-data",
    )
    page_url = answer.headers["Location"]
    page = logged_in.get(page_url).get_data(as_text=True)
    codes = re.findall(r"SORRY-[A-Z0-9]{4}-[A-Z0-9]{4}", page)
    assert len(codes) >= 2 and len(set(codes)) == len(codes)  # one code per sample, none shared
    token = csrf_token(page)
    logged_in.post(f"{page_url}/cancel", data={"csrf_token": token})
    finished = logged_in.get(page_url).get_data(as_text=True)
    assert "will be contacted" not in finished and "customers were in the audience" in finished


def test_the_hebrew_form_has_no_english_option_labels(logged_in, app):
    incident_id = _incident(app)
    post_form(logged_in, "/language", {"lang": "he", "next": "/admin/outreach"})
    page = logged_in.get(f"/admin/incidents/{incident_id}/campaigns").get_data(as_text=True)
    assert '<option value="high">גבוהה</option>' in page and '<option value="urgent">דחופה</option>' in page


def test_refusals_are_said_in_the_admins_language(logged_in, app):
    """A Bulgarian admin is told in Bulgarian why a campaign cannot do something, with the
    campaign's state and the actions it still has named in Bulgarian too."""
    incident_id = _incident(app)
    answer = post_form(
        logged_in,
        f"/admin/incidents/{incident_id}/campaigns",
        {**FORM, "csv_file": (io.BytesIO(CSV), "customers.csv")},
        content_type="multipart/form-data",
    )
    page_url = answer.headers["Location"]
    post_form(logged_in, "/language", {"lang": "bg"})
    token = csrf_token(logged_in.get(page_url).get_data(as_text=True))
    refused = logged_in.post(f"{page_url}/resume", data={"csrf_token": token}, follow_redirects=True)
    text = refused.get_data(as_text=True)
    assert "кампания в състояние „чернова“ не може да продължи; може да стартира, да бъде отменена" in text
    assert "cannot" not in text
    no_emails = {**FORM, "csv_file": (io.BytesIO(b"name,order\nAnn,#7\n"), "names.csv")}
    page = post_form(
        logged_in, f"/admin/incidents/{incident_id}/campaigns", no_emails, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "на първия ред няма колона „email“; намерени: name, order" in page and "no 'email'" not in page


def test_launch_and_cancel_ask_first_saying_what_will_happen(logged_in, app):
    incident_id = _incident(app)
    answer = post_form(
        logged_in,
        f"/admin/incidents/{incident_id}/campaigns",
        {**FORM, "csv_file": (io.BytesIO(CSV), "customers.csv")},
        content_type="multipart/form-data",
    )
    page = logged_in.get(answer.headers["Location"]).get_data(as_text=True)
    forms = re.findall(r'<form[^>]*action="[^"]*/(launch|cancel)"[^>]*data-confirm="([^"]+)"', page)
    assert {action for action, _ in forms} == {"launch", "cancel"}, forms
    questions = dict(forms)
    assert "2 customers" in questions["launch"], questions
    assert "for good" in questions["cancel"] and "cannot be started again" in questions["cancel"]
