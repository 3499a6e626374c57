"""A campaign's message must be able to say everything it promises: a coupon campaign shows the
code, and every placeholder names something each customer has. Refused in the UI and the API,
saying what to fix, before a single code is assigned or a ticket written."""

from tests.factories import AUTH, declare_checkout_incident
from tests.web.conftest import post_form

CSV = "email,name,locale\nann@example.com,Ann Lee,en\ndana@example.com,Dana Levi,he\n"
WITHOUT_COUPON = {
    "en": {"subject": "About {{incident_title}}", "body": "Hi {{first_name}}, sorry for the outage."},
    "he": {"subject": "בנוגע ל{{incident_title}}", "body": "שלום {{first_name}}, קוד: {{coupon}}"},
}


def _incident(app) -> int:
    return declare_checkout_incident(app.extensions["incidentdesk"])[0]


def test_a_coupon_campaign_whose_message_never_shows_the_code_is_refused_by_the_api(app):
    client = app.test_client()
    incident_id = _incident(app)
    answer = client.post(
        f"/api/v1/incidents/{incident_id}/campaigns",
        json={"name": "Sorry", "coupon_mode": "generated", "messages": WITHOUT_COUPON, "csv": CSV},
        headers=AUTH,
    )
    assert answer.status_code == 422, answer.get_json()
    problems = answer.get_json()["fields"]["messages"]
    assert set(problems) == {"en"} and "{{coupon}}" in problems["en"]
    listed = client.get(f"/api/v1/incidents/{incident_id}/campaigns", headers=AUTH).get_json()
    assert listed["campaigns"] == []  # nothing was saved


def test_the_same_message_without_coupons_is_fine(app):
    client = app.test_client()
    incident_id = _incident(app)
    messages = {"en": WITHOUT_COUPON["en"]}
    answer = client.post(
        f"/api/v1/incidents/{incident_id}/campaigns",
        json={"name": "Sorry", "coupon_mode": "none", "messages": messages, "csv": CSV},
        headers=AUTH,
    )
    assert answer.status_code == 201, answer.get_json()


def test_the_form_says_the_coupon_is_missing_and_keeps_what_was_typed(logged_in, app):
    incident_id = _incident(app)
    answer = post_form(
        logged_in,
        f"/admin/incidents/{incident_id}/campaigns",
        {
            "name": "Sorry",
            "subject_en": "About {{incident_title}}",
            "body_en": "Hi {{first_name}}, sorry for the outage.",
            "coupon_mode": "generated",
            "coupon_format": "SORRY-XXXX-XXXX",
            "csv_text": CSV,
        },
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "{{coupon}}" in page and "never shows the coupon" in page
    assert "Hi {{first_name}}, sorry for the outage." in page


def test_a_placeholder_no_customer_has_is_refused_at_launch(app):
    client = app.test_client()
    incident_id = _incident(app)
    messages = {"en": {"subject": "Your order", "body": "Hi {{first_name}}, order {{order_id}} is late."}}
    created = client.post(
        f"/api/v1/incidents/{incident_id}/campaigns",
        json={"name": "Late orders", "coupon_mode": "none", "messages": messages, "csv": CSV},
        headers=AUTH,
    )
    assert created.status_code == 201, created.get_json()
    campaign_id = created.get_json()["id"]
    launch = client.post(f"/api/v1/incidents/{incident_id}/campaigns/{campaign_id}/launch", headers=AUTH)
    assert launch.status_code == 422, launch.get_json()
    [why] = launch.get_json()["fields"].values()
    assert "{{order_id}} names nothing" in why
    # With the column in the audience, the same message goes out.
    with_column = "email,name,order_id\nann@example.com,Ann Lee,#7\n"
    replaced = client.put(
        f"/api/v1/incidents/{incident_id}/campaigns/{campaign_id}/audience",
        json={"csv": with_column},
        headers=AUTH,
    )
    assert replaced.status_code == 200, replaced.get_json()
    launch = client.post(f"/api/v1/incidents/{incident_id}/campaigns/{campaign_id}/launch", headers=AUTH)
    assert launch.status_code == 200, launch.get_json()
