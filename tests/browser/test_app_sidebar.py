"""The Zendesk ticket sidebar in a real browser, in Hebrew: Zendesk's signed POST opens it, the
agent's language comes from ZAF, the agent unlinks the ticket with one click and a reason."""

from __future__ import annotations

import json

import pytest

from tests.factories import CHECKOUT_STATUS, declare_checkout_incident, deliveries_done, link_state
from tests.helpers import AUDIENCE, key_pair, start_service, wait_for, zendesk_token

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

ZAF_SDK = "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"
SCREENSHOTS = "/tmp/incidentdesk-app-sidebar-he"


@pytest.fixture
def running(sqlite_url, sandbox, helpdesk):
    service = start_service(
        sqlite_url,
        sandbox,
        helpdesk,
        zendesk_app_public_key=key_pair("app").public_pem,
        zendesk_app_audience=AUDIENCE,
    )
    yield service
    service.stop()


def zaf_sdk_stand_in(ticket_id: int, locale: str) -> str:
    """Zendesk's SDK only works inside Zendesk; this answers the two questions our script asks."""
    answers = json.dumps({"ticket.id": ticket_id, "currentUser.locale": locale})
    return (
        "window.ZAFClient = {init: function () { return {"
        f"get: function () {{ return Promise.resolve({answers}); }},"
        "invoke: function (name, size) { window.zafResized = size; }}; }};"
    )


def open_as_zendesk(page, url: str, ticket_id: int) -> None:
    """Zendesk opens a signed-URL app by POSTing a form with the JWT (naming the ticket) to the
    location's URL."""
    token = zendesk_token(ticket_id=ticket_id)
    page.set_content(
        f'<form method="post" action="{url}/app/sidebar">'
        f'<input type="hidden" name="token" value="{token}"><button>open</button></form>'
    )
    page.get_by_role("button", name="open").click()
    page.wait_for_url(f"{url}/app/sidebar")


def test_hebrew_sidebar_reads_right_to_left_and_unlinks_in_one_click(browser, running):
    _, tag, _ = declare_checkout_incident(running.services)
    ticket_id = running.create_ticket(
        "התשלום באתר לא עובד", name="נועה כהן", email="noa@example.com", locale="he"
    )
    wait_for(lambda: (link_state(running, ticket_id) or ("",))[0] == "linked")
    wait_for(lambda: deliveries_done(running))

    context = browser.new_context(viewport={"width": 360, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.route(
        ZAF_SDK,
        lambda route: route.fulfill(
            content_type="application/javascript", body=zaf_sdk_stand_in(ticket_id, "he-IL")
        ),
    )
    open_as_zendesk(page, running.url, ticket_id)

    expect(page.locator("#incident-section")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "he")
    assert page.locator("#incident-title").inner_text() == "Checkout is down"
    assert page.locator("h2").first.inner_text().startswith("הסטטוס הנוכחי")
    current = page.locator("#current-status")
    assert current.inner_text() == CHECKOUT_STATUS["he"].replace("{{first_name}}", "נועה")
    assert current.get_attribute("dir") == "rtl"
    expect(current).to_have_css("direction", "rtl")
    applied = page.locator("#applied-status")
    assert applied.inner_text().startswith("שלום נועה") and applied.get_attribute("lang") == "he"
    assert (
        page.locator("#applied-macro").inner_text()
        == "נרשם בפנייה כמאקרו “\u2068Incident: Checkout is down\u2069”, גרסה 1."
    )
    assert page.locator("#why .chip").all_inner_texts() == ["תשלום"]
    assert "התשלום" in page.locator("#why .excerpt").inner_text()
    assert page.locator("#history li strong").all_inner_texts() == ["קושרה אוטומטית"]
    box = page.locator("#unlink-button").bounding_box()
    assert box["x"] + box["width"] > 300, "in Hebrew the button starts at the right edge"
    page.screenshot(path=f"{SCREENSHOTS}-linked.png", full_page=True)

    page.locator("#unlink-button").click()
    page.get_by_label("סיבה (לא חובה)").fill("פנייה על חשבונית")
    page.locator("#unlink-form button[type=submit]").click()
    expect(page.locator("#unlinked-notice")).to_be_visible()
    notice = page.locator("#unlinked-notice").inner_text()
    assert "פנייה על חשבונית" in notice
    assert page.locator("#unlinked-notice span[dir=ltr]").inner_text().endswith(" UTC")
    expect(page.locator("#incident-section")).to_be_hidden()
    assert page.locator("#link-incident option").all_inner_texts() == ["Checkout is down"]
    assert tag not in running.ticket(ticket_id)["tags"]
    assert link_state(running, ticket_id)[0] == "unlinked"
    page.screenshot(path=f"{SCREENSHOTS}-unlinked.png", full_page=True)
    assert page.evaluate("window.zafResized.width") == "100%"
    assert errors == []
    context.close()
